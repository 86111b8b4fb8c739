"""The ``CONVERTEDIN_FEED`` settings dict, read when used and never at import.

Values are looked up on first access and forgotten on ``setting_changed``, so
``override_settings`` works in tests and nothing is frozen into class bodies.

This module also owns the app's one way to forget what was built from settings
and adapters (compiled plans, record formatters): :func:`memo`. Every such cache
is a :func:`memo`, and :func:`forget` (called on ``setting_changed``) clears them
all with the settings. Pure lookups that no setting can change (an ISO code's
name, a currency's minor units) are plain ``lru_cache`` functions.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

SETTING_NAME = "CONVERTEDIN_FEED"
TOKEN_ENVIRONMENT_VARIABLE = "CONVERTEDIN_FEED_TOKEN"  # noqa: S105 (a variable name)

DEFAULTS: dict[str, Any] = {
    # Tokens the platform may send; several at once allow rotation. None means
    # the comma-separated environment variable CONVERTEDIN_FEED_TOKEN.
    "TOKENS": None,
    # Feed name -> dotted path of the shop's adapter class.
    "ADAPTERS": {},
    "DEFAULT_PER_PAGE": 100,
    "MAX_PER_PAGE": 1000,
    # Time zone of the Y-m-d H:i:s datetimes; None means settings.TIME_ZONE.
    "TIME_ZONE": None,
    # Database alias the feeds read from (a read replica); None lets the
    # project's DATABASE_ROUTERS decide, which is "default" without routers.
    "DATABASE": None,
    # Cache alias that remembers totals and where each page ended, so a crawl
    # seeks instead of counting and offsetting. Share it between workers
    # (Redis, Memcached); None turns the memory off.
    "CACHE": "default",
    # Seconds a total and a page end are remembered.
    "CACHE_TIMEOUT": 300,
    # Client networks allowed to call the feeds, as CIDR strings ("203.0.113.0/24");
    # None lets any address in (the token still decides).
    "ALLOWED_NETWORKS": None,
    # The header the shop's own reverse proxy sets to the caller's address:
    # "X-Forwarded-For" (the last address in it counts) or "X-Real-IP". None
    # means REMOTE_ADDR; never name a header that no proxy of yours overwrites.
    "CLIENT_ADDRESS_HEADER": None,
    # DRF throttle rates ("600/min") per token and per client address, kept in
    # the CACHE alias; None turns one off.
    "THROTTLE_RATES": {"token": None, "client": None},
    # A record that cannot be mapped (a required key with no value, a value that
    # is no ISO code, a dehydrate_ method that raises): "null" serves it with
    # null and logs it, "skip" leaves it out, "fail" fails the page.
    "RECORD_ERRORS": "null",
    # A line item whose product was deleted: "drop" leaves the line out (the
    # order keeps its other lines), "fallback" serves the line adapter's
    # Meta.product_fallback (such as its SKU) as product_id. Logged either way.
    "MISSING_PRODUCTS": "drop",
    # Places a computed amount of money (an aggregate, an expression, a
    # dehydrate_ method) is rounded to, half away from zero: "currency" gives
    # the record's currency's ISO 4217 minor units (2 when unknown), a whole
    # number from 0 to 8 those places, None no rounding. Stored amounts are
    # never rounded.
    "MONEY_PLACES": "currency",
    # Largest request body in bytes; a longer one is a 413 before it is read.
    "MAX_BODY_SIZE": 64 * 1024,
    # The feeds served, in the platform's crawl order: Feed objects or their
    # dotted paths. None means the five the platform documents
    # (convertedin_feed.feeds.BUILTIN_FEEDS).
    "FEEDS": None,
    # The shop's public address ("https://shop.example"): product and image
    # URLs are made absolute with it, never with the request's Host header.
    "SITE_URL": None,
    # The storeinfo feed's record: name, currency, time_zone (an IANA name;
    # None means settings.TIME_ZONE), email, description, country.
    "STORE": {},
    # convertedin_feed.contrib.oscar (django-oscar shops); read only when it is installed.
    # The order statuses that are cancelled orders, left out of a customer's
    # orders_count and total_spent and served as financial_status "canceled".
    # None: the statuses Oscar's OSCAR_ORDER_STATUS_CASCADE and
    # OSCAR_ORDER_STATUS_PIPELINE name "Cancelled" (or cascade to a line
    # status of that name).
    "OSCAR_CANCELLED_STATUSES": None,
    # Oscar order status -> financial_status, over the default rule: a
    # cancelled status is "canceled", any other "successful".
    "OSCAR_FINANCIAL_STATUSES": {},
    # Currency -> how many units of the store's currency one unit is worth,
    # for total_spent over orders in several currencies; or the dotted path of
    # a function that returns that mapping.
    "OSCAR_EXCHANGE_RATES": {},
    # Count requests per feed and hour, and follow crawls, for the admin page
    # (convertedin_feed.stats): one small write per request. False turns it off.
    "STATS": True,
    # Days the hourly counts are kept; older ones are pruned as new hours start
    # (and by ``manage.py convertedin_feed prune``).
    "STATS_DAYS": 30,
    # Seconds without a page that end a crawl: a crawl is pages 1, 2, 3 ... of
    # one feed, from one client, each within this gap of the one before.
    "CRAWL_GAP": 600,
}


class FeedSettings:
    """Attribute access to ``CONVERTEDIN_FEED`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, SETTING_NAME, None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown {SETTING_NAME} setting: {name!r}")
        if name not in self._cache:
            self._cache[name] = self.user_settings.get(name, DEFAULTS[name])
        return self._cache[name]

    @property
    def tokens(self) -> list[str]:
        """Every token currently accepted, blanks dropped."""
        configured = self.TOKENS
        if configured is None:
            configured = os.environ.get(TOKEN_ENVIRONMENT_VARIABLE, "").split(",")
        elif isinstance(configured, str):
            configured = [configured]
        return [token.strip() for token in configured if isinstance(token, str) and token.strip()]

    @property
    def time_zone_name(self) -> str:
        return self.TIME_ZONE or settings.TIME_ZONE or "UTC"

    def reload(self) -> None:
        self._cache.clear()


feed_settings = FeedSettings()

_Function = TypeVar("_Function", bound=Callable[..., Any])
_memos: list[Callable[[], None]] = []

#: The Django settings what a :func:`memo` holds may be built from.
WATCHED_SETTINGS = frozenset((SETTING_NAME, "TIME_ZONE", "MEDIA_URL", "STORAGES"))


def memo(maxsize: int | None = None) -> Callable[[_Function], _Function]:
    """``functools.lru_cache`` for what is built from settings or adapters, forgotten by :func:`forget`."""

    def decorate(function: _Function) -> _Function:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        _memos.append(cached.cache_clear)
        return cached  # type: ignore[return-value]

    return decorate


def forget() -> None:
    """Forget the settings read so far and everything built from them."""
    feed_settings.reload()
    for clear in _memos:
        clear()


@receiver(setting_changed)
def _forget_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in WATCHED_SETTINGS:
        forget()
