"""Money values: the places a currency has, computed amounts rounded to them, and the
shortest exact form an amount is written in.

Stored amounts (a ``DecimalField``) are served exactly as stored and never
rounded. Computed ones (an aggregate, an expression, a ``dehydrate_`` method)
carry what the arithmetic left: SQLite hands back ``Decimal('6020.19000000000')``
from a float, ``F("a") - F("b")`` a residue such as ``989.940000000001``.
:func:`round_money` rounds those to the currency's minor units (``MONEY_PLACES``),
the store's currency (``STORE["currency"]``) when the record names none, as a
product does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
)
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from iso4217 import Currency

from convertedin_feed.codes import currency_code
from convertedin_feed.conf import SETTING_NAME, feed_settings, memo

#: Places when the currency is unknown, or ISO 4217 gives it none (gold ``XAU``,
#: ``XDR``, ``XXX``: "N.A." in the standard's table).
DEFAULT_MINOR_UNITS = 2
#: The largest whole number of places ``MONEY_PLACES`` may name.
MAX_MONEY_PLACES = 8
#: Whole amounts up to this are JSON integers; past it (outside orjson's 64-bit
#: integers) they stay Decimals, written digit for digit.
_MAX_INTEGER = 10**18
#: ``Decimal("0.01")`` for 2 places, and so on.
_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(MAX_MONEY_PLACES + 1))
#: Quantizing never fails, nor rounds anything but the places, for want of precision.
_EXACT = Context(prec=MAX_PREC, rounding=ROUND_HALF_UP, Emax=MAX_EMAX, Emin=MIN_EMIN)


@lru_cache(maxsize=256)
def minor_units(code: str | None) -> int:
    """The ISO 4217 minor units of a currency code: ``EGP`` 2, ``JPY`` 0, ``KWD`` 3.

    2 when the code is ``None``, no ISO 4217 code, or one without minor units.
    """
    if not code:
        return DEFAULT_MINOR_UNITS
    try:
        exponent = Currency(code.strip().upper()).exponent
    except ValueError:
        return DEFAULT_MINOR_UNITS
    return DEFAULT_MINOR_UNITS if exponent is None else exponent


def valid_money_places(setting: Any) -> bool:
    """Whether ``setting`` is a ``MONEY_PLACES`` value: "currency", None or 0 to 8 places."""
    if isinstance(setting, str):
        return setting == "currency"
    return setting is None or (
        isinstance(setting, int)
        and not isinstance(setting, bool)
        and 0 <= setting <= MAX_MONEY_PLACES
    )


def store_currency() -> Any:
    """The shop's own currency, ``STORE["currency"]`` as configured; ``None`` when unset."""
    store = feed_settings.STORE
    return store.get("currency") if isinstance(store, Mapping) else None


def money_places(currency: Any) -> int | None:
    """The places ``MONEY_PLACES`` gives an amount in ``currency``; ``None``: as it is.

    An amount whose record names no currency (``None`` or blank: a product,
    which has no ``currency`` key, or an order whose currency is null) is in
    the store's own, ``STORE["currency"]``: ``KWD`` 3 places, ``JPY`` 0.
    """
    setting = feed_settings.MONEY_PLACES
    if setting == "currency":
        if currency is None or (isinstance(currency, str) and not currency.strip()):
            currency = store_currency()
        return minor_units(None if currency is None else currency_code(str(currency)))
    if not valid_money_places(setting):
        raise ImproperlyConfigured(
            f"{SETTING_NAME}['MONEY_PLACES'] must be 'currency', None or a whole number "
            f"from 0 to {MAX_MONEY_PLACES}, not {setting!r}."
        )
    return setting


def to_decimal(value: Any) -> Decimal:
    """An amount as a Decimal; a float by its shortest repr (``0.1`` is ``Decimal('0.1')``).

    Raises ``ValueError`` for anything that is no number (``True``, ``"abc"``).
    """
    if value.__class__ is Decimal:
        return value
    if value.__class__ is float:
        # repr(), not Decimal(float): Decimal(0.1) is 0.1000000000000000055511151231257827...
        return Decimal(repr(value))
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int | str):
        raise ValueError(f"Not an amount of money: {value!r}")
    try:
        return Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValueError(f"Not an amount of money: {value!r}") from None


def round_money(value: Any, currency: Any) -> Decimal | None:
    """A computed amount rounded to the places ``MONEY_PLACES`` gives ``currency``.

    ``value`` is a Decimal, float, int or numeric string; ``currency`` is what the
    shop stores (``"EGP"``, ``"egp"``, ``"Egyptian Pound"``), or ``None`` for the
    store's currency (a product's, which has no ``currency`` key). Ties are
    rounded half away from zero (``ROUND_HALF_UP``: 0.125 -> 0.13, -0.125 -> -0.13).
    ``None``, NaN and infinities are ``None``; anything else that is no number
    raises ``ValueError``. Only computed amounts are meant for this: stored ones
    are served as they are.
    """
    if value is None:
        return None
    amount = value if value.__class__ is Decimal else to_decimal(value)
    if not amount.is_finite():
        return None
    try:
        places = _places_of(currency)
    except TypeError:  # not hashable
        places = money_places(currency)
    if places is None:
        return amount
    return amount.quantize(_QUANTA[places], context=_EXACT)


@memo(maxsize=1024)  # a shop's currencies are few; its typos may not be
def _places_of(currency: Any) -> int | None:
    """:func:`money_places`, per currency as the shop stores it, while the settings stand."""
    return money_places(currency)


def shortest(value: Decimal, text: str | None = None) -> int | float | Decimal:
    """A finite amount as the JSON number it is written as, exactly and in its shortest form.

    Trailing zeros go (``6020.19000000000`` is ``6020.19``, ``0.10`` is ``0.1``,
    ``1E+2`` is ``100``). Then a whole amount is an int; an amount of at most 15
    significant digits and at least 0.0001 in magnitude is a float, because a
    double holds any such decimal closely enough that its shortest repr, which
    orjson writes, is that decimal; anything else stays a Decimal, which the
    renderer writes digit for digit without an exponent (``0.00000001``).
    ``text`` is ``str(value)``, when the caller has it.
    """
    if text is None:
        text = str(value)
    if "E" in text:
        text = format(value, "f")
    plain = text
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if "." not in text:
        whole = int(text)
        return whole if -_MAX_INTEGER < whole < _MAX_INTEGER else Decimal(text)
    significant = text.lstrip("-0.")  # leading zeros are no significant digits
    if len(significant) - ("." in significant) <= 15:
        number = float(text)
        if not -0.0001 < number < 0.0001:
            return number
    # Nothing stripped: the Decimal given is already in its shortest form.
    return value if len(text) == len(plain) else Decimal(text)
