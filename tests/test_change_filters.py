"""Pulling only what changed: ``created_since``, ``updated_since`` and ``ids``.

Not in the platform's documents: a shop's own tools send them, where the
feed's adapter declares them (``Meta.created_at``, ``Meta.updated_at``,
``Meta.filter_ids``). The shop is the commerce one (``tests/testapp/commerce.py``):
accounts, their orders, and guests derived from orders without an account.
"""

import datetime as dt
import json
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from convertedin_feed.adapters import GuestAdapter
from convertedin_feed.filters import MAX_IDS, parse_moment
from tests.factories import AccountFactory, OrderFactory, order_with_lines
from tests.testapp.commerce import ChangingGuestAdapter
from tests.testapp.models import Order

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
CAIRO = zoneinfo.ZoneInfo("Africa/Cairo")  # the test project's TIME_ZONE: the feed's
#: A moment the tests measure from: 2024-01-15 10:00 UTC, 12:00 in Cairo (no summer time).
T = dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC)

COMMERCE = {
    **settings.CONVERTEDIN_FEED,
    "ADAPTERS": {
        **settings.CONVERTEDIN_FEED["ADAPTERS"],
        "customers": "tests.testapp.commerce.ChangingAccountAdapter",
        "orders": "tests.testapp.commerce.ChangingOrderAdapter",
    },
}


@pytest.fixture(autouse=True)
def _commerce_shop():
    with override_settings(CONVERTEDIN_FEED=COMMERCE):
        yield


def before(**delta):
    return T - dt.timedelta(**delta)


def after(**delta):
    return T + dt.timedelta(**delta)


def served(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == len(body["data"]), "one page holds them all here"
    return [record["id"] for record in body["data"]]


def crawl(pull, feed, per_page, **filters):
    """Every page, as a client reads them: ``(ids in order, the total page 1 announced)``."""
    ids, number, last_page, total = [], 1, 1, None
    while number <= last_page:
        response = pull(feed, page=number, per_page=per_page, **filters)
        assert response.status_code == 200, response.content
        body = response.json()
        total = body["total"] if total is None else total
        assert body["total"] == total, "a crawl's total holds from page to page"
        last_page = body["last_page"]
        ids.extend(record["id"] for record in body["data"])
        number += 1
    return ids, total


def refused(response, field):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] == "The given data was invalid."
    assert list(body["errors"]) == [field]
    return body["errors"][field][0]


def guest_id(email):
    return ChangingGuestAdapter().guest_id(email)


# Without filters


def test_without_filters_every_record_is_served_as_documented(pull):
    accounts = AccountFactory.create_batch(2, date_joined=before(days=30))
    OrderFactory(account=accounts[0], placed=after(days=1))
    OrderFactory(guest=True, guest_email="sara@example.com", placed=before(days=3))

    assert served(pull("customers")) == [*(a.pk for a in accounts), guest_id("sara@example.com")]
    assert len(served(pull("orders"))) == 2


@pytest.mark.parametrize("field", ["created_since", "updated_since", "ids"])
def test_an_empty_value_counts_as_not_sent(pull, field):
    AccountFactory.create_batch(2)

    assert len(served(pull("customers", **{field: ""}))) == 2


# created_since


def test_created_since_serves_the_accounts_joined_and_the_guests_first_seen_since(pull):
    old = AccountFactory(date_joined=before(seconds=1))
    on_the_moment = AccountFactory(date_joined=T)
    new = AccountFactory(date_joined=after(days=2))
    OrderFactory(account=old, placed=after(days=1))  # an old account that orders is not new
    OrderFactory(guest=True, guest_email="old@example.com", placed=before(days=1))
    OrderFactory(guest=True, guest_email="Old@example.com ", placed=after(days=1))
    OrderFactory(guest=True, guest_email="new@example.com", placed=after(hours=1))

    ids = served(pull("customers", created_since="2024-01-15T10:00:00Z"))

    assert ids == [on_the_moment.pk, new.pk, guest_id("new@example.com")]
    assert old.pk not in ids


