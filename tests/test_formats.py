"""Each documented format, field by field: what the platform's validator expects."""

import random
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from unittest.mock import patch
from urllib.parse import urljoin

import orjson
import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from convertedin_feed import codes
from convertedin_feed.fields import (
    CountryField,
    CurrencyField,
    CustomerReferenceField,
    DateTimeField,
    FlagField,
    GenderField,
    IdField,
    MoneyField,
    TextField,
    URLKeyField,
    absolute_url,
    stored_file_url,
)
from convertedin_feed.renderers import FeedJSONRenderer
from convertedin_feed.schemas import CustomerSerializer, OrderSerializer, RecordFormatter
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory


@pytest.mark.parametrize(
    ("value", "json_text"),
    [
        (Decimal("184"), "184"),
        (Decimal("184.00"), "184"),
        (Decimal("199.65"), "199.65"),
        # The same number, in its shortest form.
        (Decimal("0.10"), "0.1"),
        (Decimal("-5.50"), "-5.5"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("-99999999999999.9"), "-99999999999999.9"),
        # Sixteen digits, past what a double holds exactly: digit for digit.
        (Decimal("99999999999999.99"), "99999999999999.99"),
        (Decimal("1234567890123.45"), "1234567890123.45"),
        # Eight places, past what a float holds: written digit for digit.
        (Decimal("123456789012.12345678"), "123456789012.12345678"),
        (Decimal("0.00000001"), "0.00000001"),
        (12, "12"),
        (12.5, "12.5"),
        ("350.00", "350"),
        (Decimal("NaN"), "null"),
        (Decimal("Infinity"), "null"),
        ("not money", "null"),
    ],
)
def test_money_is_a_json_number_with_the_stored_digits(value, json_text):
    rendered = FeedJSONRenderer().render({"price": MoneyField().to_representation(value)})
    assert rendered == b'{"price":' + json_text.encode() + b"}"


