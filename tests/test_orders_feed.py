"""The orders feed renders every documented key with the documented type and format."""

import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.factories import BasketFactory, BasketLineFactory

pytestmark = pytest.mark.django_db

DOCUMENTED_KEYS = [
    "id",
    "ordered_at",
    "total_price",
    "subtotal_price",
    "total_tax",
    "taxes_included",
    "currency",
    "country_code",
    "financial_status",
    "total_discounts",
    "phone",
    "customer_locale",
    "contact_email",
    "line_items",
    "customer",
]


def only_record(pull):
    response = pull("orders")
    assert response.status_code == 200, response.content
    [record] = response.json()["data"]
    return record


def test_a_record_has_exactly_the_documented_keys_in_order(pull):
    BasketFactory()
    assert list(only_record(pull)) == DOCUMENTED_KEYS


def test_each_key_has_the_documented_type_and_format(pull):
    basket = BasketFactory(
        created=datetime(2020, 12, 2, 12, 42, 29, tzinfo=timezone.utc),
        total=Decimal("350.00"),
        subtotal=Decimal("300.00"),
        tax=Decimal("0.00"),
        tax_inclusive=False,
        currency="EGP",
        country="CA",
        status="processing",
        discount=Decimal("0.00"),
        phone="01226699662",
        locale="",
        email="someone@example.com",
    )
    BasketLineFactory(basket=basket, sku=324, quantity=2, unit_price=Decimal("50.00"))
    assert only_record(pull) == {
        "id": basket.pk,
        "ordered_at": "2020-12-02 14:42:29",
        "total_price": 350,
        "subtotal_price": 300,
        "total_tax": 0,
        "taxes_included": 0,
        "currency": "EGP",
        "country_code": "CA",
        "financial_status": "processing",
        "total_discounts": 0,
        "phone": "01226699662",
        "customer_locale": None,
        "contact_email": "someone@example.com",
        "line_items": [{"product_id": 324, "quantity": 2, "price": 50}],
        "customer": {"id": basket.member_id},
    }


def test_ordered_at_is_y_m_d_h_i_s(pull):
    BasketFactory()
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", only_record(pull)["ordered_at"])


@pytest.mark.parametrize(("stored", "rendered"), [(True, 1), (False, 0)])
def test_taxes_included_is_0_or_1(pull, stored, rendered):
    BasketFactory(tax_inclusive=stored)
    value = only_record(pull)["taxes_included"]
    assert value == rendered
    assert type(value) is int


def test_money_keeps_its_cents_as_a_json_number(pull):
    BasketFactory(
        total=Decimal("598.94"),
        subtotal=Decimal("597.00"),
        tax=Decimal("11.94"),
        discount=Decimal("10.00"),
    )
    record = only_record(pull)
    assert (record["total_price"], record["subtotal_price"], record["total_tax"]) == (
        598.94,
        597,
        11.94,
    )
    assert record["total_discounts"] == 10
    assert b'"total_price":598.94' in pull("orders").content


def test_a_missing_tax_is_zero_as_documented(pull):
    BasketFactory(tax=None)
    assert only_record(pull)["total_tax"] == 0


@pytest.mark.parametrize(
    ("stored", "rendered"),
    [
        ("EG", "EG"),
        ("eg", "EG"),
        ("Egypt", "EG"),
        ("EGY", "EG"),
        ("Saudi Arabia", "SA"),
        ("Atlantis", None),
    ],
)
def test_country_code_is_an_upper_case_iso_code(pull, stored, rendered):
    BasketFactory(country=stored)
    assert only_record(pull)["country_code"] == rendered


@pytest.mark.parametrize(("stored", "rendered"), [("EGP", "EGP"), ("usd", "USD"), ("QQQ", None)])
def test_currency_is_an_upper_case_iso_code(pull, stored, rendered):
    BasketFactory(currency=stored)
    assert only_record(pull)["currency"] == rendered


def test_line_items_are_listed_in_their_own_order(pull):
    basket = BasketFactory()
    lines = BasketLineFactory.create_batch(3, basket=basket)
    BasketLineFactory()  # another order's line
    records = pull("orders").json()["data"]
    assert [item["product_id"] for item in records[0]["line_items"]] == [line.sku for line in lines]
    assert len(records[1]["line_items"]) == 1


def test_an_order_without_line_items_has_an_empty_list(pull):
    BasketFactory()
    assert only_record(pull)["line_items"] == []


def test_customer_links_the_order_to_its_customer_id(pull):
    basket = BasketFactory()
    assert only_record(pull)["customer"] == {"id": basket.member.pk}


def test_optional_keys_are_null_when_the_shop_has_no_value(pull):
    BasketFactory(locale="", status="")
    record = only_record(pull)
    assert (record["customer_locale"], record["financial_status"]) == (None, None)


def test_test_orders_the_adapter_leaves_out_are_not_served(pull):
    BasketFactory(is_test=True)
    real = BasketFactory()
    body = pull("orders").json()
    assert ([record["id"] for record in body["data"]], body["total"]) == ([real.pk], 1)
