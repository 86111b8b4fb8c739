"""The "Converted.in feeds" admin page: is the platform pulling, when did it last finish,
did anything fail, is any data invalid.

It is the changelist of :class:`~convertedin_feed.models.FeedHour`, replaced by
one page, for staff with the ``convertedin_feed.view_feeds_page`` permission.
Nothing on it can be changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from convertedin_feed.chart import colour, hourly_chart
from convertedin_feed.health import audit_rules, chart_rows, health
from convertedin_feed.models import FeedHour

#: The permission the page asks for.
PAGE_PERMISSION = "convertedin_feed.view_feeds_page"


@admin.register(FeedHour)
class FeedsPageAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PAGE_PERMISSION)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        # Only the page: no object pages, no history, no add.
        return [
            path for path in super().get_urls() if path.name and path.name.endswith("_changelist")
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = health(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Converted.in feeds",
            "subtitle": None,
            "opts": self.model._meta,
            "health": data,
            "chart": hourly_chart(data.hours, data.series),
            "legend": [(name, colour(index)) for index, (name, _) in enumerate(data.series)],
            "chart_feeds": [name for name, _ in data.series],
            "chart_rows": chart_rows(data),
            "audit_rules": audit_rules(data.audit),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/convertedin_feed/feeds.html", context)
