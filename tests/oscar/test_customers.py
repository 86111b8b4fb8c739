"""The customers feed of an Oscar shop: its users who are not staff, then its guests."""

import hashlib
import logging
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model
from oscar.test import factories

from convertedin_feed.checks import TAG
from convertedin_feed.conf import forget
from convertedin_feed.contrib.oscar.orders import (
    OscarCustomerAdapter,
    exchange_rates,
    store_currency,
)
from convertedin_feed.exceptions import FeedConfigurationError
from tests.oscar.conftest import build_shop, country, place_order, product, shipping_address

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
User = get_model("auth", "User")

DOCUMENTED_KEYS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "orders_count",
    "total_spent",
    "currency",
    "phone",
    "registered_at",
    "gender",
]
CENT = Decimal("0.01")


def records(pull):
    response = pull("customers", per_page=1000)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def by_id(pull):
    return {record["id"]: record for record in records(pull)}


def guest_id(email):
    return "guest-" + hashlib.sha256(email.encode()).hexdigest()[:20]


def expected_spent(orders, rates):
    """What the figures should be, from Oscar's own models: not cancelled, converted."""
    counted = [order for order in orders if order.status != "Cancelled"]
    spent = sum(order.total_incl_tax * rates[order.currency] for order in counted)
    return len(counted), Decimal(spent).quantize(CENT, rounding=ROUND_HALF_UP)


def test_non_staff_users_then_guests_with_the_documented_keys(pull, shop):
    served = records(pull)
    assert all(list(record) == DOCUMENTED_KEYS for record in served)
    accounts = [r["id"] for r in served if isinstance(r["id"], int)]
    assert accounts == sorted(User.objects.filter(is_staff=False).values_list("pk", flat=True))
    assert not set(accounts) & {user.pk for user in shop.staff}
    assert [r["id"] for r in served[len(accounts) :]] == [
        guest_id("guest@example.com"),
        guest_id("nour@example.com"),
    ]


def test_an_account_s_figures_leave_out_cancelled_orders_and_convert_currencies(pull, shop):
    rates = {"EGP": Decimal(1), "USD": Decimal("48.25")}
    served = by_id(pull)
    first = shop.users[0]
    orders = list(Order.objects.filter(user=first))
    assert {order.currency for order in orders} == {"EGP", "USD"}
    assert any(order.status == "Cancelled" for order in orders)
    count, spent = expected_spent(orders, rates)
    record = served[first.pk]
    assert (record["orders_count"], Decimal(str(record["total_spent"]))) == (count, spent)
    assert record["currency"] == "EGP"


def test_a_guest_is_one_customer_per_normalised_email_with_figures_over_its_orders(pull, shop):
    served = by_id(pull)
    guest = served[guest_id("guest@example.com")]
    orders = shop.guest_orders[:2]
    count, spent = expected_spent(orders, {"EGP": Decimal(1)})
    assert (
        (guest["orders_count"], Decimal(str(guest["total_spent"])))
        == (count, spent)
        == (
            2,
            spent,
        )
    )
    assert guest["email"] == "guest@example.com"
    assert (guest["first_name"], guest["last_name"]) == ("صالح", "عادل")
    assert guest["phone"] == "+201001234567"
    assert guest["gender"] == "unknown"
    assert guest["currency"] == "EGP"


def test_a_guest_s_names_come_from_the_billing_address_when_the_shipping_one_has_none(pull, db):
    order = place_order(
        [(product("Mug", "45.50"), 1)],
        guest_email="billing@example.com",
        address=shipping_address(first_name="", last_name=""),
    )
    order.billing_address = factories.BillingAddressFactory(
        first_name="هدى", last_name="سالم", country=country()
    )
    order.save()
    [guest] = records(pull)
    assert (guest["first_name"], guest["last_name"]) == ("هدى", "سالم")


def test_a_guest_registered_at_its_first_order(pull, db):
    mug = product("Mug", "45.50")
    first = place_order([(mug, 1)], guest_email="late@example.com")
    place_order([(mug, 1)], guest_email="late@example.com")
    Order.objects.filter(pk=first.pk).update(date_placed="2020-12-15T17:00:00Z")
    [guest] = records(pull)
    assert guest["registered_at"] == "2020-12-15 19:00:00"


