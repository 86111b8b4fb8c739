"""Reading every page of every feed and judging what arrives: the audit, and the crawl.

:func:`judge_feeds` reads feeds page by page in the platform's order
(:mod:`convertedin_feed.tools.pages`), in-process or over HTTP, hands every
record to the :class:`~convertedin_feed.tools.rules.Judge`, and keeps per feed
the pages, records and time it took: memory holds one page, and the ids the
references need (:class:`~convertedin_feed.tools.rules.IdIndex`). :func:`audit`
runs the app's system checks first, then reads in-process. Both return a
:class:`Report`, which the command prints as a table or JSON and ``--save`` stores.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core import checks
from django.utils import timezone

from convertedin_feed.checks import TAG
from convertedin_feed.feeds import Feed
from convertedin_feed.tools.pages import FeedAnswerError, InProcess, Page, Reader, read_pages
from convertedin_feed.tools.rules import RULES, Finding, Judge

#: Builds the progress of one feed: ``(label, total or None)`` to an object with
#: ``update(count)``, ``set_total(total)`` and ``close()``.
ProgressFactory = Callable[[str, "int | None"], Any]

#: How many of the slowest pages a report names, per feed.
SLOWEST = 5


@dataclass
class FeedStats:
    """One feed's reading: records, pages, time, and what its envelopes got wrong."""

    records: int = 0
    pages: int = 0
    seconds: float = 0.0
    #: The slowest pages, ``(seconds, page number)``, slowest first.
    slowest: list[tuple[float, int]] = field(default_factory=list)
    envelope: list[str] = field(default_factory=list)

    #: Records whose integer id is not above the one before (text and UUID keys
    #: follow the database's collation, which cannot be checked here).
    out_of_order: int = 0
    #: The filters the feed was read with (``crawl --since``), and those it does not take.
    filters: dict[str, Any] = field(default_factory=dict)
    refused_filters: list[str] = field(default_factory=list)

    def paging_problems(self, repeated: int, total: Any, whole: bool) -> None:
        """What the crawl as a whole got wrong: records twice, out of order, or not the total."""
        if repeated:
            self.envelope.append(f"{repeated:,} records were served twice")
        if self.out_of_order:
            self.envelope.append(f"{self.out_of_order:,} records came out of id order")
        if whole and isinstance(total, int) and total != self.records:
            self.envelope.append(
                f"the envelope's total says {total:,}, the pages held {self.records:,}"
            )

    def add_page(self, page: Page, records: int) -> None:
        self.pages += 1
        self.records += records
        self.seconds += page.seconds
        self.slowest = heapq.nlargest(SLOWEST, [*self.slowest, (page.seconds, page.number)])
        self.envelope.extend(page.problems)


@dataclass
class Report:
    """What reading feeds found, in a form the table, the JSON and the admin page share."""

    started_at: datetime
    finished_at: datetime | None = None
    #: ``convertedin_feed`` system check messages, as ``"id: text"``.
    check_errors: list[str] = field(default_factory=list)
    check_warnings: list[str] = field(default_factory=list)
    feeds: dict[str, FeedStats] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: References not checked, ``"key -> feed"``: that feed was not read whole.
    unchecked: dict[str, int] = field(default_factory=dict)
    limited: bool = False

    @property
    def records(self) -> dict[str, int]:
        return {name: stats.records for name, stats in self.feeds.items()}

    @property
    def ok(self) -> bool:
        """No system check error, no envelope that does not add up, no broken required rule."""
        broken = any(finding.required for finding in self.findings)
        envelope = any(stats.envelope for stats in self.feeds.values())
        return not (self.check_errors or broken or envelope)

    def as_dict(self) -> dict[str, Any]:
        by_rule: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        return {
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "limited": self.limited,
            "checks": {"errors": self.check_errors, "warnings": self.check_warnings},
            "records": self.records,
            "feeds": {
                name: {
                    "records": stats.records,
                    "pages": stats.pages,
                    "seconds": round(stats.seconds, 3),
                    "slowest_pages": [
                        {"page": number, "seconds": round(seconds, 3)}
                        for seconds, number in stats.slowest
                    ],
                    "envelope_problems": stats.envelope,
                    "filters": stats.filters,
                    "refused_filters": stats.refused_filters,
                }
                for name, stats in self.feeds.items()
            },
            "rules": [
                {
                    "rule": rule.id,
                    "text": rule.text,
                    "required": rule.required,
                    "violations": sum(found.count for found in by_rule.get(rule.id, [])),
                    "feeds": {
                        found.feed: {"violations": found.count, "examples": found.examples}
                        for found in by_rule.get(rule.id, [])
                    },
                }
                for rule in RULES.values()
            ],
            "unchecked_references": self.unchecked,
        }


