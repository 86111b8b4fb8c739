"""The test shop's adapters, as a shop developer would write them."""

from django.db.models import Case, CharField, Count, F, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Concat

from convertedin_feed.adapters import (
    CategoryAdapter,
    CustomerAdapter,
    FeedAdapter,
    Field,
    LineItemAdapter,
    OrderAdapter,
    ProductAdapter,
    Related,
)
from tests.testapp.models import GadgetPicture

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


class SectionAdapter(CategoryAdapter):
    """Sections nested to any depth; a hidden one is served, unavailable."""

    title = Field("name")
    handle = Field("slug")
    content = Field("blurb")
    available = Field("is_visible")
    published_at = Field("opened")

    class Meta:
        model = "testapp.Section"


class PictureAdapter(FeedAdapter):
    path = Field("file")

    class Meta:
        model = "testapp.GadgetPicture"

    def get_queryset(self):
        return super().get_queryset().order_by("position")


class GadgetAdapter(ProductAdapter):
    """Gadgets: a many-to-many to sections and to labels, pictures by a reverse foreign key."""

    full_permalink = Field(
        expression=Concat(Value("/gadgets/"), "slug", Value("/"), output_field=CharField())
    )
    image = Field(
        expression=Subquery(
            GadgetPicture.objects.filter(gadget=OuterRef("pk"))
            .order_by("position")
            .values("file")[:1]
        )
    )
    content = Field("body")
    vendor = Field("brand")
    compare_at_price = Field("was_price")
    category_id = Field(expression=Min("sections__pk"))
    handle = Field("slug")
    quantity = Field("stock")
    published_at = Field(expression=Case(When(listed=True, then=F("listed_on"))))
    tags = Related("labels", field="name")
    images = Related("pictures", PictureAdapter)

    class Meta:
        model = "testapp.Gadget"
        categories = "sections"
