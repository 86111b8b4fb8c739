"""Show what the platform will receive: one page as JSON, or a whole crawl checked.

It goes through the real view with the first configured token, so it proves the
settings, the adapters and the authentication together, without a web server.
A page is printed with the body's own tokens: indentation is added, but every
number and string is the bytes the view sent (``0.00000001`` stays ``0.00000001``).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import RequestFactory

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import UnknownFeed
from convertedin_feed.feeds import Feed, feed_names, get_feed
from convertedin_feed.schemas import RecordSerializer
from convertedin_feed.views import FeedView


class Command(BaseCommand):
    help = "Print one page of a feed as the platform receives it, or --crawl every page and report problems."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", help="Feed name, e.g. products or orders.")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--per-page", type=int, default=None)
        parser.add_argument(
            "--compact",
            action="store_true",
            help="Print the body exactly as received, without indentation.",
        )
        parser.add_argument(
            "--crawl",
            action="store_true",
            help="Read every page in order, as the platform's sync does, and check what arrives.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            feed = get_feed(options["feed"])
        except UnknownFeed:
            raise CommandError(
                f"Unknown feed {options['feed']!r}; this project serves: {feed_names()}."
            ) from None
        tokens = feed_settings.tokens
        if not tokens:
            raise CommandError(
                "No token is configured (CONVERTEDIN_FEED_TOKEN or CONVERTEDIN_FEED['TOKENS'])."
            )
        per_page = options["per_page"] or feed_settings.DEFAULT_PER_PAGE
        if options["crawl"]:
            self.crawl(feed, tokens[0], per_page)
        else:
            body = self.fetch(feed, tokens[0], options["page"], per_page).decode()
            self.stdout.write(body if options["compact"] else indent_json(body))

    def fetch(self, feed: Feed, token: str, page: int, per_page: int) -> bytes:
        """The response body, as the view wrote it."""
        fields: dict[str, Any] = {"token": token}
        if feed.paged:
            fields.update(page=page, per_page=per_page)
        request = RequestFactory().post(f"/convertedin/{feed.name}", fields)
        response = FeedView.as_view(feed=feed)(request)
        response.render()
        if response.status_code != 200:
            try:
                message = json.loads(response.content).get("message")
            except (ValueError, AttributeError):
                message = response.content[:200].decode(errors="replace")
            raise CommandError(f"The {feed.name} feed answered {response.status_code}: {message}")
        return bytes(response.content)

    def crawl(self, feed: Feed, token: str, per_page: int) -> None:
        checks = RecordChecks(feed.schema)
        if not feed.paged:
            checks.check(json.loads(self.fetch(feed, token, 1, per_page))["data"])
            self.report(feed, checks, [])
            return
        seen: set[Any] = set()
        duplicates = out_of_order = records = 0
        previous: Any = None
        page, last_page, total = 1, 1, 0
        started = time.perf_counter()
        while page <= last_page:
            body = json.loads(self.fetch(feed, token, page, per_page))
            last_page, total = body["last_page"], body["total"]
            for record in body["data"]:
                records += 1
                record_id = record.get("id")
                duplicates += record_id in seen
                seen.add(record_id)
                if _out_of_order(previous, record_id):
                    out_of_order += 1
                previous = record_id
                checks.check(record)
            if page % 100 == 0:
                self.stdout.write(f"  page {page} of {last_page}")
            page += 1
        elapsed = time.perf_counter() - started

        self.stdout.write(
            f"{feed.name}: {records} records of {total} in {last_page} pages of {per_page}, "
            f"{elapsed:.1f} s ({1000 * elapsed / last_page:.0f} ms a page)"
        )
        problems = []
        if duplicates:
            problems.append(f"{duplicates} records were served twice")
        if out_of_order:
            problems.append(f"{out_of_order} records came out of id order")
        if records != total:
            problems.append(f"the envelope's total says {total}, the pages held {records}")
        self.report(feed, checks, problems)

    def report(self, feed: Feed, checks: RecordChecks, found: list[str]) -> None:
        problems = [*checks.problems(feed.name), *found]
        for problem in problems:
            self.stdout.write(self.style.WARNING(f"  {problem}"))
        for hint in checks.hints():
            self.stdout.write(f"  {hint}")
        if problems:
            raise CommandError(f"The {feed.name} feed has problems the platform will see.")
        self.stdout.write(
            self.style.SUCCESS("  every record arrived once, in order, with its required keys")
        )


#: Nested records a crawl names, with their path, per list of them (``subcategories``).
NAMED_NESTED = 10


class RecordChecks:
    """What a crawl checks in each served record, derived from the feed's record serializer.

    Required keys that are null or missing; in each list of nested records the
    schema declares (:meth:`~convertedin_feed.schemas.RecordSerializer.nested_schemas`:
    an order's ``line_items``, a product's ``images``, a category's
    ``subcategories`` at every depth), the nested records' required keys, counted
    per record and named by their path (``category 12 > 31 > 77``); and values
    outside a key's ``documented_values`` (``financial_status``).
    """

    def __init__(self, serializer_class: type[RecordSerializer]) -> None:
        self.required = sorted(serializer_class.required_keys())
        self.shape = _Shape.of(serializer_class)
        self.documented: dict[str, tuple[Any, ...]] = {}
        for name, declared in serializer_class._declared_fields.items():
            documented = getattr(declared, "documented_values", None)
            if name not in self.shape.nested and documented is not None:
                self.documented[name] = tuple(documented)
        self.missing: Counter[str] = Counter()
        #: By (keys of the nested list, required key): the records that hold one
        #: lacking it, and how many nested records lack it.
        self.nested_records: Counter[tuple[tuple[str, ...], str]] = Counter()
        self.nested_items: Counter[tuple[tuple[str, ...], str]] = Counter()
        #: By keys of the nested list: the first nested records lacking keys,
        #: ``(root id, path, keys)``, and how many more there were.
        self.named: dict[tuple[str, ...], list[tuple[Any, tuple[str, ...], list[str]]]] = {}
        self.unnamed: Counter[tuple[str, ...]] = Counter()
        self.undocumented: Counter[tuple[str, str]] = Counter()

    def check(self, record: dict[str, Any]) -> None:
        self.missing.update(key for key in self.required if record.get(key) is None)
        for key, values in self.documented.items():
            value = record.get(key)
            if value is not None and value not in values:
                self.undocumented[key, json.dumps(value, ensure_ascii=False)] += 1
        if self.shape.nested:
            self.check_nested(record)

    def check_nested(self, record: dict[str, Any]) -> None:
        """The nested records under ``record``, at every depth, in the order they are served."""
        lacking_here: set[tuple[tuple[str, ...], str]] = set()
        # (shape, record, keys of its list, path from the root record); the root
        # record's own keys are checked by check().
        stack: list[tuple[_Shape, dict[str, Any], tuple[str, ...], tuple[str, ...]]] = [
            (self.shape, record, (), ())
        ]
        while stack:
            shape, node, keys, path = stack.pop()
            if path:
                lacking = [key for key in shape.required if node.get(key) is None]
                if lacking:
                    for key in lacking:
                        self.nested_items[keys, key] += 1
                        lacking_here.add((keys, key))
                    named = self.named.setdefault(keys, [])
                    if len(named) < NAMED_NESTED:
                        named.append((record.get("id"), path, lacking))
                    else:
                        self.unnamed[keys] += 1
            children = []
            for name, child in shape.nested.items():
                items = node.get(name)
                if isinstance(items, dict):
                    items = [items]
                if not isinstance(items, list):
                    continue
                # A subtree's records at every depth are one list: subcategories.
                subtree = child is shape and bool(keys) and keys[-1] == name
                child_keys = keys if subtree else (*keys, name)
                for position, item in enumerate(items):
                    if isinstance(item, dict):
                        step = _step(name, position, item.get("id"), same_kind=child is shape)
                        children.append((child, item, child_keys, (*path, step)))
            stack.extend(reversed(children))
        self.nested_records.update(lacking_here)

    def problems(self, records: str) -> list[str]:
        """What was found, ``records`` naming the feed's records (``"orders"``)."""
        problems = [
            f"{count} records have no {key!r} (required)"
            for key, count in sorted(self.missing.items())
        ]
        for keys in sorted(self.named):
            nested = " > ".join(key.replace("_", " ") for key in keys)
            noun = keys[-1].replace("_", " ")
            for (found, nested_key), count in sorted(self.nested_records.items()):
                if found == keys:
                    problems.append(
                        f"{_count(count, records)} {'has' if count == 1 else 'have'} {nested} "
                        f"with no {nested_key!r} ({_count(self.nested_items[keys, nested_key], noun)})"
                    )
            for root, path, lacking in self.named[keys]:
                where = " > ".join((f"{_singular(records)} {_id(root)}", *path))
                problems.append(f"  {where} lacks {', '.join(map(repr, lacking))}")
            if self.unnamed[keys]:
                problems.append(f"  and {_count(self.unnamed[keys], noun)} more")
        for (key, value), count in sorted(
            self.undocumented.items(), key=lambda item: (item[0][0], -item[1], item[0][1])
        ):
            problems.append(f"{key} {value} is not a documented value ({_count(count, records)})")
        return problems

    def hints(self) -> list[str]:
        return [
            f"the documented {key} values: {', '.join(map(str, self.documented[key]))}"
            for key in sorted({key for key, _ in self.undocumented})
        ]


