"""Rate limits per token and per client address: a 429 JSON answer with Retry-After."""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def rates(**rates):
    return override_settings(
        CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "THROTTLE_RATES": rates}
    )


def post(api, token, address="192.0.2.1"):
    return api.post("/convertedin/customers", {"token": token}, REMOTE_ADDR=address)


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert int(response["Retry-After"]) >= 1
    assert "throttled" in response.json()["message"]


def test_without_rates_nothing_is_throttled(api, token):
    MemberFactory()
    assert {post(api, token).status_code for _ in range(30)} == {200}


def test_a_client_address_is_limited_to_its_rate(api, token):
    with rates(client="3/min"):
        answers = [post(api, token) for _ in range(4)]
        other = post(api, token, address="192.0.2.2")
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    assert_throttled(answers[3])
    assert other.status_code == 200


def test_guessing_tokens_counts_against_the_client_rate(api, token):
    with rates(client="3/min"):
        guesses = [post(api, f"guess-{n}") for n in range(3)]
        after = post(api, token)
    assert [r.status_code for r in guesses] == [401, 401, 401]
    assert_throttled(after)


def test_a_token_is_limited_to_its_rate_wherever_it_comes_from(api, token):
    with rates(token="2/min"):
        answers = [post(api, token, address=f"192.0.2.{n}") for n in range(1, 4)]
    assert [r.status_code for r in answers[:2]] == [200, 200]
    assert_throttled(answers[2])


@override_settings(CACHES={"default": {"BACKEND": "tests.testapp.caches.UnreachableCache"}})
def test_an_unreachable_throttle_cache_lets_requests_through(api, token, caplog):
    with rates(client="1/min", token="1/min"):
        answers = [post(api, token) for _ in range(3)]
    assert {r.status_code for r in answers} == {200}
    assert "throttle cache failed" in caplog.text


def test_the_token_rate_is_counted_under_a_digest_never_the_token(api, token):
    from django.core.cache import caches

    with rates(token="5/min"):
        assert post(api, token).status_code == 200
    keys = list(caches["default"]._cache)  # LocMemCache's own store
    assert any(":throttle:token:" in key for key in keys)
    assert not any(token in key for key in keys)
