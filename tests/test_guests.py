"""Guest buyers are customers too: guest checkouts and the orders of deleted accounts.

The shop is shaped like a commerce framework's (``tests/testapp/commerce.py``):
``Order.account`` is NULL for a guest and for an account deleted since, and
``Order.guest_email`` is what the guest typed, in any case and with stray spaces.
"""

import hashlib
import logging
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from convertedin_feed.adapters import GuestAdapter
from tests.factories import AccountFactory, OrderFactory, order_with_lines
from tests.testapp.commerce import GuestOrderAdapter
from tests.testapp.models import Order

pytestmark = pytest.mark.django_db
CAIRO = zoneinfo.ZoneInfo("Africa/Cairo")  # the test project's TIME_ZONE

COMMERCE = {
    **settings.CONVERTEDIN_FEED,
    "ADAPTERS": {
        "customers": "tests.testapp.commerce.AccountAdapter",
        "orders": "tests.testapp.commerce.CommerceOrderAdapter",
    },
}


@pytest.fixture(autouse=True)
def _commerce_shop():
    with override_settings(CONVERTEDIN_FEED=COMMERCE):
        yield


def guest_id(email):
    return "guest-" + hashlib.sha256(email.encode()).hexdigest()[:20]


def crawl(pull, feed, per_page=100):
    records, page, last_page = [], 1, 1
    while page <= last_page:
        response = pull(feed, page=page, per_page=per_page)
        assert response.status_code == 200, response.content
        body = response.json()
        last_page = body["last_page"]
        records.extend(body["data"])
        page += 1
    assert len(records) == body["total"]
    return records


def by_id(records):
    return {record["id"]: record for record in records}


def test_one_guest_per_normalised_email_with_exactly_its_own_orders(pull):
    account = AccountFactory()
    OrderFactory(account=account, total_incl_tax=Decimal("999.00"))
    first = OrderFactory(
        guest=True, guest_email=" Sara@Example.com", total_incl_tax=Decimal("10.10")
    )
    OrderFactory(guest=True, guest_email="sara@example.COM ", total_incl_tax=Decimal("20.20"))
    OrderFactory(
        guest=True, guest_email="sara@example.com", status=Order.CANCELLED, placed=first.placed
    )
    OrderFactory(guest=True, guest_email="omar@example.com", total_incl_tax=Decimal("5"))

    customers = crawl(pull, "customers")
    assert [c["id"] for c in customers] == [
        account.pk,
        guest_id("sara@example.com"),
        guest_id("omar@example.com"),
    ]
    sara = customers[1]
    assert sara["email"] == "sara@example.com"
    assert (sara["orders_count"], sara["total_spent"]) == (2, 30.3)  # complete orders only
    first_placed = min(o.placed for o in Order.objects.filter(guest_email__icontains="sara"))
    assert sara["registered_at"] == first_placed.astimezone(CAIRO).strftime("%Y-%m-%d %H:%M:%S")
    assert sara["first_name"] == first.shipping_address.first_name  # from the first order
    assert sara["currency"] == "GBP"
    assert (customers[2]["orders_count"], customers[2]["total_spent"]) == (1, 5)
    # The account's figures are its own, untouched by the guests'.
    assert (customers[0]["orders_count"], customers[0]["total_spent"]) == (1, 999)


def test_guest_ids_are_stable_across_syncs_and_never_an_account_id(pull):
    AccountFactory.create_batch(3)
    OrderFactory(guest=True, guest_email="nour@example.com")
    before = [c["id"] for c in crawl(pull, "customers")]
    # Another sync, after more orders of every kind arrived.
    OrderFactory(guest=True, guest_email="NOUR@example.com")
    OrderFactory(guest=True, guest_email="laila@example.com")
    OrderFactory()
    after = [c["id"] for c in crawl(pull, "customers")]
    assert guest_id("nour@example.com") in before
    assert after.index(guest_id("nour@example.com")) > 0
    accounts = [i for i in after if isinstance(i, int)]
    guests = [i for i in after if not isinstance(i, int)]
    assert all(str(i).startswith("guest-") for i in guests)
    assert not {str(i) for i in accounts} & set(guests)
    assert len(after) == len(set(after)) == 4 + 2


