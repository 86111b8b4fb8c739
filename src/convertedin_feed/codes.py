"""ISO codes from whatever a shop stores: currencies (ISO 4217) and countries (ISO 3166).

A shop may keep ``"egp"``, ``"Egyptian Pound"``, ``"Egypt"`` or ``"EGY"``; the
feeds serve the upper-case code. A value that is no code is ``None``, logged once
per process (the lookups are cached).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import pycountry

logger = logging.getLogger("convertedin_feed")


@lru_cache(maxsize=1024)
def currency_code(value: str) -> str | None:
    """The ISO 4217 alpha-3 code of a code in any case or a currency's name."""
    text = value.strip()
    if not text:
        return None
    currency = pycountry.currencies.get(alpha_3=text.upper())
    if currency is None:
        try:
            currency = pycountry.currencies.lookup(text)
        except LookupError:
            logger.warning("Not an ISO 4217 currency, rendered as null: %r", value)
            return None
    return str(currency.alpha_3)


@lru_cache(maxsize=1024)
def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of an alpha-2 or alpha-3 code or a country's name."""
    text = value.strip()
    if not text:
        return None
    country = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
    if country is None:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            logger.warning("Not an ISO 3166 country, rendered as null: %r", value)
            return None
    return str(country.alpha_2)
