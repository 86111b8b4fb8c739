"""The storeinfo, categories and products feeds of an Oscar shop, with no mapping code.

Data from Oscar's own ``oscar.test.factories`` (``create_product``,
``create_stockrecord``, ``create_product_image``) and its category helper
``create_from_breadcrumbs``; expectations from Oscar's own model methods
(``get_title``, ``get_absolute_url``, ``primary_image``, ``net_stock_level``).
"""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.sites.models import Site
from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.apps.partner.strategy import Default
from oscar.core.loading import get_model
from oscar.test import factories
from rest_framework.test import APIClient

from convertedin_feed.adapters import Field
from convertedin_feed.checks import TAG
from convertedin_feed.contrib.oscar.catalogue import OscarProductAdapter
from convertedin_feed.fields import DATETIME_FORMAT
from tests.oscar.conftest import build_shop

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
StockRecord = get_model("partner", "StockRecord")
Partner = get_model("partner", "Partner")
Line = get_model("order", "Line")

pytestmark = pytest.mark.django_db

SITE = "https://oscar.example"


def feed(pull, name, **fields):
    response = pull(name, per_page=1000, **fields)
    assert response.status_code == 200, response.content
    return response.json()


def records(pull, name, **fields):
    return feed(pull, name, **fields)["data"]


def by_id(data):
    return {record["id"]: record for record in data}


def feed_settings(settings, **values):
    return override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, **values})


# ---------------------------------------------------------------------------
# storeinfo


@pytest.fixture
def winter(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 1, 15, tzinfo=timezone.utc)
    )


def test_storeinfo_is_oscar_s_settings_and_store_for_what_oscar_has_not(pull, winter):
    body = pull("storeinfo").json()
    assert body == {
        "code": 200,
        "data": {
            "name": "متجر أوسكار",  # OSCAR_SHOP_NAME
            "currency": "EGP",  # OSCAR_DEFAULT_CURRENCY
            "time_zone": "GMT+2",  # TIME_ZONE, Africa/Cairo in January
            "email": "hello@oscar.example",  # STORE
            "description": None,  # OSCAR_SHOP_TAGLINE is blank
            "country": "EG",  # STORE
            "country_code": "EG",
        },
    }


def test_storeinfo_reads_no_table_whatever_the_shop_s_size(pull, winter):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert pull("storeinfo").status_code == 200
        return captured.captured_queries

    empty = queries()
    build_shop(customers=2)
    assert empty == queries() == []


def test_storeinfo_description_is_oscar_s_tagline(pull, settings, winter):
    settings.OSCAR_SHOP_TAGLINE = "ملابس وهدايا"
    assert pull("storeinfo").json()["data"]["description"] == "ملابس وهدايا"


def test_storeinfo_keys_the_shop_sets_in_store_win(pull, settings, winter):
    store = {
        "name": "Souq",
        "currency": "usd",
        "time_zone": "Asia/Dubai",
        "email": "x@souq.example",
        "description": "Everything",
        "country": "Saudi Arabia",
    }
    settings.OSCAR_SHOP_TAGLINE = "ignored"
    with feed_settings(settings, STORE=store):
        data = pull("storeinfo").json()["data"]
    assert data == {
        "name": "Souq",
        "currency": "USD",
        "time_zone": "GMT+4",
        "email": "x@souq.example",
        "description": "Everything",
        "country": "SA",
        "country_code": "SA",
    }


def test_storeinfo_time_zone_follows_the_feeds_time_zone_setting(pull, settings, winter):
    with feed_settings(settings, TIME_ZONE="America/New_York"):
        assert pull("storeinfo").json()["data"]["time_zone"] == "GMT-5"


def test_storeinfo_without_an_email_serves_null_and_logs_it(pull, settings, caplog, winter):
    with feed_settings(settings, STORE={"country": "EG"}):
        response = pull("storeinfo")
    assert response.status_code == 200
    assert response.json()["data"]["email"] is None
    assert "no value for the required 'email'" in caplog.text


def test_manage_py_check_names_what_store_lacks_beside_oscar_s_settings(settings):
    from django.core import checks

    def e011():
        return [m.msg for m in checks.run_checks(tags=[TAG]) if m.id == "convertedin_feed.E011"]

    assert e011() == []
    with feed_settings(settings, STORE={"country": "Egypt"}):
        assert e011() == [
            "CONVERTEDIN_FEED[\"STORE\"] has no 'email': the 'storeinfo' feed serves it."
        ]
    with feed_settings(settings, STORE={"email": "a@b.example", "country": "EG"}):
        settings.OSCAR_DEFAULT_CURRENCY = "XXXX"
        assert e011() == [
            "CONVERTEDIN_FEED[\"STORE\"] 'currency' = 'XXXX' is no ISO 4217 code: "
            "the 'storeinfo' feed serves it."
        ]


