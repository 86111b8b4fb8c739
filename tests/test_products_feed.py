"""The products feed: the documented keys, absolute URLs, stock, tags, images, collection_id."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, Value
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from convertedin_feed.adapters import Field
from convertedin_feed.fields import DATETIME_FORMAT
from tests.factories import GadgetFactory, GadgetPictureFactory, LabelFactory, SectionFactory
from tests.testapp.convertedin import GadgetAdapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    phones = SectionFactory(name="Phones")
    cases = SectionFactory(name="Cases", parent=phones)
    leather = SectionFactory(name="Leather", parent=cases)
    lamps = SectionFactory(name="Lamps")
    new, sale = LabelFactory(name="new"), LabelFactory(name="sale")
    case = GadgetFactory(
        title="Case",
        slug="case",
        price=Decimal("19.90"),
        was_price=Decimal("25.00"),
        stock=4,
        brand="",
        sections=[leather, phones],
        labels=[new, sale],
    )
    GadgetPictureFactory(gadget=case, file="gadgets/case-back.jpg", position=2)
    GadgetPictureFactory(gadget=case, file="gadgets/case.jpg", position=1, width=600, height=600)
    lamp = GadgetFactory(
        title="Lamp", slug="lamp", price=Decimal("40"), sections=[lamps], labels=[new]
    )
    hidden = GadgetFactory(title="Old lamp", slug="old-lamp", listed=False, sections=[lamps])
    bare = GadgetFactory(title="Bare", slug="bare", sections=[])
    return {
        "phones": phones,
        "cases": cases,
        "leather": leather,
        "lamps": lamps,
        "case": case,
        "lamp": lamp,
        "hidden": hidden,
        "bare": bare,
    }


def record_of(body, gadget):
    return next(record for record in body["data"] if record["id"] == gadget.pk)


def test_a_product_has_the_documented_keys_and_types(pull, catalogue):
    case = catalogue["case"]
    record = record_of(pull("products").json(), case)
    assert record == {
        "id": case.pk,
        "title": "Case",
        "full_permalink": "https://gadgets.example/gadgets/case/",
        "image": "https://gadgets.example/gadgets/case.jpg",
        "content": case.body,
        "vendor": "Gadget Corner",  # no brand: the store's name
        "price": 19.9,
        "category_id": str(min(catalogue["leather"].pk, catalogue["phones"].pk)),
        "handle": "case",
        "app_links": None,
        "type": None,
        "compare_at_price": 25,
        "quantity": 4,
        "published_at": record["published_at"],
        "tags": "new, sale",
        "images": [
            {"path": "https://gadgets.example/gadgets/case.jpg", "width": 600, "height": 600},
            {"path": "https://gadgets.example/gadgets/case-back.jpg", "width": 800, "height": 600},
        ],
    }
    datetime.strptime(record["published_at"], DATETIME_FORMAT)


def test_stock_status_is_left_out_when_the_shop_tells_stock_by_quantity(pull, catalogue):
    record = pull("products").json()["data"][0]
    assert "quantity" in record
    assert "stock_status" not in record


def test_an_inactive_product_is_served_with_published_at_null(pull, catalogue):
    body = pull("products").json()
    assert record_of(body, catalogue["hidden"])["published_at"] is None
    assert record_of(body, catalogue["lamp"])["published_at"] is not None


def test_a_product_without_tags_or_images_or_category(pull, catalogue):
    record = record_of(pull("products").json(), catalogue["bare"])
    assert (record["tags"], record["images"], record["category_id"]) == (None, [], None)


def test_urls_come_from_site_url_never_from_the_host_header(api, token, catalogue, settings):
    response = api.post(
        "/convertedin/products", {"token": token}, HTTP_HOST="evil.example", format="multipart"
    )
    assert "evil" not in response.content.decode()
    with override_settings(
        CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "SITE_URL": "https://shop.example/store/"}
    ):
        record = record_of(
            api.post("/convertedin/products", {"token": token}).json(), catalogue["lamp"]
        )
    assert record["full_permalink"] == "https://shop.example/store/gadgets/lamp/"


def test_an_image_that_is_already_a_url_is_served_as_it_is(pull, catalogue):
    GadgetPictureFactory(gadget=catalogue["lamp"], file="https://cdn.example/lamp.jpg", position=0)
    record = record_of(pull("products").json(), catalogue["lamp"])
    assert record["image"] == "https://cdn.example/lamp.jpg"


def test_tags_and_images_of_a_whole_page_are_one_query_each(pull, catalogue):
    with CaptureQueriesContext(connection) as queries:
        pull("products")
    sql = [q["sql"].replace("`", '"') for q in queries.captured_queries]
    labels = [q for q in sql if '"testapp_label"."name"' in q]
    pictures = [q for q in sql if '"testapp_gadgetpicture"."width"' in q]
    assert (len(labels), len(pictures)) == (1, 1)


def test_a_label_of_two_products_is_in_both_lists(pull, catalogue):
    body = pull("products").json()
    assert record_of(body, catalogue["case"])["tags"] == "new, sale"
    assert record_of(body, catalogue["lamp"])["tags"] == "new"


def test_collection_id_filters_to_a_category_and_its_subcategories(pull, catalogue):
    body = pull("products", collection_id=catalogue["phones"].pk).json()
    assert [r["title"] for r in body["data"]] == ["Case"]  # once, though in two of them
    assert body["total"] == 1
    body = pull("products", collection_id=catalogue["cases"].pk).json()
    assert [r["title"] for r in body["data"]] == ["Case"]  # through its subcategory Leather
    body = pull("products", collection_id=catalogue["lamps"].pk).json()
    assert [r["title"] for r in body["data"]] == ["Lamp", "Old lamp"]


def test_collection_id_can_be_limited_to_the_category_itself(pull, catalogue, settings):
    from tests.testapp.convertedin import GadgetAdapter

    class OwnSectionOnly(GadgetAdapter):
        class Meta:
            collection_subcategories = False

    globals()["OwnSectionOnly"] = OwnSectionOnly
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "products": f"{__name__}.OwnSectionOnly"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        assert pull("products", collection_id=catalogue["cases"].pk).json()["data"] == []


@pytest.mark.parametrize(
    "value",
    # Integer keys are read as the page is: no Arabic-Indic digits, underscores or leading zeros.
    ["phones", "1.5", "99999999999999999999999", "-", "\u0663", "1_0", "007"],
)
def test_a_collection_id_that_is_no_category_id_is_a_422(pull, catalogue, value):
    response = pull("products", collection_id=value)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["collection_id"]


@pytest.mark.parametrize("value", [[], {}, [1], {"id": 1}, True, 1.5, "1.5"])
def test_a_json_collection_id_that_is_no_key_is_a_422_never_no_filter(api, token, catalogue, value):
    body = {"token": token, "collection_id": value}
    response = api.post("/convertedin/products", body, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"collection_id": [f"{value!r} is not a category id."]}


@pytest.mark.parametrize("sent", [lambda pk: pk, lambda pk: float(pk), lambda pk: f" {pk} "])
def test_a_json_collection_id_may_be_a_whole_number_or_text(api, token, catalogue, sent):
    body = {"token": token, "collection_id": sent(catalogue["phones"].pk)}
    response = api.post("/convertedin/products", body, format="json")
    assert response.status_code == 200, response.content
    assert [record["title"] for record in response.json()["data"]] == ["Case"]


@pytest.mark.parametrize("value", ["", "  ", None])
def test_a_blank_collection_id_is_no_filter(api, token, pull, catalogue, value):
    body = {"token": token, "collection_id": value}
    response = api.post("/convertedin/products", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == pull("products").json()["data"]
    assert response.json()["total"] == 4  # every product, in no category or in any


def test_an_unknown_category_is_an_empty_feed(pull, catalogue):
    body = pull("products", collection_id=987654).json()
    assert (body["data"], body["total"]) == ([], 0)


# ---------------------------------------------------------------------------
# Computed money: a product names no currency, so the store's gives the places


class TaxedGadgetAdapter(GadgetAdapter):
    """Prices with 14% tax added by the database, and a struck-through price from Python."""

    price = Field(
        expression=ExpressionWrapper(
            F("price") * Value(Decimal("1.14")),
            output_field=DecimalField(max_digits=14, decimal_places=6),
        )
    )

    def dehydrate_compare_at_price(self, row):
        was = row["compare_at_price"]
        return None if was is None else was * Decimal("1.5")


def taxed(settings, money_places="currency", **store):
    """The products feed served by TaxedGadgetAdapter, with ``store`` over the STORE setting."""
    adapters = {
        **settings.CONVERTEDIN_FEED["ADAPTERS"],
        "products": f"{__name__}.TaxedGadgetAdapter",
    }
    return override_settings(
        CONVERTEDIN_FEED={
            **settings.CONVERTEDIN_FEED,
            "ADAPTERS": adapters,
            "STORE": {**settings.CONVERTEDIN_FEED["STORE"], **store},
            "MONEY_PLACES": money_places,
        }
    )


@pytest.mark.parametrize(
    ("currency", "price", "compare_at_price", "lamp"),
    [
        # 19.90 x 1.14 = 22.686; 25.00 x 1.5 = 37.5; 40 x 1.14 = 45.6.
        ("KWD", 22.686, 37.5, 45.6),  # 3 places: nothing lost
        ("BHD", 22.686, 37.5, 45.6),
        ("kwd", 22.686, 37.5, 45.6),  # as the shop writes it
        ("Kuwaiti Dinar", 22.686, 37.5, 45.6),
        ("JPY", 23, 38, 46),  # no minor units: whole yen, half away from zero
        ("USD", 22.69, 37.5, 45.6),
        ("EGP", 22.69, 37.5, 45.6),
    ],
)
def test_computed_product_money_takes_the_store_currency_s_places(
    pull, catalogue, settings, currency, price, compare_at_price, lamp
):
    with taxed(settings, currency=currency):
        body = pull("products").json()
    case = record_of(body, catalogue["case"])
    assert (case["price"], case["compare_at_price"]) == (price, compare_at_price)
    assert record_of(body, catalogue["lamp"])["price"] == lamp
    assert type(case["price"]) is type(price)


def test_without_a_store_currency_computed_product_money_has_two_places(pull, catalogue, settings):
    with taxed(settings, currency=None):
        case = record_of(pull("products").json(), catalogue["case"])
    assert case["price"] == 22.69


def test_a_whole_number_of_money_places_applies_whatever_the_store_currency(
    pull, catalogue, settings
):
    with taxed(settings, money_places=2, currency="KWD"):
        assert record_of(pull("products").json(), catalogue["case"])["price"] == 22.69
    with taxed(settings, money_places=None, currency="JPY"):
        assert record_of(pull("products").json(), catalogue["case"])["price"] == 22.686


def test_stored_product_money_is_never_rounded_whatever_the_store_currency(
    pull, catalogue, settings
):
    with override_settings(
        CONVERTEDIN_FEED={
            **settings.CONVERTEDIN_FEED,
            "STORE": {**settings.CONVERTEDIN_FEED["STORE"], "currency": "JPY"},
        }
    ):
        case = record_of(pull("products").json(), catalogue["case"])
    assert (case["price"], case["compare_at_price"]) == (19.9, 25)
