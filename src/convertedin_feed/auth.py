"""Token authentication: the platform sends a shared secret in the request body."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import FeedConfigurationError

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


def client_address(request: HttpRequest | Request) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or what the shop's proxy put in its header."""
    meta = request.META
    header = feed_settings.CLIENT_ADDRESS_HEADER
    if header:
        key = header.upper().replace("-", "_")
        key = key if key.startswith("HTTP_") else f"HTTP_{key}"
        # The last entry is the one the nearest proxy, the shop's own, added;
        # anything before it is whatever the caller claimed.
        addresses = [part.strip() for part in meta.get(key, "").split(",") if part.strip()]
        if addresses:
            return addresses[-1]
    address = meta.get("REMOTE_ADDR")
    return str(address) if address else None


class NetworkNotAllowed(exceptions.PermissionDenied):
    default_detail = "Requests from this address are not allowed."
    default_code = "network_not_allowed"


def check_network(request: HttpRequest | Request) -> None:
    """Refuse a caller outside ``ALLOWED_NETWORKS``, when the shop lists any."""
    allowed = feed_settings.ALLOWED_NETWORKS
    if allowed is None:
        return
    if not address_in(client_address(request), tuple(allowed)):
        raise NetworkNotAllowed()


def address_in(address: str | None, networks: tuple[str, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in parse_networks(networks))


@lru_cache(maxsize=16)
def parse_networks(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``ALLOWED_NETWORKS`` parsed once per value; a bad entry is an ``ImproperlyConfigured``."""
    try:
        return tuple(ipaddress.ip_network(network, strict=False) for network in networks)
    except (TypeError, ValueError) as exc:
        raise FeedConfigurationError(
            f'CONVERTEDIN_FEED["ALLOWED_NETWORKS"] holds a bad network: {exc}'
        ) from exc
