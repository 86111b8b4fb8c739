"""Filters a feed takes in its request body, as django-filter FilterSets.

Beside the documented fields, a feed may take the change filters its adapter
declares (:data:`~convertedin_feed.adapters.CHANGE_FILTERS`): ``created_since``
and ``updated_since`` (the documented ``Y-m-d H:i:s`` or ISO 8601; without an
offset, in the feed's time zone) and ``ids`` (comma-separated). The platform
sends none of them; a shop's own tools do, for incremental pulls
(``manage.py convertedin_feed crawl --since``).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import exceptions

from convertedin_feed.adapters import CHANGE_FILTERS
from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import FeedConfigurationError

#: The most ids one request may ask for.
MAX_IDS = 1000
#: What is trimmed around an id: what PHP trims (as around a page number).
_SPACES = " \t\n\r\v"


class FeedFilterSet(django_filters.FilterSet):
    """A FilterSet that is given the adapter of the rows it filters, for filters only the
    adapter can express.

    A feed may page over several sources (a customers feed's accounts, then its
    guests): the view filters each with its own adapter, ``feed_adapter`` being
    the feed's, which says what the feed takes. ``until`` bounds the change
    filters to what had changed when the crawl began (the paginator's moment).
    """

    def __init__(
        self,
        *args: Any,
        adapter: Any = None,
        feed_adapter: Any = None,
        until: dt.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        self.adapter = adapter
        self.feed_adapter = feed_adapter if feed_adapter is not None else adapter
        self.until = until
        super().__init__(*args, **kwargs)

    #: The filters that select by time: with one of them sent, the rows depend on the
    #: moment they are read, and the paginator holds a crawl to the moment it began.
    timed_filters: tuple[str, ...] = ()

    @property
    def timed(self) -> bool:
        """Whether a filter of :attr:`timed_filters` was sent (on a valid FilterSet)."""
        return any(self.form.cleaned_data.get(name) is not None for name in self.timed_filters)

    def declared(self, name: str) -> None:
        """A change filter the feed does not declare is refused (422), never ignored: a
        pull that asked for changes must not get everything without knowing it."""
        option = CHANGE_FILTERS[name]
        if name not in self.feed_adapter.change_filters():
            raise exceptions.ValidationError(
                {name: [f"This feed does not take {name} (its adapter declares no Meta.{option})."]}
            )
        if name not in self.adapter.change_filters():
            raise FeedConfigurationError(
                f"{type(self.feed_adapter).__qualname__} takes {name}, but "
                f"{type(self.adapter).__qualname__} declares no Meta.{option}."
            )


#: A moment as the filters take it: the feeds' own ``Y-m-d H:i:s``, or ISO 8601's extended
#: form as RFC 3339 writes it (``2024-05-01T09:30:00Z``, ``...+02:00``, a fraction of any
#: length), seconds optional; a date alone is its midnight. ASCII digits only.
MOMENT_SYNTAX = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?)?"
)
_UTC = dt.timezone.utc
_EARLIEST = dt.datetime.min.replace(tzinfo=_UTC)
_LATEST = dt.datetime.max.replace(tzinfo=_UTC)


def parse_moment(text: str, zone: dt.tzinfo) -> dt.datetime:
    """:data:`MOMENT_SYNTAX` as an aware datetime (``zone`` when it names no offset).

    ``ValueError`` for anything else, and for a day, hour or offset that does not
    exist. A moment before the first one Python represents in UTC (``0001-01-01``
    east of it) is that first one, and past the last is the last: ``since`` it
    is then everything, or nothing a database can hold.
    """
    match = MOMENT_SYNTAX.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date and time")
    day = dt.date.fromisoformat(match["date"])
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    clock = dt.time(
        int(match["hour"] or 0),
        int(match["minute"] or 0),
        int(match["second"] or 0),
        int(fraction),
    )
    offset = match["offset"]
    if offset is None:
        moment = dt.datetime.combine(day, clock).replace(tzinfo=zone)
    elif offset in "Zz":
        moment = dt.datetime.combine(day, clock, tzinfo=_UTC)
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if minutes > 59:
            raise ValueError(f"{offset} is no offset")
        delta = dt.timedelta(hours=hours, minutes=minutes)
        tz = dt.timezone(-delta if offset[0] == "-" else delta)  # ValueError past 24 hours
        moment = dt.datetime.combine(day, clock, tzinfo=tz)
    try:
        return moment.astimezone(_UTC)
    except OverflowError:  # past either end of what Python represents in UTC
        return _EARLIEST if moment.year == 1 else _LATEST


class MomentFormField(forms.Field):
    """A moment as sent (:func:`parse_moment`); without an offset, in the feed's time zone.
    Only ``""`` (and ``null``) is no value: spaces around a moment are not taken."""

    default_error_messages = {  # noqa: RUF012 (Django's)
        "invalid": "%(value)r is not a date and time: send Y-m-d H:i:s or ISO 8601 "
        "(2024-05-01T09:30:00+02:00)."
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        if value is None or value == "":
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return parse_moment(value, zoneinfo.ZoneInfo(feed_settings.time_zone_name))
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None


class MomentFilter(django_filters.Filter):
    field_class = MomentFormField


class IdsWidget(forms.Widget):
    """``ids=1,2`` once, or repeated (``ids=1&ids=2``): every value is read, none dropped."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            return values if len(values) > 1 else (values[0] if values else None)
        return data.get(name)


class IdsFormField(forms.Field):
    """Record ids: comma-separated text; in JSON also one id or a list of them (text or
    whole numbers).

    ``""`` is no value. An id is trimmed of spaces; an empty one (``1,,2``, or
    only spaces), an empty list or more than :data:`MAX_IDS` is refused: none
    of them may serve every record.
    """

    widget = IdsWidget
    default_error_messages = {  # noqa: RUF012 (Django's)
        "invalid": "Send ids as a comma-separated list, such as 12,15,31.",
        "empty": "An id in the list is empty, or the list is.",
        "too_many": "At most %(limit)s ids a request.",
    }

    def to_python(self, value: Any) -> list[Any] | None:
        if value is None or value == "":
            return None
        if isinstance(value, list) and not value:  # JSON's []: asked for no record, not all
            raise ValidationError(self.error_messages["empty"], code="empty")
        items = value if isinstance(value, list) else [value]
        ids: list[Any] = []
        for item in items:
            if isinstance(item, str):
                ids.extend(part.strip(_SPACES) for part in item.split(","))
            elif isinstance(item, int) and not isinstance(item, bool):
                ids.append(item)
            elif isinstance(item, float) and item.is_integer():
                ids.append(int(item))  # JSON does not tell 5.0 from 5
            else:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        if any(item == "" for item in ids):
            raise ValidationError(self.error_messages["empty"], code="empty")
        if len(ids) > MAX_IDS:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": MAX_IDS}
            )
        return list(dict.fromkeys(ids))


