"""Every refusal is a small JSON object the crawler can log, with the status that says why.

422 for a page, per_page or par_page that is not a whole number >= 1 in ASCII digits (naming
the field in ``errors``); 400 for a body that is not a JSON object, or holds a string that is
no Unicode text (a lone surrogate); 415 for a body in another format;
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

TOKEN = settings.TEST_TOKEN
FEEDS = ["customers", "orders"]
FORMS = ["multipart", "urlencoded", "json"]
PAGING_FIELDS = ["page", "per_page", "par_page"]

#: Not a whole number >= 1, however the value is sent.
BAD_TEXT_VALUES = ["abc", "0", "-3", "1.5", "1e3", "1" + "0" * 39, "2 pages", "½"]
#: Text Python's int() reads as a number, and PHP's FILTER_VALIDATE_INT does not: ASCII
#: digits only, no leading zeros, and only ASCII spaces, tabs and line breaks around them.
NOT_PHP_INTEGERS = {
    "underscore": "1_0",  # int() reads 10
    "arabic-indic": "\u0663",  # ٣, int() reads 3
    "extended-arabic-indic": "\u06f7",  # seven
    "devanagari": "\u0967",  # १
    "superscript": "\u00b2",  # ², int() refuses it, str.isdigit() accepts it
    "full-width": "\uff11\uff12",  # int() reads 12
    "mathematical-bold": "\U0001d7d0",  # int() reads 2
    "ascii-and-arabic": "1\u0663",
    "leading-zeros": "007",
    "signed-leading-zero": "+01",
    "decimal-point-zero": "1.0",  # DRF's IntegerField reads 1
    "trailing-point": "1.",
    "no-break-space": "\u00a01",  # int() strips it
    "em-space": "1\u2003",
    "form-feed": "\x0c1",  # int() strips it; PHP trims only space, \t, \n, \r, \v
    "nul": "1\x00",
    "two-signs": "+-1",
    "sign-alone": "+",
    "spaces-only": "   ",
    "inner-space": "1 0",
    "hex": "0x10",
}
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


@pytest.mark.parametrize("value", NOT_PHP_INTEGERS.values(), ids=NOT_PHP_INTEGERS.keys())
@pytest.mark.parametrize("field", PAGING_FIELDS)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_paging_value_int_reads_but_php_does_not_is_a_422(api, token, feed, form, field, value):
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


@pytest.mark.parametrize("number", ["1.5", "2.000001", "1e-5", "1e400", "-1e400", "3e40", "-0.0"])
@pytest.mark.parametrize("field", PAGING_FIELDS)
def test_a_json_number_that_is_not_whole_or_not_in_range_is_a_422(api, token, field, number):
    """However JSON writes it: 1e400 is too big for a double, and json reads it as infinity."""
    raw = f'{{"token": "{token}", "{field}": {number}}}'
    response = api.post("/convertedin/orders", raw, content_type="application/json")
    assert_field_errors(response, field)


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


LONE_SURROGATE_JSON = "The request body is not valid JSON text: a string holds a lone UTF-16 surrogate, which is no Unicode character."
LONE_SURROGATE_FORM = "The form data could not be read: a field decodes to a lone UTF-16 surrogate, which is no Unicode character."

#: A lone surrogate in every place a JSON body can hold a string. json.dumps writes each as
#: an escape (``"\\ud800"``) and json.loads reads it back into a str that cannot be encoded
#: as UTF-8: the token's comparison used to fail on it, a 500.
LONE_SURROGATES = {
    "token": {"token": "\ud800"},
    "token-tail": {"token": TOKEN + "\udfff"},
    "page": {"token": TOKEN, "page": "\ud800"},
    "per_page": {"token": TOKEN, "per_page": "1\udbff"},
    "par_page": {"token": TOKEN, "par_page": "\udc00"},
    "collection_id": {"token": TOKEN, "collection_id": "\ud800"},
    "unknown-key-value": {"token": TOKEN, "note": "a\ud800b"},
    "unknown-key-name": {"token": TOKEN, "n\ud800te": 1},
    "nested": {"token": TOKEN, "note": [{"deep": ["\ude00"]}]},
    "reversed-pair": {"token": TOKEN, "note": "\ude00\ud83d"},
    "before-the-token": {"page": "\ud800", "token": TOKEN},
}


@pytest.mark.parametrize("fields", LONE_SURROGATES.values(), ids=LONE_SURROGATES.keys())
@pytest.mark.parametrize("feed", [*FEEDS, "products"])
def test_a_json_string_holding_a_lone_surrogate_is_a_400(api, feed, fields):
    raw = json.dumps(fields)
    assert "\\ud" in raw  # written as an escape, as any JSON encoder writes it
    response = api.post(f"/convertedin/{feed}", raw, content_type="application/json")
    assert error_body(response, 400) == {"message": LONE_SURROGATE_JSON}


@pytest.mark.parametrize("charset", ["utf-7", "unicode_escape"])
def test_a_json_charset_that_decodes_to_a_lone_surrogate_is_a_400(api, charset):
    raw = '{"token": "\ud800"}'.encode(charset)  # b"+2AA-" in UTF-7, an escape in the other
    response = api.post(
        "/convertedin/orders", raw, content_type=f"application/json; charset={charset}"
    )
    assert error_body(response, 400) == {"message": LONE_SURROGATE_JSON}


@pytest.mark.parametrize(("field", "status"), [("token", 401), ("page", 422), ("note", 200)])
def test_a_surrogate_pair_escape_is_one_character_not_a_lone_surrogate(api, field, status):
    fields = {"token": TOKEN, field: "\U0001f600"}  # 😀, which json.dumps writes as a pair
    raw = json.dumps(fields)
    assert "\\ud83d\\ude00" in raw
    response = api.post("/convertedin/customers", raw, content_type="application/json")
    assert response.status_code == status, response.content
    assert b"surrogate" not in response.content


def form_body(form, fields):
    """A raw form body from ``(name, value)`` byte pairs, exactly as given: no quoting, no encoding."""
    if form == "urlencoded":
        raw = b"&".join(name + b"=" + value for name, value in fields)
        return raw, "application/x-www-form-urlencoded"
    parts = [
        b'--B\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields
    ]
    return b"".join(parts) + b"--B--\r\n", "multipart/form-data; boundary=B"


@pytest.mark.parametrize(
    ("charset", "surrogate"),
    [("utf-7", b"+2AA-"), ("unicode_escape", b"\\ud800"), ("raw_unicode_escape", b"\\ud800")],
)
@pytest.mark.parametrize("where", ["token", "page", "name"])
@pytest.mark.parametrize("form", ["urlencoded", "multipart"])
def test_form_data_whose_charset_decodes_to_a_lone_surrogate_is_a_400(
    api, token, form, where, charset, surrogate
):
    fields = {b"token": token.encode(), b"page": b"1"}
    if where == "name":
        fields[b"n" + surrogate] = b"1"
    else:
        fields[where.encode()] = surrogate
    raw, content_type = form_body(form, fields.items())
    response = api.generic(
        "POST", "/convertedin/customers", raw, content_type=f"{content_type}; charset={charset}"
    )
    assert error_body(response, 400) == {"message": LONE_SURROGATE_FORM}


@pytest.mark.parametrize("charset", ["utf-7", "unicode_escape"])
def test_a_file_whose_field_name_decodes_to_a_lone_surrogate_is_a_400(api, token, charset):
    name = "upload\ud800".encode(charset)
    raw = (
        b'--B\r\nContent-Disposition: form-data; name="token"\r\n\r\n' + token.encode() + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="' + name + b'"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
    )
    content_type = f"multipart/form-data; boundary=B; charset={charset}"
    response = api.generic("POST", "/convertedin/products", raw, content_type=content_type)
    assert error_body(response, 400) == {"message": LONE_SURROGATE_FORM}


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        (b"token", b"\xff", 401),
        (b"token", b"\xed\xa0\x80", 401),  # a surrogate's UTF-8 encoding, which UTF-8 forbids
        (b"page", b"\xff", 422),
        (b"page", b"\xed\xa0\x80", 422),
        (b"page", b"\xc0\xb1", 422),  # an overlong "1"
        (b"page", b"\xd9\xa3", 422),  # ٣, well-formed UTF-8
        (b"note", b"\xed\xa0\x80", 200),
    ],
)
@pytest.mark.parametrize("form", ["urlencoded", "percent-encoded", "multipart"])
def test_form_data_that_is_not_utf8_is_a_4xx(api, token, form, field, value, status):
    """Bytes that are not UTF-8 become U+FFFD, as Django decodes form data: never a surrogate."""
    if form == "percent-encoded":
        form, value = "urlencoded", "".join(f"%{byte:02X}" for byte in value).encode()
    fields = [(b"token", token.encode()), (field, value)]
    raw, content_type = form_body(form, fields[1:] if field == b"token" else fields)
    response = api.generic("POST", "/convertedin/orders", raw, content_type=content_type)
    assert response.status_code == status, response.content
    if status == 422:
        assert_field_errors(response, field.decode())
    elif status == 401:
        assert error_body(response, 401) == {"message": "Invalid token."}


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