def test_created_since_on_orders(pull):
    OrderFactory(number="A-1", placed=before(minutes=1))
    OrderFactory(number="A-2", placed=after(minutes=1))
    OrderFactory(number="A-3", guest=True, placed=after(days=9))

    assert served(pull("orders", created_since="2024-01-15 12:00:00")) == ["A-2", "A-3"]


# updated_since


def test_an_account_changes_with_its_orders_and_is_served_once(pull):
    quiet = AccountFactory(date_joined=before(days=90))
    OrderFactory(account=quiet, placed=before(days=10))
    busy = AccountFactory(date_joined=before(days=90))
    OrderFactory.create_batch(3, account=busy, placed=after(days=1))  # three recent orders
    joined = AccountFactory(date_joined=after(days=1))

    ids = served(pull("customers", updated_since="2024-01-15T10:00:00Z"))

    assert ids == [busy.pk, joined.pk]


def test_a_guest_changes_whenever_one_of_its_orders_does(pull):
    OrderFactory(guest=True, guest_email="sara@example.com", placed=before(days=30))
    OrderFactory(guest=True, guest_email=" SARA@example.com", placed=after(days=1))
    OrderFactory(guest=True, guest_email="omar@example.com", placed=before(days=30))

    assert served(pull("customers", updated_since="2024-01-15T10:00:00Z")) == [
        guest_id("sara@example.com")
    ]
    # ... and its record is the whole guest: both orders count.
    [record] = pull("customers", updated_since="2024-01-15T10:00:00Z").json()["data"]
    assert record["orders_count"] == 2


def test_an_expression_as_the_time_is_compared_in_place(pull):
    OrderFactory(number="B-1", placed=before(days=1))
    OrderFactory(number="B-2", placed=after(days=1))

    assert served(pull("orders", updated_since="2024-01-15T10:00:00Z")) == ["B-2"]


# The moment as sent


@pytest.mark.parametrize(
    ("moment", "included"),
    [
        ("2024-01-15 12:00:00", True),  # the documented format, in the feed's time zone (Cairo)
        ("2024-01-15 12:00:01", False),
        ("2024-01-15T12:00", True),  # seconds optional
        ("2024-01-15", True),  # a date alone: its midnight in Cairo
        ("2024-01-15T10:00:00Z", True),
        ("2024-01-15t10:00:00z", True),  # RFC 3339 takes either case
        ("2024-01-15T10:00:00.000001Z", False),
        ("2024-01-15T10:00:00.0000009Z", True),  # past microseconds: truncated
        ("2024-01-15T11:00:00+01:00", True),
        ("2024-01-15T05:00:01-05:00", False),
    ],
)
def test_a_moment_in_the_documented_format_or_iso_8601(pull, moment, included):
    account = AccountFactory(date_joined=T)

    assert served(pull("customers", created_since=moment)) == ([account.pk] if included else [])


@pytest.mark.parametrize(
    "moment",
    [
        "yesterday",
        "2024-02-30 00:00:00",  # no such day
        "2024-1-5",  # two digits each
        " 2024-01-05",  # spaces are not taken
        "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0665",  # ASCII digits only (not ٢٠٢٤)
        "2024-01-05T24:00:00",
        "2024-01-05T10:00:00+24:00",
        "2024-01-05T10:00:00+02:60",
        "2024-01-05Z",  # an offset needs a time
        "0000-01-01",
    ],
)
def test_a_moment_that_is_not_one_is_a_422_naming_the_field(pull, moment):
    message = refused(pull("customers", updated_since=moment), "updated_since")

    assert message == (
        f"{moment!r} is not a date and time: send Y-m-d H:i:s or ISO 8601 "
        "(2024-05-01T09:30:00+02:00)."
    )


