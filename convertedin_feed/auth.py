"""Token authentication: the platform sends a shared secret in the request body."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from convertedin_feed.conf import feed_settings

TOKEN_FIELD = "token"  # noqa: S105 (a field name)


class PlatformClient:
    """Who ``request.user`` is once the token checks out: the platform, not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __str__(self) -> str:
        return "Converted.in"


def token_matches(supplied: str, tokens: Iterable[str]) -> bool:
    """Compare against every token, always all of them, each in constant time."""
    supplied_bytes = supplied.encode()
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(supplied_bytes, token.encode())
    return matched


class TokenInURL(exceptions.APIException):
    status_code = 400
    default_detail = (
        f"Send the {TOKEN_FIELD!r} in the request body, never in the URL: URLs are written "
        "to server and proxy logs. Treat a token that was sent in a URL as leaked and rotate it."
    )
    default_code = "token_in_url"


class FeedTokenAuthentication(BaseAuthentication):
    """Reads ``token`` from the parsed body (form data or a JSON object)."""

    def authenticate(self, request: Request) -> tuple[PlatformClient, None]:
        if TOKEN_FIELD in request.query_params:
            # Refused even when the body holds a good token: a URL is written to
            # access logs and proxies, so the token in it must be treated as leaked.
            raise TokenInURL()
        data: Any = request.data
        supplied = data.get(TOKEN_FIELD) if hasattr(data, "get") else None
        if supplied is None or supplied == "":
            raise exceptions.NotAuthenticated(
                f"A token is required: send the Converted.in token as the {TOKEN_FIELD!r} field."
            )
        if not isinstance(supplied, str) or not token_matches(supplied, feed_settings.tokens):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return PlatformClient(), None

    def authenticate_header(self, request: Request) -> str:
        # Its presence makes DRF answer 401 rather than 403.
        return 'Token realm="convertedin"'


class IsPlatform(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, PlatformClient)