# ---------------------------------------------------------------------------
# categories


@pytest.fixture
def tree():
    """A tree four levels deep on one branch, two on another, one lone root; Arabic names.

    أزياء > رجال > قمصان > كتان     (four levels)
    أزياء > رجال > أحذية
    أزياء > نساء                     (hidden: not public)
    أزياء > نساء > فساتين            (public, under a hidden one)
    كتب                             (a lone root)
    """
    leaf = create_from_breadcrumbs("أزياء > رجال > قمصان > كتان")
    shoes = create_from_breadcrumbs("أزياء > رجال > أحذية")
    women = create_from_breadcrumbs("أزياء > نساء")
    dresses = create_from_breadcrumbs("أزياء > نساء > فساتين")
    books = create_from_breadcrumbs("كتب")
    women = Category.objects.get(pk=women.pk)  # with its child counted, or save() forgets it
    women.is_public = False
    women.save()  # Oscar's receiver marks the subtree's ancestors_are_public
    made = {
        category.name: Category.objects.get(pk=category.pk) for category in Category.objects.all()
    }
    made["كتان"].description = "<p>قمصان كتان</p>"
    made["كتان"].save()
    return {
        "leaf": leaf,
        "shoes": shoes,
        "women": women,
        "dresses": dresses,
        "books": books,
        **made,
    }


def nested(data):
    return [(record["title"], nested(record["subcategories"])) for record in data]


def test_roots_are_the_records_each_with_its_whole_subtree(pull, tree):
    body = feed(pull, "categories")
    assert body["total"] == 2
    assert nested(body["data"]) == [
        (
            "أزياء",
            [
                ("رجال", [("قمصان", [("كتان", [])]), ("أحذية", [])]),
                ("نساء", [("فساتين", [])]),
            ],
        ),
        ("كتب", []),
    ]


def test_a_category_has_the_documented_keys_and_types(pull, tree):
    product = factories.create_product(title="قميص")
    ProductCategory.objects.create(product=product, category=tree["كتان"])
    fashion = records(pull, "categories")[0]
    leaf = fashion["subcategories"][0]["subcategories"][0]["subcategories"][0]
    category = tree["كتان"]
    assert leaf == {
        "id": category.pk,
        "title": "كتان",
        "handle": category.slug,
        "content": "<p>قمصان كتان</p>",
        "subcategories": [],
        "available": True,
        "published_at": leaf["published_at"],
    }
    assert list(fashion) == list(leaf)
    assert datetime.strptime(leaf["published_at"], DATETIME_FORMAT)


def test_available_is_oscar_s_browsable_public_and_under_public_ancestors(pull, tree):
    fashion = records(pull, "categories")[0]
    men, women = fashion["subcategories"]
    assert (fashion["available"], men["available"]) == (True, True)
    assert women["available"] is False  # not public
    assert women["subcategories"][0]["available"] is False  # public, under a hidden one
    assert Category.objects.browsable().filter(pk=tree["فساتين"].pk).exists() is False


def test_published_at_is_when_the_first_product_under_it_was_created(pull, tree, settings):
    early = factories.create_product(title="early")
    Product.objects.filter(pk=early.pk).update(
        date_created=datetime(2024, 5, 1, 9, tzinfo=timezone.utc)
    )
    late = factories.create_product(title="late")
    ProductCategory.objects.create(product=late, category=tree["أحذية"])
    ProductCategory.objects.create(product=early, category=tree["كتان"])
    data = records(pull, "categories")
    fashion, books = data
    men = fashion["subcategories"][0]
    shirts, shoes = men["subcategories"]
    # In Cairo's time: 2024-05-01 09:00 UTC is 12:00 (summer time).
    assert fashion["published_at"] == men["published_at"] == "2024-05-01 12:00:00"
    assert shirts["published_at"] == "2024-05-01 12:00:00"
    assert shoes["published_at"] == datetime.strftime(
        late.date_created.astimezone(__import__("zoneinfo").ZoneInfo(settings.TIME_ZONE)),
        DATETIME_FORMAT,
    )
    assert books["published_at"] is None  # nothing under it: a record problem, logged


def category_queries(pull):
    with CaptureQueriesContext(connection) as captured:
        body = feed(pull, "categories")
    return body, [q["sql"] for q in captured.captured_queries if "catalogue_category" in q["sql"]]


