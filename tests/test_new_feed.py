"""A new feed is a record serializer and a url: the machinery is shared, not copied.

tests/testapp/feeds.py declares a products feed like the platform's third pull
endpoint, with its ``collection_id`` filter; tests/urls.py serves it.
"""

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.testapp.models import CatalogItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    return CatalogItem.objects.bulk_create(
        [
            CatalogItem(title="Kunafa", list_price=Decimal("120.50"), shelf=1),
            CatalogItem(title="Basbousa", list_price=Decimal("80.00"), shelf=2),
            CatalogItem(title="Om Ali", list_price=Decimal("95.00"), shelf=1),
        ]
    )


def test_the_new_feed_serves_its_records_in_the_shared_envelope(pull, catalog):
    body = pull("products", per_page=2).json()
    assert body == {
        "current_page": 1,
        "data": [
            {"id": catalog[0].pk, "title": "Kunafa", "price": 120.5, "category_id": 1},
            {"id": catalog[1].pk, "title": "Basbousa", "price": 80, "category_id": 2},
        ],
        "from": 1,
        "last_page": 2,
        "per_page": 2,
        "to": 2,
        "total": 3,
    }


def test_its_filter_narrows_the_feed(pull, catalog):
    body = pull("products", collection_id=1).json()
    assert [record["title"] for record in body["data"]] == ["Kunafa", "Om Ali"]
    assert body["total"] == 2


def test_a_bad_filter_value_is_a_422_naming_the_field(pull, catalog):
    response = pull("products", collection_id="shelf-one")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["collection_id"]


def test_it_shares_token_authentication(api, catalog):
    response = api.post("/convertedin/products", {"token": "wrong"})
    assert response.status_code == 401


def test_the_system_checks_find_it_in_the_urlconf(settings):
    adapters = dict(settings.CONVERTEDIN_FEED["ADAPTERS"])
    del adapters["products"]
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        messages = [m for m in run_checks() if m.id == "convertedin_feed.E002"]
    assert [m.msg for m in messages] == ["No adapter is configured for the 'products' feed."]
