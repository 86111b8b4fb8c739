"""The app's own tables. It reads the shop's data and never writes it; these hold what its
tools found, for the admin page.

- :class:`SavedAudit`: an audit's report, as ``convertedin_feed audit --save`` stores it.
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
