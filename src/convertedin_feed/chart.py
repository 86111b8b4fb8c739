"""The admin page's chart of pages served per hour, drawn server-side as inline SVG.

No JavaScript and nothing fetched: a shop's admin may run offline. Colours come
from the admin's own CSS variables where they exist (text, lines), so the chart
follows the admin's light and dark themes; each feed's colour reads on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 760
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
#: One colour per feed, in order; chosen to read on white and on the admin's dark grey.
COLOURS = ("#2f80ed", "#eb5757", "#27ae60", "#f2994a", "#9b51e0", "#00a3a3", "#c0a000")


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def hourly_chart(
    hours: Sequence[datetime], series: Sequence[tuple[str, dict[datetime, int]]]
) -> SafeString:
    """A line per feed over ``hours``; a circle at each hour with pages (``data-feed``,
    ``data-hour`` in ISO 8601 UTC, ``data-pages``), titled for a pointer's hover."""
    top = max((pages for _, counts in series for pages in counts.values()), default=0)
    scale = nice_ceiling(top)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(hours) - 1, 1)

    def x(index: int) -> float:
        return round(LEFT + index * step, 1)

    def y(pages: int) -> float:
        return round(TOP + plot_height - plot_height * pages / scale, 1)

    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="convertedin-chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="convertedin-chart-title">'
            '<title id="convertedin-chart-title">Pages served per hour, last {} hours</title>',
            WIDTH,
            HEIGHT,
            len(hours),
        )
    ]
    for fraction in (0, 0.5, 1):  # grid lines and the pages they stand for
        value = round(scale * fraction)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
                '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y(value),
                y(value),
                LEFT - 6,
                y(value) + 4,
                value,
            )
        )
    for index, hour in enumerate(hours):  # a tick and a date at each local midnight
        local = timezone.localtime(hour)
        if local.hour == 0:
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
                    '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                    x(index),
                    x(index),
                    TOP,
                    TOP + plot_height,
                    x(index),
                    HEIGHT - 8,
                    local.strftime("%b %d"),
                )
            )
    for number, (feed, counts) in enumerate(series):
        if not counts:
            continue
        points = " ".join(f"{x(i)},{y(counts.get(hour, 0))}" for i, hour in enumerate(hours))
        circles = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3" data-feed="{}" data-hour="{}" data-pages="{}">'
            "<title>{}, {}: {} pages</title></circle>",
            (
                (
                    x(i),
                    y(counts[hour]),
                    feed,
                    hour.isoformat(),
                    counts[hour],
                    feed,
                    timezone.localtime(hour).strftime("%Y-%m-%d %H:00"),
                    counts[hour],
                )
                for i, hour in enumerate(hours)
                if counts.get(hour)
            ),
        )
        parts.append(
            format_html(
                '<g class="series" data-feed="{}" stroke="{}" fill="{}">'
                '<polyline points="{}" fill="none" stroke-width="1.5"/>{}</g>',
                feed,
                colour(number),
                colour(number),
                points,
                circles,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 ... that is at least ``value`` (at least 1)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10
