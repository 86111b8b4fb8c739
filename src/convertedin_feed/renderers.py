"""JSON out, whatever the client's Accept header or the project's DRF settings say."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import orjson
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()


def _encode(value: Any) -> Any:
    """What orjson cannot write itself: a Decimal digit for digit, then whatever DRF can."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        text = str(value)  # three times faster than format(); exponents are rare
        return orjson.Fragment(text if "E" not in text else format(value, "f"))
    return _fallback.default(value)


class FeedJSONRenderer(BaseRenderer):
    """Compact UTF-8 JSON by orjson: Arabic stays readable, money keeps its digits."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(renderer_context, dict):
            # DRF puts the response in its own context just before this call: a cycle
            # that would keep the page's records alive until the garbage collector's
            # next older-generation pass. Nothing here needs it.
            renderer_context.pop("response", None)
        if data is None:
            return b""
        try:
            return orjson.dumps(data, default=_encode)
        except TypeError:
            # A shop's extra key may hold a dict with non-string keys; the
            # option that allows them halves orjson's speed, so only here.
            return orjson.dumps(data, default=_encode, option=orjson.OPT_NON_STR_KEYS)


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Never a 406 and never HTML: the crawler gets JSON whatever it asks for."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
