"""JSON out, whatever the client's Accept header or the project's DRF settings say."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class FeedJSONRenderer(JSONRenderer):
    # Arabic names stay readable UTF-8, not \u escapes, whatever UNICODE_JSON says.
    ensure_ascii = False
    compact = True
    strict = True


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Never a 406 and never HTML: the crawler gets JSON whatever it asks for."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
