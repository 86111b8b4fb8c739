"""How the platform asks for a page, and what it gets back whatever the shop's DRF settings say.

``token``, ``page`` and ``per_page`` (alias ``par_page``, as the customers document spells
it) arrive as multipart or url-encoded form data, or as a JSON object. Both feeds answer
with and without a trailing slash, never redirect, need no CSRF token, and always answer
uncacheable UTF-8 JSON.
"""

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

FEEDS = ["customers", "orders"]
FORMS = ["multipart", "urlencoded", "json"]


def post(api, feed, form, *, path=None, **fields):
    """POST ``fields`` to a feed in one of the request forms the platform may use."""
    url = path or f"/convertedin/{feed}"
    if form == "urlencoded":
        return api.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    return api.post(url, fields, format=form)


def make_rows(feed, count):
    """``count`` rows the feed serves, in primary-key order."""
    factory = MemberFactory if feed == "customers" else BasketFactory
    return [row.pk for row in factory.create_batch(count)]


def envelope(response):
    assert response.status_code == 200, response.content
    return response.json()


def with_feed_settings(**overrides):
    return override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, **overrides})


# ---------------------------------------------------------------------------
# Request forms


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_page_and_per_page_are_read_from_every_request_form(api, token, feed, form):
    ids = make_rows(feed, 5)
    body = envelope(post(api, feed, form, token=token, page=2, per_page=2))
    assert [record["id"] for record in body["data"]] == ids[2:4]
    assert {key: body[key] for key in ("current_page", "per_page", "from", "to", "last_page")} == {
        "current_page": 2,
        "per_page": 2,
        "from": 3,
        "to": 4,
        "last_page": 3,
    }
    assert body["total"] == 5


@pytest.mark.parametrize("feed", FEEDS)
def test_a_json_body_may_send_the_numbers_as_strings(api, token, feed):
    ids = make_rows(feed, 3)
    body = envelope(post(api, feed, "json", token=token, page="2", per_page="2"))
    assert [record["id"] for record in body["data"]] == ids[2:]
    assert (body["current_page"], body["per_page"]) == (2, 2)


#: How PHP's FILTER_VALIDATE_INT, and so Laravel's ``integer`` rule, writes 2: ASCII digits,
#: an optional sign, and ASCII spaces, tabs and line breaks around them.
WRITINGS_OF_2 = ["2", "+2", " 2", "2 ", "\t+2\r\n", "\v2\n"]


@pytest.mark.parametrize("value", WRITINGS_OF_2, ids=repr)
@pytest.mark.parametrize("field", ["page", "per_page", "par_page"])
@pytest.mark.parametrize("form", FORMS)
def test_a_whole_number_is_read_as_php_reads_it(api, token, form, field, value):
    ids = make_rows("customers", 5)
    fields = {"page": value, "per_page": "2"} if field == "page" else {field: value}
    body = envelope(post(api, "customers", form, token=token, **fields))
    if field == "page":
        assert body["current_page"] == 2
        assert [record["id"] for record in body["data"]] == ids[2:4]
    else:
        assert body["per_page"] == 2
        assert [record["id"] for record in body["data"]] == ids[:2]


@pytest.mark.parametrize("number", ["2", "2.0", "2e0", "0.2e1", "2E+0"])
@pytest.mark.parametrize("feed", FEEDS)
def test_a_json_number_whose_value_is_whole_is_read_whatever_its_notation(api, token, feed, number):
    """JSON has one kind of number (and JSON Schema's ``integer`` takes 2.0), so 2.0 is 2."""
    ids = make_rows(feed, 5)
    raw = f'{{"token": "{token}", "page": {number}, "per_page": 2}}'
    body = envelope(api.post(f"/convertedin/{feed}", raw, content_type="application/json"))
    assert body["current_page"] == 2
    assert [record["id"] for record in body["data"]] == ids[2:4]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_page_past_the_last_is_empty(api, token, feed, form):
    make_rows(feed, 2)
    body = envelope(post(api, feed, form, token=token, page=9, per_page=2))
    assert body["data"] == []
    assert (body["current_page"], body["last_page"], body["total"]) == (9, 1, 2)
    assert (body["from"], body["to"]) == (None, None)


# ---------------------------------------------------------------------------
# URLs


@pytest.mark.parametrize("path", ["/convertedin/{feed}", "/convertedin/{feed}/"])
@pytest.mark.parametrize("feed", FEEDS)
def test_both_feeds_answer_with_and_without_a_trailing_slash_without_redirecting(
    api, token, feed, path
):
    ids = make_rows(feed, 1)
    response = post(api, feed, "multipart", path=path.format(feed=feed), token=token)
    assert response.status_code == 200, response.content
    assert "Location" not in response.headers
    assert [record["id"] for record in response.json()["data"]] == ids


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("convertedin_feed:customers", "/convertedin/customers"),
        ("convertedin_feed:orders", "/convertedin/orders"),
    ],
)
def test_the_feeds_have_url_names(name, url):
    assert reverse(name) == url


# ---------------------------------------------------------------------------
# Page size


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_par_page_is_an_alias_of_per_page_on_both_feeds(api, token, feed, form):
    ids = make_rows(feed, 3)
    body = envelope(post(api, feed, form, token=token, par_page=2))
    assert body["per_page"] == 2
    assert [record["id"] for record in body["data"]] == ids[:2]
    assert body["last_page"] == 2


