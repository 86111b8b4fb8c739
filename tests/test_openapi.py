"""The OpenAPI description shipped in the package is the contract the real responses keep.

``convertedin_feed/openapi.json`` is kept by hand; these tests hold it to the
serializers' keys and validate real responses, pages and errors, against it.
``tests/test_example_project.py`` also runs schemathesis against the live example shop.
"""

import copy
import json
from decimal import Decimal
from importlib import resources

import pytest
from django.conf import settings
from django.db.models import Case, Value, When
from django.test import override_settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from convertedin_feed.adapters import Field, StoreAdapter
from convertedin_feed.feeds import BUILTIN_FEEDS
from convertedin_feed.schemas import (
    STOCK_KEYS,
    CategorySerializer,
    CustomerSerializer,
    LineItemSerializer,
    OrderSerializer,
    ProductImageSerializer,
    ProductSerializer,
    StoreInfoSerializer,
)
from tests.factories import (
    BasketFactory,
    BasketLineFactory,
    GadgetFactory,
    GadgetPictureFactory,
    LabelFactory,
    MemberFactory,
    SectionFactory,
)
from tests.testapp.convertedin import GadgetAdapter

pytestmark = pytest.mark.django_db

#: The platform's five feeds, in the order it calls them; all but storeinfo are paged.
FEEDS = [feed.name for feed in BUILTIN_FEEDS]
PAGED = [feed.name for feed in BUILTIN_FEEDS if feed.paged]

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


def violations(feed, status, body):
    """Where ``body`` breaks the document's answer of ``feed`` with ``status``; [] when it keeps it."""
    errors = sorted(validator(response_schema(feed, status)).iter_errors(body), key=str)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def assert_documented(feed, response):
    assert not violations(feed, response.status_code, response.json())


def operation(feed):
    return DOCUMENT["paths"][f"/convertedin/{feed}"]["post"]


def resolve(reference):
    return SCHEMAS[reference.removeprefix("#/components/schemas/")]


def test_the_document_is_openapi_3_1_whose_schemas_are_valid_json_schema():
    assert DOCUMENT["openapi"] == "3.1.0"
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)
    assert list(DOCUMENT["paths"]) == [f"/convertedin/{feed}" for feed in FEEDS]


@pytest.mark.parametrize(
    ("name", "serializer"),
    [
        ("StoreInfo", StoreInfoSerializer),
        ("Category", CategorySerializer),
        ("Product", ProductSerializer),
        ("ProductImage", ProductImageSerializer),
        ("Customer", CustomerSerializer),
        ("Order", OrderSerializer),
        ("LineItem", LineItemSerializer),
    ],
)
def test_the_document_names_exactly_the_documented_keys(name, serializer):
    keys = list(serializer.documented_keys())
    # Every key is in every record, but those a schema leaves out when the adapter maps none.
    assert SCHEMAS[name]["required"] == [key for key in keys if key not in serializer.omit_unmapped]
    assert list(SCHEMAS[name]["properties"]) == keys


def test_a_product_carries_quantity_or_stock_status_whichever_the_shop_maps():
    assert ProductSerializer.omit_unmapped == STOCK_KEYS
    assert SCHEMAS["Product"]["anyOf"] == [{"required": [key]} for key in STOCK_KEYS]


def test_a_category_nests_categories_of_its_own_shape():
    assert SCHEMAS["Category"]["properties"]["subcategories"]["items"] == {
        "$ref": "#/components/schemas/Category"
    }


@pytest.mark.parametrize("feed", BUILTIN_FEEDS, ids=FEEDS)
def test_each_request_names_exactly_the_fields_its_feed_reads(feed):
    read = {"token"}
    if feed.paged:
        read.update(feed.pagination_class().query_params)
    if feed.filterset_class is not None:
        read.update(feed.filterset_class.base_filters)
    for content in operation(feed.name)["requestBody"]["content"].values():
        assert set(resolve(content["schema"]["$ref"])["properties"]) == read
    # A 422 answers a field that is read and refused: storeinfo reads none but the token.
    assert ("422" in operation(feed.name)["responses"]) == (read != {"token"})


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


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"data": {"token": "wrong"}}, 401),
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


@pytest.mark.parametrize("feed", PAGED)
def test_a_bad_page_number_is_a_documented_422(pull, feed):
    response = pull(feed, page="abc")
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["page"]
    assert_documented(feed, response)


