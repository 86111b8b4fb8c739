"""Counting requests for the admin page: per feed and hour, and the crawls they make up.

:func:`record` runs once per feed request, after its answer is built, and adds
the request to its hour's :class:`~convertedin_feed.models.FeedHour` row in one
UPDATE (the hour's first request inserts the row, and prunes rows older than
``STATS_DAYS``). A refused token only adds one to the hour's ``unauthorized``.

A crawl is followed in the ``CACHE`` alias: page 1 of a feed from a client
starts one, each next page (within ``CRAWL_GAP`` seconds) carries it on, and the
last page writes it, in that same UPDATE. Without a cache, requests are counted
and crawls are not followed; a cache that fails is logged (``WARNING``) and the
crawl is not followed either.

Counting never fails a page: a database error is logged (``ERROR``, with its
traceback) and the answer goes out as built.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.core.cache import InvalidCacheBackendError, caches
from django.db import DatabaseError, IntegrityError, router, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from convertedin_feed.auth import client_address
from convertedin_feed.conf import feed_settings
from convertedin_feed.models import FeedHour
from convertedin_feed.pagination import Page

logger = logging.getLogger("convertedin_feed")

#: Status code -> the FeedHour counter it adds to (5xx and other 4xx by range).
STATUS_COUNTERS = {401: "unauthorized", 422: "invalid", 429: "throttled"}


@dataclass(frozen=True)
class Crawl:
    """A crawl under way: pages ``1 .. page`` served, the last at ``seen_at``."""

    started_at: datetime
    seen_at: datetime
    page: int
    pages: int
    records: int


def counter(status_code: int) -> str | None:
    """The :class:`FeedHour` field an answer of ``status_code`` counts in, if any."""
    if 200 <= status_code < 300:
        return "pages"
    if status_code >= 500:
        return "server_errors"
    if status_code >= 400:
        return STATUS_COUNTERS.get(status_code, "other_errors")
    return None


def record(
    feed: str,
    request: HttpRequest,
    response: HttpResponseBase,
    page: Page | None,
    seconds: float,
    scope: str | None = None,
) -> None:
    """Count one answered request of ``feed``; ``scope`` names a paged crawl it may belong to."""
    if not feed_settings.STATS:
        return
    now = current_time()
    added: dict[str, float] = {"requests": 1, "duration_ms": seconds * 1000}
    written: dict[str, Any] = {"last_request_at": now}
    field = counter(response.status_code)
    if field is not None:
        added[field] = 1
    if field == "pages" and page is not None:
        added["rows"] = len(page.rows)
        crawl = follow_crawl(feed, request, page, scope, now, seconds)
        if crawl is not None:
            added["crawls"] = 1
            written.update(
                crawl_started_at=crawl.started_at,
                crawl_finished_at=now,
                crawl_pages=crawl.pages,
                crawl_records=crawl.records,
            )
    try:
        add_to_hour(feed, now, added, written)
    except DatabaseError:
        logger.error("Feed request could not be counted (convertedin_feed.stats)", exc_info=True)


def current_time() -> datetime:
    """Now: what every count and crawl is stamped with."""
    return timezone.now()


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)


def add_to_hour(feed: str, now: datetime, added: dict[str, float], written: dict[str, Any]) -> None:
    """Add ``added`` to the hour's counters and set ``written`` in one UPDATE; for the
    hour's first request, an INSERT and a prune first."""
    hour = hour_of(now)
    alias = router.db_for_write(FeedHour)
    connection = transaction.get_connection(alias)
    sql = update_sql(connection, tuple(added), tuple(written))
    params = [adapt(connection, v) for v in (*added.values(), *written.values(), feed, hour)]
    # Inside the shop's transaction (ATOMIC_REQUESTS), a savepoint, so that a failure
    # never spoils it; in autocommit, the UPDATE alone, without a BEGIN and a COMMIT.
    guard = transaction.atomic(using=alias) if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount:
            return
        try:
            with transaction.atomic(using=alias):
                FeedHour.objects.using(alias).create(
                    feed=feed, hour=hour, last_request_at=now, duration_ms=0
                )
        except IntegrityError:  # another worker inserted it first
            pass
        else:
            prune(now, using=alias)
        cursor.execute(sql, params)