class _Shape:
    """One kind of record as a crawl checks it: its required keys, its nested records' shapes.

    Built from a schema's :meth:`~convertedin_feed.schemas.RecordSerializer.required_keys`
    and :meth:`~convertedin_feed.schemas.RecordSerializer.nested_schemas`; a
    subtree's shape is its own parent's, so any depth is covered.
    """

    def __init__(self, schema: type[RecordSerializer]) -> None:
        required = schema.required_keys()
        self.required = [key for key in schema.documented_keys() if key in required]
        self.nested: dict[str, _Shape] = {}

    @classmethod
    def of(
        cls,
        schema: type[RecordSerializer],
        shapes: dict[type[RecordSerializer], _Shape] | None = None,
    ) -> _Shape:
        shapes = {} if shapes is None else shapes
        if schema not in shapes:
            shape = shapes[schema] = cls(schema)
            for name, nested in schema.nested_schemas().items():
                shape.nested[name] = cls.of(nested, shapes)
        return shapes[schema]


def _step(name: str, position: int, record_id: Any, *, same_kind: bool) -> str:
    """A nested record in a path: a subcategory by its id (``77``), another by its
    key and id (``images 5``), or by its key and position (``line_items[0]``)."""
    if record_id is None:
        return f"{name}[{position}]"
    return _id(record_id) if same_kind else f"{name} {_id(record_id)}"


