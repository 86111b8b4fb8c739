"""An Oscar shop pulled incrementally: the contrib adapters declare the change filters.

A moment is taken once the shop is built; whatever Oscar's own code changes after
it (a status set by ``Order.set_status``, a stock record repriced, an order placed)
is what ``updated_since`` must serve, and nothing else.
"""

import datetime as dt

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from convertedin_feed.contrib.oscar.orders import OscarGuestAdapter
from tests.oscar.conftest import place_order

pytestmark = pytest.mark.django_db

StockRecord = get_model("partner", "StockRecord")


def ids(pull, feed, **filters):
    response = pull(feed, per_page=1000, **filters)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == len(body["data"])
    return [record["id"] for record in body["data"]]


@pytest.fixture
def mark(shop):
    """A moment after the shop was built: nothing has changed since."""
    moment = timezone.now() + dt.timedelta(microseconds=1)
    return moment.isoformat()


def test_nothing_changed_since_the_shop_was_built(pull, shop, mark):
    for feed in ("products", "customers", "orders"):
        assert ids(pull, feed, updated_since=mark) == []
        assert ids(pull, feed, created_since=mark) == []


def test_a_status_set_by_oscar_changes_the_order_and_its_buyer(pull, shop, mark):
    order = shop.orders[0]
    order.set_status(order.status)  # Oscar records the change even to the same status
    order.set_status("Cancelled")

    assert ids(pull, "orders", updated_since=mark) == [order.pk]
    assert ids(pull, "customers", updated_since=mark) == [order.user_id]
    assert ids(pull, "orders", created_since=mark) == []  # changed, not created


def test_a_new_order_by_a_guest_changes_the_guest(pull, shop, mark):
    guest_order = shop.guest_orders[0]
    line = guest_order.lines.first()
    again = place_order([(line.product, 1)], guest_email=guest_order.guest_email.upper())
    guest = OscarGuestAdapter().guest_id(guest_order.guest_email.strip().lower())

    assert ids(pull, "orders", created_since=mark) == [again.pk]
    assert ids(pull, "customers", updated_since=mark) == [guest]
    assert ids(pull, "customers", created_since=mark) == []  # the guest is not new


def test_a_repriced_stock_record_changes_its_product(pull, shop, mark):
    record = StockRecord.objects.filter(product__structure="standalone").order_by("pk").first()
    record.price += 1
    record.save()

    assert ids(pull, "products", updated_since=mark) == [record.product_id]


def test_ids_on_every_feed_oscar_serves(pull, shop):
    guest = OscarGuestAdapter().guest_id(shop.guest_orders[0].guest_email.strip().lower())
    user = shop.users[0].pk
    product = shop.products[0].pk

    assert ids(pull, "customers", ids=f"{guest},{user}") == [user, guest]
    assert ids(pull, "orders", ids=f"{shop.orders[1].pk}") == [shop.orders[1].pk]
    assert ids(pull, "products", ids=str(product)) == [product]
