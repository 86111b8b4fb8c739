"""The app's own tables. It reads the shop's data and never writes it; these hold what its
tools found, for the admin page.

- :class:`SavedAudit`: an audit's report, as ``convertedin_feed audit --save`` stores it.
- :class:`FeedHour`: a feed's requests in one hour, counted (``convertedin_feed.stats``),
  with the last crawl that finished in it.
"""

from __future__ import annotations

from django.db import models


class SavedAudit(models.Model):
    """One run of ``convertedin_feed audit --save``: when, whether it passed, and its report.

    ``report`` is the audit's JSON (what ``--json`` prints): records per feed, and
    per rule its violations and example ids.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField(help_text="No system check error and no required rule broken.")
    report = models.JSONField()

    class Meta:
        ordering = ("-started_at", "-pk")
        get_latest_by = ("started_at", "pk")
        verbose_name = "saved audit"

    def __str__(self) -> str:
        return f"audit of {self.started_at:%Y-%m-%d %H:%M} ({'passed' if self.ok else 'failed'})"


class FeedHour(models.Model):
    """A feed's requests in one hour (UTC), in aggregate: one row per feed and hour.

    Each request adds to its hour's row, in one UPDATE (the hour's first request
    inserts it): a refused token is one more in ``unauthorized`` and nothing else,
    so a flood of bad tokens cannot grow the table. A crawl (pages 1, 2, 3 ... of
    the feed from one client, each within ``CRAWL_GAP`` seconds of the one before)
    is written with its last page, into that page's hour: ``crawls`` counts them
    and the ``crawl_*`` fields hold the last one.
    """

    feed = models.CharField(max_length=64)
    hour = models.DateTimeField(help_text="The hour's start.")
    requests = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0, help_text="Answers with status 2xx.")
    rows = models.PositiveBigIntegerField(default=0, help_text="Records served.")
    unauthorized = models.PositiveIntegerField(default=0, help_text="Answers with status 401.")
    invalid = models.PositiveIntegerField(default=0, help_text="Answers with status 422.")
    throttled = models.PositiveIntegerField(default=0, help_text="Answers with status 429.")
    server_errors = models.PositiveIntegerField(default=0, help_text="Answers with status 5xx.")
    other_errors = models.PositiveIntegerField(default=0, help_text="Other 4xx answers.")
    duration_ms = models.FloatField(default=0, help_text="Time spent answering, summed.")
    last_request_at = models.DateTimeField()
    crawls = models.PositiveIntegerField(default=0, help_text="Crawls that finished.")
    crawl_started_at = models.DateTimeField(null=True)
    crawl_finished_at = models.DateTimeField(null=True)
    crawl_pages = models.PositiveIntegerField(null=True)
    crawl_records = models.PositiveBigIntegerField(null=True)

    class Meta:
        ordering = ("-hour", "feed")
        constraints = (models.UniqueConstraint(fields=("feed", "hour"), name="feedhour_once"),)
        indexes = (models.Index(fields=("hour",), name="feedhour_hour"),)
        default_permissions = ()
        permissions = (("view_feeds_page", "Can view the Converted.in feeds page"),)
        verbose_name = "Converted.in feed"
        verbose_name_plural = "Converted.in feeds"

    def __str__(self) -> str:
        return f"{self.feed} at {self.hour:%Y-%m-%d %H:00}"