def test_a_page_of_categories_is_the_same_queries_whatever_the_size_and_depth(pull, tree):
    small, small_sql = category_queries(pull)
    for root in range(5):
        create_from_breadcrumbs(" > ".join(f"فرع {root}.{level}" for level in range(7)))
    large, large_sql = category_queries(pull)
    assert (small["total"], large["total"]) == (2, 7)
    # the roots' count and greatest key, the page of roots, one query for every subtree
    assert len(small_sql) == len(large_sql) == 4, large_sql
    deepest, depth = large["data"][2], 0
    while deepest["subcategories"]:
        deepest, depth = deepest["subcategories"][0], depth + 1
    assert (deepest["title"], depth) == ("فرع 0.6", 6)


# ---------------------------------------------------------------------------
# products


def stocked(
    title, price="100.00", *, currency="EGP", num_in_stock=10, partner="Cairo Depot", **fields
):
    product = factories.create_product(title=title, **fields)
    if product.is_child:  # Oscar's rule: a child's class is its parent's
        Product.objects.filter(pk=product.pk).update(product_class=None)
        product.refresh_from_db()
    factories.create_stockrecord(
        product,
        price=Decimal(price),
        num_in_stock=num_in_stock,
        currency=currency,
        partner_name=partner,
    )
    return product


@pytest.fixture
def catalogue(tree):
    """Standalone products and a parent with two children, filed under the four-level tree."""
    shirt = stocked("قميص كتان", "199.99", description="<p>كتان مصري</p>")
    # Made out of order: the primary image is the lowest display_order, not the first made.
    factories.create_product_image(
        shirt, original="images/products/shirt-back.jpg", display_order=5
    )
    factories.create_product_image(shirt, original="images/products/shirt.jpg", display_order=2)
    ProductCategory.objects.create(product=shirt, category=tree["كتان"])
    parent = factories.create_product(
        title="تيشيرت", structure="parent", description="<p>قطن</p>", product_class="ملابس"
    )
    factories.create_product_image(parent, original="images/products/tshirt.jpg")
    ProductCategory.objects.create(product=parent, category=tree["أحذية"])
    small = stocked("", "120.00", parent=parent, structure="child")
    large = stocked("تيشيرت كبير", "130.00", parent=parent, structure="child")
    factories.create_product_image(large, original="images/products/tshirt-l.jpg")
    book = stocked("Book", "50", product_class="كتب")
    ProductCategory.objects.create(product=book, category=tree["كتب"])
    return {"shirt": shirt, "parent": parent, "small": small, "large": large, "book": book}


def test_a_product_has_the_documented_keys_and_types(pull, catalogue, tree):
    shirt = catalogue["shirt"]
    StockRecord.objects.filter(product=shirt).update(num_in_stock=10, num_allocated=3)
    record = by_id(records(pull, "products"))[shirt.pk]
    assert record == {
        "id": shirt.pk,
        "title": "قميص كتان",
        "full_permalink": SITE + shirt.get_absolute_url(),
        "image": f"{SITE}/media/images/products/shirt.jpg",
        "content": "<p>كتان مصري</p>",
        "vendor": "Cairo Depot",
        "price": 199.99,
        "category_id": str(tree["كتان"].pk),
        "handle": shirt.slug,
        "app_links": None,
        "type": shirt.product_class.name,  # the factories' default class
        "compare_at_price": None,
        "quantity": 7,
        "published_at": record["published_at"],
        "tags": None,
        "images": [],
    }
    assert record["image"] == f"{SITE}/media/{shirt.primary_image().original}"
    assert "stock_status" not in record
    assert datetime.strptime(record["published_at"], DATETIME_FORMAT)


def test_standalone_and_child_products_are_served_and_parents_are_not(pull, catalogue):
    served = [record["id"] for record in records(pull, "products")]
    assert served == sorted(catalogue[name].pk for name in ("shirt", "small", "large", "book"))
    assert catalogue["parent"].pk not in served


def test_a_child_takes_what_it_lacks_from_its_parent_as_oscar_does(pull, catalogue, tree):
    data = by_id(records(pull, "products"))
    small, large = data[catalogue["small"].pk], data[catalogue["large"].pk]
    assert small["title"] == catalogue["small"].get_title() == "تيشيرت"
    assert large["title"] == catalogue["large"].get_title() == "تيشيرت كبير"
    assert (small["content"], small["type"]) == ("<p>قطن</p>", "ملابس")
    assert small["category_id"] == large["category_id"] == str(tree["أحذية"].pk)
    # Oscar's primary_image: the child's own, else its parent's.
    assert small["image"] == SITE + "/media/" + str(catalogue["small"].primary_image().original)
    assert large["image"] == f"{SITE}/media/images/products/tshirt-l.jpg"
    assert small["image"] == f"{SITE}/media/images/products/tshirt.jpg"


