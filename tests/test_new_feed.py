"""A shop adds a feed of its own as the README's "Adding a feed" shows: one Feed object, listed.

tests/testapp/feeds.py declares ``OFFERS`` (schema, adapter base, filter) and
tests/settings.py lists it in ``FEEDS`` after the platform's five and names its
adapter in ``ADAPTERS``; urls, checks and the preview command find it there.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from convertedin_feed.checks import TAG
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


def test_the_listed_feed_has_its_url_and_url_name():
    assert reverse("convertedin_feed:offers") == "/convertedin/offers"


def test_the_new_feed_serves_its_records_in_the_shared_envelope(pull, catalog):
    body = pull("offers", per_page=2).json()
    assert body == {
        "current_page": 1,
        "data": [
            {"id": catalog[0].pk, "title": "Kunafa", "price": 120.5, "shelf": 1},
            {"id": catalog[1].pk, "title": "Basbousa", "price": 80, "shelf": 2},
        ],
        "from": 1,
        "last_page": 2,
        "per_page": 2,
        "to": 2,
        "total": 3,
    }


def test_its_filter_narrows_the_feed(pull, catalog):
    body = pull("offers", shelf=1).json()
    assert [record["title"] for record in body["data"]] == ["Kunafa", "Om Ali"]
    assert body["total"] == 2


def test_a_bad_filter_value_is_a_422_naming_the_field(pull, catalog):
    response = pull("offers", shelf="shelf-one")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["shelf"]


def test_it_shares_token_authentication(api, catalog):
    response = api.post("/convertedin/offers", {"token": "wrong"})
    assert response.status_code == 401


def test_the_preview_command_serves_it(catalog):
    out = StringIO()
    call_command("convertedin_feed", "preview", "offers", "--crawl", "--quiet", stdout=out)
    assert out.getvalue().splitlines()[1].split()[:3] == ["offers", "1", "3"]  # pages, records
    assert "Every required rule holds." in out.getvalue()


def test_the_audit_reads_it_after_the_platform_s_five(catalog):
    out = StringIO()
    call_command("convertedin_feed", "audit", "--feed", "offers", "--json", "--quiet", stdout=out)
    assert json.loads(out.getvalue())["records"] == {"offers": 3}


def test_the_system_checks_find_it_in_the_feed_list(settings):
    adapters = dict(settings.CONVERTEDIN_FEED["ADAPTERS"])
    del adapters["offers"]
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        messages = [m for m in run_checks(tags=[TAG]) if m.id == "convertedin_feed.E002"]
    assert [m.msg for m in messages] == ["No adapter is configured for the 'offers' feed."]
    assert "an OfferAdapter subclass" in messages[0].hint or "OfferAdapter" in messages[0].hint


def test_a_feed_left_out_of_the_list_is_not_served_nor_checked(settings):
    feeds = ["storeinfo", "categories", "products", "customers", "orders"]
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "FEEDS": feeds}):
        from convertedin_feed.feeds import configured_feeds

        assert [feed.name for feed in configured_feeds()] == feeds
