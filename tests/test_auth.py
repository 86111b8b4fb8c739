"""Only a request carrying one of the configured tokens gets a page, however the token is sent.

Tokens come from ``CONVERTEDIN_FEED["TOKENS"]`` (several at once, for rotation) or, when
that is not set, from the comma-separated ``CONVERTEDIN_FEED_TOKEN`` environment variable,
read on every request. Anything else is a 401 with a ``WWW-Authenticate`` header, and no
response ever echoes the token it was sent.
"""

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import override_settings

from convertedin_feed import auth
from convertedin_feed.auth import token_matches
from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

FEEDS = ["customers", "orders"]
FORMS = ["multipart", "urlencoded", "json"]
ENV_VAR = "CONVERTEDIN_FEED_TOKEN"
NEW_TOKEN = "n" * 40
WRONG_TOKEN = "wrong-" + "w" * 34


def post(api, feed, form, **fields):
    """POST ``fields`` to a feed in one of the request forms the platform may use."""
    url = f"/convertedin/{feed}"
    if form == "urlencoded":
        return api.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    return api.post(url, fields, format=form)


def make_row(feed):
    return (MemberFactory if feed == "customers" else BasketFactory)().pk


def assert_served(response, *ids):
    assert response.status_code == 200, response.content
    assert [record["id"] for record in response.json()["data"]] == list(ids)


def assert_refused(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"]
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "data" not in body


def with_tokens(tokens):
    return override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "TOKENS": tokens})


def without_token_setting():
    """The test settings minus ``TOKENS``: the environment variable decides."""
    feed = {key: value for key, value in settings.CONVERTEDIN_FEED.items() if key != "TOKENS"}
    return override_settings(CONVERTEDIN_FEED=feed)


# ---------------------------------------------------------------------------
# The configured token


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_the_right_token_is_accepted_in_every_request_form(api, token, feed, form):
    row = make_row(feed)
    assert_served(post(api, feed, form, token=token), row)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_request_without_a_token_is_refused(api, feed, form):
    make_row(feed)
    assert_refused(post(api, feed, form, page=1))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_an_empty_token_is_refused(api, feed, form):
    make_row(feed)
    assert_refused(post(api, feed, form, token=""))


@pytest.mark.parametrize(
    "wrong",
    [
        WRONG_TOKEN,
        settings.TEST_TOKEN[:-1],
        settings.TEST_TOKEN + "t",
        settings.TEST_TOKEN.upper(),
        settings.TEST_TOKEN[:20],
        "t",
    ],
    ids=["other", "one-short", "one-long", "upper-case", "prefix", "one-char"],
)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_wrong_token_is_refused(api, feed, form, wrong):
    make_row(feed)
    assert_refused(post(api, feed, form, token=wrong))


