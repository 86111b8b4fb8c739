"""What "one page of orders" costs without the app: the yardsticks ``ours`` is measured against.

- ``drf``: how a DRF user would write the feed: nested ``ModelSerializer``\\s,
  ``select_related`` + ``prefetch_related``, a ``PageNumberPagination`` that
  answers in the Laravel envelope (a COUNT and an OFFSET per page).
- ``handwritten``: the fastest straightforward code: ``values()``, one
  line-items query, ``orjson``; still a COUNT and an OFFSET per page.
- ``handwritten_seek``: the same code told the total and the previous page's
  last id by the client (``total``, ``after``): no COUNT, no OFFSET. It is the
  floor a seeking feed can hope for, not a feed the platform could call.
- ``handwritten_seek`` products: the products feed written the same way, with
  the same advantages as ``ours`` in a running crawl (the total and the id to
  seek after, as ``ours`` finds them in its cache) and the same queries: the
  rows (their first category and main image by subquery), then one query per
  relation for the whole page, tags and images.

The orders baselines serve the orders feed's keys from the same models, leave out test purchases
as the example shop's adapter does, and check the token; formats follow
``OrderSerializer`` closely, but exact parity is not the point.
"""

import hmac
import os
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Case, F, OuterRef, Subquery, When
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from shop.convertedin import normalise_phone
from shop.models import Product, ProductImage, Purchase, PurchaseItem

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
FINANCIAL_STATUS = {"paid": "successful", "cancelled": "canceled"}
#: How older rows spell the countries the benchmark's data holds.
COUNTRY_CODES = {
    "Egypt": "EG", "EGY": "EG", "Saudi Arabia": "SA", "SAU": "SA",
    "United Arab Emirates": "AE", "ARE": "AE", "United States": "US", "USA": "US",
}  # fmt: skip
DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000


def published_orders():
    """The example adapter's ``get_queryset``: test purchases never reach the platform."""
    return Purchase.objects.exclude(is_test=True).order_by("pk")


def token_ok(supplied) -> bool:
    tokens = [t.strip() for t in os.environ.get("CONVERTEDIN_FEED_TOKEN", "").split(",")]
    supplied = (supplied or "").encode()
    return any(hmac.compare_digest(supplied, t.encode()) for t in tokens if t)