@pytest.mark.parametrize("feed", FEEDS)
def test_a_throttled_or_refused_network_answer_keeps_the_document(api, token, feed):
    limits = {
        **settings.CONVERTEDIN_FEED,
        "THROTTLE_RATES": {"client": "1/min", "token": None},
    }
    with override_settings(CONVERTEDIN_FEED=limits):
        api.post(f"/convertedin/{feed}", {"token": token})
        throttled = api.post(f"/convertedin/{feed}", {"token": token})
    assert throttled.status_code == 429
    assert_documented(feed, throttled)
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ALLOWED_NETWORKS": []}):
        refused = api.post(f"/convertedin/{feed}", {"token": token})
    assert refused.status_code == 403
    assert_documented(feed, refused)


# ---------------------------------------------------------------------------
# storeinfo: one record, not paged


class StoreWithPhone(StoreAdapter):
    """A shop that adds a key of its own to the store's record."""

    def get_store(self):
        return {**super().get_store(), "phone": "+1 555 0100"}


def test_the_store_keeps_the_document(pull):
    response = pull("storeinfo")
    assert response.status_code == 200
    assert response.json()["data"]["time_zone"].startswith("GMT")
    assert_documented("storeinfo", response)


def test_storeinfo_reads_no_page_so_a_bad_one_is_no_422(pull):
    response = pull("storeinfo", page="abc", per_page="0")
    assert response.status_code == 200
    assert_documented("storeinfo", response)


def test_a_store_missing_a_detail_or_adding_one_keeps_the_document(pull, settings):
    store = dict(settings.CONVERTEDIN_FEED["STORE"])
    del store["email"], store["description"]
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "storeinfo": f"{__name__}.StoreWithPhone"}
    feed_settings = {**settings.CONVERTEDIN_FEED, "STORE": store, "ADAPTERS": adapters}
    with override_settings(CONVERTEDIN_FEED=feed_settings):
        response = pull("storeinfo")
    data = response.json()["data"]
    assert (data["email"], data["description"], data["phone"]) == (None, None, "+1 555 0100")
    assert_documented("storeinfo", response)


def test_the_document_refuses_a_store_not_written_as_the_documents_show_it(pull):
    body = pull("storeinfo").json()
    assert not violations("storeinfo", 200, body)
    for key, value in [("time_zone", "America/New_York"), ("country", "us"), ("currency", "usd")]:
        wrong = copy.deepcopy(body)
        wrong["data"][key] = value
        assert violations("storeinfo", 200, wrong), (key, value)
    assert violations("storeinfo", 200, {**body, "current_page": 1})  # no paging envelope


# ---------------------------------------------------------------------------
# categories: root categories, each with its whole subtree


@pytest.fixture
def tree():
    """Four roots whose depth differs by branch: none, one level, four levels with a side
    branch; blanks and a hidden section where the shop has no value or hides one."""
    SectionFactory(name="Lone", slug="", blurb="")
    shallow = SectionFactory(name="Shallow")
    SectionFactory(name="Shallow leaf", parent=shallow, is_visible=False)
    node = SectionFactory(name="Deep")
    for level in range(1, 5):
        node = SectionFactory(name=f"Deep {level}", parent=node)
        if level == 2:
            SectionFactory(name="Deep 2 side", parent=node.parent, blurb="")
    SectionFactory(name="Last")


def depth(records):
    return max((1 + depth(record["subcategories"]) for record in records), default=0)


def test_every_page_of_categories_keeps_the_document_at_every_depth(pull, tree):
    depths = []
    for page in (1, 2, 3, 4, 99):
        response = pull("categories", page=page, per_page=1)
        assert response.status_code == 200
        assert_documented("categories", response)
        depths.append(depth(response.json()["data"]))
    assert depths == [1, 2, 5, 1, 0]  # Lone, Shallow, Deep .. Deep 4, Last; past the last page


def test_the_document_holds_a_subcategory_at_any_depth_to_the_category_shape(pull, tree):
    body = pull("categories").json()
    assert not violations("categories", 200, body)
    deep = body["data"][2]
    deepest = deep["subcategories"][0]["subcategories"][0]["subcategories"][0]["subcategories"][0]
    assert deepest["title"] == "Deep 4"
    for key, value in [("available", "yes"), ("id", 1.5), ("subcategories", None)]:
        wrong = copy.deepcopy(body)
        node = wrong["data"][2]["subcategories"][0]["subcategories"][0]["subcategories"][0]
        node["subcategories"][0][key] = value
        assert violations("categories", 200, wrong), (key, value)
    del deepest["published_at"]
    assert violations("categories", 200, body)


# ---------------------------------------------------------------------------
# products: paged, filtered by collection_id


