"""Whatever arrives, both feeds answer 200 or a 4xx JSON error: never a 5xx, HTML, a traceback or the token.

Hypothesis generates the requests: content types (declared and real), bodies in
every shape a form or JSON can take and in none, sizes up to past MAX_BODY_SIZE, field
names and values, repeated fields, huge numbers, unicode and NUL bytes; sometimes with the right token, so
that what follows authentication is shaken too.
"""

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import BasketFactory, BasketLineFactory, MemberFactory

pytestmark = pytest.mark.django_db

TOKEN = settings.TEST_TOKEN
FIELD_NAMES = ["token", "page", "per_page", "par_page", "collection_id"]

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
