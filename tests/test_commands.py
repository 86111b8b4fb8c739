"""convertedin_feed_preview shows a shop what the platform receives, and what is wrong with it."""

import json
from datetime import datetime, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from convertedin_feed.adapters import Field, Related
from convertedin_feed.management.commands.convertedin_feed_preview import indent_json
from convertedin_feed.schemas import FINANCIAL_STATUSES
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.testapp.convertedin import BasketAdapter, BasketLineAdapter

pytestmark = pytest.mark.django_db


def run(*args, out=None):
    out = out or StringIO()
    call_command("convertedin_feed_preview", *args, stdout=out)
    return out.getvalue()


def test_it_prints_one_page_exactly_as_served(pull):
    MemberFactory.create_batch(3, first_name="صالح")
    printed = json.loads(run("customers", "--page", "2", "--per-page", "2"))
    assert printed == pull("customers", page=2, per_page=2).json()
    assert "صالح" in run("customers")


def test_a_crawl_of_a_healthy_feed_reports_every_record():
    for basket in BasketFactory.create_batch(5, status="successful"):
        BasketLineFactory(basket=basket)
    output = run("orders", "--crawl", "--per-page", "2")
    assert "orders: 5 records of 5 in 3 pages of 2" in output
    assert "every record arrived once" in output


def test_a_crawl_names_required_keys_the_shop_leaves_empty():
    MemberFactory.create_batch(2)
    adapters = {"customers": "tests.test_adapters.BareMemberAdapter"}
    out = StringIO()
    with (
        override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], "ADAPTERS": adapters}),
        pytest.raises(CommandError, match="problems"),
    ):
        run("customers", "--crawl", out=out)
    assert "2 records have no 'currency' (required)" in out.getvalue()
    assert "2 records have no 'registered_at' (required)" in out.getvalue()


def test_an_unknown_feed_lists_the_served_ones():
    served = "storeinfo, categories, products, customers, orders, offers"
    with pytest.raises(CommandError, match=served):
        run("reviews")


def test_without_a_token_it_says_so(monkeypatch):
    monkeypatch.delenv("CONVERTEDIN_FEED_TOKEN", raising=False)
    with (
        override_settings(CONVERTEDIN_FEED={"ADAPTERS": {}}),
        pytest.raises(CommandError, match="No token"),
    ):
        run("customers")


def test_a_crawl_of_uuid_keys_accepts_the_database_s_order():
    from tests.testapp.models import Guest

    joined = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for n in range(12):
        Guest.objects.create(
            email=f"g{n}@example.com", first_name="F", last_name="L", joined=joined
        )
    adapters = {"customers": "tests.test_databases.GuestAdapter"}
    with override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], "ADAPTERS": adapters}):
        output = run("customers", "--crawl", "--per-page", "5")
    assert "customers: 12 records of 12 in 3 pages of 5" in output
    assert "every record arrived once" in output


# ---------------------------------------------------------------------------
# The page printed: the view's own bytes


class ExactBasketAdapter(BasketAdapter):
    """Orders whose total is the eight-place USD amount."""

    total_price = Field("total_in_usd")


def squeezed(text):
    """``text`` without the whitespace outside its JSON strings."""
    kept, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            kept.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif not char.isspace():
            kept.append(char)
            in_string = char == '"'
    return "".join(kept)


def test_a_page_is_printed_with_the_numbers_and_strings_the_view_sent(pull):
    basket = BasketFactory(
        subtotal=Decimal("130.11"),
        total_in_usd=Decimal("0.00000001"),
        locale="عربي",
        email='quote"back\\slash@example.com',
        phone="+20 {1}, [2]: 3",  # JSON's own punctuation inside a string
    )
    BasketLineFactory(basket=basket, unit_price=Decimal("130.11"))
    BasketFactory()  # an order without line items: "line_items": []
    adapters = {"orders": "tests.test_commands.ExactBasketAdapter"}
    with override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], "ADAPTERS": adapters}):
        body = pull("orders").content.decode()
        printed = run("orders")
        compact = run("orders", "--compact")
    # The page holds what this test is about.
    for token in (
        '"total_price":0.00000001',
        '"subtotal_price":130.11',
        '"customer_locale":"عربي"',
        r'"contact_email":"quote\"back\\slash@example.com"',
        '"phone":"+20 {1}, [2]: 3"',
        '"line_items":[]',
    ):
        assert token in body
    assert squeezed(printed) == body
    assert printed.count("\n") > 40  # indented, a key a line
    assert '\n      "total_price": 0.00000001,\n' in printed
    assert '"line_items": [],' in printed
    assert '"phone": "+20 {1}, [2]: 3"' in printed
    assert compact == body + "\n"


def test_the_indentation_is_json_dumps_own():
    body = '{"a":[1,{},[],{"b":"x\\"y\\\\z","c":[null,true]}],"d":"سلام"}'
    assert indent_json(body) == json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    assert (
        indent_json(' { "e" : [ 0.00000001 , 1E+2 ] } ')
        == '{\n  "e": [\n    0.00000001,\n    1E+2\n  ]\n}'
    )


# ---------------------------------------------------------------------------
# The crawl: nested records and documented values


class SometimesNoPriceLineAdapter(BasketLineAdapter):
    def dehydrate_price(self, row):
        return None if row["quantity"] == 5 else row["price"]


class GappyBasketAdapter(BasketAdapter):
    line_items = Related("lines", SometimesNoPriceLineAdapter)


def crawl_orders(adapter, *args):
    out = StringIO()
    adapters = {"orders": adapter}
    with (
        override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], "ADAPTERS": adapters}),
        pytest.raises(CommandError, match="problems"),
    ):
        run("orders", "--crawl", *args, out=out)
    return out.getvalue()


def test_a_crawl_counts_line_items_missing_required_keys_per_order():
    for quantities in ((5, 5, 1), (5,), (5, 5), (1, 2), ()):
        basket = BasketFactory(status="successful")
        for quantity in quantities:
            BasketLineFactory(basket=basket, quantity=quantity)
    output = crawl_orders("tests.test_commands.GappyBasketAdapter", "--per-page", "2")
    assert "orders: 5 records of 5 in 3 pages of 2" in output
    assert "3 orders have line items with no 'price' (5 line items)" in output
    assert "quantity" not in output
    assert "'product_id'" not in output
    assert "records have no" not in output


def test_a_crawl_names_one_order_and_one_line_item_in_the_singular():
    BasketLineFactory(basket=BasketFactory(status="successful"), quantity=5)
    output = crawl_orders("tests.test_commands.GappyBasketAdapter")
    assert "1 order has line items with no 'price' (1 line item)" in output


def test_a_crawl_reports_financial_statuses_the_documents_do_not_list():
    for status, count in (("successful", 2), ("Complete", 3), ("paid", 1), ("refunded", 1)):
        BasketFactory.create_batch(count, status=status)
    output = crawl_orders("tests.testapp.convertedin.BasketAdapter", "--per-page", "3")
    assert 'financial_status "Complete" is not a documented value (3 orders)' in output
    assert 'financial_status "paid" is not a documented value (1 order)' in output
    assert '"successful"' not in output
    assert '"refunded"' not in output
    assert (
        "the documented financial_status values: processing, successful, canceled, refunded"
        in output
    )


def test_documented_financial_statuses_pass():
    for status in FINANCIAL_STATUSES:
        BasketFactory(status=status)
    output = run("orders", "--crawl")
    assert "every record arrived once" in output
    assert "documented" not in output
