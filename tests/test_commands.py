"""convertedin_feed_preview shows a shop what the platform receives, and what is wrong with it."""

import json
from datetime import datetime, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from convertedin_feed.adapters import Field, Related
from convertedin_feed.management.commands.convertedin_feed_preview import (
    NAMED_NESTED,
    indent_json,
)
from convertedin_feed.schemas import FINANCIAL_STATUSES
from tests.factories import (
    BasketFactory,
    BasketLineFactory,
    GadgetFactory,
    GadgetPictureFactory,
    MemberFactory,
    SectionFactory,
)
from tests.testapp.convertedin import (
    BasketAdapter,
    BasketLineAdapter,
    GadgetAdapter,
    PictureAdapter,
    SectionAdapter,
)

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


# ---------------------------------------------------------------------------
# The crawl: nested records at every depth, as the schema declares them


class UndatedDeepSectionAdapter(SectionAdapter):
    """Sections whose ``published_at`` is missing three levels down."""

    def dehydrate_published_at(self, row):
        return None if row["handle"].startswith("undated") else row["published_at"]


def crawl_feed(feed, adapter, *args):
    """A crawl that finds problems, with ``adapter`` serving ``feed`` in the test settings."""
    out = StringIO()
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], feed: adapter}
    with (
        override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}),
        pytest.raises(CommandError, match="problems"),
    ):
        run(feed, "--crawl", *args, out=out)
    return out.getvalue()


def test_a_crawl_checks_subcategories_at_every_depth_and_names_them_by_their_path():
    root = SectionFactory(name="Root")
    child = SectionFactory(name="Child", parent=root)
    nameless = SectionFactory(name="  ", parent=child)  # blank: no title, two levels down
    deeper = SectionFactory(name="Deeper", parent=nameless)
    deepest = SectionFactory(name="", parent=deeper)  # four levels down
    SectionFactory(name="Healthy", parent=SectionFactory(name="Other root"))
    output = crawl_feed("categories", "tests.testapp.convertedin.SectionAdapter")
    assert "categories: 2 records of 2 in 1 pages of 100" in output
    assert "1 category has subcategories with no 'title' (2 subcategories)" in output
    path = f"category {root.pk} > {child.pk} > {nameless.pk}"
    assert f"{path} lacks 'title'" in output
    assert f"{path} > {deeper.pk} > {deepest.pk} lacks 'title'" in output
    assert "records have no" not in output  # the roots are whole


def test_a_crawl_names_every_key_a_nested_subcategory_lacks():
    root = SectionFactory(name="Root")
    child = SectionFactory(name="Child", parent=root)
    grandchild = SectionFactory(name="", slug="undated-grandchild", parent=child)
    second_root = SectionFactory(name="Second")
    undated = SectionFactory(slug="undated-leaf", parent=SectionFactory(parent=second_root))
    output = crawl_feed("categories", "tests.test_commands.UndatedDeepSectionAdapter")
    assert "2 categories have subcategories with no 'published_at' (2 subcategories)" in output
    assert "1 category has subcategories with no 'title' (1 subcategory)" in output
    assert (
        f"category {root.pk} > {child.pk} > {grandchild.pk} lacks 'title', 'published_at'" in output
    )
    assert (
        f"category {second_root.pk} > {undated.parent_id} > {undated.pk} lacks 'published_at'"
        in output
    )


def test_a_crawl_of_whole_subcategories_passes():
    node = SectionFactory()
    for _ in range(5):
        node = SectionFactory(parent=node)
    output = run("categories", "--crawl")
    assert "every record arrived once" in output


def test_a_crawl_names_few_nested_records_and_counts_the_rest():
    root = SectionFactory()
    for _ in range(NAMED_NESTED + 3):
        SectionFactory(name="", parent=SectionFactory(parent=root))
    output = crawl_feed("categories", "tests.testapp.convertedin.SectionAdapter")
    assert f"({NAMED_NESTED + 3} subcategories)" in output
    assert output.count(" lacks 'title'") == NAMED_NESTED
    assert "  and 3 subcategories more" in output


def test_a_crawl_names_a_line_item_without_an_id_by_its_position():
    basket = BasketFactory(status="successful")
    BasketLineFactory(basket=basket, quantity=1)
    BasketLineFactory(basket=basket, quantity=5)
    output = crawl_orders("tests.test_commands.GappyBasketAdapter")
    assert f"order {basket.pk} > line_items[1] lacks 'price'" in output


class SizelessPictureAdapter(PictureAdapter):
    def dehydrate_width(self, row):
        return None


class SizelessGadgetAdapter(GadgetAdapter):
    images = Related("pictures", SizelessPictureAdapter)


def test_a_crawl_checks_a_product_s_images_from_its_schema():
    gadget = GadgetFactory()
    GadgetPictureFactory(gadget=gadget, position=1)
    output = crawl_feed("products", "tests.test_commands.SizelessGadgetAdapter")
    assert "1 product has images with no 'width' (1 image)" in output
    assert f"product {gadget.pk} > images[0] lacks 'width'" in output


# ---------------------------------------------------------------------------
# convertedin_feed token, and preview under the one command


def tool(*args):
    out = StringIO()
    call_command("convertedin_feed", *args, stdout=out)
    return out.getvalue()


def test_token_prints_a_new_random_token_on_its_own_first_line():
    first, second = tool("token"), tool("token")
    token = first.splitlines()[0]
    assert len(token) >= 43  # 32 bytes, URL-safe base64
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert token != second.splitlines()[0]


def test_token_then_shows_the_setting_and_how_to_rotate():
    out = tool("token")
    token = out.splitlines()[0]
    assert f'export CONVERTEDIN_FEED_TOKEN="{token}"' in out
    assert f'export CONVERTEDIN_FEED_TOKEN="{token},<the old token>"' in out


def test_preview_is_a_subcommand_and_the_old_name_an_alias(pull):
    assert tool("preview", "customers", "--compact") == call_preview("customers", "--compact")


def call_preview(*args):
    out = StringIO()
    call_command("convertedin_feed_preview", *args, stdout=out)
    return out.getvalue()


def test_a_subcommand_is_required():
    with pytest.raises(CommandError, match="subcommand"):
        call_command("convertedin_feed")
