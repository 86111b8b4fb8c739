"""Where each Converted.in key comes from in this shop's models.

``settings.CONVERTEDIN_FEED["ADAPTERS"]`` names ``ClientAdapter`` and
``PurchaseAdapter``. A key an adapter does not declare reads the model field of
the same name (``id``, ``first_name``), so only the differences are written down.

Buyers without an account are customers too: guest checkouts, and the clients
who deleted their account (their purchases stay, without a client).
``GuestBuyerAdapter`` derives them from the purchases, one per email; both feed
adapters name it in ``Meta.guests``.
"""

import re

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat, Round

from convertedin_feed.adapters import (
    CategoryAdapter,
    CustomerAdapter,
    FeedAdapter,
    Field,
    GuestAdapter,
    LineItemAdapter,
    OrderAdapter,
    ProductAdapter,
    Related,
)
from shop.currencies import EGP_PER_UNIT
from shop.models import Product, ProductImage

#: A real order: paid, and not one the staff placed to test the checkout.
PAID = Q(purchases__state="paid", purchases__is_test=False)
#: The same, seen from the purchase itself (the guests' aggregates).
PAID_PURCHASE = Q(state="paid", is_test=False)


def grand_total_in_egp(path: str = "") -> Case:
    """The grand total of the purchase at ``path`` (``"purchases__"`` from a
    client, ``""`` from the purchase itself), converted to EGP (``EGP_PER_UNIT``)."""
    return Case(
        *(
            When(**{f"{path}currency": code}, then=F(f"{path}grand_total") * Value(rate))
            for code, rate in EGP_PER_UNIT.items()
        ),
        default=F(f"{path}grand_total"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


GRAND_TOTAL_IN_EGP = grand_total_in_egp("purchases__")

_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_EGYPTIAN_MOBILE = re.compile(r"(?:\+?20|0020)?0?(1[0125]\d{8})")


def normalise_phone(raw: str | None) -> str | None:
    """An Egyptian mobile in E.164 (``+201001234567``), other numbers just unpunctuated.

    ``0100 123 4567``, ``0100-123-4567``, ``+20 100 123 4567`` and
    ``00201001234567`` are one number; a blank one is no number (``None``).
    """
    if raw is None:
        return None
    number = _PHONE_PUNCTUATION.sub("", raw)
    if not number:
        return None
    mobile = _EGYPTIAN_MOBILE.fullmatch(number)
    if mobile:
        return f"+20{mobile.group(1)}"
    if number.startswith("00"):
        return f"+{number[2:]}"
    return number


class GuestBuyerAdapter(GuestAdapter):
    """Buyers without an account: one customer per email typed at checkout.

    The app normalises the email (trimmed, lower case: `` Guest@Example.com`` and
    ``guest@example.com`` are one guest), serves it as the customer's ``email``
    and keys the customer ``guest-<hash of the email>``. Paths and expressions
    are relative to a purchase: plain ones read the guest's first purchase,
    aggregates run over all the guest's purchases.
    """

    first_name = Field("billing_first_name")
    last_name = Field("billing_last_name")
    phone = Field("checkout_phone")  # then cleaned by dehydrate_phone() below
    orders_count = Field(Count("pk", filter=PAID_PURCHASE))
    total_spent = Field(Round(Sum(grand_total_in_egp(), filter=PAID_PURCHASE), 2), default=0)
    currency = Field(constant="EGP")
    registered_at = Field(Min("placed_at"))  # the guest's first purchase
    gender = Field(constant="unknown")  # a checkout does not ask
    last_order_id = Field(Max("pk"))

    class Meta:
        model = "shop.Purchase"
        account = "client"  # guests are the purchases whose client is NULL
        email = "checkout_email"
        extra_keys = ("last_order_id",)  # the same keys as ClientAdapter's records
        # The change filters, as the clients take them: a guest is created with its
        # first purchase, and changes whenever one of its purchases does.
        created_at = "placed_at"
        updated_at = "updated_on"

    def get_queryset(self):
        return super().get_queryset().exclude(is_test=True)

    def dehydrate_phone(self, row):
        return normalise_phone(row["phone"])


class ClientAdapter(CustomerAdapter):
    # A field path: the key reads another column of the model.
    email = Field("mail")
    last_name = Field("family_name")
    phone = Field("mobile")  # then cleaned by dehydrate_phone() below
    registered_at = Field("joined_on")
    # ORM expressions: aggregates are computed for the page's clients only.
    orders_count = Field(Count("purchases", filter=PAID))
    total_spent = Field(Round(Sum(GRAND_TOTAL_IN_EGP, filter=PAID), 2), default=0)  # 0, not null
    # A constant: the same value on every record.
    currency = Field(constant="EGP")
    # value_map translates stored values; default covers blanks and anything unmapped.
    gender = Field("sex", value_map={"M": "male", "F": "female"}, default="unknown")
    # A key beyond the documented ones, Shopify-style; listed in Meta.extra_keys.
    last_order_id = Field(Max("purchases__id", filter=Q(purchases__is_test=False)))

    class Meta:
        model = "shop.Client"
        extra_keys = ("last_order_id",)
        guests = GuestBuyerAdapter  # the feed serves the clients, then the guests
        # Incremental pulls (created_since, updated_since, ids). A client's record
        # counts its purchases, so it changes when one of them does, too.
        created_at = "joined_on"
        updated_at = ("updated_on", "purchases__updated_on")
        filter_ids = True

    def get_queryset(self):
        # The shop's own staff accounts are not customers to market to.
        return super().get_queryset().filter(is_staff_account=False)

    def dehydrate_phone(self, row):
        """Logic only Python can express: ``row`` holds every key's mapped value."""
        return normalise_phone(row["phone"])


class PurchaseItemAdapter(LineItemAdapter):
    # No Meta.model: Related("items", ...) below tells it (shop.PurchaseItem).
    product_id = Field("product")  # a foreign key reads as the product's id
    quantity = Field("qty")
    price = Field("unit_price")

    class Meta:
        # An item whose product was deleted since has no product id: it is left
        # out, or with CONVERTEDIN_FEED["MISSING_PRODUCTS"] = "fallback", served
        # with the sku it kept.
        product_fallback = "sku"


class PurchaseAdapter(OrderAdapter):
    ordered_at = Field("placed_at")
    total_price = Field("grand_total")
    subtotal_price = Field("goods_total")
    total_tax = Field("tax")
    taxes_included = Field("prices_include_tax")  # rendered 0/1
    currency = Field("currency")
    country_code = Field("ship_country")  # names and alpha-3 codes render as alpha-2
    # The shop's states, in the documents' words ("refunded" is already one).
    financial_status = Field(
        "state",
        value_map={"pending": "processing", "paid": "successful", "cancelled": "canceled"},
    )
    total_discounts = Field("discount")
    phone = Field("checkout_phone")
    # A path across a relation; null for a guest's purchase, which has no client.
    customer_locale = Field("client__language")
    contact_email = Field("checkout_email")
    # A reverse foreign key: each purchase's items, read for the whole page at once.
    line_items = Related("items", PurchaseItemAdapter)
    # Renders as {"id": <client id>}; a purchase without a client, as its guest's id.
    customer = Field("client")

    class Meta:
        model = "shop.Purchase"
        guests = GuestBuyerAdapter
        # Incremental pulls: created_since, updated_since and ids.
        created_at = "placed_at"
        updated_at = "updated_on"
        filter_ids = True

    def get_queryset(self):
        # Orders the staff placed to test the checkout never reach the platform.
        return super().get_queryset().exclude(is_test=True)

    def dehydrate_phone(self, row):
        return normalise_phone(row["phone"])


# ---------------------------------------------------------------------------
# The catalogue: categories and products


class CategoryTreeAdapter(CategoryAdapter):
    """Root categories, each with its whole subtree under ``subcategories``."""

    title = Field("name")
    handle = Field("slug")
    content = Field("description")
    available = Field("is_visible")  # rendered true/false
    published_at = Field("created_at")

    class Meta:
        model = "shop.Category"
        parent = "parent"  # the ForeignKey to the parent category


class ProductImageAdapter(FeedAdapter):
    # A stored file name ("products/jeans-1.jpg"): the storage's URL, on SITE_URL.
    path = Field("file")
    # width and height read the model fields of the same name.

    def get_queryset(self):
        return super().get_queryset().order_by("position")  # the main image first


#: The stored file of a product's main image: the one of the lowest position.
MAIN_IMAGE = Subquery(
    ProductImage.objects.filter(product=OuterRef("pk"))
    .order_by("position", "pk")
    .values("file")[:1]
)
#: A product's first category (the lowest id) of the one to three it sits in. A subquery
#: per row rather than ``Min("categories__pk")``: that aggregate would work as well, at the
#: cost of one more query per page (the app runs aggregates apart from the rows).
FIRST_CATEGORY = Subquery(
    Product.categories.through.objects.filter(product=OuterRef("pk"))
    .order_by("category_id")
    .values("category_id")[:1]
)


class CatalogueAdapter(ProductAdapter):
    title = Field("name")
    # A path: the app joins it to SITE_URL.
    full_permalink = Field(
        expression=Concat(Value("/products/"), "slug", Value("/"), output_field=CharField())
    )
    image = Field(expression=MAIN_IMAGE)
    content = Field("description")  # HTML
    vendor = Field("brand")  # blank: the store's own, served as the store's name
    # price and compare_at_price read the fields of the same name; a product not
    # on sale has no compare_at_price (null).
    category_id = Field(expression=FIRST_CATEGORY)
    handle = Field("slug")
    quantity = Field("stock")
    # An inactive product is unpublished: null tells the platform to hide it.
    published_at = Field(expression=Case(When(is_active=True, then=F("created_at"))))
    tags = Related("tags", field="name")  # "new, sale, gift"
    images = Related("images", ProductImageAdapter)

    class Meta:
        model = "shop.Product"
        # Incremental pulls: created_since, updated_since and ids.
        created_at = "created_at"
        updated_at = "updated_on"
        filter_ids = True
        categories = "categories"  # the path the collection_id filter follows
        collection_subcategories = True  # a category's products include its subcategories'
