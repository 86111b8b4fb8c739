"""The Oscar shop crawled as the platform crawls it: all five feeds, over real HTTP.

A live server (a real socket, another thread) serves the shop of ``conftest.build_shop``;
the feeds are read in the platform's order (storeinfo, categories, products, customers,
orders), page by page up to ``last_page``, with form-urlencoded POSTs as the platform
sends them. Every record, nested ones included, is held to its schema and to the OpenAPI
document; the feeds are held to each other; every order's amounts to Oscar's own
properties for the same ``Order``.

The shop's one record that cannot be mapped is by design: an order of a deleted account,
which Oscar keeps with neither user nor email (see the README's django-oscar section).
The crawl runs with ``RECORD_ERRORS = "skip"``, so it is left out of the feed and logged,
and the log is asserted to name it, and nothing else.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from decimal import Decimal
from importlib import resources

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from jsonschema import Draft202012Validator
from oscar.core.loading import get_model
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from convertedin_feed.feeds import BUILTIN_FEEDS
from convertedin_feed.health import health
from convertedin_feed.keytree import MONEY
from convertedin_feed.money import minor_units
from convertedin_feed.schemas import FINANCIAL_STATUSES
from tests.oscar.conftest import build_shop

pytestmark = pytest.mark.django_db(transaction=True)

Category = get_model("catalogue", "Category")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")

#: The platform's five feeds, in the order it calls them.
FEEDS = {feed.name: feed for feed in BUILTIN_FEEDS}
assert list(FEEDS) == ["storeinfo", "categories", "products", "customers", "orders"]

DOCUMENT = json.loads(resources.files("convertedin_feed").joinpath("openapi.json").read_text())
REGISTRY = Registry().with_resource("urn:feeds", Resource(DOCUMENT, specification=DRAFT202012))

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# No proxy from the environment may stand between the test and the live server.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url, fields):
    """POST form-urlencoded ``fields``: the status and the JSON, its numbers read exactly."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode())
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.load(response, parse_float=Decimal)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error, parse_float=Decimal)


def violations(feed, body):
    """Where ``body`` breaks the OpenAPI document's 200 answer of ``feed``."""
    responses = DOCUMENT["paths"][f"/convertedin/{feed}"]["post"]["responses"]
    reference = responses["200"]["content"]["application/json"]["schema"]["$ref"]
    validator = Draft202012Validator({"$ref": "urn:feeds" + reference}, registry=REGISTRY)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def crawl(base_url, per_page):
    """Every feed, as the platform reads it: ``{feed: [record, ...]}``, and how many pages
    each took: ``{feed: pages}``."""
    served, pages = {}, {}
    for name, feed in FEEDS.items():
        url = f"{base_url}/convertedin/{name}"
        if not feed.paged:
            status, body = post(url, {"token": settings.TEST_TOKEN})
            assert status == 200, body
            assert violations(name, body) == []
            served[name], pages[name] = [body["data"]], 1
            continue
        served[name], page, last_page = [], 1, 1
        while page <= last_page:
            fields = {"token": settings.TEST_TOKEN, "page": page, "per_page": per_page}
            status, body = post(url, fields)
            assert status == 200, body
            assert violations(name, body) == [], (name, page)
            assert (body["current_page"], body["per_page"]) == (page, per_page)
            last_page = body["last_page"]
            served[name] += body["data"]
            page += 1
        assert page > 2 or name == "categories", f"{name}: crawl more than one page"
        pages[name] = page - 1
    return served, pages


def is_money(value, currency):
    """A JSON number (never a string) of at most the currency's minor units."""
    return (
        isinstance(value, int | Decimal)
        and not isinstance(value, bool)
        and -Decimal(value).as_tuple().exponent <= minor_units(currency)
    )


def key_problems(schema, record, where, currency=None):
    """Every required key, at every depth, with a valid value: what is wrong, as text."""
    found = []
    keys = list(schema.documented_keys())
    served = [key for key in record if key in keys]
    left_out = set(keys) - set(served)
    if served != [key for key in keys if key in served] or not left_out <= set(
        schema.omit_unmapped
    ):
        found.append(f"{where}: keys {list(record)} are not the documented {keys}")
    for key in sorted(schema.required_keys()):
        if record.get(key) is None:
            found.append(f"{where}: required {key!r} has no value")
    currency = record.get("currency") or currency
    money = [key for key, kind in schema.documented_keys().items() if kind == MONEY]
    for key in money:
        if record.get(key) is not None and not is_money(record[key], currency):
            found.append(f"{where}: {key!r} = {record[key]!r} is no {currency} amount")
    for key in ("ordered_at", "registered_at", "published_at"):
        if record.get(key) is not None:
            try:
                datetime.strptime(record[key], DATETIME_FORMAT)
            except ValueError:
                found.append(f"{where}: {key!r} = {record[key]!r} is no Y-m-d H:i:s")
    for name, nested in schema.nested_schemas().items():
        for position, child in enumerate(record.get(name) or ()):
            found += key_problems(nested, child, f"{where}.{name}[{position}]", currency)
    return found


def category_ids(categories):
    """The ids of the categories and of every category under them, at any depth."""
    ids = []
    for category in categories:
        ids += [category["id"], *category_ids(category["subcategories"])]
    return ids


def depth(category):
    return 1 + max((depth(child) for child in category["subcategories"]), default=0)


@pytest.fixture
def crawled(live_server, caplog):
    """The shop, crawled with ``RECORD_ERRORS = "skip"`` and the requests counted (``STATS``):
    the feeds and the log's warnings."""
    shop = build_shop()
    feeds = {**settings.CONVERTEDIN_FEED, "RECORD_ERRORS": "skip", "STATS": True}
    with (
        override_settings(CONVERTEDIN_FEED=feeds),
        caplog.at_level(logging.WARNING, logger="convertedin_feed"),
    ):
        served, pages = crawl(live_server.url, per_page=3)
        seen = health()
    warnings = [r for r in caplog.records if r.name.startswith("convertedin_feed")]
    return shop, served, warnings, pages, seen