@pytest.mark.parametrize(
    ("value", "json_text"),
    [
        # SQLite's aggregates and Round(): 15 significant digits from a float.
        (Decimal("6020.19000000000"), "6020.19"),
        (Decimal("130.110000000000"), "130.11"),
        (Decimal("0.10"), "0.1"),
        (Decimal("100.00"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("-0.00"), "0"),
        (Decimal("-0E-8"), "0"),
        (Decimal("0.000010"), "0.00001"),
        (Decimal("1.2340000000000000E-10"), "0.0000000001234"),
        (Decimal("0.30000000000000004000"), "0.30000000000000004"),
        (Decimal("12345678901234.5670000000"), "12345678901234.567"),
        (Decimal("1234567890123456789.00"), "1234567890123456789"),
        (Decimal("1.23456789E+20"), "123456789000000000000"),
        (Decimal("-1E+25"), "-10000000000000000000000000"),
        # Floats (a FloatField) as their shortest repr.
        (0.1, "0.1"),
        (989.940000000001, "989.940000000001"),
        (0.30000000000000004, "0.30000000000000004"),
        (1e-05, "0.00001"),
        (-2.5e-07, "-0.00000025"),
        (184.0, "184"),
        (-0.0, "0"),
        (1e20, "100000000000000000000"),
        (1.2345678901234567e20, "123456789012345670000"),
        (float("nan"), "null"),
        (float("-inf"), "null"),
        ("130.110000000000", "130.11"),
    ],
)
def test_money_is_written_in_its_shortest_exact_form(value, json_text):
    rendered = FeedJSONRenderer().render({"price": MoneyField().to_representation(value)})
    assert rendered == b'{"price":' + json_text.encode() + b"}"


def test_whole_money_is_an_integer_and_cents_keep_their_exact_digits():
    assert type(MoneyField().to_representation(Decimal("300.00"))) is int
    cents = MoneyField().to_representation(Decimal("598.94"))
    assert Decimal(repr(cents)) == Decimal("598.94")


@pytest.mark.parametrize("places", [1, 2, 3, 4, 8])
def test_every_amount_of_up_to_15_digits_is_written_exactly(places):
    """The float path loses nothing: a seeded sweep of amounts, each written back as itself."""
    generator = random.Random(places)
    for _ in range(5000):
        digits = generator.randint(1, 15)
        units = generator.randrange(10 ** (digits - 1), 10**digits) * generator.choice((1, -1))
        amount = Decimal(units).scaleb(-min(places, digits))
        written = FeedJSONRenderer().render(MoneyField().to_representation(amount))
        assert Decimal(written.decode()) == amount, amount


def shortest_text(amount: Decimal) -> str:
    """The decimal written out without exponent or trailing zeros: what the feed must send."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@st.composite
def amounts(draw):
    """Up to 12 integer digits and up to 8 places, either sign."""
    places = draw(st.integers(min_value=0, max_value=8))
    units = draw(
        st.integers(min_value=-(10 ** (12 + places)) + 1, max_value=10 ** (12 + places) - 1)
    )
    return Decimal(units).scaleb(-places)


@hypothesis_settings(max_examples=3000, derandomize=True, deadline=None)
@given(amount=amounts(), padding=st.integers(min_value=0, max_value=8))
def test_any_amount_is_written_exactly_and_in_its_shortest_form(amount, padding):
    """Whatever trailing zeros the database padded it with, the amount itself, shortest."""
    padded = amount.quantize(Decimal(1).scaleb(amount.as_tuple().exponent - padding))
    assert padded == amount
    written = FeedJSONRenderer().render(MoneyField().to_representation(padded)).decode()
    assert Decimal(written) == amount
    assert written == shortest_text(amount)  # no exponent, no trailing zeros


SITES = [
    "https://gadgets.example",
    "https://gadgets.example/",
    "https://shop.example/store",
    "https://shop.example/a/b/",
    "https://shop.example/store?lang=ar",  # joined by urljoin's rules, never by concatenation
]


def join_settings(site):
    return override_settings(CONVERTEDIN_FEED={"SITE_URL": site})


@pytest.mark.parametrize("site", SITES)
@hypothesis_settings(max_examples=300, derandomize=True, deadline=None)
@given(path=st.text(alphabet="ab/.:?#%~ -_1", max_size=14))
def test_a_path_joins_the_site_url_as_urljoin_would(site, path):
    """Dot segments, a colon in the first segment, a query, a fragment: the same URL as ``urljoin``."""
    with join_settings(site):
        assert absolute_url(path) == urljoin(site.rstrip("/") + "/", path.lstrip("/"))


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/products/kunafa/", "https://shop.example/store/products/kunafa/"),
        ("products/kunafa/", "https://shop.example/store/products/kunafa/"),
        ("/media/products/a%20b.jpg", "https://shop.example/store/media/products/a%20b.jpg"),
        ("/p/كنافة/", "https://shop.example/store/p/كنافة/"),
    ],
)
def test_a_plain_path_is_joined_without_urljoin(monkeypatch, path, url):
    """The page-sized fast path: a path with no dot segment and no scheme is the base and the path."""

    def refuse(*args):
        raise AssertionError("urljoin was called for a plain path")

    monkeypatch.setattr("convertedin_feed.fields.urljoin", refuse)
    with join_settings("https://shop.example/store"):
        assert absolute_url(path) == url


MEDIA_BASES = [
    "/media/",
    "",
    "https://cdn.example/shop/media/",
    "//cdn.example/m/",
    "/m/./x/",
    "/m/?v=1",
]


@pytest.mark.parametrize("base", MEDIA_BASES)
@hypothesis_settings(max_examples=300, derandomize=True, deadline=None)
@given(name=st.text(alphabet="ab/.:?#%~ -_1\\كن", max_size=14))
def test_a_stored_file_s_url_is_the_one_django_s_storage_gives(base, name):
    """Whatever the name and the storage's base URL: exactly ``storage.url(name)``."""
    storage = FileSystemStorage(base_url=base)
    with patch.dict(storages._storages, {"default": storage}):
        assert stored_file_url(name) == storage.url(name)


def test_a_plain_stored_name_is_joined_without_urljoin(monkeypatch):
    """The page-sized fast path for Django's FileSystemStorage: no urljoin, no storage.url()."""

    def refuse(*args):
        raise AssertionError("the slow path was taken for a plain name")

    monkeypatch.setattr("django.core.files.storage.filesystem.urljoin", refuse)
    monkeypatch.setattr("convertedin_feed.fields.urljoin", refuse)
    with patch.dict(storages._storages, {"default": FileSystemStorage(base_url="/media/")}):
        url = stored_file_url("products/كنافة 1.jpg")
    assert url == "/media/products/%D9%83%D9%86%D8%A7%D9%81%D8%A9%201.jpg"


class SignedStorage(FileSystemStorage):
    def url(self, name):
        return super().url(name) + "?signature=abc"


def test_a_storage_of_its_own_is_always_asked():
    with patch.dict(storages._storages, {"default": SignedStorage(base_url="/media/")}):
        assert stored_file_url("products/a.jpg") == "/media/products/a.jpg?signature=abc"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("https://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("HTTP://cdn.example/a.jpg", "HTTP://cdn.example/a.jpg"),
        (" https://cdn.example/a.jpg ", "https://cdn.example/a.jpg"),
        ("/media/a.jpg", "https://gadgets.example/media/a.jpg"),
        ("products/a b.jpg", "https://gadgets.example/media/products/a%20b.jpg"),
        ("products/../secret.jpg", "https://gadgets.example/media/secret.jpg"),
    ],
)
def test_an_image_is_a_url_a_path_or_a_stored_files_name(value, rendered):
    with join_settings("https://gadgets.example"), override_settings(MEDIA_URL="/media/"):
        assert URLKeyField(media=True).to_representation(value) == rendered


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (True, 1),
        (False, 0),
        (1, 1),
        (0, 0),
        ("1", 1),
        ("0", 0),
        ("true", 1),
        ("false", 0),
        ("yes", 1),
    ],
)
def test_flags_are_0_or_1(value, rendered):
    assert FlagField().to_representation(value) == rendered


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("male", "male"),
        ("Female", "female"),
        (" unknown ", "unknown"),
        ("m", "unknown"),
        ("other", "unknown"),
    ],
)
def test_gender_is_one_of_three_words(value, rendered):
    assert GenderField().to_representation(value) == rendered


