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
from convertedin_feed.schemas import FINANCIAL_STATUSES
from convertedin_feed.tools.rules import EXAMPLES
from convertedin_feed.tools.text import indent_json
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
    call_command("convertedin_feed_preview", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def violations(output, rule, feed):
    """The count and examples of ``rule`` in ``feed``, from the report's table."""
    for line in output.splitlines():
        cells = line.split(None, 4)
        if cells[:1] == [rule] and len(cells) >= 4 and cells[2] == feed:
            return int(cells[3].replace(",", "")), cells[4] if len(cells) > 4 else ""
    return 0, ""


HEALTHY = "Every required rule holds."


def test_it_prints_one_page_exactly_as_served(pull):
    MemberFactory.create_batch(3, first_name="صالح")
    printed = json.loads(run("customers", "--page", "2", "--per-page", "2"))
    assert printed == pull("customers", page=2, per_page=2).json()
    assert "صالح" in run("customers")


def test_a_crawl_of_a_healthy_feed_reports_every_record():
    for basket in BasketFactory.create_batch(5, status="successful"):
        BasketLineFactory(basket=basket)
    output = run("orders", "--crawl", "--per-page", "2")
    assert output.splitlines()[1].split()[:3] == ["orders", "3", "5"]  # pages, records
    assert HEALTHY in output


def test_a_crawl_names_required_keys_the_shop_leaves_empty():
    MemberFactory.create_batch(2)
    adapters = {"customers": "tests.test_adapters.BareMemberAdapter"}
    out = StringIO()
    with (
        override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], "ADAPTERS": adapters}),
        pytest.raises(CommandError, match="would refuse"),
    ):
        run("customers", "--crawl", out=out)
    count, examples = violations(out.getvalue(), "required_keys", "customers")
    assert count == 4  # two records, two keys each
    assert ": currency" in examples
    assert ": registered_at" in examples


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
    assert output.splitlines()[1].split()[:3] == ["customers", "3", "12"]
    assert HEALTHY in output


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
        pytest.raises(CommandError, match="would refuse"),
    ):
        run("orders", "--crawl", *args, out=out)
    return out.getvalue()


def test_a_crawl_counts_line_items_missing_required_keys_per_order():
    for quantities in ((5, 5, 1), (5,), (5, 5), (1, 2), ()):
        basket = BasketFactory(status="successful")
        for quantity in quantities:
            BasketLineFactory(basket=basket, quantity=quantity)
    output = crawl_orders("tests.test_commands.GappyBasketAdapter", "--per-page", "2")
    assert output.splitlines()[1].split()[:3] == ["orders", "3", "5"]
    count, examples = violations(output, "required_keys", "orders")
    assert count == 5  # the line items without a price
    assert all(example.split(": ")[1] == "price" for example in examples.split(", "))
    assert violations(output, "not_empty", "orders")[0] == 1  # the order without lines


def test_a_crawl_reports_financial_statuses_the_documents_do_not_list():
    for status, count in (("successful", 2), ("Complete", 3), ("paid", 1), ("refunded", 1)):
        BasketFactory.create_batch(count, status=status)
    output = crawl_orders("tests.testapp.convertedin.BasketAdapter", "--per-page", "3")
    count, examples = violations(output, "documented_values", "orders")
    assert count == 4
    assert examples.count("financial_status 'Complete'") == 3
    assert examples.count("financial_status 'paid'") == 1
    assert "successful" not in examples


def test_documented_financial_statuses_pass():
    for status in FINANCIAL_STATUSES:
        BasketLineFactory(basket=BasketFactory(status=status))
    output = run("orders", "--crawl")
    assert violations(output, "documented_values", "orders") == (0, "")


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
        pytest.raises(CommandError, match="would refuse"),
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
    assert output.splitlines()[1].split()[:3] == ["categories", "1", "2"]
    count, examples = violations(output, "required_keys", "categories")
    assert count == 2
    path = f"{root.pk} > {child.pk} > {nameless.pk}"
    assert examples == f"{path}: title, {path} > {deeper.pk} > {deepest.pk}: title"


def test_a_crawl_names_every_key_a_nested_subcategory_lacks():
    root = SectionFactory(name="Root")
    child = SectionFactory(name="Child", parent=root)
    grandchild = SectionFactory(name="", slug="undated-grandchild", parent=child)
    second_root = SectionFactory(name="Second")
    undated = SectionFactory(slug="undated-leaf", parent=SectionFactory(parent=second_root))
    output = crawl_feed("categories", "tests.test_commands.UndatedDeepSectionAdapter")
    count, examples = violations(output, "required_keys", "categories")
    assert count == 3
    path = f"{root.pk} > {child.pk} > {grandchild.pk}"
    assert examples.split(", ") == [
        f"{path}: title",
        f"{path}: published_at",
        f"{second_root.pk} > {undated.parent_id} > {undated.pk}: published_at",
    ]


def test_a_crawl_of_whole_subcategories_passes():
    node = SectionFactory()
    for _ in range(5):
        node = SectionFactory(parent=node)
    output = run("categories", "--crawl")
    assert HEALTHY in output


def test_a_crawl_names_few_nested_records_and_counts_the_rest():
    root = SectionFactory()
    for _ in range(EXAMPLES + 3):
        SectionFactory(name="", parent=SectionFactory(parent=root))
    output = crawl_feed("categories", "tests.testapp.convertedin.SectionAdapter")
    count, examples = violations(output, "required_keys", "categories")
    assert count == EXAMPLES + 3
    assert len(examples.split(", ")) == EXAMPLES


def test_a_crawl_names_a_line_item_without_an_id_by_its_position():
    basket = BasketFactory(status="successful")
    BasketLineFactory(basket=basket, quantity=1)
    BasketLineFactory(basket=basket, quantity=5)
    output = crawl_orders("tests.test_commands.GappyBasketAdapter")
    assert violations(output, "required_keys", "orders") == (
        1,
        f"{basket.pk} > line_items[1]: price",
    )


class SizelessPictureAdapter(PictureAdapter):
    def dehydrate_width(self, row):
        return None


class SizelessGadgetAdapter(GadgetAdapter):
    images = Related("pictures", SizelessPictureAdapter)


def test_a_crawl_checks_a_product_s_images_from_its_schema():
    gadget = GadgetFactory()
    GadgetPictureFactory(gadget=gadget, position=1)
    output = crawl_feed("products", "tests.test_commands.SizelessGadgetAdapter")
    assert violations(output, "required_keys", "products") == (1, f"{gadget.pk} > images[0]: width")


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