def test_a_product_without_an_image_has_the_image_oscar_shows(pull, catalogue, settings):
    record = by_id(records(pull, "products"))[catalogue["book"].pk]
    assert catalogue["book"].primary_image()["is_missing"] is True
    assert record["image"] == f"{SITE}/media/{settings.OSCAR_MISSING_IMAGE_URL}"


def test_full_permalink_is_get_absolute_url_on_the_site_url_for_every_product(pull, catalogue):
    for record in records(pull, "products"):
        assert (
            record["full_permalink"]
            == SITE + Product.objects.get(pk=record["id"]).get_absolute_url()
        )


def test_a_unicode_slug_is_quoted_as_get_absolute_url_quotes_it(pull, settings, catalogue):
    settings.OSCAR_SLUG_ALLOW_UNICODE = True
    shirt = catalogue["shirt"]
    Product.objects.filter(pk=shirt.pk).update(slug="قميص-كتان")
    shirt.refresh_from_db()
    record = by_id(records(pull, "products"))[shirt.pk]
    assert "%D9%82" in shirt.get_absolute_url()
    assert record["full_permalink"] == SITE + shirt.get_absolute_url()


def test_without_site_url_the_sites_framework_s_domain_is_the_site(pull, settings, catalogue):
    Site.objects.filter(pk=settings.SITE_ID).update(domain="souq.example")
    Site.objects.clear_cache()
    with feed_settings(settings, SITE_URL=None):
        record = by_id(records(pull, "products"))[catalogue["book"].pk]
    assert record["full_permalink"] == "https://souq.example" + catalogue["book"].get_absolute_url()
    assert record["image"].startswith("https://souq.example/media/")


def test_price_and_stock_are_the_default_strategy_s_stock_record(pull, catalogue):
    shirt = catalogue["shirt"]
    factories.create_stockrecord(
        shirt, price=Decimal("1.00"), num_in_stock=1, partner_name="Second"
    )
    StockRecord.objects.filter(product=shirt, partner__name="Cairo Depot").update(
        num_allocated=None
    )
    info = Default().fetch_for_product(Product.objects.get(pk=shirt.pk))
    record = by_id(records(pull, "products"))[shirt.pk]
    assert info.stockrecord.partner.name == "Cairo Depot"  # the first, by primary key
    assert (record["price"], record["quantity"], record["vendor"]) == (199.99, 10, "Cairo Depot")
    assert Decimal(str(record["price"])) == info.price.excl_tax
    assert record["quantity"] == info.stockrecord.net_stock_level


def test_quantity_is_net_stock_and_zero_when_oscar_says_so(pull, catalogue):
    book, shirt = catalogue["book"], catalogue["shirt"]
    StockRecord.objects.filter(product=book).update(num_in_stock=None, num_allocated=4)
    StockRecord.objects.filter(product=shirt).update(num_in_stock=2, num_allocated=5)
    data = by_id(records(pull, "products"))
    assert data[book.pk]["quantity"] == StockRecord.objects.get(product=book).net_stock_level == 0
    assert data[shirt.pk]["quantity"] == -3  # Oscar's net_stock_level can go below zero


def test_a_price_in_another_currency_is_converted_to_the_store_s(pull, catalogue, settings, caplog):
    lamp = stocked("Lamp", "19.99", currency="USD")
    record = by_id(records(pull, "products"))[lamp.pk]
    assert record["price"] == 964.52  # 19.99 x 48.25 (OSCAR_EXCHANGE_RATES), to 2 places
    with feed_settings(settings, OSCAR_EXCHANGE_RATES={}):
        response = pull("products", per_page=1000)
    assert by_id(response.json()["data"])[lamp.pk]["price"] is None
    assert "a price in 'USD', which has no rate" in caplog.text


def test_a_product_without_a_stock_record_has_no_price_and_is_logged(pull, catalogue, caplog):
    bare = factories.create_product(title="بلا مخزون")
    record = by_id(records(pull, "products"))[bare.pk]
    assert (record["price"], record["quantity"], record["vendor"]) == (None, None, "متجر أوسكار")
    assert "no stock record with a price" in caplog.text


