"""What the admin page shows: each feed's health, read from the counts ``stats`` keeps.

:func:`health` gathers it for the page (``admin.py`` renders it); nothing here
writes, and nothing here reads the token itself, only where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from convertedin_feed.conf import SETTING_NAME, TOKEN_ENVIRONMENT_VARIABLE, feed_settings
from convertedin_feed.feeds import Feed, configured_feeds
from convertedin_feed.models import FeedHour, SavedAudit
from convertedin_feed.pagination import PageMemory, page_scope
from convertedin_feed.plans import parts_of
from convertedin_feed.stats import hour_of

#: Days of hours the chart draws.
CHART_DAYS = 7
#: The error counters shown per feed, by the status they count.
ERROR_COUNTERS = (
    ("401", "unauthorized"),
    ("422", "invalid"),
    ("429", "throttled"),
    ("5xx", "server_errors"),
)


@dataclass
class FeedHealth:
    """One feed's line on the page."""

    name: str
    url: str | None
    records: int | None = None
    #: ``"remembered"`` (a crawl's total, still fresh), ``"counted"``, or ``""`` (one record).
    records_source: str = ""
    problem: str = ""
    last_crawl: FeedHour | None = None
    last_request_at: datetime | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def crawl_seconds(self) -> float | None:
        crawl = self.last_crawl
        if crawl is None or crawl.crawl_started_at is None or crawl.crawl_finished_at is None:
            return None
        return (crawl.crawl_finished_at - crawl.crawl_started_at).total_seconds()

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())


@dataclass
class Health:
    feeds: list[FeedHealth]
    #: ``(feed, {hour: pages})`` for the chart, hours in UTC.
    series: list[tuple[str, dict[datetime, int]]]
    hours: list[datetime]
    audit: SavedAudit | None
    token_source: str
    tokens: int
    stats_on: bool
    crawls_followed: bool


def health(request: HttpRequest | None = None, now: datetime | None = None) -> Health:
    now = now or timezone.now()
    feeds = configured_feeds()
    day_ago = now - timedelta(hours=24)
    first_hour = hour_of(now) - timedelta(hours=CHART_DAYS * 24 - 1)
    hours = [first_hour + timedelta(hours=n) for n in range(CHART_DAYS * 24)]
    pages: dict[str, dict[datetime, int]] = {feed.name: {} for feed in feeds}
    for feed_name, hour, count in FeedHour.objects.filter(hour__gte=first_hour).values_list(
        "feed", "hour", "pages"
    ):
        if feed_name in pages and count:
            pages[feed_name][hour] = count
    lines = [feed_health(feed, request, day_ago) for feed in feeds]
    return Health(
        feeds=lines,
        series=[(feed.name, pages[feed.name]) for feed in feeds],
        hours=hours,
        audit=SavedAudit.objects.first(),
        token_source=token_source(),
        tokens=len(feed_settings.tokens),
        stats_on=bool(feed_settings.STATS),
        crawls_followed=bool(feed_settings.STATS and feed_settings.CACHE),
    )


def feed_health(feed: Feed, request: HttpRequest | None, day_ago: datetime) -> FeedHealth:
    line = FeedHealth(name=feed.name, url=feed_url(feed, request))
    hours = FeedHour.objects.filter(feed=feed.name)
    line.last_crawl = (
        hours.filter(crawl_finished_at__isnull=False).order_by("-crawl_finished_at").first()
    )
    line.last_request_at = hours.aggregate(last=Max("last_request_at"))["last"]
    sums = hours.filter(hour__gte=hour_of(day_ago)).aggregate(
        **{status: Sum(counter) for status, counter in ERROR_COUNTERS}
    )
    line.errors = {status: sums[status] or 0 for status, _ in ERROR_COUNTERS}
    try:
        line.records, line.records_source = available(feed, request)
    except ImproperlyConfigured as error:  # shown on the page, as the system checks say it
        line.problem = str(error)
    return line


def available(feed: Feed, request: HttpRequest | None) -> tuple[int, str]:
    """Records the feed holds now: a fresh remembered total, else counted."""
    if not feed.paged:
        return 1, ""
    adapter = feed.get_adapter(request)
    tally = PageMemory.for_scope(page_scope(feed.name, type(adapter))).tally()
    if tally is not None and tally.as_of is None:
        return tally.count, "remembered"
    parts = parts_of(adapter, feed.schema.documented_keys())
    return sum(part.queryset.count() for part in parts), "counted"


def feed_url(feed: Feed, request: HttpRequest | None) -> str | None:
    """Where the platform posts: under ``SITE_URL`` when set, else this request's host."""
    try:
        path = reverse(f"convertedin_feed:{feed.name}")
    except NoReverseMatch:  # the project does not include convertedin_feed.urls
        return None
    if feed_settings.SITE_URL:
        return feed_settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path) if request is not None else path


def token_source() -> str:
    """Where the accepted tokens are configured; never any part of a token."""
    if feed_settings.TOKENS is not None:
        return f"the {SETTING_NAME}['TOKENS'] setting"
    return f"the {TOKEN_ENVIRONMENT_VARIABLE} environment variable"


def chart_rows(data: Health) -> list[tuple[datetime, list[int]]]:
    """The chart's table: each hour with traffic, and its pages per feed."""
    rows = []
    for hour in data.hours:
        counts = [series.get(hour, 0) for _, series in data.series]
        if any(counts):
            rows.append((hour, counts))
    return rows


def audit_rules(audit: SavedAudit | None) -> list[dict[str, Any]]:
    """The saved audit's broken rules, with their example ids per feed."""
    if audit is None:
        return []
    rules = audit.report.get("rules", []) if isinstance(audit.report, dict) else []
    return [rule for rule in rules if isinstance(rule, dict) and rule.get("violations")]
