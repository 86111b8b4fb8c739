"""What databases disagree on, served the same on each (run with DATABASE_URL to switch).

.ci/run runs the whole suite on SQLite and again on PostgreSQL 15.
"""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Sum
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from convertedin_feed.adapters import CustomerAdapter, Field
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.testapp.models import Guest, Subscriber

pytestmark = pytest.mark.django_db

JOINED = datetime(2024, 1, 1, tzinfo=timezone.utc)


class UsdSpendAdapter(CustomerAdapter):
    total_spent = Field(Sum("baskets__total_in_usd"), default=0)
    registered_at = Field("created")
    currency = Field(constant="USD")

    class Meta:
        model = "testapp.Member"


class SubscriberAdapter(CustomerAdapter):
    registered_at = Field("joined")
    currency = Field(constant="EGP")

    class Meta:
        model = "testapp.Subscriber"


class GuestAdapter(SubscriberAdapter):
    class Meta:
        model = "testapp.Guest"


def crawl(pull, token, adapter, per_page=3, **settings):
    """Every record of every page, in the order served."""
    setting = {
        "TOKENS": [token],
        "ADAPTERS": {"customers": f"{__name__}.{adapter.__name__}"},
        **settings,
    }
    records, page = [], 1
    with override_settings(CONVERTEDIN_FEED=setting):
        while True:
            body = pull("customers", page=page, per_page=per_page).json()
            records += body["data"]
            if page >= body["last_page"]:
                return records
            page += 1


def test_decimals_with_many_places_keep_them_when_rounding_is_off(pull, token):
    member = MemberFactory()
    for amount in ("0.12345678", "0.12345678", "1000000.00000001"):
        BasketFactory(member=member, total_in_usd=Decimal(amount))
    [record] = crawl(pull, token, UsdSpendAdapter, MONEY_PLACES=None)
    assert record["total_spent"] == 1000000.24691357
    [record] = crawl(pull, token, UsdSpendAdapter, MONEY_PLACES=8)
    assert record["total_spent"] == 1000000.24691357
    # By default a computed amount is rounded to its currency's cents, half up.
    [record] = crawl(pull, token, UsdSpendAdapter)
    assert record["total_spent"] == 1000000.25


def test_a_sum_of_cents_is_exact_not_a_float_drift(pull):
    member = MemberFactory()
    for _ in range(10):
        BasketFactory(member=member, total=Decimal("0.10"))
    [record] = pull("customers").json()["data"]
    assert record["total_spent"] == 1


@pytest.mark.parametrize(
    ("stored", "rendered"),
    [
        # New York springs forward at 07:00 UTC on 2024-03-10: 01:59 EST, then 03:00 EDT.
        (datetime(2024, 3, 10, 6, 59, tzinfo=timezone.utc), "2024-03-10 01:59:00"),
        (datetime(2024, 3, 10, 7, 0, tzinfo=timezone.utc), "2024-03-10 03:00:00"),
        # ...and falls back at 06:00 UTC on 2024-11-03: 01:59 EDT, then 01:00 EST again.
        (datetime(2024, 11, 3, 5, 59, tzinfo=timezone.utc), "2024-11-03 01:59:00"),
        (datetime(2024, 11, 3, 6, 0, tzinfo=timezone.utc), "2024-11-03 01:00:00"),
    ],
)
def test_aware_datetimes_across_a_dst_change_in_the_shop_s_time_zone(
    pull, settings, stored, rendered
):
    settings.TIME_ZONE = "America/New_York"
    MemberFactory(created=stored)
    [record] = pull("customers").json()["data"]
    assert record["registered_at"] == rendered


def test_arabic_and_emoji_survive_the_database_and_the_json(pull):
    MemberFactory(first_name="صالح 🛒", last_name="عادل👍🏽")
    response = pull("customers")
    [record] = response.json()["data"]
    assert (record["first_name"], record["last_name"]) == ("صالح 🛒", "عادل👍🏽")
    assert "عادل👍🏽".encode() in response.content


def test_string_primary_keys_are_crawled_once_each_in_the_database_s_order(pull, token):
    # Distinct under case- and accent-insensitive collations too (MariaDB's default).
    for code in ["b", "A", "C", "10", "9", "é-1", "Z-1", "z-0", "ß"]:
        Subscriber.objects.create(
            code=code, email=f"{code}@example.com", first_name="F", last_name="L", joined=JOINED
        )
    served = [record["id"] for record in crawl(pull, token, SubscriberAdapter, per_page=2)]
    # Text sorts by the database's collation, which differs between databases;
    # the feed follows it, so a crawl still meets every row exactly once.
    assert served == list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))
    assert sorted(served) == sorted(Subscriber.objects.values_list("pk", flat=True))


def test_uuid_primary_keys_are_canonical_strings_in_the_database_s_order(pull, token):
    guests = [
        Guest.objects.create(
            email=f"g{n}@example.com", first_name="F", last_name="L", joined=JOINED
        )
        for n in range(12)
    ]
    served = [record["id"] for record in crawl(pull, token, GuestAdapter, per_page=5)]
    # PostgreSQL and SQLite sort UUIDs by their bytes; MariaDB's UUID type sorts
    # by its groups in another order. The feed follows the database, one row once each.
    assert served == [str(pk) for pk in Guest.objects.order_by("pk").values_list("pk", flat=True)]
    assert sorted(served) == sorted(str(guest.pk) for guest in guests)


def test_aggregates_over_customers_with_no_orders_are_zero(pull):
    MemberFactory()
    [record] = pull("customers").json()["data"]
    assert (record["orders_count"], record["total_spent"]) == (0, 0)


@pytest.mark.django_db(databases=["default", "replica"])
def test_the_database_setting_reads_every_query_from_that_alias(pull):
    """A read replica: the crawl's queries, aggregates and line items never touch the primary."""
    MemberFactory(email="primary@example.com")
    member = MemberFactory.build(email="replica@example.com")
    member.save(using="replica")
    basket = BasketFactory.build(member=member)
    basket.save(using="replica")
    BasketLineFactory.build(basket=basket, sku=4242).save(using="replica")

    replica = {**settings.CONVERTEDIN_FEED, "DATABASE": "replica"}
    with (
        override_settings(CONVERTEDIN_FEED=replica),
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as read,
    ):
        [customer] = pull("customers").json()["data"]
        [order] = pull("orders").json()["data"]
    assert (customer["email"], customer["orders_count"]) == ("replica@example.com", 1)
    assert [item["product_id"] for item in order["line_items"]] == [4242]
    assert primary.captured_queries == []
    assert read.captured_queries


@pytest.mark.django_db(databases=["default", "replica"])
def test_without_the_setting_the_feeds_read_the_routers_choice(pull):
    MemberFactory(email="primary@example.com")
    MemberFactory.build(email="replica@example.com").save(using="replica")
    assert [r["email"] for r in pull("customers").json()["data"]] == ["primary@example.com"]
