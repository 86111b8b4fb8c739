"""``manage.py convertedin_feed audit``: every record of every feed, judged by the documented rules.

A clean shop passes with exit status 0; each planted violation is found, under
its rule, with the id of the record that breaks it, and a required one makes the
exit status 1.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from convertedin_feed.tools.rules import RULES
from tests.factories import (
    BasketFactory,
    BasketLineFactory,
    GadgetFactory,
    GadgetPictureFactory,
    MemberFactory,
    SectionFactory,
)
from tests.testapp.convertedin import MemberAdapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    """A shop whose every record meets every rule: a tree, products in it, buyers, orders."""
    phones = SectionFactory(name="Phones")
    cases = SectionFactory(name="Cases", parent=phones)
    leather = SectionFactory(name="Leather", parent=cases)
    case = GadgetFactory(title="Leather case", sections=[leather], stock=4)
    GadgetPictureFactory(gadget=case, file="gadgets/case.jpg", width=600, height=600)
    lamp = GadgetFactory(title="Desk lamp", sections=[phones], stock=0)
    GadgetPictureFactory(gadget=lamp, file="gadgets/lamp.jpg", width=800, height=600)
    members = MemberFactory.create_batch(3)
    baskets = []
    for member in members:
        basket = BasketFactory(member=member, status="successful")
        BasketLineFactory(basket=basket, sku=case.pk, quantity=1)
        BasketLineFactory(basket=basket, sku=lamp.pk, quantity=2)
        baskets.append(basket)
    return {"case": case, "lamp": lamp, "members": members, "baskets": baskets}


def audit(*args):
    """The audit's output and its exit status (a CommandError is exit status 1)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("convertedin_feed", "audit", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + str(exc), exc.returncode
    return out.getvalue(), err.getvalue(), 0


def audit_json(*args):
    out, _err, status = audit("--json", "--quiet", *args)
    return json.loads(out), status


def violations(result, rule, feed):
    found = next(entry for entry in result["rules"] if entry["rule"] == rule)
    return found["feeds"].get(feed, {"violations": 0, "examples": []})


def test_a_clean_shop_passes_with_a_table_of_records_and_rules(shop):
    out, err, status = audit("--quiet")
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0].split() == ["feed", "records"]
    counts = dict(line.split() for line in lines[1:7])
    assert counts == {
        "storeinfo": "1",
        "categories": "1",  # one root, its subtree inside it
        "products": "2",
        "customers": "3",
        "orders": "3",
        "offers": "0",
    }
    header = next(line for line in lines if line.startswith("rule"))
    assert header.split() == ["rule", "kind", "feed", "violations", "examples"]
    listed = {line.split()[0] for line in lines[lines.index(header) + 1 :] if line[:1].isalpha()}
    assert set(RULES) <= listed | {"Every"}  # every rule has its row, broken or not
    assert "Every required rule holds." in out
    assert err == ""  # --quiet


def test_the_table_is_aligned(shop):
    out, _, _ = audit("--quiet")
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("rule"))
    rows = lines[lines.index(header) + 1 : lines.index(header) + 1 + len(RULES)]
    column = header.index("violations") + len("violations")  # numbers end under their title
    assert all(row[column - 1].isdigit() for row in rows), rows


def test_the_json_holds_the_same_for_ci(shop):
    result, status = audit_json()
    assert status == 0
    assert result["ok"] is True
    assert result["records"] == {
        "storeinfo": 1,
        "categories": 1,
        "products": 2,
        "customers": 3,
        "orders": 3,
        "offers": 0,
    }
    assert [entry["rule"] for entry in result["rules"]] == list(RULES)
    assert all(entry["violations"] == 0 for entry in result["rules"])
    assert result["checks"] == {"errors": [], "warnings": []}


# ---------------------------------------------------------------------------
# planted violations: each found, under its rule, with the record's id


def test_a_blank_required_key_is_found_with_its_record_and_key(shop):
    member = MemberFactory(first_name="  ")
    result, status = audit_json()
    assert status == 1
    found = violations(result, "required_keys", "customers")
    assert found == {"violations": 1, "examples": [f"{member.pk}: first_name"]}


def test_an_email_without_an_address_s_shape(shop):
    member = MemberFactory(email="not-an-address")
    result, status = audit_json()
    assert status == 1
    assert violations(result, "email", "customers")["examples"] == [f"{member.pk}: email"]


def test_a_currency_that_is_no_iso_code_is_served_null_and_found(shop):
    basket = BasketFactory(member=shop["members"][0], currency="ZZZ", status="successful")
    BasketLineFactory(basket=basket, sku=shop["case"].pk)
    result, status = audit_json()
    assert status == 1
    assert violations(result, "required_keys", "orders")["examples"] == [f"{basket.pk}: currency"]