@pytest.mark.parametrize("value", [5, True, ["2024-01-05"], {"at": "2024-01-05"}])
def test_a_json_moment_must_be_text(api, token, value):
    response = api.post(
        "/convertedin/orders",
        json.dumps({"token": token, "created_since": value}),
        content_type="application/json",
    )

    refused(response, "created_since")


def test_moments_past_what_python_holds_in_utc_are_its_first_and_last(pull):
    account = AccountFactory(date_joined=T)

    assert served(pull("customers", created_since="0001-01-01T00:00:00+05:00")) == [account.pk]
    assert served(pull("customers", created_since="9999-12-31T23:59:59-05:00")) == []
    assert parse_moment("0001-01-01T00:00:00+05:00", UTC) == dt.datetime.min.replace(tzinfo=UTC)


# ids


def test_ids_serve_those_accounts_and_guests(pull):
    accounts = AccountFactory.create_batch(3)
    OrderFactory(guest=True, guest_email="sara@example.com")
    OrderFactory(guest=True, guest_email="omar@example.com")
    wanted = f"{accounts[2].pk}, {guest_id('omar@example.com')},{accounts[0].pk}"

    assert served(pull("customers", ids=wanted)) == [
        accounts[0].pk,
        accounts[2].pk,
        guest_id("omar@example.com"),
    ]


def test_ids_sent_twice_in_form_data_are_all_read(api, token):
    accounts = AccountFactory.create_batch(3)

    response = api.post(
        "/convertedin/customers",
        {"token": token, "ids": [str(accounts[0].pk), f"{accounts[1].pk}"]},
        format="multipart",
    )

    assert served(response) == [accounts[0].pk, accounts[1].pk]


@pytest.mark.parametrize("as_list", [True, False])
def test_ids_in_json_are_a_list_or_one_id(api, token, as_list):
    accounts = AccountFactory.create_batch(2)
    ids = [accounts[1].pk] if as_list else accounts[1].pk

    response = api.post(
        "/convertedin/customers",
        json.dumps({"token": token, "ids": ids}),
        content_type="application/json",
    )

    assert served(response) == [accounts[1].pk]


def test_ids_follow_the_path_the_id_key_reads(pull):
    OrderFactory(number="N-1")
    OrderFactory(number="N-2")

    assert served(pull("orders", ids="N-2,N-404")) == ["N-2"]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("abc", "'abc' cannot be an id of this feed."),
        ("1,guest-nothex", "'guest-nothex' cannot be an id of this feed."),
        ("007", "'007' cannot be an id of this feed."),  # read as a page number is
        ("99999999999999999999", "'99999999999999999999' cannot be an id of this feed."),
        ("1,,2", "An id in the list is empty, or the list is."),
        ("  ", "An id in the list is empty, or the list is."),
        (",".join(["1"] * (MAX_IDS + 1)), f"At most {MAX_IDS} ids a request."),
    ],
)
def test_ids_that_cannot_be_the_feeds_are_a_422(pull, ids, message):
    AccountFactory()

    assert refused(pull("customers", ids=ids), "ids") == message


def test_an_empty_json_list_of_ids_is_refused_not_read_as_every_record(api, token):
    AccountFactory()

    response = api.post(
        "/convertedin/customers",
        json.dumps({"token": token, "ids": []}),
        content_type="application/json",
    )

    assert refused(response, "ids") == "An id in the list is empty, or the list is."


@pytest.mark.parametrize(
    "email",
    ["plain@example.com", "zoë@example.com", "用户@例子.公司", "rocket🚀@example.com"],
)
def test_a_guests_id_found_in_sql_is_the_one_served(pull, email):
    """The ``ids`` filter computes a guest's id in the database (SHA-256 of the normalised
    email): it must be the very id Python serves, on every database."""
    OrderFactory(guest=True, guest_email=f"  {email.upper()} ")
    OrderFactory(guest=True, guest_email="other@example.com")
    [served_id] = [i for i in served(pull("customers")) if i != guest_id("other@example.com")]

    assert served(pull("customers", ids=served_id)) == [served_id]


