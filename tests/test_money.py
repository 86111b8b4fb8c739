"""Money values: minor units from ISO 4217, computed amounts rounded, the setting read when used."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db.models import DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Round
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_for_hypothesis
from hypothesis import strategies as st

from convertedin_feed.adapters import Field
from convertedin_feed.checks import check_settings
from convertedin_feed.fields import MoneyField
from convertedin_feed.money import minor_units, money_places, round_money
from convertedin_feed.renderers import FeedJSONRenderer
from tests.factories import BasketFactory, MemberFactory
from tests.testapp.convertedin import BasketAdapter, MemberAdapter
from tests.testapp.models import Basket


def feed(**settings):
    return override_settings(CONVERTEDIN_FEED={"TOKENS": ["t" * 40], **settings})


def written(value):
    return FeedJSONRenderer().render(MoneyField().to_representation(value)).decode()


@pytest.mark.parametrize(
    ("code", "places"),
    [
        ("EGP", 2),
        ("JPY", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
        ("jpy", 0),  # any case
        (" KWD ", 3),
        ("ZZZ", 2),  # no ISO 4217 code
        ("", 2),
        (None, 2),
        ("XAU", 2),  # gold: ISO 4217 gives it no minor units ("N.A.")
        ("XXX", 2),
    ],
)
def test_minor_units_come_from_iso_4217(code, places):
    assert minor_units(code) == places


@pytest.mark.parametrize(
    ("value", "currency", "rounded"),
    [
        # What SQLite hands back for an aggregate, a Round() and an F() - F().
        (Decimal("6020.19000000000"), "EGP", Decimal("6020.19")),
        (Decimal("130.110000000000"), "EGP", Decimal("130.11")),
        (989.940000000001, "EGP", Decimal("989.94")),
        (Decimal("989.940000000001"), "EGP", Decimal("989.94")),
        # The currency as the shop stores it: a code in any case, a name, nothing.
        (Decimal("12.345"), "egp", Decimal("12.35")),
        (Decimal("12.345"), "Egyptian Pound", Decimal("12.35")),
        (Decimal("12.345"), None, Decimal("12.35")),
        (Decimal("12.345"), "Pounds-ish", Decimal("12.35")),
        (Decimal("1234.5"), "JPY", Decimal("1235")),
        (Decimal("1.23456"), "KWD", Decimal("1.235")),
        (Decimal("1.23456"), "BHD", Decimal("1.235")),
        # Ties go away from zero.
        (0.125, "EGP", Decimal("0.13")),
        (-0.125, "EGP", Decimal("-0.13")),
        (Decimal("2.5"), "JPY", Decimal("3")),
        (Decimal("-2.5"), "JPY", Decimal("-3")),
        (Decimal("0.0005"), "KWD", Decimal("0.001")),
        # Whole numbers and numeric text.
        (350, "EGP", Decimal("350")),
        ("19.999", "EGP", Decimal("20.00")),
        # Far past a double, nothing but the places is lost.
        (
            Decimal("123456789012345678901234567890.125"),
            "EGP",
            Decimal("123456789012345678901234567890.13"),
        ),
    ],
)
def test_computed_money_is_rounded_half_up_to_the_currency_s_minor_units(value, currency, rounded):
    result = round_money(value, currency)
    assert type(result) is Decimal
    assert result == rounded
    assert result.as_tuple().exponent == -minor_units(
        {"Egyptian Pound": "EGP"}.get(currency, currency)
    )


@pytest.mark.parametrize(
    ("places", "value", "rounded"),
    [
        (0, Decimal("130.5"), Decimal("131")),
        (0, -0.5, Decimal("-1")),
        (2, Decimal("1234.5678"), Decimal("1234.57")),  # the same places whatever the currency
        (4, 0.123456, Decimal("0.1235")),
        (8, Decimal("0.000000015"), Decimal("0.00000002")),
    ],
)
def test_a_whole_number_of_places_applies_to_every_currency(places, value, rounded):
    with feed(MONEY_PLACES=places):
        assert round_money(value, "JPY") == rounded
        assert round_money(value, "KWD") == rounded
        assert round_money(value, "KWD").as_tuple().exponent == -places


def test_none_leaves_computed_money_as_it_is_and_floats_at_their_shortest():
    with feed(MONEY_PLACES=None):
        assert round_money(Decimal("6020.19000000000"), "EGP") == Decimal("6020.19000000000")
        assert str(round_money(989.940000000001, "EGP")) == "989.940000000001"
        # repr(), never Decimal(float), which would be 0.1000000000000000055511151231257827...
        assert str(round_money(0.1, "EGP")) == "0.1"
        assert str(round_money(7, "JPY")) == "7"


@pytest.mark.parametrize("value", [None, Decimal("NaN"), float("inf"), Decimal("-Infinity")])
def test_no_amount_is_none(value):
    assert round_money(value, "EGP") is None


@pytest.mark.parametrize("value", ["abc", "", True, [1], {"amount": 1}])
def test_a_value_that_is_no_number_raises(value):
    with pytest.raises(ValueError, match="Not an amount of money"):
        round_money(value, "EGP")


def test_money_places_is_read_when_used():
    amount = Decimal("1.23456")
    assert round_money(amount, "EGP") == Decimal("1.23")
    with feed(MONEY_PLACES=4):
        assert round_money(amount, "EGP") == Decimal("1.2346")
        with feed(MONEY_PLACES=None):
            assert round_money(amount, "EGP") == amount
        with feed(MONEY_PLACES="currency"):
            assert round_money(amount, "KWD") == Decimal("1.235")
    assert round_money(amount, "EGP") == Decimal("1.23")
    assert round_money(amount, "KWD") == Decimal("1.235")


@pytest.mark.parametrize(
    ("store", "rounded"),
    [
        ({"currency": "KWD"}, Decimal("1.235")),
        ({"currency": "JPY"}, Decimal("1")),
        ({"currency": "Kuwaiti Dinar"}, Decimal("1.235")),
        ({"currency": "EGP"}, Decimal("1.23")),
        ({"currency": None}, Decimal("1.23")),  # no store currency: 2 places
        ({}, Decimal("1.23")),
        (None, Decimal("1.23")),
    ],
)
def test_an_amount_that_names_no_currency_takes_the_store_s(store, rounded):
    amount = Decimal("1.23456")
    with feed(STORE=store):
        assert round_money(amount, None) == rounded
        assert round_money(amount, "  ") == rounded  # a blank currency is none
        assert money_places(None) == -rounded.as_tuple().exponent
        # A currency of its own, known or not, is never the store's.
        assert round_money(amount, "BHD") == Decimal("1.235")
        assert round_money(amount, "ZZZ") == Decimal("1.23")
        with feed(STORE=store, MONEY_PLACES=4):
            assert round_money(amount, None) == Decimal("1.2346")


def test_the_store_currency_is_read_when_used():
    amount = Decimal("1.23456")
    with feed(STORE={"currency": "KWD"}):
        assert round_money(amount, None) == Decimal("1.235")
        with feed(STORE={"currency": "JPY"}):
            assert round_money(amount, None) == Decimal("1")
        assert round_money(amount, None) == Decimal("1.235")


@pytest.mark.parametrize("setting", ["cents", "Currency", 9, -1, 2.0, True, [2]])
def test_a_bad_money_places_is_a_check_error_and_fails_rounding(setting):
    with feed(MONEY_PLACES=setting):
        messages = [m for m in check_settings() if "MONEY_PLACES" in m.msg]
        assert [m.id for m in messages] == ["convertedin_feed.E001"]
        assert f"not {setting!r}" in messages[0].msg
        with pytest.raises(ImproperlyConfigured, match="MONEY_PLACES"):
            round_money(Decimal("1.5"), "EGP")


@pytest.mark.parametrize("setting", ["currency", None, 0, 2, 8])
def test_good_money_places_pass_the_check(setting):
    with feed(MONEY_PLACES=setting):
        assert [m for m in check_settings() if "MONEY_PLACES" in m.msg] == []


@pytest.mark.django_db
def test_computed_money_from_the_database_is_exact_once_rounded():
    """Whatever the database makes of aggregates and expressions, the feed writes the cents."""
    for subtotal in ("1000.10", "2000.05", "3020.04"):
        BasketFactory(
            subtotal=Decimal(subtotal), discount=Decimal("10.16"), total=Decimal(subtotal)
        )
    money = DecimalField(max_digits=14, decimal_places=2)
    computed = Basket.objects.aggregate(
        total=Sum("subtotal"),
        after_discount=Sum(ExpressionWrapper(F("subtotal") - F("discount"), output_field=money)),
    )
    row = (
        Basket.objects.filter(subtotal=Decimal("1000.10"))
        .values(
            net=ExpressionWrapper(F("subtotal") - F("discount"), output_field=money),
            rounded=Round(F("subtotal") * Decimal("0.13"), 2, output_field=money),
        )
        .get()
    )
    values = {**computed, **row}
    expected = {
        "total": "6020.19",
        "after_discount": "5989.71",
        "net": "989.94",
        "rounded": "130.01",
    }
    assert {key: written(round_money(value, "EGP")) for key, value in values.items()} == expected
    # These hold no residue, so unrounded they are written the same: SQLite's
    # Decimal('6020.19000000000') loses its trailing zeros, not its digits.
    assert {key: written(value) for key, value in values.items()} == expected


# ---------------------------------------------------------------------------
# On the wire: every money path, the bytes the platform receives


class WireMemberAdapter(MemberAdapter):
    total_spent = Field(Sum("baskets__total"), default=0)  # an aggregate


class WireBasketAdapter(BasketAdapter):
    total_price = Field("total")  # a field
    subtotal_price = Field(F("total") - F("discount"))  # an expression
    total_tax = Field(F("subtotal") + F("tax") - F("total"))  # an expression with residue
    total_discounts = Field(Round(F("discount") * Value(Decimal("1.00")), 2))  # Round()


WIRE = {
    **settings.CONVERTEDIN_FEED,
    "ADAPTERS": {
        "customers": f"{__name__}.WireMemberAdapter",
        "orders": f"{__name__}.WireBasketAdapter",
    },
}

cents = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


def number_tokens(body: bytes, key: str) -> list[str]:
    """The text of each record's ``key`` exactly as written on the wire."""
    records = json.loads(body, parse_float=str, parse_int=str)["data"]
    return [record[key] for record in records]


