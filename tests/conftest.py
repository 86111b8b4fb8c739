import os

import pytest
from django.conf import settings
from django.core.cache import caches
from rest_framework.test import APIClient

from convertedin_feed.conf import feed_settings

# The Oscar shop (tests/oscar) runs under its own settings, and only it:
# `pytest tests/oscar --ds tests.oscar.settings` (pytest-django sets the
# variable before this file is imported). Every other test needs tests.settings.
if os.environ.get("DJANGO_SETTINGS_MODULE") == "tests.oscar.settings":
    collect_ignore_glob = ["test_*.py"]  # this folder's own; tests/oscar/test_*.py stay
else:
    collect_ignore = ["oscar"]


@pytest.fixture(autouse=True)
def _fresh_feed_settings():
    feed_settings.reload()
    yield
    feed_settings.reload()


@pytest.fixture(autouse=True)
def _forget_crawls():
    """Each test starts with no remembered totals or page ends (the cache outlives rollbacks)."""
    for cache in caches.all():
        cache.clear()
    return


@pytest.fixture
def token():
    return settings.TEST_TOKEN


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def pull(api, token):
    """POST one page of a feed as the platform does (multipart form data) and return the response."""

    def pull(feed, **fields):
        fields.setdefault("token", token)
        return api.post(f"/convertedin/{feed}", fields, format="multipart")

    return pull


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['ENGINE']})"


@pytest.fixture(autouse=True, scope="session")
def _urls_of_the_test_settings():
    """The URLconf lists the ``FEEDS`` of the settings it is loaded under (once, as in a
    project): load it under the test settings, before any test overrides them."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - loads every included URLconf
