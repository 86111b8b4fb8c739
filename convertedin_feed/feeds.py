"""The feeds a project serves, found where they are declared: its URLconf."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from convertedin_feed.serializers import RecordSerializer


@dataclass(frozen=True)
class ServedFeed:
    name: str
    serializer_class: type[RecordSerializer]
    view: Callable[..., Any]


def served_feeds() -> dict[str, ServedFeed]:
    """Every ``FeedView`` in the root URLconf by feed name; ours when it includes none."""
    feeds = {feed.name: feed for feed in _walk(get_resolver().url_patterns)}
    if not feeds:
        from convertedin_feed import urls

        feeds = {feed.name: feed for feed in _walk(urls.urlpatterns)}
    return feeds


def _walk(patterns: list[Any]) -> Iterator[ServedFeed]:
    from convertedin_feed.views import FeedView

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            if isinstance(view_class, type) and issubclass(view_class, FeedView):
                initkwargs = getattr(pattern.callback, "view_initkwargs", {})
                name = initkwargs.get("feed", view_class.feed)
                if name:
                    serializer_class = initkwargs.get(
                        "serializer_class", view_class.serializer_class
                    )
                    yield ServedFeed(name, serializer_class, pattern.callback)
