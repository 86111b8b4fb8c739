"""Paging: the page parameters, the cut and the envelope, owned by :class:`FeedPagination`.

The cut follows the platform's arithmetic (Laravel's LengthAwarePaginator), read by seeking.

The platform crawls pages 1, 2, 3 ... in order. Where each page ended, and the
total the crawl was told, are remembered in Django's cache, so page N+1 reads
the rows after page N's last primary key (an index seek) instead of paying a
COUNT(*) and an OFFSET that grows with depth: the last page of a million rows
costs what the first does. A page with no remembered predecessor is cut by
OFFSET, so pages requested out of order still answer; the cache makes pages
cheaper, never different while the data stands still.

A filter that selects by time (``updated_since``) makes the rows depend on
when they are read: a record that changes during a crawl would join it, and
push a record the crawl counted past its last page. Such a crawl is held to
the moment its first page was read, as it is to the keys that existed then:
a record changed since is left to the next crawl, which asks for what
changed since this one began.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from convertedin_feed.conf import feed_settings
from convertedin_feed.inputs import WholeNumberField

logger = logging.getLogger("convertedin_feed")

#: Past this, page arithmetic leaves the range every database's LIMIT/OFFSET takes.
MAX_PAGE_NUMBER = 2**31 - 1
NO_STORE = {"Cache-Control": "no-store"}


class FeedPagination:
    """DRF's paginator shape for the platform's paging: parameters, cut, envelope.

    ``page`` and ``per_page`` (alias ``par_page``, as the customers document
    spells it) come from the form body; a value that is no whole number >= 1
    is a 422. ``per_page`` defaults to ``DEFAULT_PER_PAGE`` and is capped at
    ``MAX_PER_PAGE``. The envelope is Laravel's, keys in the documents' order.
    """

    page_query_param = "page"
    page_size_query_param = "per_page"
    #: Other names the page size is sent under.
    page_size_aliases: tuple[str, ...] = ("par_page",)

    page: Page | None = None
    #: ``(number, per_page)`` once read from the request.
    parameters: tuple[int, int] | None = None

    @property
    def query_params(self) -> tuple[str, ...]:
        """Every body field this paginator reads: none of them is a filter."""
        return (self.page_query_param, self.page_size_query_param, *self.page_size_aliases)

    def get_page_parameters(self, request: Request) -> tuple[int, int]:
        """``(page number, page size)`` from the body, or a 422 naming the bad field."""
        if self.parameters is None:
            self.parameters = self.read_page_parameters(request)
        return self.parameters

    def read_page_parameters(self, request: Request) -> tuple[int, int]:
        fields = {
            name: WholeNumberField(min_value=1, max_value=MAX_PAGE_NUMBER, required=False)
            for name in self.query_params
        }
        paging = type("PagingSerializer", (serializers.Serializer,), fields)(data=request.data)
        paging.is_valid(raise_exception=True)
        values = paging.validated_data
        number = values.get(self.page_query_param) or 1
        sizes = (self.page_size_query_param, *self.page_size_aliases)
        requested = next((values[n] for n in sizes if values.get(n)), None)
        per_page = requested or feed_settings.DEFAULT_PER_PAGE
        return number, min(per_page, feed_settings.MAX_PER_PAGE)

    def paginate_segments(self, segments: Sequence[Segment], request: Request, scope: str) -> Page:
        """The requested page of ``segments``; ``scope`` names what a remembered crawl depends on."""
        number, per_page = self.get_page_parameters(request)
        self.page = paginate(segments, number, per_page, PageMemory.for_scope(scope))
        return self.page

    def get_paginated_data(self, records: list[Any]) -> dict[str, Any]:
        """The envelope around ``records``, the page as served: ``from``/``to`` count what it holds."""
        assert self.page is not None, "paginate_segments() first"
        page = self.page = dataclasses.replace(self.page, rows=records)
        return {
            "current_page": page.number,
            "data": page.rows,
            "from": page.first_position,
            "last_page": page.last_page,
            "per_page": page.per_page,
            "to": page.last_position,
            "total": page.total,
        }

    def get_paginated_response(self, records: list[Any]) -> Response:
        return Response(self.get_paginated_data(records), headers=NO_STORE)


def page_scope(feed: str, adapter_class: type[Any], filters: Sequence[tuple[str, Any]] = ()) -> str:
    """What a remembered total or page end depends on: feed, adapter, database, filters."""
    adapter = f"{adapter_class.__module__}.{adapter_class.__qualname__}"
    return repr((feed, adapter, feed_settings.DATABASE, list(filters)))


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int
    rows: list[Any]
    #: ``(segment index, rows)`` in order: which rows came from which segment.
    chunks: tuple[tuple[int, list[Any]], ...] = ()

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_position(self) -> int | None:
        """1-based position of the page's first row; ``None`` on an empty page."""
        return self.offset + 1 if self.rows else None

    @property
    def last_position(self) -> int | None:
        return self.offset + len(self.rows) if self.rows else None