def test_the_orders_of_a_deleted_account_belong_to_their_guest(pull):
    kept = OrderFactory(account_deleted=True, guest_email="left@example.com")
    assert kept.account is None
    [customer] = crawl(pull, "customers")
    assert customer["id"] == guest_id("left@example.com")
    [order] = crawl(pull, "orders")
    assert order["customer"] == {"id": customer["id"]}


def test_every_order_links_to_a_customer_of_the_customers_feed(pull):
    for account in AccountFactory.create_batch(3):
        OrderFactory.create_batch(2, account=account)
    for email in ("a@example.com", " A@example.com", "b@example.com"):
        OrderFactory(guest=True, guest_email=email)
    customers = by_id(crawl(pull, "customers", per_page=2))
    orders = crawl(pull, "orders", per_page=2)
    assert len(orders) == 9
    assert {order["customer"]["id"] for order in orders} == set(customers)


def test_a_guest_who_registers_later_stays_the_guest_of_their_guest_orders(pull):
    """As the README says: the account is a new customer; the guest keeps its id and orders."""
    OrderFactory.create_batch(2, guest=True, guest_email="hana@example.com")
    guest = guest_id("hana@example.com")
    assert [c["id"] for c in crawl(pull, "customers")] == [guest]

    account = AccountFactory(email="Hana@example.com")
    OrderFactory(account=account)
    customers = by_id(crawl(pull, "customers"))
    assert set(customers) == {account.pk, guest}
    assert customers[guest]["orders_count"] == 2
    assert customers[account.pk]["orders_count"] == 1
    links = [order["customer"]["id"] for order in crawl(pull, "orders")]
    assert links == [guest, guest, account.pk]


@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
def test_a_crawl_meets_every_customer_once_across_accounts_and_guests(pull, per_page):
    accounts = AccountFactory.create_batch(4)
    emails = [f"g{n}@example.com" for n in range(5)]
    for email in emails + emails[:2]:  # two guests come back
        OrderFactory(guest=True, guest_email=email)
    ids = [c["id"] for c in crawl(pull, "customers", per_page=per_page)]
    assert ids == [a.pk for a in accounts] + [guest_id(e) for e in emails]


def test_pages_at_any_depth_take_the_same_queries(pull):
    AccountFactory.create_batch(6)
    for n in range(6):
        OrderFactory.create_batch(2, guest=True, guest_email=f"g{n}@example.com")
    counts = []
    page, last_page = 1, 1
    while page <= last_page:
        with CaptureQueriesContext(connection) as captured:
            response = pull("customers", page=page, per_page=2)
        last_page = response.json()["last_page"]
        counts.append(len(captured))
        page += 1
    # Pages 1-3 hold accounts, 4-6 guests: an accounts page is its rows and their
    # aggregates, deep in the crawl as on page 2; a guests page is one query, its
    # rows with each guest's figures looked up by index. Page 4 first finds the
    # accounts exhausted (one more query).
    assert len(counts) == 6
    assert counts[1] == counts[2] == 2
    assert counts[4] == counts[5] == 1
    assert counts[3] == 2


def test_an_order_with_neither_account_nor_email_is_a_record_problem(pull, caplog):
    lost = OrderFactory(account_deleted=True)  # Oscar leaves guest_email blank on it
    assert crawl(pull, "customers") == []
    [order] = crawl(pull, "orders")
    assert order["customer"] is None
    [problem] = [r for r in caplog.records if getattr(r, "record_id", None) == lost.pk]
    assert problem.levelno == logging.WARNING
    assert "no value for the required" in problem.getMessage()
    assert "'contact_email'" in problem.getMessage()
    assert "'customer'" in problem.getMessage()
    with override_settings(CONVERTEDIN_FEED={**COMMERCE, "RECORD_ERRORS": "skip"}):
        body = pull("orders").json()
    assert (body["data"], body["from"], body["to"], body["total"]) == ([], None, None, 1)


def test_guest_id_is_the_adapters_to_change(pull):
    class NumberedGuests(GuestOrderAdapter):
        def guest_id(self, email):
            return -int(hashlib.sha256(email.encode()).hexdigest()[:12], 16)

    OrderFactory(guest=True, guest_email="x@example.com")
    customers_adapter = type(
        "Accounts",
        (__import__("tests.testapp.commerce", fromlist=["AccountAdapter"]).AccountAdapter,),
        {"Meta": type("Meta", (), {"guests": NumberedGuests})},
    )
    orders_adapter = type(
        "Orders",
        (__import__("tests.testapp.commerce", fromlist=["x"]).CommerceOrderAdapter,),
        {"Meta": type("Meta", (), {"guests": NumberedGuests})},
    )
    adapters = {"customers": customers_adapter, "orders": orders_adapter}
    with override_settings(CONVERTEDIN_FEED={**COMMERCE, "ADAPTERS": adapters}):
        [customer] = crawl(pull, "customers")
        [order] = crawl(pull, "orders")
    assert customer["id"] == NumberedGuests().guest_id("x@example.com") < 0
    assert order["customer"] == {"id": customer["id"]}


