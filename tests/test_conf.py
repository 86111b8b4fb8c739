"""Settings are read when used, default sensibly, and follow override_settings."""

import pytest
from django.test import override_settings

from convertedin_feed.conf import DEFAULTS, feed_settings


def test_defaults_apply_when_the_shop_sets_nothing():
    with override_settings(CONVERTEDIN_FEED={}):
        assert (feed_settings.DEFAULT_PER_PAGE, feed_settings.MAX_PER_PAGE) == (100, 1000)
        assert feed_settings.ADAPTERS == {}


def test_override_settings_is_seen_at_once():
    with override_settings(CONVERTEDIN_FEED={"MAX_PER_PAGE": 50}):
        assert feed_settings.MAX_PER_PAGE == 50
    assert DEFAULTS["MAX_PER_PAGE"] == feed_settings.MAX_PER_PAGE


def test_the_time_zone_defaults_to_the_project_s(settings):
    settings.TIME_ZONE = "Asia/Riyadh"
    assert feed_settings.time_zone_name == "Asia/Riyadh"
    settings.CONVERTEDIN_FEED = {"TIME_ZONE": "UTC"}
    assert feed_settings.time_zone_name == "UTC"


def test_tokens_default_to_the_environment_read_on_each_use(monkeypatch):
    with override_settings(CONVERTEDIN_FEED={}):
        monkeypatch.setenv("CONVERTEDIN_FEED_TOKEN", "first")
        assert feed_settings.tokens == ["first"]
        monkeypatch.setenv("CONVERTEDIN_FEED_TOKEN", " new , old ,")
        assert feed_settings.tokens == ["new", "old"]


@pytest.mark.parametrize(
    ("configured", "tokens"), [("one", ["one"]), (["a", " ", None, "b"], ["a", "b"]), ([], [])]
)
def test_tokens_from_settings_drop_blanks(configured, tokens):
    with override_settings(CONVERTEDIN_FEED={"TOKENS": configured}):
        assert feed_settings.tokens == tokens


def test_an_unknown_setting_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="MAX_PERPAGE"):
        feed_settings.MAX_PERPAGE  # noqa: B018
