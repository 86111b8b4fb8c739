"""The documented rules, judged on records as a server sent them (a crawl may read any server).

The app's own fields already serve codes in upper case and dates in the
documented format; another implementation, or an older version, may not.
"""

from convertedin_feed.schemas import (
    CategorySerializer,
    CustomerSerializer,
    OrderSerializer,
    ProductSerializer,
    StoreInfoSerializer,
)
from convertedin_feed.tools.rules import RULES, IdIndex, Judge


def order(**changes):
    record = {
        "id": 7,
        "ordered_at": "2026-11-27 10:00:00",
        "total_price": 120,
        "subtotal_price": 100,
        "total_tax": 20,
        "taxes_included": 1,
        "currency": "EGP",
        "country_code": "EG",
        "financial_status": "successful",
        "total_discounts": 0,
        "phone": "+201000000000",
        "customer_locale": None,
        "contact_email": "buyer@example.com",
        "line_items": [{"product_id": 3, "quantity": 2, "price": 50}],
        "customer": {"id": 5},
    }
    record.update(changes)
    return record


def judged(feed, schema, *records, before=()):
    judge = Judge()
    for earlier_feed, earlier_schema, earlier in before:
        judge.check(earlier_feed, earlier_schema, earlier)
        judge.feed_complete(earlier_feed)
    judge.check(feed, schema, records)
    return {(f.rule, f.feed): f.examples for f in judge.findings.values()}


def test_a_whole_order_breaks_no_rule():
    assert judged("orders", OrderSerializer, order()) == {}


def test_codes_must_be_upper_case_iso_codes():
    found = judged("orders", OrderSerializer, order(currency="egp", country_code="EGY"))
    assert found == {
        ("currency", "orders"): ["7: currency"],
        ("country", "orders"): ["7: country_code"],
    }
    assert judged("orders", OrderSerializer, order(currency="XYZ")) == {
        ("currency", "orders"): ["7: currency"]
    }


def test_a_date_must_be_a_real_one_in_the_documented_format():
    for wrong in ("2026-11-27T10:00:00", "27/11/2026 10:00:00", "2026-13-01 10:00:00", 1700000000):
        assert judged("orders", OrderSerializer, order(ordered_at=wrong)) == {
            ("datetime", "orders"): ["7: ordered_at"]
        }, wrong


def test_an_email_must_have_an_address_s_shape():
    found = judged("orders", OrderSerializer, order(contact_email="buyer at example"))
    assert found == {("email", "orders"): ["7: contact_email"]}


def test_a_blank_required_key_is_missing_and_an_optional_one_is_not():
    found = judged("orders", OrderSerializer, order(phone=" ", customer_locale=""))
    assert found == {("required_keys", "orders"): ["7: phone"]}


def test_money_and_counts_are_never_negative_and_a_quantity_is_positive():
    lines = [{"product_id": 3, "quantity": 0, "price": -1}]
    found = judged("orders", OrderSerializer, order(total_discounts=-5, line_items=lines))
    assert found == {
        ("not_negative", "orders"): ["7: total_discounts", "7 > line_items[0]: price"],
        ("positive", "orders"): ["7 > line_items[0]: quantity"],
    }


def test_references_are_checked_against_the_feeds_read_before():
    customers = [{"id": 5}, {"id": "guest-abc"}]
    products = [{"id": 3}]
    before = [
        ("customers", CustomerSerializer, customers),
        ("products", ProductSerializer, products),
    ]
    lost = order(
        id=8, customer={"id": 6}, line_items=[{"product_id": 4, "quantity": 1, "price": 1}]
    )
    guest = order(id=9, customer={"id": "guest-abc"})
    found = judged("orders", OrderSerializer, order(), lost, guest, before=before)
    assert found[("references", "orders")] == ["8: customer", "8 > line_items[0]: product_id"]


def test_a_product_s_category_may_be_a_subcategory_at_any_depth():
    tree = [{"id": 1, "title": "Root", "subcategories": [{"id": 2, "subcategories": [{"id": 3}]}]}]
    product = {"id": 10, "category_id": "3"}  # a string, as the documents show it
    judge = Judge()
    judge.check("categories", CategorySerializer, tree)
    judge.feed_complete("categories")
    judge.check("products", ProductSerializer, [product, {**product, "id": 11, "category_id": "4"}])
    assert judge.findings[("references", "products")].examples == ["11: category_id"]


def test_storeinfo_s_record_is_named_by_its_feed():
    store = {
        "name": "S",
        "currency": "usd",
        "time_zone": "GMT+2",
        "email": "x@y.eg",
        "country": "EG",
    }
    assert judged("storeinfo", StoreInfoSerializer, store) == {
        ("currency", "storeinfo"): ["storeinfo: currency"]
    }


def test_an_undocumented_status_is_advice_and_shows_the_value():
    found = judged("orders", OrderSerializer, order(financial_status="paid"))
    assert found == {("documented_values", "orders"): ["7: financial_status 'paid'"]}
    assert not RULES["documented_values"].required


def test_the_id_index_tells_numbers_and_their_text_apart_from_other_ids():
    index = IdIndex()
    for record_id in (1, 2, "guest-x", 3, 2):
        index.add(record_id)
    assert all(known in index for known in (1, "3", "guest-x"))
    assert not any(unknown in index for unknown in (4, "guest-y"))
    assert index.repeated() == 1