def test_a_deleted_account_leaves_no_customer(pull, shop):
    [order] = shop.deleted_account_orders
    served = records(pull)
    assert len(served) == len(shop.users) + 2  # the accounts, then two guests
    assert order.user_id is None


def test_phone_is_the_default_shipping_address_s(pull, db):
    user = factories.UserFactory()
    factories.UserAddressFactory(user=user, phone_number="+201111111111", country=country())
    factories.UserAddressFactory(
        user=user,
        phone_number="+201222222222",
        country=country(),
        line1="2 Nile Street",
        is_default_for_shipping=True,
    )
    without = factories.UserFactory()
    factories.UserAddressFactory(user=without, phone_number="+201333333333", country=country())
    served = by_id(pull)
    assert served[user.pk]["phone"] == "+201222222222"
    assert served[without.pk]["phone"] is None


class NoPhones(OscarCustomerAdapter):
    """A shop that keeps its customers' phones to itself."""

    phone = None


def test_a_subclass_drops_a_key_built_from_the_shop_s_data_by_setting_it_to_none(
    pull, db, settings
):
    user = factories.UserFactory()
    factories.UserAddressFactory(
        user=user, phone_number="+201222222222", country=country(), is_default_for_shipping=True
    )
    assert by_id(pull)[user.pk]["phone"] == "+201222222222"
    adapters = {"customers": f"{__name__}.NoPhones"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        served = by_id(pull)
    assert served[user.pk]["phone"] is None  # Oscar's user has no phone field of its own
    assert served[user.pk]["email"] == user.email


def test_names_come_from_the_account_else_its_default_shipping_address(pull, db):
    named = factories.UserFactory(first_name="Nour", last_name="Hassan")
    factories.UserAddressFactory(
        user=named, first_name="X", last_name="Y", is_default_for_shipping=True
    )
    unnamed = factories.UserFactory(first_name="", last_name="")
    factories.UserAddressFactory(
        user=unnamed, first_name="منى", last_name="زكي", is_default_for_shipping=True
    )
    served = by_id(pull)
    assert (served[named.pk]["first_name"], served[named.pk]["last_name"]) == ("Nour", "Hassan")
    assert (served[unnamed.pk]["first_name"], served[unnamed.pk]["last_name"]) == ("منى", "زكي")


def test_registered_at_is_date_joined_and_arabic_arrives_intact(pull, db):
    user = factories.UserFactory(first_name="صالح", last_name="عادل")
    User.objects.filter(pk=user.pk).update(date_joined="2020-10-12T08:00:00Z")
    response = pull("customers")
    assert "صالح".encode() in response.content
    [record] = response.json()["data"]
    assert (record["registered_at"], record["last_name"]) == ("2020-10-12 10:00:00", "عادل")


def test_a_customer_without_orders_has_zero_not_null(pull, db):
    factories.UserFactory()
    [record] = records(pull)
    assert (record["orders_count"], record["total_spent"]) == (0, 0)


def test_the_cancelled_statuses_setting_decides_what_counts(pull, shop, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "OSCAR_CANCELLED_STATUSES": []}
    first = shop.users[0]
    orders = Order.objects.filter(user=first)
    assert by_id(pull)[first.pk]["orders_count"] == orders.count() == 6


def test_an_order_in_a_currency_without_a_rate_is_never_left_out_silently(
    pull, shop, settings, caplog
):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "OSCAR_EXCHANGE_RATES": {}}
    first, second = shop.users[:2]
    with caplog.at_level(logging.WARNING, logger="convertedin_feed"):
        served = by_id(pull)
    # It has a USD order: a record problem (RECORD_ERRORS), logged with its id; the
    # default policy serves it, with total_spent 0 as the schema serves a missing one.
    assert served[first.pk]["total_spent"] == 0
    assert any(
        f"Customer record {first.pk}:" in message and "OSCAR_EXCHANGE_RATES" in message
        for message in caplog.messages
    )
    assert served[second.pk]["total_spent"] == float(
        expected_spent(Order.objects.filter(user=second), {"EGP": Decimal(1)})[1]
    )
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "RECORD_ERRORS": "skip"}
    served = by_id(pull)
    assert first.pk not in served
    assert second.pk in served