class IdsFilter(django_filters.Filter):
    field_class = IdsFormField


class ChangeFilterSet(FeedFilterSet):
    """``created_since``, ``updated_since`` and ``ids``, as the feed's adapter declares them."""

    timed_filters = ("created_since", "updated_since")

    created_since = MomentFilter(method="filter_created_since")
    updated_since = MomentFilter(method="filter_updated_since")
    ids = IdsFilter(method="filter_ids")

    def filter_created_since(self, queryset: QuerySet[Any], name: str, value: Any) -> Any:
        self.declared(name)
        return self.adapter.filter_changed(queryset, "created_at", value, self.until)

    def filter_updated_since(self, queryset: QuerySet[Any], name: str, value: Any) -> Any:
        self.declared(name)
        return self.adapter.filter_changed(queryset, "updated_at", value, self.until)

    def filter_ids(self, queryset: QuerySet[Any], name: str, value: Any) -> Any:
        self.declared(name)
        if self.adapter is self.feed_adapter:  # once a request, by the feed's own adapter
            refused = self.feed_adapter.refused_ids(value)
            if refused:
                shown = ", ".join(repr(item) for item in refused[:5])
                raise exceptions.ValidationError({name: [f"{shown} cannot be an id of this feed."]})
        return self.adapter.filter_ids(queryset, value)


class KeyFormField(forms.Field):
    """A record's key as sent: text (trimmed), or a JSON number that is whole.

    Blank text and ``null`` are no value. Anything else (a JSON list, object,
    boolean or ``1.5``) is refused here, never read as no value: an empty list
    must not serve the products unfiltered.
    """

    default_error_messages = {"invalid": "%(value)r is not a category id."}  # noqa: RUF012 (Django's)

    def to_python(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, float) and value.is_integer():
            return int(value)  # JSON does not tell 5.0 from 5
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )


class KeyFilter(django_filters.Filter):
    """A filter on a record's key (``collection_id``): see :class:`KeyFormField`."""

    field_class = KeyFormField


def refuse_change_filters(data: Any, filterset_class: type[Any] | None) -> None:
    """A change filter sent to a feed with no :class:`ChangeFilterSet` (categories) is a 422,
    as it is where the adapter does not declare it: never ignored."""
    if filterset_class is not None and issubclass(filterset_class, ChangeFilterSet):
        return
    for name in CHANGE_FILTERS:
        if name in data and data.get(name) not in (None, ""):
            raise exceptions.ValidationError({name: [f"This feed does not take {name}."]})


class ProductFilterSet(ChangeFilterSet):
    """``collection_id``: only the products in that category (see ``ProductAdapter.Meta``);
    and the change filters."""

    collection_id = KeyFilter(method="filter_collection")

    def filter_collection(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        try:
            return self.adapter.filter_collection(queryset, value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise exceptions.ValidationError({name: [f"{value!r} is not a category id."]}) from exc