class GadgetsByStockStatus(GadgetAdapter):
    """A shop that tells stock by status: ``quantity`` is left out of its records."""

    quantity = None
    stock_status = Field(
        expression=Case(When(stock__gt=0, then=Value("in stock")), default=Value("out of stock"))
    )


@pytest.fixture
def catalogue():
    """Gadgets in sections at two depths, with and without pictures, labels, a brand or a
    listing; returns the sections by name."""
    phones = SectionFactory(name="Phones")
    cases = SectionFactory(name="Cases", parent=phones)
    lamps = SectionFactory(name="Lamps")
    new, sale = LabelFactory(name="new"), LabelFactory(name="sale")
    case = GadgetFactory(
        price=Decimal("19.90"), was_price=Decimal("25"), brand="", sections=[cases], labels=[new]
    )
    GadgetPictureFactory(gadget=case, file="gadgets/case.jpg", width=600, height=600)
    GadgetPictureFactory(gadget=case, file="https://cdn.example/case-back.jpg")
    GadgetFactory(sections=[phones, lamps], labels=[new, sale], stock=0)
    GadgetFactory(body="", listed=False, sections=[lamps])
    GadgetFactory(sections=[])
    return {"phones": phones, "cases": cases, "lamps": lamps}


def test_every_page_of_products_keeps_the_document(pull, catalogue):
    served = []
    for page in (1, 2, 3):
        response = pull("products", page=page, per_page=2)
        assert response.status_code == 200
        assert_documented("products", response)
        served.extend(response.json()["data"])
    assert len(served) == 4
    # Nulls where the shop has no value; the pictures' paths made absolute.
    images = {record["image"] for record in served}
    assert images >= {None, "https://gadgets.example/gadgets/case.jpg"}
    assert None in {record["published_at"] for record in served}
    assert [] in [record["images"] for record in served]


def test_a_collection_of_products_keeps_the_document(pull, catalogue):
    response = pull("products", collection_id=catalogue["phones"].pk)
    assert response.status_code == 200
    assert_documented("products", response)
    assert response.json()["total"] == 2  # its own gadget and its subcategory's


@pytest.mark.parametrize("collection_id", ["phones", "1.5", "99999999999999999999999"])
def test_a_collection_id_that_is_no_category_id_is_a_documented_422(pull, catalogue, collection_id):
    response = pull("products", collection_id=collection_id)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["collection_id"]
    assert_documented("products", response)


def request_violations(feed, content_type, body):
    """Where ``body`` breaks the document's request of ``feed`` in ``content_type``."""
    schema = operation(feed)["requestBody"]["content"][content_type]["schema"]["$ref"]
    return [error.message for error in validator(schema).iter_errors(body)]


def test_a_whole_json_number_the_document_allows_as_collection_id_is_read_as_one(
    api, token, catalogue
):
    body = {"token": token, "collection_id": float(catalogue["phones"].pk)}
    assert not request_violations("products", "application/json", body)
    response = api.post("/convertedin/products", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 2


@pytest.mark.parametrize("collection_id", [[], {}])
def test_an_empty_json_list_or_object_is_no_collection_id(api, token, catalogue, collection_id):
    body = {"token": token, "collection_id": collection_id}
    assert request_violations("products", "application/json", body)
    response = api.post("/convertedin/products", body, format="json")
    assert response.status_code == 422, response.content


def test_a_shop_that_tells_stock_by_status_keeps_the_document(pull, catalogue, settings):
    adapters = {
        **settings.CONVERTEDIN_FEED["ADAPTERS"],
        "products": f"{__name__}.GadgetsByStockStatus",
    }
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        response = pull("products")
    records = response.json()["data"]
    assert {record["stock_status"] for record in records} == {"in stock", "out of stock"}
    assert not [record for record in records if "quantity" in record]
    assert_documented("products", response)


def test_the_document_refuses_a_product_not_written_as_the_documents_show_it(pull, catalogue):
    body = pull("products").json()
    assert not violations("products", 200, body)
    record = body["data"][0]
    assert "quantity" in record
    for key, value in [
        ("price", "19.90"),  # money is a number, never a string
        ("category_id", int(record["category_id"])),  # a string, as the documents show it
        ("full_permalink", "/gadgets/case/"),  # absolute, never a path
        ("published_at", "2020-12-15T19:00:00"),
        ("images", [{"path": None, "width": "600", "height": 600}]),
    ]:
        wrong = copy.deepcopy(body)
        wrong["data"][0][key] = value
        assert violations("products", 200, wrong), (key, value)
    del record["quantity"]  # neither quantity nor stock_status
    assert violations("products", 200, body)