@override_settings(TIME_ZONE="Africa/Cairo")
@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (datetime(2020, 12, 15, 17, 0, tzinfo=timezone.utc), "2020-12-15 19:00:00"),
        # Cairo keeps summer time (UTC+3) since 2023: the same UTC hour shifts by three.
        (datetime(2024, 7, 1, 17, 0, tzinfo=timezone.utc), "2024-07-01 20:00:00"),
        # Naive values are the project's local time, as Django stores them with USE_TZ = False.
        (datetime(2020, 12, 15, 19, 0, 0, 999999), "2020-12-15 19:00:00"),
        (date(2020, 12, 15), "2020-12-15 00:00:00"),
    ],
)
def test_datetimes_are_y_m_d_h_i_s_in_the_project_time_zone(value, rendered):
    assert DateTimeField().to_representation(value) == rendered


@override_settings(TIME_ZONE="Africa/Cairo", CONVERTEDIN_FEED={"TIME_ZONE": "UTC"})
def test_a_naive_datetime_is_moved_from_the_project_zone_to_the_feed_zone():
    assert DateTimeField().to_representation(datetime(2020, 12, 15, 19, 0)) == "2020-12-15 17:00:00"


@override_settings(TIME_ZONE="America/New_York")
def test_datetimes_across_a_dst_change_keep_their_wall_clock():
    before = datetime(2024, 3, 10, 6, 59, tzinfo=timezone.utc)
    after = datetime(2024, 3, 10, 7, 0, tzinfo=timezone.utc)
    assert [DateTimeField().to_representation(v) for v in (before, after)] == [
        "2024-03-10 01:59:00",
        "2024-03-10 03:00:00",
    ]


@pytest.mark.parametrize(
    ("value", "rendered"),
    [("EGP", "EGP"), ("egp", "EGP"), (" usd ", "USD"), ("Euro", "EUR"), ("ZZZ", None), ("", None)],
)
def test_currency_is_an_iso_4217_code(value, rendered):
    assert CurrencyField().to_representation(value) == rendered


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("US", "US"),
        ("gb", "GB"),
        ("EGY", "EG"),
        ("Egypt", "EG"),
        ("United Arab Emirates", "AE"),
        ("Narnia", None),
    ],
)
def test_country_is_an_iso_3166_alpha_2_code(value, rendered):
    assert CountryField().to_representation(value) == rendered


@pytest.mark.parametrize("optional", [False, True])
def test_blank_text_is_no_value_whether_the_key_is_required_or_not(optional):
    assert TextField(optional=optional).to_representation("") is None
    assert TextField(optional=optional).to_representation(" \t\n") is None
    assert TextField(optional=optional).to_representation("01000000001") == "01000000001"


@pytest.mark.django_db
def test_a_blank_string_is_no_value_on_every_key_of_every_feed(pull, caplog):
    """One rule: a customer's blank phone and an order's are both null, not one of them ""."""
    member = MemberFactory(phone="   ", first_name="\t")
    BasketFactory(member=member, phone="", email=" ", locale="  ", status=" ")
    [customer] = pull("customers").json()["data"]
    [order] = pull("orders").json()["data"]
    assert customer["phone"] is None
    assert customer["first_name"] is None
    assert (order["phone"], order["contact_email"], order["customer_locale"]) == (None, None, None)
    assert order["financial_status"] is None
    # Required keys without a value are record problems (RECORD_ERRORS), logged with the id.
    messages = [r.getMessage() for r in caplog.records if hasattr(r, "record_id")]
    assert f"Customer record {member.pk}: no value for the required 'first_name'" in messages
    assert any("'phone', 'contact_email'" in message for message in messages)


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(7, 7), ("SKU-7", "SKU-7"), (Decimal(7), "7")],
)
def test_ids_stay_integers_or_become_strings(value, rendered):
    assert IdField().to_representation(value) == rendered


