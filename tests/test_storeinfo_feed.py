"""The storeinfo feed: one record, not paged, filled from the STORE setting."""

from datetime import datetime, timedelta, timezone

import pytest
from django.test import override_settings

from convertedin_feed.adapters import StoreAdapter
from convertedin_feed.fields import gmt_offset

pytestmark = pytest.mark.django_db


def store(settings, **values):
    return override_settings(
        CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "STORE": {**STORE, **values}}
    )


STORE = {
    "name": "Gadget Corner",
    "currency": "usd",
    "time_zone": "Africa/Cairo",
    "email": "hello@gadgets.example",
    "description": "Small things that help.",
    "country": "us",
}


def test_the_record_is_the_store_in_the_documented_shape(pull, settings):
    with store(settings, time_zone="UTC"):
        response = pull("storeinfo")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "code": 200,
        "data": {
            "name": "Gadget Corner",
            "currency": "USD",
            "time_zone": "GMT",
            "email": "hello@gadgets.example",
            "description": "Small things that help.",
            "country": "US",
            "country_code": "US",
        },
    }


def test_it_takes_the_same_token_as_every_feed(api):
    assert api.post("/convertedin/storeinfo", {"token": "nope"}).status_code == 401
    assert api.post("/convertedin/storeinfo", {}).status_code == 401


def test_paging_fields_are_not_read(pull):
    assert pull("storeinfo", page="not a number").status_code == 200


@pytest.mark.parametrize(
    ("now", "zone", "shown"),
    [
        (datetime(2026, 1, 15, tzinfo=timezone.utc), "Africa/Cairo", "GMT+2"),
        (datetime(2026, 7, 15, tzinfo=timezone.utc), "Africa/Cairo", "GMT+3"),  # summer time
        (datetime(2026, 1, 15, tzinfo=timezone.utc), "America/New_York", "GMT-5"),
        (datetime(2026, 7, 15, tzinfo=timezone.utc), "America/New_York", "GMT-4"),
        (datetime(2026, 7, 15, tzinfo=timezone.utc), "Asia/Kolkata", "GMT+5:30"),
        (datetime(2026, 7, 15, tzinfo=timezone.utc), "America/St_Johns", "GMT-2:30"),
    ],
)
def test_the_time_zone_is_the_iana_zone_offset_today(pull, settings, monkeypatch, now, zone, shown):
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    with store(settings, time_zone=zone):
        assert pull("storeinfo").json()["data"]["time_zone"] == shown


def test_gmt_offsets_are_written_as_the_documents_show_them():
    assert gmt_offset(timedelta(0)) == "GMT"
    assert gmt_offset(timedelta(hours=2)) == "GMT+2"
    assert gmt_offset(timedelta(hours=-3, minutes=-30)) == "GMT-3:30"


def test_without_a_time_zone_the_project_time_zone_is_served(pull, settings, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 1, 15, tzinfo=timezone.utc)
    )
    values = {key: value for key, value in STORE.items() if key != "time_zone"}
    with override_settings(
        CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "STORE": values}, TIME_ZONE="Asia/Dubai"
    ):
        assert pull("storeinfo").json()["data"]["time_zone"] == "GMT+4"


def test_a_country_name_is_served_as_its_code(pull, settings):
    with store(settings, country="Egypt"):
        data = pull("storeinfo").json()["data"]
    assert (data["country"], data["country_code"]) == ("EG", "EG")


class DatabaseStoreAdapter(StoreAdapter):
    """A shop that keeps its details in the database overrides get_store()."""

    def get_store(self):
        return {**super().get_store(), "name": "From the database", "currency": "EGP"}


def test_a_shop_can_fill_the_record_from_its_own_adapter(pull, settings):
    adapters = {
        **settings.CONVERTEDIN_FEED["ADAPTERS"],
        "storeinfo": f"{__name__}.DatabaseStoreAdapter",
    }
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        data = pull("storeinfo").json()["data"]
    assert (data["name"], data["currency"]) == ("From the database", "EGP")


def test_a_missing_store_detail_is_null_and_logged(pull, settings, caplog):
    values = {key: value for key, value in STORE.items() if key != "email"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "STORE": values}):
        response = pull("storeinfo")
    assert response.status_code == 200
    assert response.json()["data"]["email"] is None
    assert "no value for the required 'email'" in caplog.text
