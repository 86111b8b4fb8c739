"""Adapters for the Oscar-like test shop (Account, Order, OrderLine, OrderDiscount).

Not in ``tests/settings.py``'s ADAPTERS: tests name them with ``override_settings``::

    ADAPTERS = {
        "customers": "tests.testapp.commerce.AccountAdapter",
        "orders": "tests.testapp.commerce.CommerceOrderAdapter",
    }

What this shop makes the feeds cope with:

- guest checkouts: orders without an account, told apart by ``guest_email`` only,
  typed in any case and with stray spaces; and the orders of accounts deleted
  since, whose ``account`` is NULL too (and ``guest_email`` blank, as Oscar
  leaves it on an account's order: such an order has no email to group it by);
- lines whose catalogue item was deleted (``item`` NULL, ``partner_sku`` kept);
- two to-many relations aggregated side by side on an order (``lines`` and
  ``discounts``): summed in one joined query, each multiplies the other.
"""

from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from convertedin_feed.adapters import (
    CustomerAdapter,
    Field,
    GuestAdapter,
    LineItemAdapter,
    OrderAdapter,
    Related,
)
from tests.testapp.models import Address, Order

COMPLETE = Q(status=Order.COMPLETE)
#: The same, from an account.
ACCOUNT_COMPLETE = Q(orders__status=Order.COMPLETE)

#: A guest's email, a blank one being none: an order without an account and
#: without one (a deleted account's) belongs to no guest.
GUEST_EMAIL = NullIf("guest_email", Value(""))


class GuestOrderAdapter(GuestAdapter):
    """The buyers without an account, one per normalised ``guest_email``.

    Paths and expressions are relative to ``Order``: plain ones read the guest's
    first order (its name and phone as typed at that checkout), aggregates run
    over all of the guest's orders.
    """

    first_name = Field("shipping_address__first_name")
    last_name = Field("shipping_address__last_name")
    phone = Field("shipping_phone")
    orders_count = Field(Count("pk", filter=COMPLETE))
    total_spent = Field(Sum("total_incl_tax", filter=COMPLETE), default=0)
    currency = Field(constant="GBP")
    registered_at = Field(Min("placed"))  # the guest's first order

    class Meta:
        model = "testapp.Order"
        account = "account"  # guests are the orders whose account is NULL
        email = GUEST_EMAIL


class PlainEmailGuestAdapter(GuestOrderAdapter):
    """The same guests, with ``Meta.email`` a plain field path."""

    class Meta:
        email = "guest_email"


class AccountAdapter(CustomerAdapter):
    # email, first_name and last_name: the model's fields have the documented names.
    orders_count = Field(Count("orders", filter=ACCOUNT_COMPLETE))
    total_spent = Field(Sum("orders__total_incl_tax", filter=ACCOUNT_COMPLETE), default=0)
    currency = Field(constant="GBP")
    registered_at = Field("date_joined")
    # The default shipping address's phone: a subquery, not an aggregate over
    # addresses, which would multiply the orders counted above.
    phone = Field(
        Subquery(
            Address.objects.filter(account=OuterRef("pk"), is_default_shipping=True)
            .order_by("pk")
            .values("phone_number")[:1]
        )
    )
    # No gender: Oscar does not ask (an optional key, null).

    class Meta:
        model = "testapp.Account"
        guests = GuestOrderAdapter  # the feed serves the accounts, then the guests

    def get_queryset(self):
        return super().get_queryset().filter(is_staff=False)


class OrderLineAdapter(LineItemAdapter):
    product_id = Field("item")  # NULL once the item is deleted
    price = Field("unit_price_incl_tax")
    # quantity: the model's field has the documented name.

    class Meta:
        # With CONVERTEDIN_FEED["MISSING_PRODUCTS"] = "fallback", a line whose item
        # was deleted is served with its partner_sku as product_id.
        product_fallback = "partner_sku"


class CommerceOrderAdapter(OrderAdapter):
    ordered_at = Field("placed")
    total_price = Field("total_incl_tax")
    # Two to-many relations side by side: the lines' sum and the discounts' sum
    # (and the extra key's) must each count every row once.
    subtotal_price = Field(Sum("lines__line_price_incl_tax"), default=0)
    total_discounts = Field(Sum("discounts__amount"), default=0)
    items_count = Field(Sum("lines__quantity"), default=0)
    total_tax = Field(F("total_incl_tax") - F("total_excl_tax"))
    taxes_included = Field(constant=True)
    currency = Field("currency")
    country_code = Field("shipping_address__country")
    financial_status = Field(
        "status",
        value_map={"Complete": "successful", "Cancelled": "canceled", "Pending": "pending"},
    )
    phone = Field("shipping_phone")
    # A guest's typed email, else the account's (NULL for a deleted account's order).
    contact_email = Field(Coalesce(GUEST_EMAIL, "account__email"))
    line_items = Related("lines", OrderLineAdapter)
    customer = Field("account")  # {"id": <account id>}, or the guest's id

    class Meta:
        model = "testapp.Order"
        guests = GuestOrderAdapter
        extra_keys = ("items_count",)


# The same shop, pulled incrementally: change filters declared on each adapter.


class ChangingGuestAdapter(GuestOrderAdapter):
    """A guest is created with its first order and changes whenever it orders again."""

    class Meta:
        created_at = "placed"
        updated_at = "placed"


class ChangingAccountAdapter(AccountAdapter):
    """An account's record counts its orders: it changes when it joins or orders."""

    class Meta:
        guests = ChangingGuestAdapter
        created_at = "date_joined"
        updated_at = ("date_joined", "orders__placed")
        filter_ids = True


class ChangingOrderAdapter(CommerceOrderAdapter):
    """An expression as the time (read in place), and the order number as the record id."""

    id = Field("number")

    class Meta:
        guests = ChangingGuestAdapter
        created_at = "placed"
        updated_at = F("placed")
        filter_ids = True