#: A run's ``top`` when nothing is remembered: every row of the segment, as it is now.
UNBOUNDED: Any = object()


@dataclass(frozen=True)
class Run:
    """A stretch of one segment's rows in a crawl's order: keys after ``after`` (``None``:
    from the first) up to ``top``, which were ``count`` rows when counted."""

    segment: int
    after: Any
    top: Any
    count: int


@dataclass(frozen=True)
class Tally:
    """A feed's rows as crawls read them: runs of its segments, in order.

    At first a run per segment, up to its greatest key. Rows that arrive later
    are added at the end, never before a row already counted: a new account
    would otherwise sort before every guest and move each one a place on. So
    every crawl of a scope puts a row at the same position, and two crawls at
    once (which share the page ends) never serve a row twice or miss one.
    For rows filtered by time, ``as_of`` is the moment they are read as of.
    """

    runs: tuple[Run, ...]
    as_of: datetime | None = None

    @property
    def count(self) -> int:
        return sum(run.count for run in self.runs)


@dataclass(frozen=True)
class PageEnd:
    """Where a page ended, ``(run, key)``, and what its crawl was told when it began: the
    total, kept steady, and the runs, which bound the rows the crawl reads (rows added
    since wait for the next crawl)."""

    after: tuple[int, Any]
    total: int
    runs: tuple[Run, ...]
    as_of: datetime | None = None


class PageMemory:
    """Tallies and page ends for one feed and filter set, in the ``CACHE`` alias.

    Cache failures count as misses: a page costs more without the cache, but is
    still served.
    """

    def __init__(self, scope: str, cache: BaseCache | None = None, timeout: int | None = None):
        self.cache = cache
        self.timeout = timeout
        self.prefix = "convertedin_feed:5:" + hashlib.sha256(scope.encode()).hexdigest()[:32]

    @classmethod
    def for_scope(cls, scope: str) -> PageMemory:
        alias = feed_settings.CACHE
        if not alias:
            return cls(scope)
        try:
            cache = caches[alias]
        except InvalidCacheBackendError:
            logger.warning("CONVERTEDIN_FEED CACHE %r is not in CACHES; pages are counted", alias)
            return cls(scope)
        return cls(scope, cache, feed_settings.CACHE_TIMEOUT)

    @property
    def enabled(self) -> bool:
        return self.cache is not None

    def tally(self) -> Tally | None:
        value = self._get(f"{self.prefix}:tally")
        return value if isinstance(value, Tally) else None

    def remember_tally(self, tally: Tally) -> None:
        self._set(f"{self.prefix}:tally", tally)

    def end_of(self, number: int, per_page: int) -> PageEnd | None:
        value = self._get(f"{self.prefix}:{per_page}:{number}")
        return value if isinstance(value, PageEnd) else None

    def remember_end(self, number: int, per_page: int, end: PageEnd) -> None:
        self._set(f"{self.prefix}:{per_page}:{number}", end)

    def _get(self, key: str) -> Any:
        if self.cache is None:
            return None
        try:
            return self.cache.get(key)
        except Exception:
            logger.warning("Feed cache read failed; counting instead", exc_info=True)
            return None

    def _set(self, key: str, value: Any) -> None:
        if self.cache is None:
            return
        try:
            self.cache.set(key, value, self.timeout)
        except Exception:
            logger.warning("Feed cache write failed", exc_info=True)


@dataclass(frozen=True)
class Segment:
    """One run of rows in a feed's paging order: a queryset read by primary key.

    Most feeds are one segment. The customers feed with guests is two: the
    accounts, then the guests (keyed by their first order), so a crawl meets
    every customer once and a page may end in one segment and the next begin
    in the other. ``select`` makes a queryset ``values()`` rows, by ``pk``, with ``pk``.
    ``at``, for rows filtered by time, gives them as of a moment (changes after it left out).
    """

    queryset: QuerySet[Any]
    select: Callable[[QuerySet[Any]], QuerySet[Any]]
    at: Callable[[datetime], QuerySet[Any]] | None = None

    def as_of(self, moment: datetime | None) -> QuerySet[Any]:
        return self.queryset if moment is None or self.at is None else self.at(moment)


