"""DRF serializers for the documented shapes: the request, each record, the envelope.

Records arrive as plain dicts from an adapter. Each field renders one documented
key in the format the platform's validator expects; keys an adapter adds beyond
the documented ones pass through as they are.
"""

from __future__ import annotations

import contextlib
import re
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import serializers

from convertedin_feed.codes import country_code, currency_code
from convertedin_feed.conf import SETTING_NAME, feed_settings
from convertedin_feed.money import MONEY, shortest
from convertedin_feed.record_errors import CheckedList, first_cause, record_problem

#: Past this, page arithmetic leaves the range every database's LIMIT/OFFSET takes.
MAX_PAGE_NUMBER = 2**31 - 1
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# ---------------------------------------------------------------------------
# The request


class WholeNumberField(serializers.IntegerField):
    """A whole number as Laravel's ``integer`` rule reads one: PHP's ``FILTER_VALIDATE_INT``.

    Text is ASCII digits only: an optional ``+`` or ``-``, then ``0`` or a
    number without leading zeros (``007`` is refused, as PHP refuses it: some
    readers take it for octal), with spaces, tabs and line breaks around it.
    Python's ``int()`` reads far more, and none of it is taken here: ``1_0``
    (as 10), Arabic-Indic ``٣``, full-width digits, ``1.0``, and spaces that
    are not ASCII. A JSON number is taken when its value is whole (``3``, and
    ``3.0`` or ``3e0``, which JSON does not tell apart from ``3``); ``1.5``,
    ``true`` and anything else is not a number.
    """

    #: PHP trims exactly these (``PHP_FILTER_TRIM_DEFAULT``); no ``re.ASCII``
    #: needed, as the pattern names every character it takes.
    SYNTAX = re.compile(r"[ \t\n\r\v]*([+-]?)(0|[1-9][0-9]*)[ \t\n\r\v]*")

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):  # a bool is an int to Python, never a number to the platform
            self.fail("invalid")
        if isinstance(data, int):
            return data
        if isinstance(data, float):
            if not data.is_integer():  # 1.5, and the infinity a JSON 1e400 becomes
                self.fail("invalid")
            return int(data)
        if not isinstance(data, str):
            self.fail("invalid")
        if len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        match = self.SYNTAX.fullmatch(data)
        if match is None:
            self.fail("invalid")
        sign, digits = match.groups()
        return -int(digits) if sign == "-" else int(digits)