def test_aggregates_over_two_to_many_relations_are_each_what_they_are_alone(pull):
    """Two lines and two discounts: in one joined query each sum is doubled."""
    order = order_with_lines(lines=2, discounts=2, discount_kwargs={"amount": Decimal("5.00")})
    lines_total = sum(line.line_price_incl_tax for line in order.lines.all())
    quantity = sum(line.quantity for line in order.lines.all())
    from django.db.models import Sum

    joined = Order.objects.filter(pk=order.pk).aggregate(
        lines=Sum("lines__line_price_incl_tax"), discounts=Sum("discounts__amount")
    )
    assert joined == {"lines": lines_total * 2, "discounts": Decimal("20.00")}  # the fan-out

    [record] = crawl(pull, "orders")
    assert record["total_discounts"] == 10
    assert Decimal(str(record["subtotal_price"])) == lines_total
    assert record["items_count"] == quantity


def test_a_guest_adapter_is_declared_with_its_account_link_and_email():
    assert issubclass(GuestOrderAdapter, GuestAdapter)
    assert GuestOrderAdapter.account_path() == "account"


def test_the_preview_crawl_counts_orders_it_cannot_link():
    unlinked = OrderFactory(account_deleted=True)  # no account, no email
    OrderFactory(guest=True)
    out = StringIO()
    with pytest.raises(CommandError, match="would refuse"):
        call_command("convertedin_feed", "preview", "orders", "--crawl", "--quiet", stdout=out)
    rows = [line.split() for line in out.getvalue().splitlines() if line.startswith("required_")]
    # Nothing to link it by, nothing to write to: no customer, no contact email.
    found = [f"{unlinked.pk}:", "contact_email,", f"{unlinked.pk}:", "customer"]
    assert rows == [["required_keys", "required", "orders", "2", *found]]


def test_accounts_and_guests_added_mid_crawl_never_push_a_customer_out_of_it(pull):
    """New accounts sort before every guest: the crawl reads the rows it counted when it began."""
    existing = [a.pk for a in AccountFactory.create_batch(3)]
    for n in range(4):
        OrderFactory(guest=True, guest_email=f"early{n}@example.com")
    existing += [guest_id(f"early{n}@example.com") for n in range(4)]
    served, page, last_page = [], 1, 1
    while page <= last_page:
        body = pull("customers", page=page, per_page=2).json()
        served += [c["id"] for c in body["data"]]
        last_page = body["last_page"]
        AccountFactory()  # the shop signs customers up while the crawl runs
        OrderFactory(guest=True, guest_email=f"late{page}@example.com")
        page += 1
    assert served == existing
    # The next crawl has them.
    assert len(crawl(pull, "customers", per_page=2)) == 7 + 2 * 4


def test_two_crawls_at_once_agree_when_an_account_arrives_between_their_starts(pull):
    """Two crawls of one feed and page size share the remembered page ends. An account that
    arrives between their first pages must not move the guests after it for either: it is
    read after them, so each crawl serves every customer that was there exactly once."""
    accounts = [account.pk for account in AccountFactory.create_batch(3)]
    for n in range(3):
        OrderFactory(guest=True, guest_email=f"guest{n}@example.com")
    there = [*accounts, *(guest_id(f"guest{n}@example.com") for n in range(3))]

    def page(number):
        response = pull("customers", page=number, per_page=2)
        assert response.status_code == 200, response.content
        return [record["id"] for record in response.json()["data"]], response.json()["last_page"]

    first = page(1)[0] + page(2)[0]  # the first crawl reads pages 1 and 2
    newcomer = AccountFactory().pk
    second, last = [], 1
    for number in range(1, 5):  # the second crawl reads every page, writing the page ends
        rows, last = page(number)
        second += rows
    first += page(3)[0]  # the first crawl goes on from the second's end of page 2

    assert first == there
    assert second == [*there, newcomer]
    assert last == 4