def test_a_guest_adapter_that_forms_ids_its_own_way_must_say_so_in_sql():
    class NumberedGuests(GuestAdapter):
        def guest_id(self, email):
            return f"g-{len(email)}"

    with pytest.raises(ImproperlyConfigured, match="overrides guest_id\\(\\) but not"):
        NumberedGuests.guest_id_expression()


# Filters the adapter does not declare


def test_a_filter_the_adapter_does_not_declare_is_a_422_not_ignored(pull):
    with override_settings(
        CONVERTEDIN_FEED={
            **COMMERCE,
            "ADAPTERS": {
                **COMMERCE["ADAPTERS"],
                "orders": "tests.testapp.commerce.CommerceOrderAdapter",
            },
        }
    ):
        message = refused(pull("orders", updated_since="2024-01-15"), "updated_since")

    assert (
        message
        == "This feed does not take updated_since (its adapter declares no Meta.updated_at)."
    )


def test_the_products_feed_takes_only_what_its_adapter_declares(pull):
    message = refused(pull("products", ids="1"), "ids")

    assert message == "This feed does not take ids (its adapter declares no Meta.filter_ids)."


# Totals and pages


def test_each_filter_set_keeps_its_own_total_and_page_ends(pull):
    accounts = [AccountFactory(date_joined=before(days=10 - n)) for n in range(5)]
    for account in accounts[3:]:
        OrderFactory(account=account, placed=after(days=1))
    OrderFactory(guest=True, guest_email="new@example.com", placed=after(days=2))
    since = "2024-01-15T10:00:00Z"

    for _ in range(2):  # the second time, from what the first remembered
        assert crawl(pull, "customers", per_page=2) == (
            [*(a.pk for a in accounts), guest_id("new@example.com")],
            6,
        )
        assert crawl(pull, "customers", per_page=2, updated_since=since) == (
            [accounts[3].pk, accounts[4].pk, guest_id("new@example.com")],
            3,
        )
        assert crawl(pull, "customers", per_page=2, ids=f"{accounts[1].pk}") == (
            [accounts[1].pk],
            1,
        )


def test_a_crawl_filtered_by_time_is_held_to_the_moment_it_began(pull):
    """A record that changes during a crawl would join it, ahead of one the crawl counted,
    and push that one past the last page; so it waits for the next crawl instead."""
    accounts = AccountFactory.create_batch(4, date_joined=before(days=90))
    for account in (accounts[1], accounts[3]):
        OrderFactory(account=account, placed=after(days=1))
    since = "2024-01-15T10:00:00Z"

    first = pull("customers", page=1, per_page=1, updated_since=since).json()
    OrderFactory(account=accounts[2], placed=dt.datetime.now(UTC))  # after page 1 was read
    second = pull("customers", page=2, per_page=1, updated_since=since).json()

    assert (first["total"], first["last_page"]) == (second["total"], second["last_page"]) == (2, 2)
    assert [first["data"][0]["id"], second["data"][0]["id"]] == [accounts[1].pk, accounts[3].pk]
    # The next crawl finds it.
    assert crawl(pull, "customers", per_page=1, updated_since=since)[0] == [
        accounts[1].pk,
        accounts[2].pk,
        accounts[3].pk,
    ]


def test_records_with_lines_come_whole_when_filtered(pull):
    order = order_with_lines(number="L-1", placed=after(days=1), lines=2)
    OrderFactory(number="L-0", placed=before(days=1))

    [record] = pull("orders", updated_since="2024-01-15T10:00:00Z").json()["data"]

    assert record["id"] == "L-1"
    assert len(record["line_items"]) == order.lines.count() == 2
    assert Order.objects.count() == 2


@pytest.mark.parametrize("field", ["created_since", "updated_since", "ids"])
def test_the_categories_feed_takes_no_change_filters(pull, field):
    message = refused(pull("categories", **{field: "1"}), field)

    assert message == f"This feed does not take {field}."
