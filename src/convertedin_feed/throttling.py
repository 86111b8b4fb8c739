"""Rate limits, through DRF's throttling: per client address and per token.

Rates come from ``CONVERTEDIN_FEED["THROTTLE_RATES"]`` (not DRF's own
``DEFAULT_THROTTLE_RATES``, which the shop's other APIs use) and are counted in
the ``CACHE`` alias, which every worker must share for the limits to hold.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import BaseCache, caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from convertedin_feed.auth import TOKEN_FIELD, client_address
from convertedin_feed.conf import feed_settings

logger = logging.getLogger("convertedin_feed")


class FeedRateThrottle(SimpleRateThrottle):
    """A sliding-window limit whose rate and cache are read from the feed settings per request."""

    scope = ""
    cache_format = "convertedin_feed:throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        rates = feed_settings.THROTTLE_RATES or {}
        rate: str | None = rates.get(self.scope)
        return rate

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        try:
            self.cache: BaseCache = caches[feed_settings.CACHE or "default"]
            return super().allow_request(request, view)
        except Exception:
            # A rate limit that cannot count must not take the feed down with it.
            logger.warning("Feed throttle cache failed; request let through", exc_info=True)
            return True


class ClientRateThrottle(FeedRateThrottle):
    """Every request from one address, refused ones included: checked before the token."""

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class TokenRateThrottle(FeedRateThrottle):
    """Every request made with one token, wherever it comes from."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str:
        data: Any = request.data
        token = str(data.get(TOKEN_FIELD, ""))  # authenticated: data is a mapping
        # The key names a digest, so the token never sits in the cache in clear.
        ident = hashlib.sha256(token.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
