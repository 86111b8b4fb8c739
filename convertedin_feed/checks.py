"""System checks: a misconfigured feed shows up in ``manage.py check``, not in the crawler's logs."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured

from convertedin_feed.adapters import FeedAdapter, load_adapter_class
from convertedin_feed.auth import parse_networks
from convertedin_feed.conf import DEFAULTS, SETTING_NAME, TOKEN_ENVIRONMENT_VARIABLE, feed_settings
from convertedin_feed.feeds import served_feeds
from convertedin_feed.money import MAX_MONEY_PLACES, valid_money_places
from convertedin_feed.record_errors import POLICIES
from convertedin_feed.serializers import RecordSerializer
from convertedin_feed.throttling import FeedRateThrottle

MIN_TOKEN_LENGTH = 32


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    raw = getattr(settings, SETTING_NAME, {})
    if not isinstance(raw, dict):
        return [
            checks.Error(
                f"{SETTING_NAME} must be a dict, not {type(raw).__name__}.",
                hint=f'{SETTING_NAME} = {{"ADAPTERS": {{...}}}}',
                id="convertedin_feed.E001",
            )
        ]
    messages: list[checks.CheckMessage] = [
        checks.Error(
            f"Unknown setting {SETTING_NAME}[{name!r}].",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
            id="convertedin_feed.E001",
        )
        for name in raw
        if name not in DEFAULTS
    ]
    for name in ("DEFAULT_PER_PAGE", "MAX_PER_PAGE", "MAX_BODY_SIZE"):
        value = getattr(feed_settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            messages.append(
                checks.Error(
                    f"{SETTING_NAME}[{name!r}] must be a whole number >= 1, not {value!r}.",
                    id="convertedin_feed.E001",
                )
            )
    timeout = feed_settings.CACHE_TIMEOUT
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        messages.append(
            checks.Error(
                f"{SETTING_NAME}['CACHE_TIMEOUT'] must be a whole number of seconds >= 1, "
                f"not {timeout!r}.",
                id="convertedin_feed.E001",
            )
        )
    for name, setting, known in (
        ("DATABASE", "DATABASES", settings.DATABASES),
        ("CACHE", "CACHES", getattr(settings, "CACHES", {})),
    ):
        alias = getattr(feed_settings, name)
        if alias is not None and alias not in known:
            messages.append(
                checks.Error(
                    f"{SETTING_NAME}[{name!r}] = {alias!r} is not an alias in settings.{setting}.",
                    hint=f"Known aliases: {', '.join(map(repr, known)) or 'none'}; or None.",
                    id="convertedin_feed.E001",
                )
            )
    if feed_settings.RECORD_ERRORS not in POLICIES:
        messages.append(
            checks.Error(
                f"{SETTING_NAME}['RECORD_ERRORS'] must be one of {', '.join(map(repr, POLICIES))}, "
                f"not {feed_settings.RECORD_ERRORS!r}.",
                id="convertedin_feed.E001",
            )
        )
    if not valid_money_places(feed_settings.MONEY_PLACES):
        messages.append(
            checks.Error(
                f"{SETTING_NAME}['MONEY_PLACES'] must be 'currency', None or a whole number "
                f"from 0 to {MAX_MONEY_PLACES}, not {feed_settings.MONEY_PLACES!r}.",
                hint="'currency' rounds computed amounts to their currency's minor units.",
                id="convertedin_feed.E001",
            )
        )
    messages.extend(_check_access_settings())
    try:
        zoneinfo.ZoneInfo(feed_settings.time_zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        messages.append(
            checks.Error(
                f"{SETTING_NAME}['TIME_ZONE'] = {feed_settings.TIME_ZONE!r} is not a known time zone.",
                hint="Use an IANA name such as 'Africa/Cairo', or None for settings.TIME_ZONE.",
                id="convertedin_feed.E001",
            )
        )
    return messages


def _check_access_settings() -> list[checks.CheckMessage]:
    """``ALLOWED_NETWORKS``, ``CLIENT_ADDRESS_HEADER`` and ``THROTTLE_RATES``."""
    problems: list[tuple[str, str]] = []
    networks = feed_settings.ALLOWED_NETWORKS
    if networks is not None:
        if isinstance(networks, str) or not isinstance(networks, list | tuple):
            problems.append(
                ("ALLOWED_NETWORKS", 'a list of CIDR networks, e.g. ["203.0.113.0/24"]')
            )
        else:
            try:
                parse_networks(tuple(networks))
            except ImproperlyConfigured as exc:
                problems.append(("ALLOWED_NETWORKS", f"a list of CIDR networks ({exc})"))
    header = feed_settings.CLIENT_ADDRESS_HEADER
    if header is not None and not (isinstance(header, str) and header.strip()):
        problems.append(("CLIENT_ADDRESS_HEADER", 'a header name such as "X-Forwarded-For"'))
    rates = feed_settings.THROTTLE_RATES
    if not isinstance(rates, dict) or not set(rates) <= {"token", "client"}:
        problems.append(("THROTTLE_RATES", 'a dict with "token" and "client" rates'))
    else:
        for scope, rate in rates.items():
            try:
                FeedRateThrottle().parse_rate(rate)
            except (AttributeError, KeyError, TypeError, ValueError):
                problems.append(
                    ("THROTTLE_RATES", f'a rate such as "600/min" or None for {scope!r}')
                )
    return [
        checks.Error(
            f"{SETTING_NAME}[{name!r}] must be {expected}, not {getattr(feed_settings, name)!r}.",
            id="convertedin_feed.E001",
        )
        for name, expected in problems
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_https(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "SECURE_SSL_REDIRECT", False) or not served_feeds():
        return []
    return [
        checks.Warning(
            "The Converted.in feeds hand out personal data and receive the token, and with "
            "SECURE_SSL_REDIRECT off they also answer over plain HTTP.",
            hint=(
                "Set SECURE_SSL_REDIRECT = True (and SECURE_PROXY_SSL_HEADER when a proxy "
                "ends TLS), so that a request over HTTP is redirected before it is served."
            ),
            id="convertedin_feed.W004",
        )
    ]


@checks.register(checks.Tags.security)
def check_tokens(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    tokens = feed_settings.tokens
    if not tokens:
        return [
            checks.Warning(
                "No Converted.in token is configured: every feed request will be refused.",
                hint=(
                    f"Set the {TOKEN_ENVIRONMENT_VARIABLE} environment variable or "
                    f'{SETTING_NAME}["TOKENS"] to the token the platform gave you.'
                ),
                id="convertedin_feed.W001",
            )
        ]
    return [
        checks.Warning(
            f"A Converted.in token is only {len(token)} characters long.",
            hint=f"Use at least {MIN_TOKEN_LENGTH} random characters, e.g. python -c "
            '"import secrets; print(secrets.token_urlsafe(32))".',
            id="convertedin_feed.W002",
        )
        for token in tokens
        if len(token) < MIN_TOKEN_LENGTH
    ]


@checks.register()
def check_adapters(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    adapters = feed_settings.ADAPTERS
    if not isinstance(adapters, dict):
        return [
            checks.Error(
                f'{SETTING_NAME}["ADAPTERS"] must map feed names to adapter paths.',
                id="convertedin_feed.E002",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for feed, served in served_feeds().items():
        serializer_class = served.serializer_class
        path = adapters.get(feed)
        setting = f'{SETTING_NAME}["ADAPTERS"][{feed!r}]'
        if not path:
            messages.append(
                checks.Error(
                    f"No adapter is configured for the {feed!r} feed.",
                    hint=f'Set {setting} to the dotted path of a FeedAdapter subclass in your app, e.g. "shop.convertedin.{feed.title()}Adapter".',
                    id="convertedin_feed.E002",
                )
            )
            continue
        try:
            adapter_class = load_adapter_class(path, feed)
        except ImproperlyConfigured as exc:
            messages.append(
                checks.Error(
                    str(exc),
                    hint="The adapter must live in an importable module of your app, not in settings.py.",
                    id="convertedin_feed.E003",
                )
            )
            continue
        messages.extend(_check_mapping(feed, adapter_class, serializer_class))
    return messages


def _check_mapping(
    feed: str, adapter_class: type[FeedAdapter], serializer_class: type[RecordSerializer]
) -> list[checks.CheckMessage]:
    name = f"{adapter_class.__module__}.{adapter_class.__qualname__}"
    keys = serializer_class.documented_keys()
    try:
        plan = adapter_class.plan(keys)
        model = adapter_class.get_model()
        # values() and annotate() resolve every path eagerly: no query runs.
        plan.values_queryset(model._default_manager.all())
        if plan.aggregates:
            model._default_manager.values("pk").annotate(**plan.aggregates)
        for related in plan.related:
            related.plan.values_queryset(
                related.adapter.get_model()._default_manager.all(), related.link
            )
    except (ImproperlyConfigured, FieldError, LookupError, TypeError, ValueError) as exc:
        return [
            checks.Error(
                f"The {feed!r} adapter {name} cannot be read: {exc}",
                hint="Check Meta.model and every Field path against your models.",
                obj=adapter_class,
                id="convertedin_feed.E004",
            )
        ]
    plans = [plan, *(related.plan for related in plan.related)]
    messages: list[checks.CheckMessage] = [
        checks.Error(
            f"The {feed!r} adapter {_label(checked.adapter, adapter_class)} {problem}.",
            hint=f"Documented keys: {', '.join(checked.keys)}. Add extra keys to Meta.extra_keys.",
            obj=checked.adapter,
            id="convertedin_feed.E005",
        )
        for checked in plans
        for problem in checked.problems
    ]
    required = serializer_class.required_keys()
    messages.extend(
        checks.Warning(
            f"The {feed!r} adapter {name} gives no value for the required key {key!r}; it will be null.",
            hint=f"Declare {key} = Field(...) on the adapter; the model has no field named {key!r}.",
            obj=adapter_class,
            id="convertedin_feed.W003",
        )
        for key in sorted(required & set(plan.constants))
        if plan.constants[key] is None
        and key not in plan.methods
        and key not in adapter_class.declared
    )
    return messages


def _label(adapter: type[FeedAdapter], root: type[FeedAdapter]) -> str:
    if adapter is root:
        return f"{adapter.__module__}.{adapter.__qualname__}"
    return f"{adapter.__qualname__} (a Related of {root.__qualname__})"
