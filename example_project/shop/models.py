"""An online shop's own models, named the way this shop names things, not the feed.

``shop/convertedin.py`` maps them onto the documented keys.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone


class Category(models.Model):
    """A shelf of the catalogue: roots, their children and so on (four levels here)."""

    # Indexed (a ForeignKey is): the categories feed reads the roots (parent NULL)
    # a page at a time, then each level's children.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    is_visible = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    # Blank for the shop's own products: the feed serves the store's name.
    brand = models.CharField(max_length=100, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    # The price before a sale, shown struck through; None when not on sale.
    compare_at_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    stock = models.IntegerField(default=0)
    # An inactive product stays in the catalogue, unpublished.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the product last changed: the products feed's updated_since.
    updated_on = models.DateTimeField(auto_now=True, db_index=True)
    # A product sits on several shelves, at any level. The through table has a
    # unique (product, category) index and one on category: the products feed's
    # collection_id filter starts from the category.
    categories = models.ManyToManyField(Category, related_name="products")
    tags = models.ManyToManyField(Tag, related_name="products", blank=True)

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    """A product's picture; the lowest ``position`` is the main image."""

    # No index of its own: the (product, position) index below starts with it.
    product = models.ForeignKey(
        Product, related_name="images", on_delete=models.CASCADE, db_index=False
    )
    file = models.FileField(upload_to="products/")  # a FileField: no Pillow needed
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = (
            # The products feed reads a page's images by product, main image first.
            models.Index(fields=["product", "position"], name="shop_productimage_position"),
        )

    def __str__(self) -> str:
        return self.file.name


class Client(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", "Male"
        FEMALE = "F", "Female"
        NOT_SAID = "", "Not said"

    class Language(models.TextChoices):
        ARABIC = "ar", "Arabic"
        ENGLISH = "en", "English"

    mail = models.EmailField(unique=True)
    first_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    mobile = models.CharField(max_length=30, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    joined_on = models.DateTimeField()
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ARABIC)
    is_staff_account = models.BooleanField(default=False)
    # When the account last changed: the customers feed's updated_since reads it,
    # with its purchases' (ClientAdapter.Meta.updated_at).
    updated_on = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.first_name} {self.family_name} <{self.mail}>"


class Purchase(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    # None for a guest checkout, and for the purchases of an account deleted
    # since: the purchase stays. No index of its own: the (client, state)
    # index below starts with it.
    client = models.ForeignKey(
        Client,
        related_name="purchases",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
    )
    placed_at = models.DateTimeField()
    grand_total = models.DecimalField(max_digits=12, decimal_places=2)
    goods_total = models.DecimalField(max_digits=12, decimal_places=2)
    # When prices_include_tax, ``tax`` is the part of goods_total that is tax.
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    prices_include_tax = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    # Mostly ISO alpha-2 codes; older rows hold names ("Egypt") or alpha-3 ("SAU").
    ship_country = models.CharField(max_length=60)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Who pays, as typed at checkout: a guest has no account to name them.
    billing_first_name = models.CharField(max_length=100)
    billing_last_name = models.CharField(max_length=100)
    checkout_phone = models.CharField(max_length=30)
    # As typed: guests write the same address in varied case, with spaces.
    checkout_email = models.EmailField()
    is_test = models.BooleanField(default=False)
    # When the purchase last changed (paid, cancelled, refunded): the orders feed's
    # updated_since, and the customers feed's for its buyer.
    updated_on = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = (
            # The customers feed counts and sums each page's clients' paid
            # purchases: this index answers it without reading the table.
            models.Index(fields=["client", "state"], name="shop_purchase_client_state"),
            # Guests are told apart by their normalised email: this index holds
            # the purchases without an account, in that order. (PostgreSQL and
            # SQLite; MariaDB has no functional or partial indexes.)
            models.Index(
                Lower(Trim("checkout_email")),
                "id",
                name="shop_purchase_guest_email",
                condition=Q(client__isnull=True),
            ),
        )

    def __str__(self) -> str:
        return f"Purchase #{self.pk}"


class PurchaseItem(models.Model):
    # Indexed (a ForeignKey is): the orders feed reads a page's items by purchase.
    purchase = models.ForeignKey(Purchase, related_name="items", on_delete=models.CASCADE)
    # None once the product is deleted from the catalogue: the item stays, with its sku.
    product = models.ForeignKey(
        Product,
        related_name="purchase_items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    sku = models.CharField(max_length=32)  # the product's, copied at purchase time
    qty = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.qty} x {self.sku}"
