"""Shops unlike the example one: members, baskets and basket lines; and an
Oscar-like one, with accounts, orders, order lines and discounts (guests too)."""

import uuid

from django.db import models


class Member(models.Model):
    email = models.EmailField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=30, blank=True)
    gender_code = models.CharField(max_length=1, blank=True)  # "m", "f", "x" or ""
    created = models.DateTimeField()
    is_staff_account = models.BooleanField(default=False)


class Basket(models.Model):
    member = models.ForeignKey(Member, related_name="baskets", on_delete=models.CASCADE)
    created = models.DateTimeField()
    total = models.DecimalField(max_digits=12, decimal_places=2)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tax_inclusive = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=60)
    status = models.CharField(max_length=20, default="paid")
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Converted at a daily rate: more places than money usually has.
    total_in_usd = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    phone = models.CharField(max_length=30)
    locale = models.CharField(max_length=5, blank=True)
    email = models.EmailField()
    is_test = models.BooleanField(default=False)


class BasketLine(models.Model):
    basket = models.ForeignKey(Basket, related_name="lines", on_delete=models.CASCADE)
    sku = models.IntegerField()
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)


class CatalogItem(models.Model):
    """What a third feed, products, would publish: proves a feed is a declaration."""

    title = models.CharField(max_length=200)
    list_price = models.DecimalField(max_digits=12, decimal_places=2)
    shelf = models.PositiveIntegerField()


class Subscriber(models.Model):
    """A customer keyed by a string, as some shops do."""

    code = models.CharField(primary_key=True, max_length=20)
    email = models.EmailField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    joined = models.DateTimeField()


class Guest(models.Model):
    """A customer keyed by a UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    email = models.EmailField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    joined = models.DateTimeField()


class Tag(models.Model):
    """A many-to-many to members: a path through it repeats a member once per tag."""

    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Member, related_name="tags")


# A shop shaped like a commerce framework's (django-oscar's, simplified): accounts
# with an address book, orders that keep what was bought after the account or the
# catalogue item is deleted, guest checkouts without an account, and discounts
# on their own rows.


class Account(models.Model):
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    date_joined = models.DateTimeField()
    is_staff = models.BooleanField(default=False)


class Address(models.Model):
    """An address of an account's address book, or a guest's shipping address."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="addresses"
    )
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2
    is_default_shipping = models.BooleanField(default=False)


class Item(models.Model):
    """A catalogue item; deleting it leaves the order lines that sold it."""

    title = models.CharField(max_length=255)
    price = models.DecimalField(max_digits=12, decimal_places=2)


class Order(models.Model):
    PENDING, COMPLETE, CANCELLED = "Pending", "Complete", "Cancelled"

    # NULL for a guest checkout, and for the orders of an account deleted since.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    guest_email = models.EmailField(blank=True)  # a guest's; blank on an account's order
    number = models.CharField(max_length=128, unique=True)
    placed = models.DateTimeField()
    currency = models.CharField(max_length=12, default="GBP")
    total_incl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    total_excl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_incl_tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=100, default=PENDING)
    shipping_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipping_phone = models.CharField(max_length=32, blank=True)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # NULL once the item is deleted from the catalogue; partner_sku and title stay.
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    partner_sku = models.CharField(max_length=128)
    title = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1)
    unit_price_incl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price_excl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    line_price_incl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    line_price_excl_tax = models.DecimalField(max_digits=12, decimal_places=2)


class OrderDiscount(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    offer_name = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)


# A catalogue unlike the example shop's (Category, Product): sections nested to any
# depth, gadgets filed under any number of sections, labels as tags, and pictures.


class Section(models.Model):
    """A category; ``parent`` NULL for a root."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(blank=True)
    blurb = models.TextField(blank=True)
    is_visible = models.BooleanField(default=True)
    opened = models.DateTimeField()


class Label(models.Model):
    """A gadget's tag."""

    name = models.CharField(max_length=50)


class Gadget(models.Model):
    """A product."""

    title = models.CharField(max_length=200)
    slug = models.SlugField()
    body = models.TextField(blank=True)
    brand = models.CharField(max_length=100, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    was_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    stock = models.IntegerField(default=0)
    listed = models.BooleanField(default=True)
    listed_on = models.DateTimeField()
    sections = models.ManyToManyField(Section, related_name="gadgets", blank=True)
    labels = models.ManyToManyField(Label, related_name="gadgets", blank=True)


class GadgetPicture(models.Model):
    """A picture of a gadget; ``file`` is a storage-relative name such as ``gadgets/a.jpg``."""

    gadget = models.ForeignKey(Gadget, on_delete=models.CASCADE, related_name="pictures")
    file = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveIntegerField(default=0)


# A tree kept as a materialised path, as django-treebeard's MP_Node keeps it (and so
# django-oscar's categories): no parent column; each path is its parent's followed by
# one step of ``steplen`` characters, so a root's path is one step long.


class Shelf(models.Model):
    """A category in a materialised-path tree: ``path`` "0001", "00010001", ..."""

    steplen = 4  # treebeard's class attribute

    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    is_visible = models.BooleanField(default=True)
    opened = models.DateTimeField()


class Book(models.Model):
    """A product filed under shelves."""

    title = models.CharField(max_length=200)
    shelves = models.ManyToManyField(Shelf, related_name="books", blank=True)