@pytest.mark.parametrize(("per_page", "par_page"), [(1, 2), (2, 1)])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_per_page_wins_over_par_page(api, token, feed, form, per_page, par_page):
    make_rows(feed, 3)
    body = envelope(post(api, feed, form, token=token, per_page=per_page, par_page=par_page))
    assert body["per_page"] == per_page
    assert len(body["data"]) == per_page


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_page_defaults_to_1_and_per_page_to_100(api, token, feed, form):
    ids = make_rows(feed, 101)
    body = envelope(post(api, feed, form, token=token))
    assert body["current_page"] == 1
    assert body["per_page"] == 100
    assert [record["id"] for record in body["data"]] == ids[:100]
    assert (body["from"], body["to"], body["last_page"], body["total"]) == (1, 100, 2, 101)


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
def test_an_empty_form_value_counts_as_not_sent_as_laravel_reads_it(api, token, form):
    ids = make_rows("customers", 3)
    body = envelope(post(api, "customers", form, token=token, page="", per_page="", par_page=""))
    assert (body["current_page"], body["per_page"]) == (1, 100)
    assert [record["id"] for record in body["data"]] == ids


def test_an_empty_json_string_is_not_a_number(api, token):
    response = post(api, "customers", "json", token=token, page="")
    assert response.status_code == 422
    assert "page" in response.json()["errors"]


@pytest.mark.parametrize("size_field", ["per_page", "par_page"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_page_size_above_the_max_is_served_at_the_max(api, token, feed, form, size_field):
    ids = make_rows(feed, 8)
    with with_feed_settings(MAX_PER_PAGE=5):
        body = envelope(post(api, feed, form, token=token, **{size_field: 50}))
    assert body["per_page"] == 5
    assert [record["id"] for record in body["data"]] == ids[:5]
    assert (body["last_page"], body["to"]) == (2, 5)


@pytest.mark.parametrize("feed", FEEDS)
def test_the_next_page_of_a_capped_size_follows_on(api, token, feed):
    ids = make_rows(feed, 8)
    with with_feed_settings(MAX_PER_PAGE=5):
        body = envelope(post(api, feed, "multipart", token=token, page=2, per_page=50))
    assert [record["id"] for record in body["data"]] == ids[5:]
    assert (body["per_page"], body["from"], body["to"]) == (5, 6, 8)


@pytest.mark.parametrize(("asked", "served"), [(1000, 1000), (1001, 1000), (5000, 1000)])
@pytest.mark.parametrize("feed", FEEDS)
def test_the_max_per_page_defaults_to_1000(api, token, feed, asked, served):
    body = envelope(post(api, feed, "multipart", token=token, per_page=asked))
    assert body["per_page"] == served


# ---------------------------------------------------------------------------
# CSRF, content negotiation, caching, encoding


def csrf_checking_api_client():
    return APIClient(enforce_csrf_checks=True)


def csrf_checking_django_client():
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("form", ["multipart", "urlencoded", "json"])
@pytest.mark.parametrize("make_client", [csrf_checking_api_client, csrf_checking_django_client])
@pytest.mark.parametrize("feed", FEEDS)
def test_the_feeds_are_csrf_exempt(token, feed, make_client, form):
    ids = make_rows(feed, 1)
    client = make_client()
    url = f"/convertedin/{feed}"
    fields = {"token": token, "page": 1}
    if form == "urlencoded":
        response = client.post(
            url, urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
    elif form == "json":
        response = client.post(url, json.dumps(fields), content_type="application/json")
    else:
        response = client.post(url, fields)
    assert response.status_code == 200, response.content
    assert [record["id"] for record in response.json()["data"]] == ids


@pytest.mark.parametrize(
    "accept",
    ["text/html", "application/xml", "text/html,application/xhtml+xml,*/*;q=0.8", "image/png"],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_the_accept_header_is_ignored_the_answer_is_always_json(api, token, feed, accept):
    make_rows(feed, 1)
    response = api.post(
        f"/convertedin/{feed}", {"token": token}, format="multipart", headers={"Accept": accept}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert len(json.loads(response.content)["data"]) == 1


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_page_is_never_cached(api, token, feed, form):
    make_rows(feed, 1)
    response = post(api, feed, form, token=token)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("feed", FEEDS)
def test_nothing_depends_on_cookies_or_sessions(api, token, feed):
    ids = make_rows(feed, 2)
    plain = post(api, feed, "multipart", token=token)
    api.cookies["sessionid"] = "a-staff-session"
    api.cookies["csrftoken"] = "x" * 32
    with_cookies = post(api, feed, "multipart", token=token)
    without_token = post(api, feed, "multipart")
    assert plain.content == with_cookies.content
    assert [record["id"] for record in with_cookies.json()["data"]] == ids
    assert without_token.status_code == 401  # a session is no way in
    for response in (plain, with_cookies, without_token):
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")


def test_the_body_is_utf8_json_with_arabic_text_unescaped(pull):
    MemberFactory(first_name="صالح", last_name="عادل")
    response = pull("customers")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert "صالح".encode() in response.content
    assert "عادل".encode() in response.content
    assert b"\\u" not in response.content
    assert json.loads(response.content.decode("utf-8"))["data"][0]["first_name"] == "صالح"
