"""An order's line items: one per line, and a line whose product was deleted by ``MISSING_PRODUCTS``."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import DecimalField, ExpressionWrapper, F, Value
from django.test import override_settings

from convertedin_feed.adapters import Field, Related
from tests.factories import OrderFactory, OrderLineFactory
from tests.testapp.commerce import CommerceOrderAdapter, OrderLineAdapter

pytestmark = pytest.mark.django_db

COMMERCE = {
    **settings.CONVERTEDIN_FEED,
    "ADAPTERS": {
        "customers": "tests.testapp.commerce.AccountAdapter",
        "orders": "tests.testapp.commerce.CommerceOrderAdapter",
    },
}


def orders_with(pull, **setting):
    with override_settings(CONVERTEDIN_FEED={**COMMERCE, **setting}):
        response = pull("orders")
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.fixture
def order():
    order = OrderFactory()
    OrderLineFactory(order=order, quantity=1)
    OrderLineFactory(order=order, quantity=2, item_deleted=True, partner_sku="SKU-GONE")
    OrderLineFactory(order=order, quantity=3)
    return order


def line_problems(caplog):
    return [r for r in caplog.records if getattr(r, "record_kind", None) == "line item"]


def test_by_default_a_line_whose_product_was_deleted_is_left_out_and_logged(pull, order, caplog):
    [record] = orders_with(pull)
    kept = order.lines.exclude(partner_sku="SKU-GONE").order_by("pk")
    assert [line["product_id"] for line in record["line_items"]] == [line.item_id for line in kept]
    assert [line["quantity"] for line in record["line_items"]] == [1, 3]
    gone = order.lines.get(partner_sku="SKU-GONE")
    [logged] = line_problems(caplog)
    assert logged.levelno == logging.WARNING
    assert logged.record_id == gone.pk
    assert logged.order_id == order.pk
    message = logged.getMessage()
    assert f"line item {gone.pk} of order {order.pk}" in message
    assert "left out" in message
    assert "None" not in message


def test_fallback_serves_the_adapters_named_fallback(pull, order, caplog):
    [record] = orders_with(pull, MISSING_PRODUCTS="fallback")
    assert [line["product_id"] for line in record["line_items"]][1] == "SKU-GONE"
    assert [line["quantity"] for line in record["line_items"]] == [1, 2, 3]
    [logged] = line_problems(caplog)
    assert "served with product_id 'SKU-GONE'" in logged.getMessage()


def test_a_line_item_problem_never_reads_record_none(pull, order, caplog):
    orders_with(pull)
    assert all("record None" not in r.getMessage() for r in caplog.records)


class UnitPriceLines(OrderLineAdapter):
    price = Field(
        ExpressionWrapper(F("line_price_incl_tax") / Value(7.0), output_field=DecimalField())
    )


class UnitPriceOrders(CommerceOrderAdapter):
    line_items = Related("lines", UnitPriceLines)


@pytest.mark.parametrize(("currency", "price"), [("JPY", 143), ("KWD", 142.857), ("EGP", 142.86)])
def test_a_computed_line_price_is_rounded_in_its_orders_currency(pull, currency, price):
    order = OrderFactory(currency=currency)
    OrderLineFactory(order=order, quantity=1, line_price_incl_tax=Decimal("1000.00"))
    adapters = {**COMMERCE["ADAPTERS"], "orders": f"{__name__}.UnitPriceOrders"}
    [record] = orders_with(pull, ADAPTERS=adapters)
    assert [line["price"] for line in record["line_items"]] == [price]
