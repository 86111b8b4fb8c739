"""Cutting pages: the platform's arithmetic (Laravel's LengthAwarePaginator), read by seeking.

The platform crawls pages 1, 2, 3 ... in order. Where each page ended, and the
total the crawl was told, are remembered in Django's cache, so page N+1 reads
the rows after page N's last primary key (an index seek) instead of paying a
COUNT(*) and an OFFSET that grows with depth: the last page of a million rows
costs what the first does. A page with no remembered predecessor is cut by
OFFSET, so pages requested out of order still answer; the cache makes pages
cheaper, never different while the data stands still.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.db.models import QuerySet

from convertedin_feed.conf import feed_settings

logger = logging.getLogger("convertedin_feed")


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int
    rows: list[Any]

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


@dataclass(frozen=True)
class Tally:
    """A feed's row count, and its greatest key when counted (rows added since sort after it)."""

    count: int
    top: Any


@dataclass(frozen=True)
class PageEnd:
    """The key a page ended on, and the total its crawl was told (kept steady to the end)."""

    after: Any
    total: int


class PageMemory:
    """Tallies and page ends for one feed and filter set, in the ``CACHE`` alias.

    Cache failures count as misses: a page costs more without the cache, but is
    still served.
    """

    def __init__(self, scope: str, cache: BaseCache | None = None, timeout: int | None = None):
        self.cache = cache
        self.timeout = timeout
        self.prefix = "convertedin_feed:" + hashlib.sha256(scope.encode()).hexdigest()[:32]

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


def paginate(
    queryset: QuerySet[Any],
    number: int,
    per_page: int,
    memory: PageMemory | None = None,
    *,
    select: Callable[[QuerySet[Any]], QuerySet[Any]],
) -> Page:
    """Cut page ``number`` from ``queryset``; ``select`` makes it ``values()`` rows, by ``pk``, with ``pk``.

    In a running crawl that is one query: the rows after the previous page's
    end. Otherwise the total comes from the memory (or a COUNT of ``queryset``
    itself, without the joins ``select`` may add) and the rows from
    LIMIT/OFFSET. A page past the last costs no row query; it is empty.
    """
    memory = memory or PageMemory("")
    offset = (number - 1) * per_page
    previous = memory.end_of(number - 1, per_page) if number > 1 else None
    if previous is not None:
        total = previous.total
        after = queryset.filter(pk__gt=previous.after)
        rows = list(select(after)[:per_page]) if offset < total else []
    else:
        total = _total(queryset, memory, crawl_start=number == 1)
        rows = list(select(queryset)[offset : offset + per_page]) if offset < total else []
    if rows:
        memory.remember_end(number, per_page, PageEnd(after=rows[-1]["pk"], total=total))
    return Page(number=number, per_page=per_page, total=total, rows=rows)


def _total(queryset: QuerySet[Any], memory: PageMemory, *, crawl_start: bool) -> int:
    """The remembered total; a crawl's first page adds the rows that arrived since it was counted.

    Keys grow with time, so new rows sort after the remembered top key: counting
    them is an index range scan over the few new rows, not the table, and no
    row present when the crawl starts can fall past its last page.
    """
    if not memory.enabled:
        return queryset.count()
    tally = memory.tally()
    if tally is not None and not crawl_start:
        return tally.count
    if tally is None:
        tally = Tally(count=queryset.count(), top=_top_key(queryset))
    else:
        newer = queryset if tally.top is None else queryset.filter(pk__gt=tally.top)
        arrived = newer.count()
        if not arrived:
            return tally.count
        tally = Tally(count=tally.count + arrived, top=_top_key(queryset))
    memory.remember_tally(tally)
    return tally.count


def _top_key(queryset: QuerySet[Any]) -> Any:
    top = queryset.order_by("-pk").values_list("pk", flat=True)[:1]
    return next(iter(top), None)
