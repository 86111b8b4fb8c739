"""convertedin_feed_preview shows a shop what the platform receives, and what is wrong with it."""

import json
from datetime import datetime, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.factories import BasketFactory, BasketLineFactory, MemberFactory

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
    for basket in BasketFactory.create_batch(5):
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
    with pytest.raises(CommandError, match="customers, orders, products"):
        run("storeinfo")


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
