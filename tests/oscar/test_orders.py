"""The orders feed of an Oscar shop: Oscar's own figures, key by key."""

import pytest

pytestmark = pytest.mark.django_db


def records(pull, feed="orders"):
    response = pull(feed, per_page=1000)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_the_contrib_app_serves_every_order_with_no_adapters_setting(pull, shop, settings):
    assert "ADAPTERS" not in settings.CONVERTEDIN_FEED
    assert [record["id"] for record in records(pull)] == [order.pk for order in shop.orders]