def test_a_date_not_in_the_documented_format(shop, settings):
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "customers": f"{__name__}.LooseDates"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        result, status = audit_json("--feed", "customers")
    assert status == 1
    found = violations(result, "datetime", "customers")
    assert found["violations"] == 3
    assert found["examples"][0] == f"{shop['members'][0].pk}: registered_at"


class LooseDates(MemberAdapter):
    def dehydrate_registered_at(self, row):
        return "27/11/2026"


def test_negative_stock_and_a_negative_total(shop):
    gadget = GadgetFactory(sections=[], stock=-3)
    GadgetPictureFactory(gadget=gadget)
    basket = BasketFactory(
        member=shop["members"][0],
        status="successful",
        subtotal=Decimal("-5.00"),
        total=Decimal("-5.00"),
    )
    BasketLineFactory(basket=basket, sku=shop["case"].pk)
    result, status = audit_json()
    assert status == 1
    assert violations(result, "not_negative", "products")["examples"] == [f"{gadget.pk}: quantity"]
    assert violations(result, "not_negative", "orders")["examples"] == [
        f"{basket.pk}: total_price",
        f"{basket.pk}: subtotal_price",
    ]


def test_an_order_without_line_items_and_a_line_of_quantity_zero(shop):
    empty = BasketFactory(member=shop["members"][0], status="successful")
    zero = BasketFactory(member=shop["members"][1], status="successful")
    BasketLineFactory(basket=zero, sku=shop["case"].pk, quantity=0)
    result, status = audit_json()
    assert status == 1
    assert violations(result, "not_empty", "orders")["examples"] == [f"{empty.pk}: line_items"]
    assert violations(result, "positive", "orders")["examples"] == [
        f"{zero.pk} > line_items[0]: quantity"
    ]


def test_an_undocumented_financial_status_is_advice_not_failure(shop):
    basket = BasketFactory(member=shop["members"][0], status="paid")
    BasketLineFactory(basket=basket, sku=shop["case"].pk)
    result, status = audit_json()
    assert status == 0
    assert violations(result, "documented_values", "orders")["examples"] == [
        f"{basket.pk}: financial_status 'paid'"
    ]
    rule = next(entry for entry in result["rules"] if entry["rule"] == "documented_values")
    assert rule["required"] is False


def test_references_to_records_no_feed_serves(shop):
    staff = MemberFactory(is_staff_account=True)  # not a customer the feed serves
    basket = BasketFactory(member=staff, status="successful")
    BasketLineFactory(basket=basket, sku=shop["case"].pk)
    lost = BasketFactory(member=shop["members"][0], status="successful")
    BasketLineFactory(basket=lost, sku=987654)  # a product that never was
    result, status = audit_json()
    assert status == 1
    assert violations(result, "references", "orders")["examples"] == [
        f"{basket.pk}: customer",
        f"{lost.pk} > line_items[0]: product_id",
    ]


def test_examples_stop_at_five_and_the_count_goes_on(shop):
    MemberFactory.create_batch(7, first_name="")
    result, _ = audit_json()
    found = violations(result, "required_keys", "customers")
    assert found["violations"] == 7
    assert len(found["examples"]) == 5


# ---------------------------------------------------------------------------
# narrowing, and what stops it


def test_feed_and_limit_narrow_it_and_say_what_went_unchecked(shop):
    MemberFactory.create_batch(4)
    result, status = audit_json("--feed", "orders", "--feed", "customers", "--limit", "2")
    assert status == 0
    assert result["records"] == {"customers": 2, "orders": 2}  # the platform's order
    assert result["limited"] is True
    assert result["unchecked_references"] == {
        "customer -> customers": 2,
        "product_id -> products": 4,
    }


def test_an_unknown_feed_is_named(shop):
    _, err, status = audit("--feed", "refunds")
    assert status == 1
    assert "Unknown feed 'refunds'" in err


def test_a_system_check_error_stops_it_before_any_record(shop, settings):
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "orders": "tests.nowhere.Adapter"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        out, _err, status = audit("--quiet")
    assert status == 1
    assert "convertedin_feed.E" in out
    assert "No record was read" in out


def test_progress_is_plain_lines_when_not_a_terminal(shop):
    _, err, status = audit()
    assert status == 0
    assert "orders: 3 of 3 records" in err
    assert "\r" not in err


def test_save_stores_the_result_for_the_admin_page(shop):
    from convertedin_feed.models import SavedAudit

    MemberFactory(email="nobody")
    out, err, status = audit("--save", "--json", "--quiet")
    assert status == 1
    saved = SavedAudit.objects.latest()
    assert f"Saved as audit {saved.pk}" in err
    assert saved.ok is False
    assert saved.report == json.loads(out)
    assert violations(saved.report, "email", "customers")["violations"] == 1


def test_the_app_s_migrations_match_its_models():
    out = StringIO()
    call_command("makemigrations", "convertedin_feed", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