def test_every_record_carries_every_required_key_with_a_valid_value(crawled):
    _, served, *_ = crawled
    store_currency = settings.OSCAR_DEFAULT_CURRENCY
    problems = []
    for name, records in served.items():
        schema = FEEDS[name].schema
        for record in records:
            where = f"{name} {record.get('id', '')}".strip()
            problems += key_problems(schema, record, where, store_currency)
    assert problems == []
    [store] = served["storeinfo"]
    assert (store["currency"], store["country"]) == ("EGP", "EG")
    # The nested records were there to check: a four-level tree, line items, a guest.
    assert max(depth(category) for category in served["categories"]) == 4
    assert all(order["line_items"] for order in served["orders"])
    assert {order["financial_status"] for order in served["orders"]} <= set(FINANCIAL_STATUSES)
    site = settings.CONVERTEDIN_FEED["SITE_URL"]
    for record in served["products"]:
        assert (
            record["full_permalink"]
            == site + Product.objects.get(pk=record["id"]).get_absolute_url()
        )
        assert record["image"].startswith(("https://", "http://"))


def test_every_row_of_the_shop_is_served_once_but_the_deleted_account_s_order(crawled):
    shop, served, *_ = crawled
    [gone] = shop.deleted_account_orders
    orders = [order["id"] for order in served["orders"]]
    assert orders == sorted(
        Order.objects.exclude(user__is_staff=True).exclude(pk=gone.pk).values_list("pk", flat=True)
    )
    users = [c["id"] for c in served["customers"] if isinstance(c["id"], int)]
    guests = [c["email"] for c in served["customers"] if not isinstance(c["id"], int)]
    customers = get_user_model().objects.filter(is_staff=False).order_by("pk")
    assert users == list(customers.values_list("pk", flat=True))
    assert sorted(guests) == ["guest@example.com", "nour@example.com"]
    products = Product.objects.exclude(structure=Product.PARENT).order_by("pk")
    assert [product["id"] for product in served["products"]] == list(
        products.values_list("pk", flat=True)
    )
    assert sorted(category_ids(served["categories"])) == sorted(
        Category.objects.values_list("pk", flat=True)
    )


def test_every_reference_is_to_a_record_of_its_feed(crawled):
    _, served, *_ = crawled
    customers = {customer["id"] for customer in served["customers"]}
    products = {product["id"] for product in served["products"]}
    categories = {str(pk) for pk in category_ids(served["categories"])}
    for order in served["orders"]:
        assert order["customer"]["id"] in customers, order["id"]
        for item in order["line_items"]:
            assert item["product_id"] in products, (order["id"], item)
    for product in served["products"]:
        assert str(product["category_id"]) in categories, product["id"]
    # Guests and child products are among what is referenced.
    referenced = {order["customer"]["id"] for order in served["orders"]}
    assert any(str(id_).startswith("guest-") for id_ in referenced)
    children = Product.objects.filter(structure=Product.CHILD).values_list("pk", flat=True)
    bought = {item["product_id"] for order in served["orders"] for item in order["line_items"]}
    assert bought & set(children)


def test_every_total_equals_what_oscar_s_own_properties_compute(crawled):
    _, served, *_ = crawled
    assert served["orders"]
    assert any(order["total_discounts"] for order in served["orders"])
    assert {order["currency"] for order in served["orders"]} == {"EGP", "USD"}
    for record in served["orders"]:
        order = Order.objects.get(pk=record["id"])
        assert record["total_price"] == order.total_incl_tax, record["id"]
        assert record["subtotal_price"] == order.basket_total_incl_tax, record["id"]
        assert record["total_tax"] == order.total_tax, record["id"]
        assert record["total_discounts"] == order.total_discount_incl_tax, record["id"]


def test_the_deleted_account_s_order_is_left_out_and_the_log_names_it_and_nothing_else(crawled):
    shop, served, warnings, *_ = crawled
    [gone] = shop.deleted_account_orders
    [line_gone] = [
        line for line in shop.deleted_product_orders[0].lines.all() if line.product_id is None
    ]
    problems = [(r.record_kind, r.record_id) for r in warnings if hasattr(r, "record_problem")]
    assert problems == [("Order", gone.pk)]
    [problem] = [r.getMessage() for r in warnings if hasattr(r, "record_problem")]
    assert "'customer'" in problem
    assert "'contact_email'" in problem
    # The deleted product's line, dropped from its order by the line-item policy.
    dropped = [(r.record_kind, r.record_id, r.order_id) for r in warnings if hasattr(r, "order_id")]
    assert dropped == [("line item", line_gone.pk, shop.deleted_product_orders[0].pk)]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]
    assert gone.pk not in {order["id"] for order in served["orders"]}


def test_the_admin_page_counts_the_crawl_as_the_platform_made_it(crawled):
    _, served, _, pages, seen = crawled
    for feed in seen.feeds:
        assert (feed.error_total, feed.last_request_at is not None) == (0, True), feed.name
        if not FEEDS[feed.name].paged:
            assert feed.last_crawl is None, feed.name
            continue
        crawl = feed.last_crawl
        counted = (crawl.crawls, crawl.crawl_pages, crawl.crawl_records)
        assert counted == (1, pages[feed.name], len(served[feed.name])), feed.name
        assert crawl.crawl_started_at <= crawl.crawl_finished_at
    served_pages = {name: sum(hours.values()) for name, hours in seen.series}
    assert served_pages == pages
