"""The documented rules a served record must meet: one judge for every tool that reads feeds.

``convertedin_feed audit`` and ``convertedin_feed crawl`` read records as the
platform receives them and hand each to :class:`Judge`. What a record is checked
for comes from its feed's schema (:mod:`convertedin_feed.schemas`), at every
depth of its nested records:

- a key the schema requires must hold a value that is not blank;
- an :class:`~convertedin_feed.fields.EmailField` must have an address's shape;
- a :class:`~convertedin_feed.fields.CurrencyField` must be an ISO 4217 code,
  a :class:`~convertedin_feed.fields.CountryField` an ISO 3166-1 alpha-2 code
  (pycountry's lists);
- a :class:`~convertedin_feed.fields.DateTimeField` must be ``Y-m-d H:i:s``;
- a number must not be below its field's ``minimum``: no negative amount or
  count (``not_negative``), no line item of quantity 0 (``positive``);
- a list declared ``allow_empty=False`` (an order's ``line_items``) must hold a record;
- a key with ``documented_values`` should hold one of them;
- a key that ``references`` a feed must hold an id that feed served.

Each rule has an id, which the audit's JSON and the admin page name it by, and is
*required* (the platform refuses such a record: the audit exits 1) or not (the
record is served and taken, but something is off). References are checked against
the feeds read before, in the platform's order (categories, products, customers,
orders), whose ids :class:`IdIndex` keeps at 8 bytes each.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from convertedin_feed.fields import (
    CountryField,
    CurrencyField,
    DateTimeField,
    EmailField,
    KeyField,
)
from convertedin_feed.schemas import RecordSerializer

#: How many example ids a rule keeps, per feed.
EXAMPLES = 5


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    #: Broken, the platform refuses the record; the audit exits with status 1.
    required: bool = True


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("required_keys", "required keys are present and not blank"),
        Rule("email", "emails have an address's shape"),
        Rule("currency", "currencies are ISO 4217 codes"),
        Rule("country", "countries are ISO 3166-1 alpha-2 codes"),
        Rule("datetime", "dates are in the documented format, Y-m-d H:i:s"),
        Rule("not_negative", "no amount, count or stock is negative"),
        Rule("not_empty", "orders have line items"),
        Rule("positive", "line items have a positive quantity"),
        Rule(
            "documented_values",
            "keys with documented values hold one of them (financial_status)",
            required=False,
        ),
        Rule("references", "every reference is to a record its feed serves"),
    )
}

_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").fullmatch


@dataclass
class Finding:
    """One rule broken in one feed: how often, and the first few records, by id."""

    rule: str
    feed: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return RULES[self.rule].required

    def add(self, where: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(where)


class IdIndex:
    """The ids one feed served, 8 bytes each: a digest of their JSON text, sorted once read.

    ``12`` and ``"12"`` are the same id here, as a product's ``category_id`` (a
    string) refers to a category's ``id`` (a number).
    """

    def __init__(self) -> None:
        self._keys = array("q")
        self._sorted = True

    @staticmethod
    def key(record_id: Any) -> int:
        digest = hashlib.blake2b(str(record_id).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def add(self, record_id: Any) -> None:
        self._keys.append(self.key(record_id))
        self._sorted = False

    def __contains__(self, record_id: Any) -> bool:
        if not self._sorted:
            self._keys = array("q", sorted(self._keys))
            self._sorted = True
        key = self.key(record_id)
        at = bisect_left(self._keys, key)
        return at < len(self._keys) and self._keys[at] == key

    def __len__(self) -> int:
        return len(self._keys)

    def repeated(self) -> int:
        """How many ids were added more than once (each repeat counts)."""
        return sum(1 for before, after in pairwise(sorted(self._keys)) if before == after)


@dataclass
class _Check:
    """What one key of one kind of record is checked for."""

    key: str
    required: bool
    kind: str | None  # "email", "currency", "country", "datetime"
    minimum: int | None
    documented: tuple[Any, ...] | None
    references: str | None


class _Shape:
    """One kind of record as the judge sees it: its keys' checks, its nested lists' shapes."""

    def __init__(self, schema: type[RecordSerializer]) -> None:
        required = schema.required_keys()
        self.checks: list[_Check] = []
        self.nested: dict[str, tuple[_Shape, bool]] = {}
        self.subtree: set[str] = set()
        for name, declared in schema._declared_fields.items():
            if isinstance(declared, KeyField):
                self.checks.append(
                    _Check(
                        key=name,
                        required=name in required,
                        kind=_kind(declared),
                        minimum=declared.minimum,
                        documented=declared.documented_values,
                        references=declared.references,
                    )
                )

    @classmethod
    def of(
        cls, schema: type[RecordSerializer], shapes: dict[type[RecordSerializer], _Shape]
    ) -> _Shape:
        if schema not in shapes:
            shape = shapes[schema] = cls(schema)
            declared_fields = schema._declared_fields
            for name, nested in schema.nested_schemas().items():
                declared = declared_fields[name]
                empty_ok = getattr(declared, "allow_empty", True)
                shape.nested[name] = (cls.of(nested, shapes), empty_ok)
                if nested is schema:
                    shape.subtree.add(name)
                shape.checks = [check for check in shape.checks if check.key != name]
        return shapes[schema]


def _kind(declared: serializers.Field) -> str | None:
    for kind, field_class in (
        ("email", EmailField),
        ("currency", CurrencyField),
        ("country", CountryField),
        ("datetime", DateTimeField),
    ):
        if isinstance(declared, field_class):
            return kind
    return None


class Judge:
    """Checks every record of every feed read, and keeps what it found.

    Call :meth:`check` with each feed's records in the order the feeds are read;
    a feed's ids are indexed as it is read, for the references of the feeds after it.
    """

    def __init__(self) -> None:
        self.findings: dict[tuple[str, str], Finding] = {}
        self.records: dict[str, int] = {}
        self.indexes: dict[str, IdIndex] = {}
        #: References to feeds not read (left out by ``--feed``, or cut by ``--limit``).
        self.unchecked: dict[tuple[str, str], int] = {}
        self._shapes: dict[type[RecordSerializer], _Shape] = {}
        self._complete: set[str] = set()

    def check(self, feed: str, schema: type[RecordSerializer], records: Iterable[Any]) -> None:
        """Judge ``records``, a page of ``feed``'s, and index their ids (at every depth)."""
        shape = _Shape.of(schema, self._shapes)
        index = self.indexes.setdefault(feed, IdIndex())
        for record in records:
            self.records[feed] = self.records.get(feed, 0) + 1
            root = record.get("id") if isinstance(record, dict) else None
            label = feed if root is None else _text(root)  # storeinfo has no id
            for path, node, node_shape in _walk(shape, record):
                where = " > ".join((label, *path))
                self._judge(feed, node, node_shape, where)
                if node_shape is shape and isinstance(node, dict):
                    index.add(node.get("id"))

    def feed_complete(self, feed: str) -> None:
        """Every record of ``feed`` was read: references to it can be checked."""
        self._complete.add(feed)

    def _judge(self, feed: str, node: Any, shape: _Shape, where: str) -> None:
        if not isinstance(node, dict):
            self._found("required_keys", feed, f"{where}: not an object")
            return
        for check in shape.checks:
            value = node.get(check.key)
            if value is None or (isinstance(value, str) and not value.strip()):
                if check.required:
                    self._found("required_keys", feed, f"{where}: {check.key}")
                continue
            broken = self._broken(check, value)
            if broken == "documented_values":  # a status, never personal: shown
                self._found(broken, feed, f"{where}: {check.key} {value!r}")
            elif broken is not None:
                self._found(broken, feed, f"{where}: {check.key}")
        for name, (_, empty_ok) in shape.nested.items():
            if not empty_ok and not node.get(name):
                self._found("not_empty", feed, f"{where}: {name}")

    def _broken(self, check: _Check, value: Any) -> str | None:
        """The rule ``value`` breaks, if any (a value is judged by one rule at most)."""
        if check.kind is not None and not _KIND_OK[check.kind](value):
            return check.kind
        if check.minimum is not None and _is_number(value) and value < check.minimum:
            return "positive" if check.minimum > 0 else "not_negative"
        if check.documented is not None and value not in check.documented:
            return "documented_values"
        if check.references is not None:
            target = value.get("id") if isinstance(value, dict) else value
            if check.references not in self._complete:
                key = (check.references, check.key)
                self.unchecked[key] = self.unchecked.get(key, 0) + 1
            elif target not in self.indexes[check.references]:
                return "references"
        return None

    def _found(self, rule: str, feed: str, where: str) -> None:
        finding = self.findings.get((rule, feed))
        if finding is None:
            finding = self.findings[rule, feed] = Finding(rule, feed)
        finding.add(where)

    @property
    def failed(self) -> bool:
        """Whether a required rule is broken."""
        return any(finding.required for finding in self.findings.values())

    def ordered_findings(self) -> list[Finding]:
        """Findings in the rules' order, then the feeds' order of reading."""
        rules, feeds = list(RULES), list(self.records)
        return sorted(
            self.findings.values(),
            key=lambda f: (rules.index(f.rule), feeds.index(f.feed) if f.feed in feeds else 0),
        )