def test_published_at_is_null_for_a_product_oscar_does_not_show(pull, catalogue):
    Product.objects.filter(pk=catalogue["book"].pk).update(is_public=False)
    Product.objects.filter(pk=catalogue["parent"].pk).update(is_public=False)
    data = by_id(records(pull, "products"))
    assert data[catalogue["book"].pk]["published_at"] is None
    assert data[catalogue["small"].pk]["published_at"] is None  # its parent is hidden
    assert data[catalogue["shirt"].pk]["published_at"] is not None


def test_a_deleted_product_is_not_served(pull, catalogue):
    gone = catalogue["book"].pk
    catalogue["book"].delete()
    assert gone not in by_id(records(pull, "products"))


def test_collection_id_takes_the_category_s_subtree_and_children_through_their_parent(
    pull, catalogue, tree
):
    def titles(category):
        return sorted(
            record["title"] for record in records(pull, "products", collection_id=tree[category].pk)
        )

    assert titles("أزياء") == sorted(["قميص كتان", "تيشيرت", "تيشيرت كبير"])
    assert titles("رجال") == titles("أزياء")
    assert titles("قمصان") == ["قميص كتان"]
    assert titles("أحذية") == sorted(["تيشيرت", "تيشيرت كبير"])
    assert titles("نساء") == []
    assert titles("كتب") == ["Book"]
    assert records(pull, "products", collection_id=987654) == []


def test_every_order_line_s_product_is_in_the_feed(pull, shop):
    served = set(by_id(records(pull, "products")))
    bought = set(Line.objects.exclude(product=None).values_list("product", flat=True))
    assert bought
    assert bought <= served
    deleted = shop.deleted_product_orders
    assert deleted
    assert Line.objects.filter(order__in=deleted, product=None).exists()


def product_queries(pull):
    with CaptureQueriesContext(connection) as captured:
        body = feed(pull, "products")
    return body, [q["sql"] for q in captured.captured_queries]


def test_a_page_of_products_is_the_same_queries_whatever_the_size(pull, catalogue):
    small, small_sql = product_queries(pull)
    for number in range(12):
        parent = factories.create_product(title=f"أب {number}", structure="parent")
        factories.create_product_image(parent, original=f"images/products/p{number}.jpg")
        for size in "SML":
            child = stocked(f"ابن {number} {size}", "10", parent=parent, structure="child")
            factories.create_stockrecord(
                child, price=Decimal("9"), num_in_stock=1, partner_name="B"
            )
    large, large_sql = product_queries(pull)
    assert (small["total"], large["total"]) == (4, 40)
    # the count and greatest key (a crawl starts) and the page: every key is in the page's query
    assert len(small_sql) == len(large_sql) == 3, large_sql


def test_a_running_crawl_of_products_is_one_query_a_page(pull, catalogue):
    feed(pull, "products")
    pages = []
    for page in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as captured:
            response = pull("products", page=page, per_page=1)
        assert response.status_code == 200
        pages.append(len(captured.captured_queries))
    assert pages[1:] == [1, 1, 1]


# ---------------------------------------------------------------------------
# a shop's own subclass


class BrandedProducts(OscarProductAdapter):
    """The README's example: one key changed, the rest Oscar's."""

    vendor = Field(constant="Souq Brands")


class OwnPermalinks(OscarProductAdapter):
    full_permalink = Field(Concat(Value("/p/"), "slug", Value("/"), output_field=CharField()))


def products_adapter(settings, name):
    adapters = {"products": f"{__name__}.{name}"}
    return feed_settings(settings, ADAPTERS=adapters)


def test_a_subclass_named_in_adapters_changes_one_key(pull, settings, catalogue):
    oscar = by_id(records(pull, "products"))
    with products_adapter(settings, "BrandedProducts"):
        branded = by_id(records(pull, "products"))
    shirt = catalogue["shirt"].pk
    assert branded[shirt]["vendor"] == "Souq Brands"
    assert {**branded[shirt], "vendor": "Cairo Depot"} == oscar[shirt]


def test_a_fork_that_overrides_get_absolute_url_is_refused_until_it_maps_full_permalink(
    pull, token, settings, catalogue, monkeypatch, caplog
):
    monkeypatch.setattr(Product, "get_absolute_url", lambda self: f"/shop/{self.pk}/")
    with feed_settings(settings, SITE_URL=SITE):  # a setting change: plans are built again
        response = APIClient(raise_request_exception=False).post(
            "/convertedin/products", {"token": token}, format="multipart"
        )
    assert response.status_code == 500
    assert "declare full_permalink" in caplog.text
    with products_adapter(settings, "OwnPermalinks"):
        record = by_id(records(pull, "products"))[catalogue["shirt"].pk]
    assert record["full_permalink"] == f"{SITE}/p/{catalogue['shirt'].slug}/"