def test_a_uuid_id_is_its_canonical_string():
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert IdField().to_representation(value) == "12345678-1234-5678-1234-567812345678"


def test_customer_is_an_object_with_its_id():
    assert CustomerReferenceField().to_representation(207119551) == {"id": 207119551}


def test_a_value_that_is_no_iso_code_is_logged(caplog):
    codes.currency_code.cache_clear()  # each value is logged once per process
    codes.country_code.cache_clear()
    CurrencyField().to_representation("Pounds-ish")
    CountryField().to_representation("Middle Earth")
    messages = [r.getMessage() for r in caplog.records if r.name == "convertedin_feed"]
    assert messages == [
        "Not an ISO 4217 currency, rendered as null: 'Pounds-ish'",
        "Not an ISO 3166 country, rendered as null: 'Middle Earth'",
    ]


def render_json(serializer, record):
    return orjson.loads(FeedJSONRenderer().render(serializer.to_representation(record)))


def test_a_record_missing_documented_keys_renders_them_null_and_keeps_its_extras():
    record = {"id": 7, "email": "a@example.com", "accepts_marketing": True}
    rendered = render_json(CustomerSerializer(), record)
    assert list(rendered) == [*CustomerSerializer.documented_keys(), "accepts_marketing"]
    assert (rendered["id"], rendered["first_name"], rendered["orders_count"]) == (7, None, 0)
    assert rendered["accepts_marketing"] is True


def test_a_page_renders_each_record_as_it_would_alone():
    """The one-loop page path and the record path agree, whatever mix of records a page holds."""
    complete = {**dict.fromkeys(CustomerSerializer.documented_keys()), "id": 1, "email": "a@x.io"}
    with_extra = {**complete, "id": 2, "accepts_marketing": True}
    missing = {"id": 3, "email": "c@x.io"}
    renamed = {**{f"{key}_": None for key in complete}, "id": 4}  # as many keys, none documented
    for page in ([complete], [complete, with_extra], [missing, complete], [renamed], []):
        alone = [CustomerSerializer().to_representation(record) for record in page]
        assert CustomerSerializer(page, many=True).data == alone


def test_an_extra_key_may_hold_a_mapping_with_non_string_keys():
    record = {**dict.fromkeys(CustomerSerializer.documented_keys()), "sizes": {42: "EU", 9: "UK"}}
    assert render_json(CustomerSerializer(), record)["sizes"] == {"42": "EU", "9": "UK"}


def test_null_line_items_render_as_an_empty_list():
    record = dict.fromkeys(OrderSerializer.documented_keys())
    assert render_json(OrderSerializer(), record)["line_items"] == []


def test_the_feed_time_zone_can_change_between_pages():
    moment = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
    record = {**dict.fromkeys(CustomerSerializer.documented_keys()), "registered_at": moment}
    with override_settings(CONVERTEDIN_FEED={"TIME_ZONE": "Asia/Tokyo"}):
        tokyo = render_json(CustomerSerializer(), record)["registered_at"]
    with override_settings(CONVERTEDIN_FEED={"TIME_ZONE": "America/New_York"}):
        new_york = render_json(CustomerSerializer(), record)["registered_at"]
    assert (tokyo, new_york) == ("2024-06-01 21:00:00", "2024-06-01 08:00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_clean_pages_take_the_fast_loop_not_the_key_by_key_one(pull, monkeypatch, feed):
    """The fast loop hands a record to the careful key-by-key one only when it cannot
    render it; a clean page (line items included) must never take the slow path."""
    member = MemberFactory(phone="01000000001", first_name="A", last_name="B")
    BasketLineFactory.create_batch(2, basket=BasketFactory(member=member, status="successful"))

    def slow_path_taken(self, instance):
        raise AssertionError(f"{self.kind} rendered record by record: {instance!r}")

    monkeypatch.setattr(RecordFormatter, "render_carefully", slow_path_taken)
    response = pull(feed)
    assert response.status_code == 200, response.content
    [record] = response.json()["data"]
    assert record["id"] == (member.pk if feed == "customers" else member.baskets.get().pk)
    if feed == "orders":
        assert len(record["line_items"]) == 2
