"""The test shop's adapters, as a shop developer would write them."""

from django.db.models import Count, Q, Sum

from convertedin_feed.adapters import (
    CustomerAdapter,
    FeedAdapter,
    Field,
    LineItemAdapter,
    OrderAdapter,
    Related,
)

PAID = Q(baskets__status="paid")


class MemberAdapter(CustomerAdapter):
    orders_count = Field(Count("baskets", filter=PAID))
    total_spent = Field(Sum("baskets__total", filter=PAID), default=0)
    currency = Field(constant="USD")
    registered_at = Field("created")
    gender = Field("gender_code", value_map={"m": "male", "f": "female"}, default="unknown")

    class Meta:
        model = "testapp.Member"

    def get_queryset(self):
        return super().get_queryset().filter(is_staff_account=False)


class BasketLineAdapter(LineItemAdapter):
    product_id = Field("sku")
    price = Field("unit_price")


class BasketAdapter(OrderAdapter):
    ordered_at = Field("created")
    total_price = Field("total")
    subtotal_price = Field("subtotal")
    total_tax = Field("tax")
    taxes_included = Field("tax_inclusive")
    country_code = Field("country")
    financial_status = Field("status")
    total_discounts = Field("discount")
    customer_locale = Field("locale")
    contact_email = Field("email")
    line_items = Related("lines", BasketLineAdapter)
    customer = Field("member")

    class Meta:
        model = "testapp.Basket"

    def get_queryset(self):
        return super().get_queryset().exclude(is_test=True)


class CatalogAdapter(FeedAdapter):
    price = Field("list_price")
    category_id = Field("shelf")

    class Meta:
        model = "testapp.CatalogItem"