def shortest_text(amount: Decimal) -> str:
    amount = amount.normalize()
    return str(int(amount)) if amount == amount.to_integral_value() else format(amount, "f")


@pytest.mark.django_db
@settings_for_hypothesis(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(baskets=st.lists(st.tuples(cents, cents, cents), min_size=1, max_size=4))
def test_every_money_path_writes_the_exact_amount_in_its_shortest_form(pull, baskets):
    Basket.objects.all().delete()
    for cache in caches.all():
        cache.clear()
    member = MemberFactory()
    for subtotal, tax, discount in baskets:
        BasketFactory(
            member=member,
            subtotal=subtotal,
            tax=tax,
            discount=discount,
            total=subtotal + tax - discount,
        )
    with override_settings(CONVERTEDIN_FEED=WIRE):
        orders = pull("orders").content
        customers = pull("customers").content
    stored = list(Basket.objects.filter(member=member).order_by("pk"))
    assert number_tokens(orders, "total_price") == [shortest_text(b.total) for b in stored]
    assert number_tokens(orders, "subtotal_price") == [
        shortest_text(b.total - b.discount) for b in stored
    ]
    assert number_tokens(orders, "total_tax") == [
        shortest_text(b.subtotal + b.tax - b.total) for b in stored
    ]
    assert number_tokens(orders, "total_discounts") == [shortest_text(b.discount) for b in stored]
    [spent] = [
        token
        for record, token in zip(
            json.loads(customers)["data"], number_tokens(customers, "total_spent"), strict=True
        )
        if record["id"] == member.pk
    ]
    assert spent == shortest_text(sum((b.total for b in stored), Decimal(0)))