def _id(record_id: Any) -> str:
    return json.dumps(record_id, ensure_ascii=False, default=str)


def _singular(plural: str) -> str:
    if plural.endswith("ies"):
        return plural[: -len("ies")] + "y"
    return plural.removesuffix("s")


def _count(number: int, plural: str) -> str:
    return f"{number} {plural if number != 1 else _singular(plural)}"


def _out_of_order(previous: Any, current: Any) -> bool:
    """Only integer ids can be checked here: text and UUID keys follow the database's
    own collation, which Python cannot reproduce (duplicates and totals still count)."""
    return isinstance(previous, int) and isinstance(current, int) and current <= previous


#: A JSON body's tokens: a string (escapes and all), a bracket, brace, comma or
#: colon, a run of anything else (a number, true, false, null), whitespace, or
#: failing all of those a lone character, so that nothing is ever dropped.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[][{},:]|[^][{},:"\s]+|(\s+)|.', re.DOTALL)


def indent_json(text: str, indent: int = 2) -> str:
    """``text`` indented for reading, its numbers and strings untouched.

    Newlines and indentation follow ``{``, ``[`` and ``,`` and precede ``}`` and
    ``]``, a space follows ``:``, and ``[]`` and ``{}`` stay as they are; the
    whitespace the body had between tokens goes. Re-parsing and dumping instead
    would re-render numbers (``0.00000001`` as ``1e-08``).
    """
    parts = [match.group() for match in _TOKENS.finditer(text) if match.group(1) is None]
    out: list[str] = []
    depth = 0
    i, end = 0, len(parts)
    while i < end:
        part = parts[i]
        if part == "{" or part == "[":
            if i + 1 < end and parts[i + 1] == ("}" if part == "{" else "]"):
                out.append(part + parts[i + 1])
                i += 2
                continue
            depth += 1
            out.append(part + "\n" + " " * (indent * depth))
        elif part == "}" or part == "]":
            depth = max(depth - 1, 0)
            out.append("\n" + " " * (indent * depth) + part)
        elif part == ",":
            out.append(",\n" + " " * (indent * depth))
        elif part == ":":
            out.append(": ")
        else:
            out.append(part)
        i += 1
    return "".join(out)
