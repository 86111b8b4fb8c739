"""Without SITE_URL, an installed app may provide the site URL (convertedin_feed_site_url)."""

import pytest
from django.apps import apps
from django.core import checks
from django.test import override_settings

from convertedin_feed.checks import TAG
from tests.factories import GadgetFactory

pytestmark = pytest.mark.django_db


def without_site_url(settings):
    return override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "SITE_URL": None})


def e010():
    return [m for m in checks.run_checks(tags=[TAG]) if m.id == "convertedin_feed.E010"]


@pytest.fixture
def provider(monkeypatch):
    calls = []

    def site_url():
        calls.append(1)
        return "https://from-the-app.example/shop"

    config = apps.get_app_config("testapp")
    monkeypatch.setattr(config, "convertedin_feed_site_url", site_url, raising=False)
    return calls


def test_an_app_s_site_url_makes_the_urls_when_the_setting_is_unset(pull, settings, provider):
    GadgetFactory(slug="lamp")
    with without_site_url(settings):
        first = pull("products").json()["data"][0]
        pull("products")
    assert first["full_permalink"] == "https://from-the-app.example/shop/gadgets/lamp/"
    assert provider == [1]  # read once per settings, not per record or page
    assert e010() == []


def test_the_setting_wins_over_the_app(pull, settings, provider):
    GadgetFactory(slug="lamp")
    record = pull("products").json()["data"][0]
    assert record["full_permalink"] == "https://gadgets.example/gadgets/lamp/"
    assert provider == []


def test_with_neither_the_check_fails(settings):
    with without_site_url(settings):
        assert len(e010()) == 1