def _walk(shape: _Shape, record: Any) -> Iterator[tuple[tuple[str, ...], Any, _Shape]]:
    """``record`` and its nested records at every depth, with their paths from it."""
    stack: list[tuple[tuple[str, ...], Any, _Shape]] = [((), record, shape)]
    while stack:
        path, node, node_shape = stack.pop()
        yield path, node, node_shape
        if not isinstance(node, dict):
            continue
        children = []
        for name, (child_shape, _) in node_shape.nested.items():
            items = node.get(name)
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, list):
                continue
            for position, item in enumerate(items):
                item_id = item.get("id") if isinstance(item, dict) else None
                if name in node_shape.subtree and item_id is not None:
                    step = _text(item_id)  # a subcategory by its id
                else:
                    step = f"{name}[{position}]"
                children.append(((*path, step), item, child_shape))
        stack.extend(reversed(children))


def _text(record_id: Any) -> str:
    return str(record_id)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _email_ok(value: Any) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _datetime_ok(value: Any) -> bool:
    if not isinstance(value, str) or not _DATETIME(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def _currency_ok(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.isupper()
        and pycountry.currencies.get(alpha_3=value) is not None
    )


def _country_ok(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 2
        and value.isupper()
        and pycountry.countries.get(alpha_2=value) is not None
    )


_KIND_OK = {
    "email": _email_ok,
    "currency": _currency_ok,
    "country": _country_ok,
    "datetime": _datetime_ok,
}
