"""Whatever arrives, both feeds answer 200 or a 4xx JSON error: never a 5xx, HTML, a traceback or the token.

Hypothesis generates the requests: content types (declared and real), bodies in
every shape a form or JSON can take and in none, sizes up to past MAX_BODY_SIZE, field
names and values, repeated fields, huge numbers, unicode and NUL bytes; sometimes with the right token, so
that what follows authentication is shaken too.

Then every text field (the token, the paging fields, the products feed's
``collection_id``, the offers feed's ``shelf`` and a key of any name) holds any string, lone UTF-16 surrogates
included, and each answer is judged against what it should be; and paging numbers
are read exactly as PHP's FILTER_VALIDATE_INT reads them, ASCII digits and nothing else.
"""

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from convertedin_feed.conf import feed_settings
from convertedin_feed.pagination import MAX_PAGE_NUMBER
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.testapp.models import CatalogItem

pytestmark = pytest.mark.django_db

TOKEN = settings.TEST_TOKEN
FIELD_NAMES = ["token", "page", "per_page", "par_page", "collection_id", "shelf"]

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**31 - 1, 2**31, 2**63, 10**40]),
)
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(
        ["", " ", "\x00", "1\x00", "\uff11\uff12", "٣", "1e3", "0x10", "NaN", "-0", "2 ", TOKEN]
    ),
    numbers.map(str),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12))
form_fields = st.lists(st.tuples(field_names, texts), max_size=8)  # repeats allowed
with_token = st.booleans()


@st.composite
def requests(draw):
    """(content type, body bytes) of one request."""
    shape = draw(st.sampled_from(["form", "multipart", "json", "raw"]))
    fields = draw(form_fields)
    # Now and then a body around MAX_BODY_SIZE (64 kB) and past it.
    padding = draw(st.one_of(st.just(0), st.integers(0, 100_000)))
    if padding:
        fields.append(("padding", "x" * padding))
    if draw(with_token):
        fields = [("token", TOKEN), *fields]
    if shape == "form":
        body = urlencode(fields).encode()
        declared = "application/x-www-form-urlencoded"
    elif shape == "multipart":
        boundary = "fuzzBoundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields
        ]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
        declared = f"multipart/form-data; boundary={boundary}"
    elif shape == "json":
        document = draw(
            st.one_of(st.dictionaries(field_names, json_values, max_size=6), json_values)
        )
        if isinstance(document, dict) and draw(with_token):
            document["token"] = TOKEN
        body = json.dumps(document, allow_nan=True).encode()
        declared = "application/json"
    else:
        body = draw(st.binary(max_size=300))
        declared = draw(
            st.sampled_from(
                [
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                    "text/plain",
                ]
            )
        )
    content_type = draw(
        st.one_of(
            st.just(declared),
            st.just(
                declared
                + "; charset="
                + draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "nope"]))
            ),
            st.sampled_from(
                ["", "text/html", "application/xml", "*/*", "multipart/form-data; boundary="]
            ),
            st.text(max_size=30),
        )
    )
    return content_type, body


@pytest.fixture
def shop(db):
    for member in MemberFactory.create_batch(3):
        BasketLineFactory(basket=BasketFactory(member=member))


@pytest.mark.parametrize("feed", ["customers", "orders"])
@hypothesis_settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,  # the same thousands of requests on every run: CI is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_any_request_gets_200_or_a_4xx_json_error(shop, feed, request):
    content_type, body = request
    api = APIClient(raise_request_exception=True)
    response = api.generic("POST", f"/convertedin/{feed}", body, content_type=content_type)
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    answer = response.json()
    assert isinstance(answer, dict)
    text = response.content.decode()
    assert "Traceback" not in text
    assert TOKEN not in text
    assert "<html" not in text.lower()
    if response.status_code != 200:
        assert isinstance(answer["message"], str)
        assert "data" not in answer


# ---------------------------------------------------------------------------
# Every text field, any string: lone surrogates included

PAGING_FIELDS = ("page", "per_page", "par_page")
LONE_SURROGATE = (
    "The request body is not valid JSON text: a string holds a lone UTF-16 surrogate, "
    "which is no Unicode character."
)

#: Any code point. Lone surrogates (category Cs) are 2,048 of 1.1 million, and st.text()
#: draws them rarely if ever, so they are drawn on their own too, as are digits, signs
#: and spaces, which make numbers and near-numbers.
any_character = st.one_of(
    st.characters(codec=None),
    st.characters(categories=["Cs"]),
    st.sampled_from("0123456789+- _\t"),
)
any_text = st.one_of(
    st.lists(any_character, max_size=12).map("".join),
    st.sampled_from(["", "1", "2", " 3 ", "+4", "007", TOKEN]),
    st.integers(-5, 2**32).map(str),
)


@st.composite
def text_fields(draw):
    """A JSON object of text fields: each documented one or not, and one key of any name.

    The token is mostly the right one, so that the fields after it are read too.
    """
    fields = {}
    token = draw(st.sampled_from(["right", "right", "right", "any", "absent"]))
    if token != "absent":
        fields["token"] = TOKEN if token == "right" else draw(any_text)
    for name in (*PAGING_FIELDS, "collection_id", "shelf"):
        if draw(st.booleans()):
            fields[name] = draw(any_text)
    if draw(st.booleans()):
        fields[draw(st.lists(any_character, max_size=8).map("".join))] = draw(any_text)
    return fields


