"""Where each Converted.in key comes from in this shop's models.

``settings.CONVERTEDIN_FEED["ADAPTERS"]`` names the two adapters below. A key
an adapter does not declare reads the model field of the same name (``id``,
``first_name``), so only the differences are written down.
"""

import re
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When
from django.db.models.functions import Round

from convertedin_feed.adapters import CustomerAdapter, Field, LineItemAdapter, OrderAdapter, Related

#: A real order: paid, and not one the staff placed to test the checkout.
PAID = Q(purchases__state="paid", purchases__is_test=False)

#: The shop reports customer spend in one currency, EGP. Orders in other
#: currencies are converted at these fixed rates (demo values, not live ones);
#: the demo data prices its products with them too.
EGP_PER_UNIT = {"SAR": Decimal("13.20"), "AED": Decimal("13.50"), "USD": Decimal("49.50")}

GRAND_TOTAL_IN_EGP = Case(
    *(
        When(purchases__currency=code, then=F("purchases__grand_total") * Value(rate))
        for code, rate in EGP_PER_UNIT.items()
    ),
    default=F("purchases__grand_total"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)

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


class PurchaseAdapter(OrderAdapter):
    ordered_at = Field("placed_at")
    total_price = Field("grand_total")
    subtotal_price = Field("goods_total")
    total_tax = Field("tax")
    taxes_included = Field("prices_include_tax")  # rendered 0/1
    currency = Field("currency")
    country_code = Field("ship_country")  # names and alpha-3 codes render as alpha-2
    # Mapped statuses change; the others ("pending", "refunded") pass through.
    financial_status = Field("state", value_map={"paid": "successful", "cancelled": "canceled"})
    total_discounts = Field("discount")
    phone = Field("checkout_phone")
    customer_locale = Field("client__language")  # a path across a relation
    contact_email = Field("checkout_email")
    # A reverse foreign key: each purchase's items, read for the whole page at once.
    line_items = Related("items", PurchaseItemAdapter)
    customer = Field("client")  # renders as {"id": <client id>}

    class Meta:
        model = "shop.Purchase"

    def get_queryset(self):
        # Orders the staff placed to test the checkout never reach the platform.
        return super().get_queryset().exclude(is_test=True)

    def dehydrate_phone(self, row):
        return normalise_phone(row["phone"])