def money(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def country(value: str) -> str:
    return COUNTRY_CODES.get(value, value.upper())


# ---------------------------------------------------------------------------
# drf: the idiomatic DRF feed


class MoneyField(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def to_representation(self, value):
        return money(value)


class PurchaseItemSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField(source="qty")
    price = MoneyField(source="unit_price")

    class Meta:
        model = PurchaseItem
        fields = ("product_id", "quantity", "price")


class PurchaseSerializer(serializers.ModelSerializer):
    ordered_at = serializers.DateTimeField(source="placed_at", format=DATETIME_FORMAT)
    total_price = MoneyField(source="grand_total")
    subtotal_price = MoneyField(source="goods_total")
    total_tax = MoneyField(source="tax")
    taxes_included = serializers.SerializerMethodField()
    country_code = serializers.SerializerMethodField()
    financial_status = serializers.SerializerMethodField()
    total_discounts = MoneyField(source="discount")
    phone = serializers.SerializerMethodField()
    customer_locale = serializers.CharField(source="client.language", allow_null=True)  # guests
    contact_email = serializers.CharField(source="checkout_email")
    line_items = PurchaseItemSerializer(source="items", many=True)
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Purchase
        fields = (
            "id", "ordered_at", "total_price", "subtotal_price", "total_tax", "taxes_included",
            "currency", "country_code", "financial_status", "total_discounts", "phone",
            "customer_locale", "contact_email", "line_items", "customer",
        )  # fmt: skip

    def get_taxes_included(self, purchase):
        return int(purchase.prices_include_tax)

    def get_country_code(self, purchase):
        return country(purchase.ship_country)

    def get_financial_status(self, purchase):
        return FINANCIAL_STATUS.get(purchase.state, purchase.state)

    def get_phone(self, purchase):
        return normalise_phone(purchase.checkout_phone)

    def get_customer(self, purchase):
        return {"id": purchase.client_id}


class LaravelPagination(PageNumberPagination):
    """Django's paginator (COUNT, then OFFSET), read from the POST body, Laravel's envelope."""

    page_size = DEFAULT_PER_PAGE
    max_page_size = MAX_PER_PAGE

    def get_page_number(self, request, paginator):
        return request.data.get("page") or 1

    def get_page_size(self, request):
        try:
            return min(int(request.data.get("per_page") or self.page_size), self.max_page_size)
        except ValueError:
            return self.page_size

    def get_paginated_response(self, data):
        page = self.page
        return Response(
            {
                "current_page": page.number,
                "data": data,
                "from": page.start_index() if data else None,
                "last_page": page.paginator.num_pages,
                "per_page": page.paginator.per_page,
                "to": page.end_index() if data else None,
                "total": page.paginator.count,
            }
        )


class HasFeedToken(permissions.BasePermission):
    def has_permission(self, request, view):
        return token_ok(request.data.get("token"))


class DRFOrdersView(generics.ListAPIView):
    queryset = published_orders().select_related("client").prefetch_related("items")
    serializer_class = PurchaseSerializer
    pagination_class = LaravelPagination
    authentication_classes = ()
    permission_classes = (HasFeedToken,)
    parser_classes = (FormParser, MultiPartParser)
    renderer_classes = (JSONRenderer,)

    def post(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


# ---------------------------------------------------------------------------
# handwritten and handwritten_seek: values(), one line-items query, orjson

ORDER_COLUMNS = (
    "id", "placed_at", "grand_total", "goods_total", "tax", "prices_include_tax", "currency",
    "ship_country", "state", "discount", "checkout_phone", "client__language", "checkout_email",
    "client_id",
)  # fmt: skip


def order_record(row, zone: ZoneInfo, items: list) -> dict:
    placed_at: datetime = row["placed_at"]
    return {
        "id": row["id"],
        "ordered_at": placed_at.astimezone(zone).strftime(DATETIME_FORMAT),
        "total_price": money(row["grand_total"]),
        "subtotal_price": money(row["goods_total"]),
        "total_tax": money(row["tax"]),
        "taxes_included": int(row["prices_include_tax"]),
        "currency": row["currency"],
        "country_code": country(row["ship_country"]),
        "financial_status": FINANCIAL_STATUS.get(row["state"], row["state"]),
        "total_discounts": money(row["discount"]),
        "phone": normalise_phone(row["checkout_phone"]),
        "customer_locale": row["client__language"] or None,
        "contact_email": row["checkout_email"],
        "line_items": items,
        "customer": {"id": row["client_id"]},
    }


def line_items(ids: list[int]) -> dict[int, list]:
    grouped = defaultdict(list)
    rows = (
        PurchaseItem.objects.filter(purchase_id__in=ids)
        .order_by("purchase_id", "pk")
        .values("purchase_id", "product_id", "qty", "unit_price")
    )
    for item in rows:
        grouped[item["purchase_id"]].append(
            {
                "product_id": item["product_id"],
                "quantity": item["qty"],
                "price": money(item["unit_price"]),
            }
        )
    return grouped


def orders_page(request, *, seek: bool) -> HttpResponse:
    if not token_ok(request.POST.get("token")):
        return JsonResponse({"message": "Invalid token."}, status=401)
    try:
        number = max(1, int(request.POST.get("page") or 1))
        per_page = min(max(1, int(request.POST.get("per_page") or DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        if seek:
            total, after = int(request.POST["total"]), int(request.POST["after"])
    except (KeyError, ValueError):
        return JsonResponse(
            {"message": "page, per_page (and total, after) are numbers."}, status=422
        )
    orders = published_orders().values(*ORDER_COLUMNS)
    offset = (number - 1) * per_page
    if seek:
        rows = list(orders.filter(pk__gt=after)[:per_page])
    else:
        total = published_orders().count()  # before values() joins shop_client
        rows = list(orders[offset : offset + per_page]) if offset < total else []
    items = line_items([row["id"] for row in rows])
    zone = ZoneInfo(settings.TIME_ZONE)
    envelope = {
        "current_page": number,
        "data": [order_record(row, zone, items.get(row["id"], [])) for row in rows],
        "from": offset + 1 if rows else None,
        "last_page": max(1, -(-total // per_page)),
        "per_page": per_page,
        "to": offset + len(rows) if rows else None,
        "total": total,
    }
    return HttpResponse(orjson.dumps(envelope), content_type="application/json")


@csrf_exempt
@require_POST
def handwritten_orders(request):
    return orders_page(request, seek=False)


@csrf_exempt
@require_POST
def handwritten_seek_orders(request):
    return orders_page(request, seek=True)


# ---------------------------------------------------------------------------
# handwritten_seek products: values(), one query per relation, orjson

PRODUCT_COLUMNS = (
    "id", "name", "slug", "description", "brand", "price", "compare_at_price", "stock",
    "is_active", "created_at",
)  # fmt: skip
FIRST_CATEGORY = Subquery(
    Product.categories.through.objects.filter(product=OuterRef("pk"))
    .order_by("category_id")
    .values("category_id")[:1]
)
MAIN_IMAGE_FILE = Subquery(
    ProductImage.objects.filter(product=OuterRef("pk"))
    .order_by("position", "pk")
    .values("file")[:1]
)


def media_url(name: str | None) -> str | None:
    """A stored file's URL as the storage gives it (quoted, and right if the shop moves its
    files to another storage), on the site: what a correct hand-written feed does too."""
    return (
        f"{settings.CONVERTEDIN_FEED['SITE_URL']}{storages['default'].url(name)}" if name else None
    )


def product_tags(ids: list[int]) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    rows = (
        Product.tags.through.objects.filter(product_id__in=ids)
        .order_by("product_id", "tag_id")
        .values_list("product_id", "tag__name")
    )
    for product_id, name in rows:
        grouped[product_id].append(name)
    return grouped


def product_images(ids: list[int]) -> dict[int, list[dict]]:
    grouped = defaultdict(list)
    rows = (
        ProductImage.objects.filter(product_id__in=ids)
        .order_by("product_id", "position", "pk")
        .values_list("product_id", "file", "width", "height")
    )
    for product_id, name, width, height in rows:
        grouped[product_id].append({"path": media_url(name), "width": width, "height": height})
    return grouped


def product_record(row, zone: ZoneInfo, site: str, store: str, tags: list, images: list) -> dict:
    published = row["published_at"]
    compare_at = row["compare_at_price"]
    return {
        "id": row["id"],
        "title": row["name"],
        "full_permalink": f"{site}/products/{row['slug']}/",
        "image": media_url(row["main_image"]),
        "content": row["description"],
        "vendor": row["brand"] or store,
        "price": money(row["price"]),
        "category_id": None if row["category_id"] is None else str(row["category_id"]),
        "handle": row["slug"],
        "app_links": None,
        "type": None,
        "compare_at_price": None if compare_at is None else money(compare_at),
        "quantity": row["stock"],
        "published_at": (
            None if published is None else published.astimezone(zone).strftime(DATETIME_FORMAT)
        ),
        "tags": ", ".join(tags) or None,
        "images": images,
    }


@csrf_exempt
@require_POST
def handwritten_seek_products(request):
    if not token_ok(request.POST.get("token")):
        return JsonResponse({"message": "Invalid token."}, status=401)
    try:
        number = max(1, int(request.POST.get("page") or 1))
        per_page = min(max(1, int(request.POST.get("per_page") or DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        total, after = int(request.POST["total"]), int(request.POST["after"])
    except (KeyError, ValueError):
        return JsonResponse({"message": "page, per_page, total and after are numbers."}, status=422)
    rows = list(
        Product.objects.filter(pk__gt=after)
        .order_by("pk")
        .values(
            *PRODUCT_COLUMNS,
            main_image=MAIN_IMAGE_FILE,
            category_id=FIRST_CATEGORY,
            published_at=Case(When(is_active=True, then=F("created_at"))),
        )[:per_page]
    )
    ids = [row["id"] for row in rows]
    tags, images = product_tags(ids), product_images(ids)
    zone = ZoneInfo(settings.TIME_ZONE)
    site = settings.CONVERTEDIN_FEED["SITE_URL"]
    store = settings.CONVERTEDIN_FEED["STORE"]["name"]
    offset = (number - 1) * per_page
    data = [
        product_record(row, zone, site, store, tags.get(row["id"], []), images.get(row["id"], []))
        for row in rows
    ]
    envelope = {
        "current_page": number,
        "data": data,
        "from": offset + 1 if rows else None,
        "last_page": max(1, -(-total // per_page)),
        "per_page": per_page,
        "to": offset + len(rows) if rows else None,
        "total": total,
    }
    return HttpResponse(orjson.dumps(envelope), content_type="application/json")