#: Each UPDATE statement, by database vendor and the columns it adds to and sets.
STATEMENTS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def update_sql(connection: Any, added: tuple[str, ...], written: tuple[str, ...]) -> str:
    """The UPDATE of one hour's row, written once per database vendor and set of columns.

    Plain SQL rather than ``QuerySet.update()`` with ``F()``: the ORM builds and
    compiles the statement anew on every request, which cost more than twice the
    statement's own round trip (the STATS figures of benchmarks/run.py).
    """
    key = (connection.vendor, added, written)
    if key not in STATEMENTS:
        quote = connection.ops.quote_name
        meta = FeedHour._meta
        column = {f.name: quote(f.column) for f in meta.concrete_fields}
        assignments = [f"{column[name]} = {column[name]} + %s" for name in added]
        assignments += [f"{column[name]} = %s" for name in written]
        # Only the model's own table and column names, quoted; every value is a parameter.
        STATEMENTS[key] = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)}"  # noqa: S608
            f" WHERE {column['feed']} = %s AND {column['hour']} = %s"
        )
    return STATEMENTS[key]


def adapt(connection: Any, value: Any) -> Any:
    """``value`` as the ORM would send it: datetimes in the database's own form."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def prune(now: datetime | None = None, using: str | None = None) -> int:
    """Delete the hours older than ``STATS_DAYS`` days; how many rows went."""
    now = now or current_time()
    cutoff = hour_of(now) - timedelta(days=feed_settings.STATS_DAYS)
    alias = using or router.db_for_write(FeedHour)
    deleted, _ = FeedHour.objects.using(alias).filter(hour__lt=cutoff).delete()
    return deleted


def follow_crawl(
    feed: str, request: HttpRequest, page: Page, scope: str | None, now: datetime, seconds: float
) -> Crawl | None:
    """Carry the client's crawl of ``scope`` on by ``page``; the crawl, if ``page`` finished it."""
    cache = crawl_cache()
    if cache is None or scope is None:
        return None
    client = client_address(request) or ""
    crawl_id = f"{scope}\0{page.per_page}\0{client}"
    key = "convertedin_feed:crawl:" + hashlib.sha256(crawl_id.encode()).hexdigest()[:32]
    gap = timedelta(seconds=feed_settings.CRAWL_GAP)
    try:
        crawl = cache.get(key)
        crawl = carry_on(crawl if isinstance(crawl, Crawl) else None, page, now, seconds, gap)
        if crawl is None:
            cache.delete(key)
        elif page.number >= page.last_page:
            cache.delete(key)
            return crawl
        else:
            cache.set(key, crawl, feed_settings.CRAWL_GAP)
    except Exception:
        logger.warning("Feed cache failed; the crawl of %s is not followed", feed, exc_info=True)
    return None


def carry_on(
    crawl: Crawl | None, page: Page, now: datetime, seconds: float, gap: timedelta
) -> Crawl | None:
    """The crawl after ``page``: page 1 starts one; the next page (or the same one, asked
    again) within ``gap`` carries it on; any other page ends it."""
    served = len(page.rows)
    if page.number == 1:
        return Crawl(now - timedelta(seconds=seconds), now, 1, 1, served)
    if crawl is None or now - crawl.seen_at > gap:
        return None
    if page.number == crawl.page:  # asked again (a retry): counted once
        return replace(crawl, seen_at=now)
    if page.number == crawl.page + 1:
        return Crawl(crawl.started_at, now, page.number, crawl.pages + 1, crawl.records + served)
    return None


def crawl_cache() -> Any:
    alias = feed_settings.CACHE
    if not alias:
        return None
    try:
        return caches[alias]
    except InvalidCacheBackendError:
        return None
