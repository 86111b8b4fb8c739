"""Every refusal is a small JSON object the crawler can log, with the status that says why.

422 for a page, per_page or par_page that is not a whole number >= 1 (naming the field in
``errors``); 400 for a body that is not a JSON object; 415 for a body in another format;
405, with ``Allow: POST``, for any method but POST; 401 for a bad token. The body is
``{"message": ..., "errors"?: {...}}``: never ``data``, never HTML, never cached.
"""

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

FEEDS = ["customers", "orders"]
FORMS = ["multipart", "urlencoded", "json"]
PAGING_FIELDS = ["page", "per_page", "par_page"]

#: Not a whole number >= 1, however the value is sent.
BAD_TEXT_VALUES = ["abc", "0", "-3", "1.5", "1e3", "1" + "0" * 39, "2 pages", "½"]
#: Not a whole number >= 1, as JSON values of other types.
BAD_JSON_VALUES = [True, False, None, [1], {"n": 1}, 0, -3, 1.5, 10**40]


def post(api, feed, form, **fields):
    """POST ``fields`` to a feed in one of the request forms the platform may use."""
    url = f"/convertedin/{feed}"
    if form == "urlencoded":
        return api.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    return api.post(url, fields, format=form)


def error_body(response, status):
    """The error's JSON object, after checking what every error response shares."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert b"<html" not in response.content.lower()
    body = json.loads(response.content)
    assert isinstance(body, dict)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "data" not in body
    return body


def assert_field_errors(response, field):
    body = error_body(response, 422)
    assert set(body) == {"message", "errors"}
    assert list(body["errors"]) == [field]
    messages = body["errors"][field]
    assert messages
    assert all(isinstance(message, str) and message for message in messages)


# ---------------------------------------------------------------------------
# 422: bad paging values


@pytest.mark.parametrize("value", BAD_TEXT_VALUES)
@pytest.mark.parametrize("field", PAGING_FIELDS)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_paging_value_that_is_not_a_whole_number_from_1_is_a_422(
    api, token, feed, form, field, value
):
    MemberFactory()
    assert_field_errors(post(api, feed, form, token=token, **{field: value}), field)


@pytest.mark.parametrize("value", BAD_JSON_VALUES, ids=repr)
@pytest.mark.parametrize("field", PAGING_FIELDS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_json_paging_value_that_is_not_a_whole_number_from_1_is_a_422(
    api, token, feed, field, value
):
    BasketFactory()
    assert_field_errors(post(api, feed, "json", token=token, **{field: value}), field)


@pytest.mark.parametrize("field", PAGING_FIELDS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_bad_paging_value_is_refused_even_beside_good_ones(api, token, feed, field):
    fields = {"page": 1, "per_page": 10, "par_page": 10, field: "abc"}
    assert_field_errors(post(api, feed, "multipart", token=token, **fields), field)


@pytest.mark.parametrize("feed", FEEDS)
def test_every_bad_paging_field_is_named(api, token, feed):
    response = post(api, feed, "json", token=token, page=0, per_page="x", par_page=None)
    body = error_body(response, 422)
    assert set(body["errors"]) == set(PAGING_FIELDS)


@pytest.mark.parametrize("value", ["abc", "0", "1e3", "1" + "0" * 39])
@pytest.mark.parametrize("field", PAGING_FIELDS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_bad_paging_value_never_reaches_the_database(
    api, token, feed, field, value, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = post(api, feed, "multipart", token=token, **{field: value})
    assert_field_errors(response, field)


# ---------------------------------------------------------------------------
# 400 and 415: unreadable bodies


MALFORMED_JSON = [
    '{"token":',
    '{"token": "%(token)s", "page": 1',
    '{"token": "%(token)s",}',
    "{'token': '%(token)s'}",
    '{"token": "%(token)s", "page": NaN}',
    "token=%(token)s",
]
NOT_AN_OBJECT = ["[1,2]", '"x"', "3", "null", "true", '[{"token": "%(token)s"}]']


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
@pytest.mark.parametrize("body", MALFORMED_JSON + NOT_AN_OBJECT)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_json_body_that_is_not_a_json_object_is_a_400(api, token, feed, body, content_type):
    response = api.post(f"/convertedin/{feed}", body % {"token": token}, content_type=content_type)
    assert set(error_body(response, 400)) == {"message"}


@pytest.mark.parametrize("feed", FEEDS)
def test_json_that_is_not_utf8_is_a_400(api, token, feed):
    raw = b'{"token": "%s", "page": "\xff\xfe"}' % token.encode()
    response = api.post(f"/convertedin/{feed}", raw, content_type="application/json")
    error_body(response, 400)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "token=%(token)s"),
        ("application/xml", "<request><token>%(token)s</token></request>"),
        ("text/csv", "token,page\n%(token)s,1"),
        ("application/octet-stream", "%(token)s"),
    ],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_body_in_an_unsupported_format_is_a_415(api, token, feed, content_type, body):
    response = api.post(f"/convertedin/{feed}", body % {"token": token}, content_type=content_type)
    assert set(error_body(response, 415)) == {"message"}


# ---------------------------------------------------------------------------
# 405: methods other than POST


OTHER_METHODS = ["get", "put", "patch", "delete", "head", "options"]


@pytest.mark.parametrize("method", OTHER_METHODS)
@pytest.mark.parametrize("path", ["/convertedin/{feed}", "/convertedin/{feed}/"])
@pytest.mark.parametrize("feed", FEEDS)
def test_any_method_but_post_is_a_405_with_an_allow_header(api, feed, path, method):
    response = getattr(api, method)(path.format(feed=feed))
    assert response.status_code == 405, response.content
    assert response["Allow"] == "POST"
    assert response["Cache-Control"] == "no-store"
    if method == "head":
        assert response.content == b""
    else:
        body = error_body(response, 405)
        assert set(body) == {"message"}


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
@pytest.mark.parametrize("feed", FEEDS)
def test_a_405_does_not_depend_on_the_token(api, token, feed, method):
    response = getattr(api, method)(f"/convertedin/{feed}", {"token": token}, format="json")
    body = error_body(response, 405)
    assert response["Allow"] == "POST"
    assert set(body) == {"message"}


# ---------------------------------------------------------------------------
# The shape every error shares


def missing_token(api, feed, token):
    return post(api, feed, "multipart", page=1)


def wrong_token(api, feed, token):
    return post(api, feed, "multipart", token="not-the-token")


def bad_page(api, feed, token):
    return post(api, feed, "multipart", token=token, page="abc")


def malformed_json(api, feed, token):
    return api.post(f"/convertedin/{feed}", '{"token":', content_type="application/json")


def unsupported_type(api, feed, token):
    return api.post(f"/convertedin/{feed}", f"token={token}", content_type="text/plain")


def wrong_method(api, feed, token):
    return api.delete(f"/convertedin/{feed}")


ERRORS = [
    (missing_token, 401),
    (wrong_token, 401),
    (bad_page, 422),
    (malformed_json, 400),
    (unsupported_type, 415),
    (wrong_method, 405),
]


@pytest.mark.parametrize("accept", [None, "text/html", "application/xml"])
@pytest.mark.parametrize(("make_error", "status"), ERRORS, ids=[e.__name__ for e, _ in ERRORS])
@pytest.mark.parametrize("feed", FEEDS)
def test_every_error_is_a_json_object_with_a_message_and_no_data(
    api, token, feed, make_error, status, accept
):
    if accept is not None:
        api.credentials(HTTP_ACCEPT=accept)
    body = error_body(make_error(api, feed, token), status)
    assert set(body) <= {"message", "errors"}
    assert ("errors" in body) == (status == 422)


@pytest.mark.parametrize("feed", FEEDS)
def test_a_failing_feed_is_a_500_json_message_without_a_traceback(token, feed, caplog):
    api = APIClient(raise_request_exception=False)
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], feed: "tests.testapp.convertedin.Missing"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        response = post(api, feed, "multipart", token=token)
    body = error_body(response, 500)
    assert set(body) == {"message"}
    assert b"Traceback" not in response.content
    assert b"tests.testapp" not in response.content
    # The detail goes to the shop's logs instead, on the app's logger.
    [logged] = [r for r in caplog.records if r.name == "convertedin_feed"]
    assert "tests.testapp.convertedin.Missing" in logged.exc_text


@pytest.mark.parametrize("form", ["multipart", "json"])
def test_a_body_past_django_s_upload_limit_is_a_413(api, token, settings, form):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post(
        "/convertedin/customers", {"token": token, "padding": "x" * 4096}, format=form
    )
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}


def test_json_nested_too_deeply_is_a_400_not_a_500(api):
    body = "[" * 20_000 + "]" * 20_000  # 40 kB: within MAX_BODY_SIZE
    response = api.generic("POST", "/convertedin/customers", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "JSON body is nested too deeply."


@pytest.mark.parametrize("form", ["multipart", "json"])
def test_a_body_past_max_body_size_is_a_413_before_it_is_read(api, token, form, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr("rest_framework.request.Request._parse", no_parsing)
    feed = {**settings.CONVERTEDIN_FEED, "MAX_BODY_SIZE": 512}
    with override_settings(CONVERTEDIN_FEED=feed):
        response = post(api, "orders", form, token=token, padding="x" * 1024)
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}


def test_a_body_within_max_body_size_is_served(api, token):
    feed = {**settings.CONVERTEDIN_FEED, "MAX_BODY_SIZE": 4096}
    with override_settings(CONVERTEDIN_FEED=feed):
        response = post(api, "orders", "multipart", token=token, padding="x" * 1024)
    assert response.status_code == 200
