"""``manage.py check`` names each misconfiguration with an id and a hint."""

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.test import override_settings

from convertedin_feed.adapters import CustomerAdapter, Field

GOOD_TOKEN = "g" * 40
ADAPTERS = {
    "customers": "tests.testapp.convertedin.MemberAdapter",
    "orders": "tests.testapp.convertedin.BasketAdapter",
    "products": "tests.testapp.convertedin.CatalogAdapter",
}


class TypoAdapter(CustomerAdapter):
    emial = Field("email")

    class Meta:
        model = "testapp.Member"


class ExtraWithoutSourceAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Member"
        extra_keys = ("accepts_marketing",)


class BadPathAdapter(CustomerAdapter):
    email = Field("mail")

    class Meta:
        model = "testapp.Member"


class BadModelAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Nothing"


class MissingRequiredAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Member"


def feed_messages(secure_ssl_redirect=True, **feed_setting):
    setting = {"TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS, **feed_setting}
    with override_settings(CONVERTEDIN_FEED=setting, SECURE_SSL_REDIRECT=secure_ssl_redirect):
        return [
            m
            for m in run_checks(include_deployment_checks=True)
            if m.id.startswith("convertedin_feed.")
        ]


def only(messages, prefix="convertedin_feed."):
    matching = [m for m in messages if m.id.startswith(prefix)]
    assert len(matching) == 1, messages
    return matching[0]


def test_a_correct_configuration_passes_clean():
    assert feed_messages() == []


def test_manage_py_check_passes_on_the_test_project(capsys):
    with override_settings(CONVERTEDIN_FEED={"TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS}):
        call_command("check")
    assert "no issues" in capsys.readouterr().out


def test_a_missing_token_is_reported(monkeypatch):
    monkeypatch.delenv("CONVERTEDIN_FEED_TOKEN", raising=False)
    message = only(feed_messages(TOKENS=None))
    assert (message.id, type(message)) == ("convertedin_feed.W001", Warning)
    assert "No Converted.in token" in message.msg
    assert "CONVERTEDIN_FEED_TOKEN" in message.hint


def test_a_token_from_the_environment_counts(monkeypatch):
    monkeypatch.setenv("CONVERTEDIN_FEED_TOKEN", GOOD_TOKEN)
    assert feed_messages(TOKENS=None) == []


def test_a_short_token_is_reported_without_revealing_it():
    message = only(feed_messages(TOKENS=[GOOD_TOKEN, "short-secret"]))
    assert message.id == "convertedin_feed.W002"
    assert "12 characters" in message.msg
    assert "short-secret" not in message.msg + message.hint


def test_an_unknown_setting_is_reported():
    message = only(feed_messages(MAX_PERPAGE=50))
    assert (message.id, type(message)) == ("convertedin_feed.E001", Error)
    assert "MAX_PERPAGE" in message.msg
    assert "MAX_PER_PAGE" in message.hint


@pytest.mark.parametrize(("name", "value"), [("MAX_PER_PAGE", 0), ("DEFAULT_PER_PAGE", "100")])
def test_page_sizes_must_be_whole_numbers(name, value):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert name in message.msg


@pytest.mark.parametrize(
    ("name", "value", "where"),
    [("DATABASE", "replika", "settings.DATABASES"), ("CACHE", "redis", "settings.CACHES")],
)
def test_database_and_cache_must_name_configured_aliases(name, value, where):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert f"[{name!r}] = {value!r} is not an alias in {where}" in message.msg
    assert "'default'" in message.hint


@pytest.mark.parametrize("value", [0, -5, "300", 1.5, None])
def test_the_cache_timeout_is_whole_seconds(value):
    message = only(feed_messages(CACHE_TIMEOUT=value))
    assert message.id == "convertedin_feed.E001"
    assert "CACHE_TIMEOUT" in message.msg


@pytest.mark.parametrize(("name", "value"), [("DATABASE", "replica"), ("CACHE", None)])
def test_a_replica_alias_or_no_cache_is_fine(name, value):
    assert feed_messages(**{name: value}) == []


def test_an_unknown_time_zone_is_reported():
    message = only(feed_messages(TIME_ZONE="Mars/Olympus"))
    assert message.id == "convertedin_feed.E001"
    assert "Mars/Olympus" in message.msg


def test_a_feed_without_an_adapter_is_reported():
    adapters = {feed: path for feed, path in ADAPTERS.items() if feed != "orders"}
    message = only(feed_messages(ADAPTERS=adapters))
    assert (message.id, type(message)) == ("convertedin_feed.E002", Error)
    assert "'orders'" in message.msg
    assert 'CONVERTEDIN_FEED["ADAPTERS"]' in message.hint


def test_an_adapter_path_that_does_not_import_is_reported():
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": "shop.nowhere.ClientAdapter"}))
    assert message.id == "convertedin_feed.E003"
    assert "shop.nowhere.ClientAdapter" in message.msg
    assert "does not import" in message.msg


def test_a_path_to_something_that_is_not_an_adapter_is_reported():
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": "tests.testapp.models.Member"}))
    assert message.id == "convertedin_feed.E003"
    assert "not a FeedAdapter" in message.msg


@pytest.mark.parametrize(
    ("adapter", "fragment"),
    [("BadPathAdapter", "mail"), ("BadModelAdapter", "testapp.Nothing")],
)
def test_a_mapping_that_does_not_fit_the_models_is_reported(adapter, fragment):
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": f"{__name__}.{adapter}"}))
    assert message.id == "convertedin_feed.E004"
    assert fragment in message.msg


def test_a_mapping_that_names_an_unknown_key_is_reported():
    messages = feed_messages(ADAPTERS={**ADAPTERS, "customers": f"{__name__}.TypoAdapter"})
    message = only(messages, "convertedin_feed.E")
    assert (message.id, type(message)) == ("convertedin_feed.E005", Error)
    assert "'emial'" in message.msg
    assert "did you mean 'email'?" in message.msg
    assert "Meta.extra_keys" in message.hint


def test_an_extra_key_without_a_source_is_reported():
    messages = feed_messages(
        ADAPTERS={**ADAPTERS, "customers": f"{__name__}.ExtraWithoutSourceAdapter"}
    )
    message = only(messages, "convertedin_feed.E")
    assert message.id == "convertedin_feed.E005"
    assert "'accepts_marketing'" in message.msg


def test_a_required_key_with_no_source_is_reported():
    messages = feed_messages(
        ADAPTERS={**ADAPTERS, "customers": f"{__name__}.MissingRequiredAdapter"}
    )
    assert {m.id for m in messages} == {"convertedin_feed.W003"}
    assert sorted(m.msg.split("required key ")[1].split(";")[0] for m in messages) == [
        "'currency'",
        "'orders_count'",
        "'registered_at'",
        "'total_spent'",
    ]


# ---------------------------------------------------------------------------
# Who gets in, and how much


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOWED_NETWORKS", "10.0.0.0/8"),
        ("ALLOWED_NETWORKS", ["10.0.0.0/8", "not-a-network"]),
        ("CLIENT_ADDRESS_HEADER", ""),
        ("CLIENT_ADDRESS_HEADER", ["X-Forwarded-For"]),
        ("THROTTLE_RATES", {"token": "lots"}),
        ("THROTTLE_RATES", {"ip": "10/min"}),
        ("THROTTLE_RATES", "10/min"),
        ("MAX_BODY_SIZE", 0),
        ("RECORD_ERRORS", "ignore"),
    ],
)
def test_access_settings_must_be_well_formed(name, value):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert f"[{name!r}] must be" in message.msg


def test_well_formed_access_settings_pass_clean():
    assert (
        feed_messages(
            ALLOWED_NETWORKS=["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
            CLIENT_ADDRESS_HEADER="X-Forwarded-For",
            THROTTLE_RATES={"token": "600/min", "client": None},
            MAX_BODY_SIZE=1024,
        )
        == []
    )


def test_the_deployment_check_warns_when_the_feeds_answer_over_plain_http():
    message = only(feed_messages(secure_ssl_redirect=False))
    assert message.id == "convertedin_feed.W004"
    assert "plain HTTP" in message.msg
    assert "SECURE_SSL_REDIRECT = True" in message.hint


def test_the_https_warning_is_for_deployment_checks_only():
    setting = {"TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS}
    with override_settings(CONVERTEDIN_FEED=setting, SECURE_SSL_REDIRECT=False):
        ids = {m.id for m in run_checks()}
    assert "convertedin_feed.W004" not in ids