class PagingSerializer(serializers.Serializer):
    """``page`` and ``per_page`` (alias ``par_page``, as the customers document spells it)."""

    page = WholeNumberField(min_value=1, max_value=MAX_PAGE_NUMBER, required=False)
    per_page = WholeNumberField(min_value=1, max_value=MAX_PAGE_NUMBER, required=False)
    par_page = WholeNumberField(min_value=1, max_value=MAX_PAGE_NUMBER, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        requested = attrs.get("per_page") or attrs.get("par_page") or feed_settings.DEFAULT_PER_PAGE
        return {
            "page": attrs.get("page") or 1,
            "per_page": min(requested, feed_settings.MAX_PER_PAGE),
        }


# ---------------------------------------------------------------------------
# Record fields


class _Never:
    """No value is of this type: the ``ready_type`` of keys that always render."""


class KeyField(serializers.Field):
    """A documented key: rendered from a row value; ``None`` renders as ``null_value``.

    ``documented_values`` are the values the documents list for the key; others
    are served all the same, and ``convertedin_feed_preview --crawl`` reports them.
    """

    #: Values of exactly this type are already what the key renders, so a page
    #: of them skips a call per value.
    ready_type: type = _Never

    def __init__(
        self,
        *,
        optional: bool = False,
        null_value: Any = None,
        documented_values: Iterable[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.optional = optional
        self.null_value = null_value
        self.documented_values = None if documented_values is None else tuple(documented_values)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value


def _identifier(value: Any) -> int | str:
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


class IdField(KeyField):
    """A primary key as the shop has it: integers stay numbers, anything else a string."""

    ready_type = int

    def to_representation(self, value: Any) -> Any:
        return _identifier(value)


class IntegerKeyField(KeyField):
    ready_type = int

    def to_representation(self, value: Any) -> Any:
        return int(value)


class TextField(KeyField):
    """Text; a blank value is ``null`` (the shop has no value), as on every key."""

    ready_type = str

    def to_representation(self, value: Any) -> Any:
        text = str(value)
        return text if text.strip() else None


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
        zone = self.__dict__.get("_zone")
        if zone is None:
            zone = self.__dict__["_zone"] = _zone(feed_settings.time_zone_name)
        return zone

    def renderer(self) -> Callable[[Any], Any]:
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


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


# ---------------------------------------------------------------------------
# Records


class RecordSerializer(serializers.Serializer):
    """Renders one record dict: documented keys first, then the adapter's extras."""

    @classmethod
    def documented_keys(cls) -> dict[str, Any]:
        """The key tree adapters compile against: nested records map to their own keys,
        money keys to :data:`~convertedin_feed.money.MONEY`, others to ``None``."""
        keys: dict[str, Any] = {}
        for name, declared in cls._declared_fields.items():
            child = getattr(declared, "child", declared)
            if isinstance(child, RecordSerializer):
                keys[name] = child.documented_keys()
            else:
                keys[name] = MONEY if isinstance(declared, MoneyField) else None
        return keys

    @classmethod
    def required_keys(cls) -> set[str]:
        return {
            name
            for name, declared in cls._declared_fields.items()
            if not getattr(declared, "optional", False)
        }

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.renderer()(instance)

    def renderer(self) -> RecordRenderer:
        renderer = _record_renderers.get(type(self))
        if renderer is None:
            renderer = _record_renderers[type(self)] = RecordRenderer(self)
        return renderer

    class Meta:
        list_serializer_class: type[serializers.ListSerializer] = serializers.ListSerializer


class RecordListSerializer(serializers.ListSerializer):
    """A page of records, rendered and checked in one call rather than one call per record.

    ``context["problems"]`` holds what the records stage found, by position,
    so each record is judged once (``RECORD_ERRORS``) with all its problems.
    """

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        renderer = self.child.renderer()  # type: ignore[union-attr]
        rendered, problems = renderer.render(data, self.context.get("problems"))
        return renderer.judge(rendered, problems)


RecordSerializer.Meta.list_serializer_class = RecordListSerializer


class RecordRenderer:
    """A record serializer compiled into plain functions, once per class and settings change.

    A page is a thousand records of fifteen keys: DRF's field-by-field loop
    costs more there than the database does. The generated functions are the
    loop unrolled, one line per key, for one record and for a list of them::

        "id": null_0 if (v := instance["id"]) is None or v.__class__ is str and v.isspace() ...
              else v if v.__class__ is ready_0 else render_0(v),

    A blank or whitespace-only string is no value, on every key. Records
    carry exactly the documented keys when they come from an adapter without
    extras; any other dict takes the plain loop, with a missing key rendered
    as ``null`` and the extras passed through after the documented keys.
    """

    def __init__(self, serializer: RecordSerializer) -> None:
        self.kind = type(serializer).__name__.removesuffix("Serializer")
        self.keys = [
            (
                name,
                _renderer(key_field),
                _null_value(key_field),
                getattr(key_field, "ready_type", _Never),
            )
            for name, key_field in serializer.fields.items()
        ]
        #: Keys holding nested records, whose problems the parent record reports.
        self.nested = {
            name: type(key_field.child).__name__.removesuffix("Serializer")
            for name, key_field in serializer.fields.items()
            if isinstance(key_field, serializers.ListSerializer)
        }
        #: Keys the documents require and whose null renders as null: a record
        #: without them cannot be mapped (``RECORD_ERRORS``).
        self.required = [
            name
            for name, _, null_value, _ in self.keys
            if name in serializer.required_keys() and null_value is None
        ]
        namespace: dict[str, Any] = {}
        lines = []
        for i, (name, render, null_value, ready) in enumerate(self.keys):
            namespace.update({f"render_{i}": render, f"null_{i}": null_value, f"ready_{i}": ready})
            lines.append(
                f"        {name!r}: null_{i} if (v := instance[{name!r}]) is None"
                " or v.__class__ is str and (not v or v.isspace())"
                f" else v if v.__class__ is ready_{i} else render_{i}(v),"
            )
        record = "{\n" + "\n".join(lines) + "\n    }"
        lacking = " or ".join(f"record[{name!r}] is None" for name in self.required) or "False"
        source = (
            f"def render_many(records):\n    return [{record} for instance in records]\n\n"
            f"def incomplete(records):\n"
            f"    return [i for i, record in enumerate(records) if {lacking}]\n"
        )
        filename = f"<{type(serializer).__qualname__} renderer>"
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own source
        self.render_many = namespace["render_many"]
        self.incomplete = namespace["incomplete"]

    def render(
        self, records: Any, problems: dict[int, list[str]] | None = None
    ) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
        """Each record rendered, and every problem found so far, by position."""
        if not isinstance(records, list | tuple):
            records = list(records)
        problems = {i: list(trouble) for i, trouble in (problems or {}).items()}
        rendered: list[dict[str, Any]] | None = None
        if set(map(len, records)) <= {len(self.keys)}:
            # A key missing, or a value that cannot render: then record by record.
            with contextlib.suppress(Exception):
                rendered = self.render_many(records)
        if rendered is None:
            rendered = []
            for i, instance in enumerate(records):
                record, trouble = self._render_one(instance)
                rendered.append(record)
                if trouble:
                    problems.setdefault(i, []).extend(trouble)
        for i in self.incomplete(rendered):
            problems.setdefault(i, []).append(self._lacking(rendered[i]))
        return rendered, problems

    def judge(
        self, rendered: list[dict[str, Any]], problems: dict[int, list[str]]
    ) -> list[dict[str, Any]]:
        """Log each record's problems once, with its id; ``RECORD_ERRORS`` says which stay.

        Nested records (line items) are judged here too, each on its own: one
        left out leaves its order, not the page.
        """
        for name in self.nested:
            for record in rendered:
                children = record[name]
                if children.__class__ is CheckedList:
                    record[name] = self._judge_nested(name, record.get("id"), children)
        if not problems:
            return rendered
        dropped = {
            i
            for i, trouble in problems.items()
            if record_problem(
                self.kind, rendered[i].get("id"), "; ".join(trouble), first_cause(trouble)
            )
        }
        return [r for i, r in enumerate(rendered) if i not in dropped] if dropped else rendered

    def _judge_nested(self, name: str, parent: Any, children: CheckedList) -> list[Any]:
        child = self.nested[name]
        kept = []
        for position, record in enumerate(children):
            trouble = children.problems.get(position)
            if trouble:
                own = children.ids.get(position)
                label = (
                    f"{child} record {own!r} of {self.kind} {parent!r}"
                    if own is not None
                    else f"{child} {name}[{position}] of {self.kind} {parent!r}"
                )
                if record_problem(
                    child, own, "; ".join(trouble), first_cause(trouble), label=label
                ):
                    continue
            kept.append(record)
        return kept

    def nested_records(self, records: Any) -> list[dict[str, Any]]:
        """Nested records for their parent's key: problems go up with them, to be judged there."""
        found = records.problems if records.__class__ is CheckedList else None
        rendered, problems = self.render(records, found)
        if not problems:
            return rendered
        return CheckedList.of(rendered, problems, getattr(records, "ids", {}))

    def __call__(self, instance: Any) -> dict[str, Any]:
        """One record, for DRF's ``to_representation``; its problems are logged, never dropped."""
        rendered, problems = self.render([instance])
        if problems:
            record_problem(self.kind, rendered[0].get("id"), "; ".join(problems[0]))
        return rendered[0]

    def _render_one(self, instance: Any) -> tuple[dict[str, Any], list[str]]:
        """Key by key: a missing key renders null, a value that cannot render is null and noted."""
        record: dict[str, Any] = {}
        trouble: list[str] = []
        get = instance.get
        for name, render, null_value, _ in self.keys:
            value = get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                record[name] = null_value
                continue
            try:
                record[name] = render(value)
            except Exception as exc:
                record[name] = null_value
                trouble.append(f"{name!r} cannot be rendered from {value!r}: {exc!r}")
        # Extras follow the documented keys, as the adapter lists them.
        for name, value in instance.items():
            if name not in record:
                record[name] = value
        return record, trouble

    def _lacking(self, record: dict[str, Any]) -> str:
        missing = [name for name in self.required if record[name] is None]
        return f"no value for the required {', '.join(map(repr, missing))}"


_record_renderers: dict[type[RecordSerializer], RecordRenderer] = {}


@receiver(setting_changed)
def _forget_record_renderers(*, setting: str, **kwargs: Any) -> None:
    # Renderers hold the feed's time zone and null values.
    if setting in (SETTING_NAME, "TIME_ZONE"):
        _record_renderers.clear()


def _null_value(key_field: serializers.Field) -> Any:
    """What ``None`` renders as: a list of records (an order's line items) is ``[]``, never null."""
    if isinstance(key_field, serializers.ListSerializer):
        return ()  # orjson writes a tuple as a list, and nothing can append to it
    return getattr(key_field, "null_value", None)


def _renderer(key_field: serializers.Field) -> Any:
    """A key's ``to_representation``; a nested list of records skips ListSerializer's per-call work."""
    child = getattr(key_field, "child", None)
    if isinstance(key_field, serializers.ListSerializer) and isinstance(child, RecordSerializer):
        return child.renderer().nested_records
    renderer = getattr(key_field, "renderer", None)
    return renderer() if callable(renderer) else key_field.to_representation


class LineItemSerializer(RecordSerializer):
    product_id = IdField()
    quantity = IntegerKeyField()
    price = MoneyField()


class CustomerSerializer(RecordSerializer):
    """A customer, as ``customers.md`` documents it."""

    id = IdField()
    email = TextField()
    first_name = TextField()
    last_name = TextField()
    orders_count = IntegerKeyField(null_value=0)
    total_spent = MoneyField(null_value=0)
    currency = CurrencyField()
    phone = TextField(optional=True)
    registered_at = DateTimeField()
    gender = GenderField(optional=True)


#: The ``financial_status`` values the orders document lists.
FINANCIAL_STATUSES = ("processing", "successful", "canceled", "refunded")


class OrderSerializer(RecordSerializer):
    """An order, as ``orders.md`` documents it."""

    id = IdField()
    ordered_at = DateTimeField()
    total_price = MoneyField()
    subtotal_price = MoneyField()
    total_tax = MoneyField(null_value=0)
    taxes_included = FlagField()
    currency = CurrencyField()
    country_code = CountryField()
    financial_status = TextField(optional=True, documented_values=FINANCIAL_STATUSES)
    total_discounts = MoneyField(null_value=0)
    phone = TextField()
    customer_locale = TextField(optional=True)
    contact_email = TextField()
    line_items = LineItemSerializer(many=True, read_only=True)
    customer = CustomerReferenceField()


# ---------------------------------------------------------------------------
# The envelope


class PageSerializer(serializers.Serializer):
    """The Laravel-style paginated envelope, keys in the documents' order.

    Built from a :class:`~convertedin_feed.pagination.Page` whose ``rows`` are
    the records as served; ``from`` is a Python keyword, hence the fields are
    built here.
    """

    def to_representation(self, page: Any) -> dict[str, Any]:
        # The fields below, without building seven IntegerFields per request.
        return {
            "current_page": page.number,
            "data": page.rows,
            "from": page.first_position,
            "last_page": page.last_page,
            "per_page": page.per_page,
            "to": page.last_position,
            "total": page.total,
        }

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "current_page": serializers.IntegerField(source="number"),
            "data": serializers.ListField(source="rows", child=serializers.DictField()),
            "from": serializers.IntegerField(source="first_position", allow_null=True),
            "last_page": serializers.IntegerField(),
            "per_page": serializers.IntegerField(),
            "to": serializers.IntegerField(source="last_position", allow_null=True),
            "total": serializers.IntegerField(),
        }