def usd_at_fifty():
    return {"USD": Decimal("50")}


def test_rates_may_come_from_a_function_named_by_its_dotted_path(pull, shop, settings):
    settings.CONVERTEDIN_FEED = {
        **settings.CONVERTEDIN_FEED,
        "OSCAR_EXCHANGE_RATES": "tests.oscar.test_customers.usd_at_fifty",
    }
    assert exchange_rates() == {"USD": Decimal("50"), "EGP": Decimal(1)}
    first = shop.users[0]
    _, spent = expected_spent(
        Order.objects.filter(user=first), {"EGP": Decimal(1), "USD": Decimal("50")}
    )
    assert Decimal(str(by_id(pull)[first.pk]["total_spent"])) == spent


@pytest.mark.parametrize("rates", [{"USD": 48.25}, {"USD": "-1"}, {"ZZZ": "1"}, ["USD"]])
def test_a_bad_rate_is_a_configuration_error(settings, rates):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "OSCAR_EXCHANGE_RATES": rates}
    with pytest.raises(FeedConfigurationError, match="OSCAR_EXCHANGE_RATES"):
        exchange_rates()


def test_the_store_currency_is_store_s_else_oscar_s_default(settings):
    assert store_currency() == "EGP"  # OSCAR_DEFAULT_CURRENCY
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STORE": {"currency": "usd"}}
    assert store_currency() == "USD"


def test_queries_per_page_are_fixed_whatever_the_data_size(pull, db):
    def crawl():
        forget()
        for cache in caches.all():
            cache.clear()  # a cold crawl each time
        counts, page, last_page = [], 1, 1
        while page <= last_page:
            with CaptureQueriesContext(connection) as captured:
                response = pull("customers", page=page, per_page=3)
            assert response.status_code == 200
            last_page = response.json()["last_page"]
            counts.append(len(captured.captured_queries))
            page += 1
        return counts

    build_shop(customers=4)
    small = crawl()
    for number in range(6):
        place_order([(product("Mug", "45.50"), 1)], guest_email=f"more{number}@example.com")
    build_shop(customers=7)  # 11 accounts: the fourth page spans accounts and guests
    large = crawl()
    assert len(large) > len(small) >= 2
    # Accounts pages: the rows and their figures; guests pages: one query; the page
    # that spans both, three; the cold first page adds its counts.
    assert set(small[1:]) <= set(large[1:]) == {1, 2, 3}
    assert small[0] == large[0]


def oscar_checks():
    from django.core import checks

    return [
        (problem.id, problem.msg)
        for problem in checks.run_checks(tags=[TAG])
        if (problem.id or "").startswith("convertedin_feed_oscar")
    ]


def test_the_oscar_settings_pass_the_system_checks():
    assert oscar_checks() == []


@pytest.mark.parametrize(
    "setting",
    [
        {"OSCAR_EXCHANGE_RATES": {"USD": 48.25}},
        {"OSCAR_EXCHANGE_RATES": "tests.oscar.nowhere.rates"},
        {"OSCAR_CANCELLED_STATUSES": "Cancelled"},
        {"OSCAR_FINANCIAL_STATUSES": ["successful"]},
        {"STORE": {"currency": "pounds"}},
    ],
)
def test_a_bad_oscar_setting_is_a_system_check_error(settings, setting):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, **setting}
    [(check_id, message)] = oscar_checks()
    assert check_id == "convertedin_feed_oscar.E001"
    assert next(iter(setting)) in message or "currency" in message


def test_a_shop_with_no_cancelled_status_is_warned_unless_it_says_so(settings):
    settings.OSCAR_ORDER_STATUS_PIPELINE = {"New": ("Annulée",), "Annulée": ()}
    settings.OSCAR_ORDER_STATUS_CASCADE = {}
    assert [check_id for check_id, _ in oscar_checks()] == ["convertedin_feed_oscar.W001"]
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "OSCAR_CANCELLED_STATUSES": []}
    assert oscar_checks() == []