@pytest.mark.parametrize("feed", FEEDS)
def test_a_refused_request_never_reaches_the_database(api, feed, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert_refused(post(api, feed, "multipart", token=WRONG_TOKEN))


@pytest.mark.parametrize(
    "supplied",
    [123, 0, 1.5, True, False, None, [], [settings.TEST_TOKEN], {"token": settings.TEST_TOKEN}],
    ids=["int", "zero", "float", "true", "false", "null", "empty-list", "list", "object"],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_json_token_that_is_not_a_string_is_refused_not_an_error(api, feed, supplied):
    make_row(feed)
    response = api.post(f"/convertedin/{feed}", {"token": supplied}, format="json")
    assert_refused(response)


# ---------------------------------------------------------------------------
# Rotation and the environment variable


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_old_and_new_tokens_are_both_accepted_during_rotation(api, feed, form):
    row = make_row(feed)
    with with_tokens([settings.OLD_TOKEN, NEW_TOKEN]):
        assert_served(post(api, feed, form, token=settings.OLD_TOKEN), row)
        assert_served(post(api, feed, form, token=NEW_TOKEN), row)
        assert_refused(post(api, feed, form, token=settings.TEST_TOKEN))


@pytest.mark.parametrize("feed", FEEDS)
def test_a_retired_token_is_refused_once_it_leaves_the_list(api, feed):
    row = make_row(feed)
    with with_tokens([NEW_TOKEN]):
        assert_refused(post(api, feed, "multipart", token=settings.OLD_TOKEN))
        assert_served(post(api, feed, "multipart", token=NEW_TOKEN), row)


@pytest.mark.parametrize(
    ("variable", "accepted"),
    [
        ("env-token-a", ["env-token-a"]),
        ("env-token-a,env-token-b", ["env-token-a", "env-token-b"]),
        ("  env-token-a , env-token-b  ", ["env-token-a", "env-token-b"]),
        ("env-token-a,,env-token-b,", ["env-token-a", "env-token-b"]),
    ],
    ids=["one", "comma-separated", "whitespace", "blank-entries"],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_without_tokens_setting_the_environment_variable_is_read(
    api, monkeypatch, feed, variable, accepted
):
    row = make_row(feed)
    monkeypatch.setenv(ENV_VAR, variable)
    with without_token_setting():
        for supplied in accepted:
            assert_served(post(api, feed, "multipart", token=supplied), row)
        assert_refused(post(api, feed, "multipart", token=settings.TEST_TOKEN))


@pytest.mark.parametrize("supplied", ["env-token-a,env-token-b", "env-token-a,", "env-token"])
def test_the_environment_variable_holds_separate_tokens_not_one(api, monkeypatch, supplied):
    MemberFactory()
    monkeypatch.setenv(ENV_VAR, "env-token-a,env-token-b")
    with without_token_setting():
        assert_refused(post(api, "customers", "multipart", token=supplied))


@pytest.mark.parametrize("feed", FEEDS)
def test_the_environment_variable_is_read_on_every_request(api, monkeypatch, feed):
    row = make_row(feed)
    with without_token_setting():
        monkeypatch.setenv(ENV_VAR, "first-env-token")
        assert_served(post(api, feed, "multipart", token="first-env-token"), row)
        monkeypatch.setenv(ENV_VAR, "second-env-token")
        assert_refused(post(api, feed, "multipart", token="first-env-token"))
        assert_served(post(api, feed, "multipart", token="second-env-token"), row)


@pytest.mark.parametrize("feed", FEEDS)
def test_the_tokens_setting_wins_over_the_environment_variable(api, monkeypatch, feed):
    row = make_row(feed)
    monkeypatch.setenv(ENV_VAR, "env-only-token")
    assert_refused(post(api, feed, "multipart", token="env-only-token"))
    assert_served(post(api, feed, "multipart", token=settings.TEST_TOKEN), row)


NO_TOKEN_CONFIGURATIONS = {
    "no-setting-no-variable": (None, None),
    "no-setting-empty-variable": (None, ""),
    "no-setting-blank-variable": (None, " , ,"),
    "empty-list": ([], None),
    "blank-entries": (["", "   "], None),
}


@pytest.mark.parametrize("supplied", ["", " ", "   ", settings.TEST_TOKEN, "anything"])
@pytest.mark.parametrize("configuration", list(NO_TOKEN_CONFIGURATIONS))
def test_with_no_token_configured_every_request_is_refused(
    api, monkeypatch, configuration, supplied
):
    tokens, variable = NO_TOKEN_CONFIGURATIONS[configuration]
    MemberFactory()
    if variable is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, variable)
    overriding = without_token_setting() if tokens is None else with_tokens(tokens)
    with overriding:
        for feed in FEEDS:
            assert_refused(post(api, feed, "multipart", token=supplied))
            assert_refused(post(api, feed, "multipart"))


# ---------------------------------------------------------------------------
# The token never leaves in a response


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("sent", [settings.TEST_TOKEN, WRONG_TOKEN], ids=["right", "wrong"])
@pytest.mark.parametrize("feed", FEEDS)
def test_no_response_contains_the_token_it_was_sent(api, feed, sent, form):
    make_row(feed)
    responses = [
        post(api, feed, form, token=sent),
        post(api, feed, form, token=sent, page="abc"),
        post(api, feed, form, token=sent, per_page=0),
    ]
    assert [response.status_code for response in responses] == (
        [200, 422, 422] if sent == settings.TEST_TOKEN else [401, 401, 401]
    )
    for response in responses:
        assert sent.encode() not in response.content
        assert all(sent not in value for value in response.headers.values())


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"token": "%s", "page": 1'),
        ("application/json", '["%s"]'),
        ("text/plain", "token=%s"),
    ],
    ids=["malformed-json", "json-list", "unsupported-type"],
)
@pytest.mark.parametrize("sent", [settings.TEST_TOKEN, WRONG_TOKEN], ids=["right", "wrong"])
def test_an_unreadable_body_is_not_echoed_either(api, sent, content_type, body):
    response = api.post("/convertedin/customers", body % sent, content_type=content_type)
    assert response.status_code in (400, 415)
    assert sent.encode() not in response.content


# ---------------------------------------------------------------------------
# token_matches


def test_token_matches_the_first_token():
    assert token_matches("alpha-token", ["alpha-token", "beta-token", "gamma-token"])


def test_token_matches_the_last_token():
    assert token_matches("gamma-token", ["alpha-token", "beta-token", "gamma-token"])


@pytest.mark.parametrize(
    "supplied", ["delta-token", "alpha-toke", "alpha-tokenn", "ALPHA-TOKEN", "", " alpha-token"]
)
def test_token_matches_nothing_else(supplied):
    assert not token_matches(supplied, ["alpha-token", "beta-token"])


