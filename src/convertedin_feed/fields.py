"""Record fields: each renders one documented key in the format the platform expects.

A field takes a value as an adapter maps it (a row value, or what a
``dehydrate_`` method returns) and gives the JSON value of the key. ``None``,
and a blank string, are no value: the field's ``null_value`` is served. A
field may offer :meth:`KeyField.formatter`, a faster function for the values
databases return, which the record formatter (:mod:`convertedin_feed.schemas`)
calls instead of :meth:`~KeyField.to_representation`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone
from django.utils.encoding import filepath_to_uri
from rest_framework import serializers

from convertedin_feed.codes import country_code, currency_code
from convertedin_feed.conf import feed_settings, memo
from convertedin_feed.money import shortest

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Never:
    """No value is of this type: the ``ready_type`` of keys that always render."""


class KeyField(serializers.Field):
    """A documented key: rendered from a row value; ``None`` renders as ``null_value``.

    What the documents say of a key beyond its format, which the audit checks
    (:mod:`convertedin_feed.tools.rules`) and the feed serves all the same:
    ``documented_values``, the values the documents list for it; ``minimum``, the
    smallest number it may hold (``0`` for money and counts); ``references``, the
    feed whose record ids it holds (a line item's ``product_id``: ``"products"``).
    """

    #: Values of exactly this type are already what the key renders, so a page
    #: of them skips a call per value.
    ready_type: type = _Never
    #: The smallest value the key may hold, or ``None``.
    minimum: int | None = None

    def __init__(
        self,
        *,
        optional: bool = False,
        null_value: Any = None,
        documented_values: Iterable[Any] | None = None,
        minimum: int | None = None,
        references: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.optional = optional
        self.null_value = null_value
        self.documented_values = None if documented_values is None else tuple(documented_values)
        if minimum is not None:
            self.minimum = minimum
        self.references = references
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value

    def formatter(self) -> Callable[[Any], Any]:
        """The function that renders a (non-null) value; :meth:`to_representation` unless faster."""
        return self.to_representation


def _identifier(value: Any) -> int | str:
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


class IdField(KeyField):
    """A primary key as the shop has it: integers stay numbers, anything else a string."""

    ready_type = int

    def to_representation(self, value: Any) -> Any:
        return _identifier(value)


class IntegerKeyField(KeyField):
    """A count: a whole number, never negative."""

    ready_type = int
    minimum = 0

    def to_representation(self, value: Any) -> Any:
        return int(value)


class TextField(KeyField):
    """Text; a blank value is ``null`` (the shop has no value), as on every key."""

    ready_type: type = str

    def to_representation(self, value: Any) -> Any:
        text = str(value)
        return text if text.strip() else None


class EmailField(TextField):
    """An email address, without the spaces a buyer may have typed around it.

    The audit checks that it has an address's shape.
    """

    ready_type = _Never  # every value is stripped

    def to_representation(self, value: Any) -> Any:
        return str(value).strip() or None


class MoneyField(KeyField):
    """Money as a JSON number, never a string, exactly the value given, in its shortest form.

    See :func:`convertedin_feed.money.shortest`: whole amounts are integers
    (``184``), amounts of at most 15 significant digits floats, which orjson
    writes in their shortest form without a call back into Python (``199.65``;
    ``0.10`` is ``0.1``), anything else a Decimal the renderer writes digit for
    digit (``0.00000001``). Trailing zeros never count (``6020.19000000000`` is
    ``6020.19``). A float is taken as its shortest repr. Nothing is rounded here:
    computed amounts are rounded by :func:`convertedin_feed.money.round_money`.
    """

    ready_type = int
    minimum = 0

    def to_representation(self, value: Any) -> Any:
        if value.__class__ is not Decimal:
            if value.__class__ is float:
                if 0.0001 <= value < 1e15 or -1e15 < value <= -0.0001:
                    return int(value) if value.is_integer() else value
                value = Decimal(repr(value))  # tiny, huge, NaN or infinite
            elif isinstance(value, int) and not isinstance(value, bool):
                return value
            else:
                try:
                    value = Decimal(str(value))
                except InvalidOperation:
                    return self.null_value
        if not value.is_finite():
            return self.null_value
        # The common case: a short text of at most 15 digits, whose trailing
        # zeros the float drops.
        text = str(value)
        if len(text) < 16:
            number = float(text)
            if number.is_integer():
                if -1e15 < number < 1e15:  # exactly an int (an exponent may say more)
                    return int(number)
            elif not -0.0001 < number < 0.0001:  # orjson writes smaller ones with an exponent
                return number
        return shortest(value, text)


class FlagField(KeyField):
    """A yes/no rendered as the 0/1 the documents ask for."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            return int(value.strip().lower() in serializers.BooleanField.TRUE_VALUES)
        return int(bool(value))


class GenderField(KeyField):
    CHOICES = ("male", "female", "unknown")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("null_value", "unknown")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        text = str(value).strip().lower()
        return text if text in self.CHOICES else "unknown"


class DateTimeField(KeyField):
    """``Y-m-d H:i:s`` in the feed's time zone; naive values are in ``settings.TIME_ZONE``."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                value = value.replace(tzinfo=_zone(settings.TIME_ZONE or "UTC"))
            # isoformat() is C and twice as fast as strftime(); its first 19
            # characters are exactly Y-m-d H:i:s.
            return value.astimezone(self._feed_zone).isoformat(" ")[:19]
        if isinstance(value, date):
            return value.strftime(DATETIME_FORMAT)
        return str(value)

    @property
    def _feed_zone(self) -> zoneinfo.ZoneInfo:
        return _zone(feed_settings.time_zone_name)

    def formatter(self) -> Callable[[Any], Any]:
        """:meth:`to_representation` with the zone bound, for the aware datetimes databases return."""
        zone, slow = self._feed_zone, self.to_representation

        def render(value: Any) -> Any:
            if value.__class__ is datetime and value.utcoffset() is not None:
                return value.astimezone(zone).isoformat(" ")[:19]
            return slow(value)

        return render


class CurrencyField(KeyField):
    """An ISO 4217 code, upper case; a value that is no currency renders ``null``."""

    def to_representation(self, value: Any) -> Any:
        return currency_code(str(value))


class CountryField(KeyField):
    """An ISO 3166-1 alpha-2 code, upper case; names and alpha-3 codes are translated."""

    def to_representation(self, value: Any) -> Any:
        return country_code(str(value))


class CustomerReferenceField(KeyField):
    """The ``{"id": ...}`` object that links an order to its customer."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        return {"id": _identifier(value)}


class StringIdField(KeyField):
    """An id the documents show as a string (a product's ``category_id``)."""

    ready_type = str

    def to_representation(self, value: Any) -> Any:
        return str(value)


class BooleanKeyField(KeyField):
    """A JSON ``true``/``false`` (a category's ``available``); text reads as DRF reads it."""

    ready_type = bool

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() in serializers.BooleanField.TRUE_VALUES
        return bool(value)


class URLKeyField(KeyField):
    """An absolute URL: a path (``/p/kunafa/``) is joined to ``SITE_URL``, never to the Host header.

    With ``media=True`` (images) a value that is neither a URL nor a path is a
    stored file's name, and the project's default storage gives its URL first.
    A URL that already has a scheme is served as it is.
    """

    def __init__(self, *, media: bool = False, **kwargs: Any) -> None:
        self.media = media
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        text = str(value).strip()
        if is_web_url(text):
            return text
        if self.media and not text.startswith("/"):
            text = stored_file_url(text)
            if is_web_url(text):
                return text
        return absolute_url(text)


def stored_file_url(name: str) -> str:
    """The URL the project's default storage gives a stored file: ``storage.url(name)``.

    Django's own ``FileSystemStorage`` (that class exactly: a subclass may change
    ``url()``) joins its ``base_url`` and the quoted name by ``urljoin``'s rules; for a
    name whose quoted form is plain (as :func:`absolute_url` means it) under a plain
    base, those rules give the base followed by the name, which is what this returns
    without ``urljoin``. A page of product images is thousands of names, and
    ``urljoin`` parses two URLs for each. Any other storage, or name, is asked.
    """
    storage = storages["default"]
    if type(storage) is FileSystemStorage:
        base = storage.base_url
        if base is not None and _plain_base(base):
            relative = filepath_to_uri(name).lstrip("/")
            if _PLAIN_PATH(relative) and "/." not in "/" + relative and "//" not in relative:
                return base + relative
    return str(storage.url(name))


@lru_cache(maxsize=16)
def _plain_base(base: str) -> bool:
    """Whether ``urljoin(base, plain)`` is ``base + plain``: ``base`` ends with ``/`` (or is
    empty), with no query, fragment or dot segment."""
    parts = urlsplit(base)
    return (not base or base.endswith("/")) and not (
        parts.query or parts.fragment or "/." in parts.path
    )


def is_web_url(text: str) -> bool:
    """Whether ``text`` already has an http(s) scheme, as ``urlsplit`` reads one."""
    return text[:6].lower().startswith(("http:", "https:"))


def absolute_url(path: str) -> str:
    """``path`` on the shop's ``SITE_URL``; a ``ValueError`` when the setting is missing.

    Joined by ``urljoin``'s rules. For a path of letters, digits, ``%`` escapes
    and the like, with no dot segment and no empty one, those rules make the base followed by the
    path, and that is what a page of product URLs takes; anything else (a query,
    a fragment, a colon, ``..``, spaces) goes through ``urljoin`` itself.
    """
    site = _site_base()
    if site is None:
        raise ValueError(f"{path!r} is a path and CONVERTEDIN_FEED['SITE_URL'] is not set")
    base, plain = site
    relative = path.lstrip("/")
    if plain and _PLAIN_PATH(relative) and "/." not in "/" + relative and "//" not in relative:
        return base + relative
    return urljoin(base, relative)


def app_site_url() -> tuple[str, Callable[[], str | None]] | None:
    """The installed app that provides the site URL when ``SITE_URL`` is not set, and how.

    An app provides it by a ``convertedin_feed_site_url()`` method on its
    ``AppConfig`` (as ``convertedin_feed.contrib.oscar`` does, from the sites
    framework); the first installed app that has one wins.
    """
    from django.apps import apps

    for config in apps.get_app_configs():
        provide = getattr(config, "convertedin_feed_site_url", None)
        if callable(provide):
            return config.name, provide
    return None


# Characters urljoin gives no meaning to in a relative path; dots are checked by segment.
_PLAIN_PATH = re.compile(r"[\w\-~%/@!$&'()*+,;=.]*").fullmatch


@memo()
def _site_base() -> tuple[str, bool] | None:
    """``SITE_URL`` as a base to join paths to, and whether plain concatenation joins to it.

    Without the setting, the site URL an installed app provides
    (:func:`app_site_url`), read once per settings.
    """
    site = feed_settings.SITE_URL
    if not site:
        provider = app_site_url()
        site = provider[1]() if provider is not None else None
    if not site:
        return None
    base = site.rstrip("/") + "/"
    parts = urlsplit(base)
    return base, not (parts.query or parts.fragment or "/." in parts.path)


class TagsField(KeyField):
    """Tags as the documents write them, one comma-separated string (``"games, trending"``).

    A list (``Related("tags", field="name")``) is joined; text is served as it is.
    """

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip()
        tags = [str(tag).strip() for tag in value if tag is not None]
        return ", ".join(tag for tag in tags if tag) or None


class ObjectField(KeyField):
    """A JSON object served as mapped (a product's ``app_links``)."""

    def to_representation(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object, not {type(value).__name__}")
        return value


class UTCOffsetField(KeyField):
    """A time zone as the documents show it, ``GMT+2``: an IANA name's offset now.

    Computed for the current date, so a zone with daylight saving time reads
    ``GMT+3`` in summer and ``GMT+2`` in winter. Half-hour zones read ``GMT+5:30``.
    """

    def to_representation(self, value: Any) -> Any:
        name = str(value).strip()
        try:
            zone = _zone(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{name!r} is not an IANA time zone") from exc
        return gmt_offset(timezone.now().astimezone(zone).utcoffset() or timedelta(0))


def gmt_offset(offset: timedelta) -> str:
    """``GMT``, ``GMT+2``, ``GMT-3:30``."""
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)