def strings_in(data):
    """Every string in parsed JSON, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from strings_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings_in(item)


def lone_surrogate_in(data):
    return any(0xD800 <= ord(c) <= 0xDFFF for text in strings_in(data) for c in text)


def php_int(text):
    """What PHP's FILTER_VALIDATE_INT reads in ``text``, or None; written apart from the field."""
    core = text.strip(" \t\n\r\v")
    digits = core[1:] if core.startswith(("+", "-")) else core
    if not (digits.isascii() and digits.isdigit()) or (digits[0] == "0" and digits != "0"):
        return None
    return int(core)


def refused_paging_fields(fields):
    """The paging fields that are not a whole number from 1 to MAX_PAGE_NUMBER."""
    return {
        name
        for name in PAGING_FIELDS
        if name in fields and not (1 <= (php_int(fields[name]) or 0) <= MAX_PAGE_NUMBER)
    }


#: The filter field each filtered feed takes.
FILTERS = {"products": "collection_id", "offers": "shelf"}


@pytest.fixture
def catalog(shop):
    CatalogItem.objects.bulk_create(
        CatalogItem(title=f"Item {shelf}", list_price=10, shelf=shelf) for shelf in (1, 2, 2)
    )


@pytest.mark.parametrize("feed", ["categories", "products", "customers", "orders", "offers"])
@hypothesis_settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=text_fields())
def test_any_string_in_any_text_field_is_a_200_or_a_4xx_never_a_500(catalog, feed, fields):
    raw = json.dumps(fields)  # ensure_ascii: a lone surrogate is written "\udXXX", as JS would
    parsed = json.loads(raw)  # an escaped pair is read back as one character, so judge this
    api = APIClient(raise_request_exception=True)
    response = api.post(f"/convertedin/{feed}", raw, content_type="application/json")
    event(f"status {response.status_code}")  # pytest --hypothesis-show-statistics shows the mix
    assert response["Content-Type"].split(";")[0] == "application/json"
    answer = response.json()
    assert isinstance(answer, dict)
    if response.status_code != 200:
        assert isinstance(answer["message"], str)
        assert answer["message"]
        assert "data" not in answer
    if lone_surrogate_in(parsed):
        assert (response.status_code, answer) == (400, {"message": LONE_SURROGATE})
    elif parsed.get("token") != TOKEN:
        assert response.status_code == 401, response.content
    elif refused := refused_paging_fields(parsed):
        assert response.status_code == 422, response.content
        assert set(answer["errors"]) == refused
    elif feed in FILTERS and response.status_code == 422:
        assert set(answer["errors"]) == {FILTERS[feed]}  # the feed's own filter, its own rules
    else:
        assert response.status_code == 200, response.content
        assert answer["current_page"] == php_int(parsed.get("page", "1"))


# ---------------------------------------------------------------------------
# Paging numbers: ASCII digits, as PHP reads them, and nothing else

ascii_blanks = st.text(alphabet=" \t\n\r\v", max_size=3)


@st.composite
def whole_numbers_in_range(draw):
    """A number from 1 to MAX_PAGE_NUMBER written as FILTER_VALIDATE_INT reads one."""
    number = draw(st.one_of(st.integers(1, 1001), st.integers(1, MAX_PAGE_NUMBER)))
    sign = draw(st.sampled_from(["", "+"]))
    return f"{draw(ascii_blanks)}{sign}{number}{draw(ascii_blanks)}"


#: What int() reads beyond ASCII: ``_`` between digits, any script's digits (``٣``,
#: full-width, mathematical bold), Unicode spaces around them; and any other non-ASCII.
not_ascii = st.one_of(
    st.just("_"),
    st.characters(categories=["Nd", "No"], min_codepoint=0x80),
    st.characters(categories=["Zs"], min_codepoint=0x80),
    st.characters(min_codepoint=0x80, codec="utf-8"),
)


@st.composite
def not_ascii_numbers(draw):
    """Digits around at least one underscore or character that is not ASCII: ``1_0``, ``1٢``."""
    around = st.lists(st.one_of(st.sampled_from("0123456789+ "), not_ascii), max_size=4)
    return "".join([*draw(around), draw(not_ascii), *draw(around)])


def post_paging(feed, form, field, value):
    api = APIClient(raise_request_exception=True)
    fields = {"token": TOKEN, field: value}
    url = f"/convertedin/{feed}"
    if form == "urlencoded":
        return api.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    return api.post(url, fields, format=form)


paging_property = hypothesis_settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@paging_property
@given(
    text=whole_numbers_in_range(),
    field=st.sampled_from(PAGING_FIELDS),
    form=st.sampled_from(["json", "urlencoded", "multipart"]),
)
def test_a_whole_number_in_ascii_digits_is_read_as_int_reads_it(db, text, field, form):
    response = post_paging("orders", form, field, text)
    assert response.status_code == 200, response.content
    body = response.json()
    if field == "page":
        assert body["current_page"] == int(text)
    else:
        assert body["per_page"] == min(int(text), feed_settings.MAX_PER_PAGE)


@paging_property
@given(
    text=not_ascii_numbers(),
    field=st.sampled_from(PAGING_FIELDS),
    form=st.sampled_from(["json", "urlencoded", "multipart"]),
)
def test_a_paging_value_with_any_character_but_ascii_is_a_422(db, text, field, form):
    response = post_paging("customers", form, field, text)
    assert response.status_code == 422, (text, response.content)
    assert list(response.json()["errors"]) == [field]