@pytest.mark.parametrize("supplied", ["alpha-token", ""])
def test_token_matches_nothing_when_no_token_is_configured(supplied):
    assert not token_matches(supplied, [])


def test_token_matches_a_unicode_token():
    tokens = ["plain-token", "رمز-سري-🔑-ß"]
    assert token_matches("رمز-سري-🔑-ß", tokens)
    assert not token_matches("رمز-سري-🔑-ss", tokens)
    assert not token_matches("رمز-سري", tokens)


def test_token_matches_takes_any_iterable_of_tokens():
    assert token_matches("beta-token", (token for token in ["alpha-token", "beta-token"]))


def test_token_matches_compares_in_constant_time_against_every_token(monkeypatch):
    compared = []

    def compare_digest(a, b):
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(auth.hmac, "compare_digest", compare_digest)
    tokens = ["alpha-token", "beta-token", "gamma-token"]
    assert token_matches("alpha-token", tokens)
    assert [stored for _, stored in compared] == [token.encode() for token in tokens]


# ---------------------------------------------------------------------------
# Never in a URL


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize("in_body", [True, False])
def test_a_token_in_the_query_string_is_refused_even_on_post(api, token, feed, in_body):
    body = {"token": token} if in_body else {}
    response = api.post(f"/convertedin/{feed}?token={token}", body, format="multipart")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    message = response.json()["message"]
    assert "never in the URL" in message
    assert token not in response.content.decode()


def test_a_token_in_the_query_string_is_refused_before_the_database(
    api, token, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api.post(f"/convertedin/orders?token={token}", {"token": token})
    assert response.status_code == 400


def test_other_query_parameters_are_ignored(api, token):
    member = MemberFactory()
    response = api.post("/convertedin/customers?utm_source=platform", {"token": token})
    assert_served(response, member.pk)


# ---------------------------------------------------------------------------
# Allowed networks


def with_access(**setting):
    return override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, **setting})


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("203.0.113.7", True),
        ("203.0.114.7", False),
        ("2001:db8::1", True),
        ("::ffff:203.0.113.9", True),  # IPv4 as a dual-stack server sees it
        ("198.51.100.1", False),
    ],
)
def test_only_listed_networks_get_in_when_the_shop_lists_any(api, token, address, allowed):
    member = MemberFactory()
    with with_access(ALLOWED_NETWORKS=["203.0.113.0/24", "2001:db8::/32"]):
        response = api.post("/convertedin/customers", {"token": token}, REMOTE_ADDR=address)
    if allowed:
        assert_served(response, member.pk)
    else:
        assert response.status_code == 403, response.content
        assert response.json() == {"message": "Requests from this address are not allowed."}


def test_without_a_list_every_network_gets_in(api, token):
    member = MemberFactory()
    response = api.post("/convertedin/customers", {"token": token}, REMOTE_ADDR="192.0.2.1")
    assert_served(response, member.pk)


def test_a_refused_network_never_reaches_the_token_check_or_the_database(
    api, django_assert_num_queries
):
    with with_access(ALLOWED_NETWORKS=["10.0.0.0/8"]), django_assert_num_queries(0):
        response = api.post("/convertedin/orders", {"token": "wrong"}, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 403


def test_a_forwarded_header_is_ignored_unless_the_shop_names_it(api, token):
    with with_access(ALLOWED_NETWORKS=["203.0.113.0/24"]):
        response = api.post(
            "/convertedin/customers",
            {"token": token},
            REMOTE_ADDR="10.0.0.2",  # the shop's proxy
            HTTP_X_FORWARDED_FOR="203.0.113.7",  # what anyone can claim
        )
    assert response.status_code == 403


@pytest.mark.parametrize("header", ["X-Forwarded-For", "HTTP_X_FORWARDED_FOR", "x-forwarded-for"])
def test_behind_a_proxy_the_named_header_s_last_address_is_the_client(api, token, header):
    member = MemberFactory()
    with with_access(ALLOWED_NETWORKS=["203.0.113.0/24"], CLIENT_ADDRESS_HEADER=header):
        served = api.post(
            "/convertedin/customers",
            {"token": token},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.7",  # the caller's claim, then the proxy's
        )
        spoofed = api.post(
            "/convertedin/customers",
            {"token": token},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.66",
        )
    assert_served(served, member.pk)
    assert spoofed.status_code == 403


def test_behind_a_proxy_a_request_without_the_header_is_judged_by_its_own_address(api, token):
    with with_access(ALLOWED_NETWORKS=["203.0.113.0/24"], CLIENT_ADDRESS_HEADER="X-Real-IP"):
        response = api.post("/convertedin/customers", {"token": token}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 403