def paginate(
    segments: Sequence[Segment], number: int, per_page: int, memory: PageMemory | None = None
) -> Page:
    """Cut page ``number`` from the segments, in their order; ``Page.chunks`` says which rows came from which.

    In a running crawl that is one query per run the page touches: the rows
    after the previous page's end. Otherwise the total comes from the memory
    (or, without one, a COUNT of each segment's queryset, without the joins
    ``select`` may add) and the rows from LIMIT/OFFSET. A page past the last costs no row
    query; it is empty.
    """
    memory = memory or PageMemory("")
    offset = (number - 1) * per_page
    previous = memory.end_of(number - 1, per_page) if number > 1 else None
    chunks: list[tuple[int, list[Any]]] = []
    wanted = per_page
    if previous is not None:
        total, runs, as_of = previous.total, previous.runs, previous.as_of
        start, after = previous.after
        for index in range(start, len(runs)) if offset < total else ():
            run = runs[index]
            queryset = _run_rows(segments[run.segment], run, as_of)
            if queryset is None:
                continue
            if index == start:
                queryset = queryset.filter(pk__gt=after)
            wanted -= _read(segments[run.segment].select(queryset), 0, wanted, index, chunks)
            if not wanted:
                break
    else:
        as_of = _crawl_moment(segments, memory, number)
        tally = _tally(segments, memory, crawl_start=number == 1, as_of=as_of)
        total, runs = tally.count, tally.runs
        skip = offset
        for index, run in enumerate(runs) if offset < total else ():
            queryset = _run_rows(segments[run.segment], run, as_of)
            if queryset is None or skip >= run.count:
                skip -= min(skip, run.count)
                continue
            wanted -= _read(segments[run.segment].select(queryset), skip, wanted, index, chunks)
            skip = 0
            if not wanted:
                break
    rows = [row for _, part in chunks for row in part]
    if rows:
        end = PageEnd(after=(chunks[-1][0], rows[-1]["pk"]), total=total, runs=runs, as_of=as_of)
        memory.remember_end(number, per_page, end)
    # Chunks name the run they came from; the records stage wants the segment.
    served = tuple((runs[index].segment, part) for index, part in chunks)
    return Page(number=number, per_page=per_page, total=total, rows=rows, chunks=served)


def _run_rows(segment: Segment, run: Run, as_of: datetime | None) -> QuerySet[Any] | None:
    """A run's rows: the segment's (as of the crawl's moment) within the run's keys."""
    if run.top is None:  # the segment had no rows when counted
        return None
    if run.top is UNBOUNDED:  # nothing remembered: the rows as they are now
        return segment.as_of(as_of)
    queryset = segment.as_of(as_of).filter(pk__lte=run.top)
    return queryset if run.after is None else queryset.filter(pk__gt=run.after)


def _read(
    queryset: QuerySet[Any], skip: int, wanted: int, index: int, chunks: list[tuple[int, list[Any]]]
) -> int:
    rows = list(queryset[skip : skip + wanted])
    if rows:
        chunks.append((index, rows))
    return len(rows)


def _crawl_moment(segments: Sequence[Segment], memory: PageMemory, number: int) -> datetime | None:
    """The moment rows filtered by time are read as of: now for a crawl's first page, else
    the remembered one; ``None`` when nothing is filtered by time."""
    if not memory.enabled or all(segment.at is None for segment in segments):
        return None
    tally = memory.tally() if number > 1 else None
    return tally.as_of if tally is not None and tally.as_of is not None else timezone.now()


def _tally(
    segments: Sequence[Segment], memory: PageMemory, *, crawl_start: bool, as_of: datetime | None
) -> Tally:
    """The remembered tally; a crawl's first page adds the rows that arrived since it was
    counted, as runs at the end (see :class:`Tally`).

    Keys grow with time, so new rows sort after a segment's greatest counted key:
    counting them is an index range scan over the few new rows, not the table,
    and no row present when the crawl starts can fall past its last page. Rows
    filtered by time are counted afresh for each new moment (``as_of``): which old
    rows match changes with it.
    """
    if not memory.enabled:  # each segment counted on every page, and cut by OFFSET
        counts = (segment.queryset.count() for segment in segments)
        return Tally(runs=tuple(Run(i, None, UNBOUNDED, n) for i, n in enumerate(counts)))
    tally = memory.tally()
    if tally is not None and tally.as_of != as_of:
        tally = None
    if tally is not None and not crawl_start:
        return tally
    if tally is None:
        runs = []
        for index, segment in enumerate(segments):
            queryset = segment.as_of(as_of)
            count = queryset.count()
            runs.append(Run(index, None, _top_key(queryset) if count else None, count))
        tally = Tally(runs=tuple(runs), as_of=as_of)
    else:
        runs = list(tally.runs)
        for index, segment in enumerate(segments):
            counted = max(
                (run.top for run in runs if run.segment == index and run.top is not None),
                default=None,
            )
            queryset = segment.as_of(as_of)
            newer = queryset if counted is None else queryset.filter(pk__gt=counted)
            arrived = newer.count()
            if not arrived:
                continue
            top = _top_key(queryset)
            last = runs[-1]
            if last.segment == index:  # the end of the order already: it grows in place
                runs[-1] = Run(index, last.after, top, last.count + arrived)
            else:
                runs.append(Run(index, counted, top, arrived))
        if runs == list(tally.runs):
            return tally
        tally = Tally(runs=tuple(runs), as_of=as_of)
    memory.remember_tally(tally)
    return tally


def _top_key(queryset: QuerySet[Any]) -> Any:
    top = queryset.order_by("-pk").values_list("pk", flat=True)[:1]
    return next(iter(top), None)
