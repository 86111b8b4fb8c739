"""The OpenAPI description shipped in the package is the contract the real responses keep.

``convertedin_feed/openapi.json`` is kept by hand; these tests hold it to the
serializers' keys and validate real responses, pages and errors, against it.
``tests/test_example_project.py`` also runs schemathesis against the live example shop.
"""

import json
from importlib import resources

import pytest
from django.conf import settings
from django.test import override_settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from convertedin_feed.schemas import CustomerSerializer, LineItemSerializer, OrderSerializer
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory

pytestmark = pytest.mark.django_db

DOCUMENT = json.loads(resources.files("convertedin_feed").joinpath("openapi.json").read_text())
REGISTRY = Registry().with_resource("urn:feeds", Resource(DOCUMENT, specification=DRAFT202012))
SCHEMAS = DOCUMENT["components"]["schemas"]


def validator(reference):
    if reference.startswith("#"):
        reference = "urn:feeds" + reference
    return Draft202012Validator({"$ref": reference}, registry=REGISTRY)


def response_schema(feed, status):
    content = DOCUMENT["paths"][f"/convertedin/{feed}"]["post"]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]["$ref"]


def assert_documented(feed, response):
    schema = response_schema(feed, response.status_code)
    errors = sorted(validator(schema).iter_errors(response.json()), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_the_document_is_openapi_3_1_whose_schemas_are_valid_json_schema():
    assert DOCUMENT["openapi"] == "3.1.0"
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)
    assert set(DOCUMENT["paths"]) == {"/convertedin/customers", "/convertedin/orders"}


@pytest.mark.parametrize(
    ("name", "serializer"),
    [
        ("Customer", CustomerSerializer),
        ("Order", OrderSerializer),
        ("LineItem", LineItemSerializer),
    ],
)
def test_the_document_names_exactly_the_documented_keys(name, serializer):
    assert SCHEMAS[name]["required"] == list(serializer.documented_keys())
    assert list(SCHEMAS[name]["properties"]) == list(serializer.documented_keys())


def test_every_page_of_a_crawl_keeps_the_document(pull):
    for member in MemberFactory.create_batch(5):
        basket = BasketFactory(member=member)
        BasketLineFactory.create_batch(2, basket=basket)
    BasketFactory(country="Atlantis", phone="")  # nulls where the shop has no value
    for feed in ("customers", "orders"):
        for page in (1, 2, 3, 99):
            response = pull(feed, page=page, per_page=2)
            assert response.status_code == 200
            assert_documented(feed, response)


@pytest.mark.parametrize("feed", ["customers", "orders"])
@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"data": {"token": "wrong"}}, 401),
        ({"data": {"page": "abc"}, "with_token": True}, 422),
        ({"data": "[1]", "content_type": "application/json", "with_token": True}, 400),
        ({"data": "<x/>", "content_type": "application/xml"}, 415),
        ({"data": {"padding": "x" * 70_000}, "with_token": True}, 413),
    ],
)
def test_every_error_keeps_the_document(api, token, feed, request_kwargs, status):
    kwargs = dict(request_kwargs)
    if kwargs.pop("with_token", False) and isinstance(kwargs["data"], dict):
        kwargs["data"] = {**kwargs["data"], "token": token}
    kwargs.setdefault("format", None if "content_type" in kwargs else "multipart")
    response = api.post(f"/convertedin/{feed}", **kwargs)
    assert response.status_code == status, response.content
    assert_documented(feed, response)


def test_a_throttled_or_refused_network_answer_keeps_the_document(api, token):
    limits = {
        **settings.CONVERTEDIN_FEED,
        "THROTTLE_RATES": {"client": "1/min", "token": None},
    }
    with override_settings(CONVERTEDIN_FEED=limits):
        api.post("/convertedin/orders", {"token": token})
        throttled = api.post("/convertedin/orders", {"token": token})
    assert throttled.status_code == 429
    assert_documented("orders", throttled)
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ALLOWED_NETWORKS": []}):
        refused = api.post("/convertedin/orders", {"token": token})
    assert refused.status_code == 403
    assert_documented("orders", refused)