def _out_of_order(previous: Any, current: Any) -> bool:
    return isinstance(previous, int) and isinstance(current, int) and current <= previous


def app_checks() -> tuple[list[str], list[str]]:
    """The ``convertedin_feed`` system check errors and warnings, as ``"id: message"``."""
    errors: list[str] = []
    warnings: list[str] = []
    for message in checks.run_checks(tags=[TAG]):
        text = f"{message.id}: {message.msg}"
        (errors if message.is_serious() else warnings).append(text)
    return errors, warnings


def judge_feeds(
    reader: Reader,
    feeds: Sequence[Feed],
    *,
    per_page: int,
    limit: int | None = None,
    progress: ProgressFactory | None = None,
    on_page: Callable[[Feed, list[Any]], None] | None = None,
    report: Report | None = None,
    filters: Mapping[str, Any] | None = None,
) -> Report:
    """Read ``feeds`` in order, every page, and judge every record; with ``limit``, at most
    that many records each. ``on_page(feed, records)`` sees each page's judged records.

    ``filters`` (``{"updated_since": ...}``) go to every paged feed; one that refuses them
    (a 422 naming them: its adapter declares no such filter) is read whole, and the
    report says so. A filtered feed is not whole: references to it are not checked.
    """
    report = report or Report(started_at=timezone.now())
    report.limited = limit is not None
    judge = Judge()
    for feed in feeds:
        stats = report.feeds[feed.name] = FeedStats()
        shown = progress(feed.name, None) if progress else None
        previous: Any = None
        total: Any = None
        pages, stats.filters, stats.refused_filters = _pages(
            reader, feed, per_page, limit, dict(filters or {}) if feed.paged else {}
        )
        read_to_end = True  # the envelope's total can be compared with the records read
        for page in pages:
            records = page.records
            if limit is not None:
                kept = records[: max(0, limit - stats.records)]
                last = page.body.get("last_page", 1)
                read_to_end = (
                    len(kept) == len(records) and isinstance(last, int) and page.number >= last
                )
                records = kept
            if total is None:
                total = page.body.get("total")
                if shown is not None and feed.paged and isinstance(total, int):
                    shown.set_total(total if limit is None else min(total, limit))
            for record in records:
                record_id = record.get("id") if isinstance(record, dict) else None
                if _out_of_order(previous, record_id):
                    stats.out_of_order += 1
                previous = record_id
            judge.check(feed.name, feed.schema, records)
            stats.add_page(page, len(records))
            if on_page is not None:
                on_page(feed, records)
            if shown is not None:
                shown.update(len(records))
        if shown is not None:
            shown.close()
        stats.paging_problems(
            judge.indexes[feed.name].repeated() if feed.paged else 0, total, read_to_end
        )
        if read_to_end and not stats.filters:  # every record judged: references can be checked
            judge.feed_complete(feed.name)
    report.findings = judge.ordered_findings()
    for (target, key), count in judge.unchecked.items():
        report.unchecked[f"{key} -> {target}"] = count
    report.finished_at = timezone.now()
    return report


def _pages(
    reader: Reader, feed: Feed, per_page: int, limit: int | None, filters: dict[str, Any]
) -> tuple[Any, dict[str, Any], list[str]]:
    """The feed's pages with ``filters``; without them when the first page refuses them:
    ``(pages, filters sent, filters refused)``."""
    pages = read_pages(reader, feed, per_page, filters=filters, limit=limit)
    try:
        first = next(pages)
    except FeedAnswerError as exc:
        refused = sorted(set(exc.errors) & set(filters))
        if exc.status != 422 or not refused or set(exc.errors) - set(filters):
            raise
        pages = read_pages(reader, feed, per_page, limit=limit)
        return pages, {}, refused
    return itertools.chain([first], pages), filters, []


def audit(
    feeds: Sequence[Feed],
    token: str,
    *,
    per_page: int,
    limit: int | None = None,
    progress: ProgressFactory | None = None,
) -> Report:
    """The app's system checks, then ``feeds`` read in-process and judged.

    A system check error stops it before any record is read: the feeds could
    not serve them as configured.
    """
    report = Report(started_at=timezone.now(), limited=limit is not None)
    report.check_errors, report.check_warnings = app_checks()
    if report.check_errors:
        report.finished_at = timezone.now()
        return report
    return judge_feeds(
        InProcess(token),
        feeds,
        per_page=per_page,
        limit=limit,
        progress=progress,
        report=report,
    )
