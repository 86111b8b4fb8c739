"""A shop unlike the example one: members, baskets and basket lines."""

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
