"""System checks: a misconfigured feed shows up in ``manage.py check``, not in the crawler's logs."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db.models import DateField, ManyToOneRel, Model
from django.db.models.constants import LOOKUP_SEP

from convertedin_feed.adapters import (
    CHANGE_FILTERS,
    GUEST_KEY,
    CustomerAdapter,
    FeedAdapter,
    Field,
    GuestAdapter,
    StoreAdapter,
    guest_adapter_class,
)
from convertedin_feed.auth import parse_networks
from convertedin_feed.codes import country_code, currency_code
from convertedin_feed.conf import DEFAULTS, SETTING_NAME, TOKEN_ENVIRONMENT_VARIABLE, feed_settings
from convertedin_feed.exceptions import UnknownFeed
from convertedin_feed.feeds import Feed, configured_feeds
from convertedin_feed.filters import ChangeFilterSet
from convertedin_feed.money import MAX_MONEY_PLACES, valid_money_places
from convertedin_feed.plans import MISSING_PRODUCT_POLICIES, Plan, plan_for
from convertedin_feed.record_errors import POLICIES
from convertedin_feed.relations import referenced_paths, to_many_chain, to_many_chains
from convertedin_feed.schemas import STOCK_KEYS, RecordSerializer
from convertedin_feed.throttling import FeedRateThrottle

MIN_TOKEN_LENGTH = 32

#: The tag of every check of the app and its contrib apps:
#: ``manage.py check --tag convertedin_feed`` runs them alone, as the audit does.
TAG = "convertedin_feed"


@checks.register(TAG)
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
    if feed_settings.MISSING_PRODUCTS not in MISSING_PRODUCT_POLICIES:
        messages.append(
            checks.Error(
                f"{SETTING_NAME}['MISSING_PRODUCTS'] must be one of "
                f"{', '.join(map(repr, MISSING_PRODUCT_POLICIES))}, "
                f"not {feed_settings.MISSING_PRODUCTS!r}.",
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
        configured_feeds()
    except ImproperlyConfigured as exc:
        messages.append(
            checks.Error(
                str(exc),
                hint="FEEDS = None serves the platform's five feeds; a list names Feed objects.",
                id="convertedin_feed.E001",
            )
        )
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


@checks.register(TAG, checks.Tags.security, deploy=True)
def check_https(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "SECURE_SSL_REDIRECT", False) or not _feeds():
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


@checks.register(TAG, checks.Tags.security)
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


def _feeds() -> tuple[Feed, ...]:
    """The configured feeds; none when ``FEEDS`` is wrong (E001 says why)."""
    try:
        return configured_feeds()
    except ImproperlyConfigured:
        return ()


@checks.register(TAG)
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
    for feed in _feeds():
        setting = f'{SETTING_NAME}["ADAPTERS"][{feed.name!r}]'
        try:
            adapter_class = feed.get_adapter_class()
        except UnknownFeed:
            messages.append(
                checks.Error(
                    f"No adapter is configured for the {feed.name!r} feed.",
                    hint=f"Set {setting} to the dotted path of a {feed.adapter_class.__name__} "
                    f'subclass in your app, e.g. "shop.convertedin.{feed.name.title()}Adapter".',
                    id="convertedin_feed.E002",
                )
            )
            continue
        except ImproperlyConfigured as exc:
            messages.append(
                checks.Error(
                    str(exc),
                    hint=f"The adapter must subclass {feed.adapter_class.__name__} and live in an "
                    "importable module of your app, not in settings.py.",
                    id="convertedin_feed.E003",
                )
            )
            continue
        if issubclass(adapter_class, FeedAdapter):
            messages.extend(_check_mapping(feed.name, adapter_class, feed.schema))
            messages.extend(_check_change_filters(feed, adapter_class))
        if issubclass(adapter_class, StoreAdapter):
            settings_only = adapter_class.settings_only
            if settings_only is None:
                settings_only = adapter_class.get_store is StoreAdapter.get_store
            if settings_only:
                messages.extend(_check_store(feed.name, adapter_class))
    messages.extend(_check_guests())
    messages.extend(_check_site_url())
    return messages


def _adapter_class(name: str) -> type[Any] | None:
    """The adapter class of the feed called ``name``, when it is served and imports."""
    for feed in _feeds():
        if feed.name == name:
            try:
                return feed.get_adapter_class()
            except ImproperlyConfigured:
                return None  # E002/E003 say why
    return None


def _check_guests() -> list[checks.CheckMessage]:
    """E008: guests named by one feed's adapter and not the other's, or a guest adapter that
    cannot work; W005: a product fallback asked for that no line adapter names."""
    named: dict[str, Any] = {}
    messages: list[checks.CheckMessage] = []
    for feed in ("customers", "orders"):
        adapter_class = _adapter_class(feed)
        if adapter_class is None or not issubclass(adapter_class, FeedAdapter):
            continue
        try:
            guests = guest_adapter_class(adapter_class)
            if guests is not None:
                guests.guest_key(), guests.account_path()
        except ImproperlyConfigured as exc:
            hint = "Name a GuestAdapter subclass with Meta.model (the orders), Meta.account, Meta.email."
            messages.append(_e008(str(exc), hint))
            continue
        named[feed] = guests
    if len(named) == 2 and named["customers"] is not named["orders"]:
        customers, orders = (
            f"{g.__module__}.{g.__qualname__}" if g else "none" for g in named.values()
        )
        messages.append(
            _e008(
                f"The customers adapter's Meta.guests ({customers}) and the orders adapter's "
                f"({orders}) differ: guest orders would link to customers the customers feed "
                "does not serve, or guests would be served whom no order links to.",
                "Name the same GuestAdapter in the Meta of both adapters.",
            )
        )
    orders_adapter = _adapter_class("orders")
    if feed_settings.MISSING_PRODUCTS == "fallback" and orders_adapter is not None:
        try:
            plan = plan_for(orders_adapter, served_record_keys().get("orders", {}))
        except (ImproperlyConfigured, FieldError, LookupError):
            return messages  # E003/E004 say why
        for related in plan.related:
            if related.adapter.option("product_fallback") is None:
                messages.append(
                    checks.Warning(
                        f'{SETTING_NAME}["MISSING_PRODUCTS"] is "fallback", but the line item '
                        f"adapter {related.adapter.__qualname__} names no Meta.product_fallback: "
                        "lines whose product was deleted are left out.",
                        hint='Set Meta.product_fallback to a path such as "sku", or '
                        'MISSING_PRODUCTS to "drop".',
                        obj=related.adapter,
                        id="convertedin_feed.W005",
                    )
                )
    return messages


def _check_change_filters(
    feed: Feed, adapter_class: type[FeedAdapter]
) -> list[checks.CheckMessage]:
    """E012: change filters (``Meta.created_at``, ``updated_at``, ``filter_ids``) that cannot run."""
    declared = adapter_class.change_filters()
    if not declared:
        return []
    label = f"The {feed.name!r} adapter {adapter_class.__module__}.{adapter_class.__qualname__}"
    filterset = feed.filterset_class
    if filterset is None or not issubclass(filterset, ChangeFilterSet):
        options = ", ".join(f"Meta.{CHANGE_FILTERS[name]}" for name in sorted(declared))
        return [
            _e012(
                f"{label} declares {options}, but the {feed.name!r} feed takes no change filters.",
                "Remove them: the categories feed serves whole trees, always read whole.",
                adapter_class,
            )
        ]
    sources: list[type[FeedAdapter]] = [adapter_class]
    try:
        guests = guest_adapter_class(adapter_class)
    except ImproperlyConfigured:
        guests = None  # E008 says why
    if guests is not None and issubclass(adapter_class, CustomerAdapter):
        sources.append(guests)
    messages: list[checks.CheckMessage] = []
    for source in sources:
        where = label if source is adapter_class else f"{label}'s guests ({source.__qualname__})"
        for name in sorted(declared):
            option = CHANGE_FILTERS[name]
            try:
                if name == "ids":
                    if issubclass(source, GuestAdapter):
                        source.guest_id_expression()
                    else:
                        _field_of(source, source.id_path())
                    continue
                if source is not adapter_class and not source.option(option):
                    raise ImproperlyConfigured(
                        f"declare no Meta.{option}, which the feed takes for its accounts"
                    )
                for time in source.change_times(option):
                    problem = _not_a_time(source, time)
                    if problem:
                        raise ImproperlyConfigured(f"Meta.{option}: {problem}")
            except (ImproperlyConfigured, FieldError, LookupError) as exc:
                messages.append(
                    _e012(
                        f"{where}: {exc}",
                        "created_at and updated_at name date-time fields (a path, an expression, "
                        "or for updated_at a tuple of them); filter_ids needs the id to read a "
                        "field path. A GuestAdapter declares the times its feed's adapter does, "
                        "as paths of the order model.",
                        source,
                    )
                )
    return messages


def _not_a_time(adapter: type[FeedAdapter], source: Any) -> str | None:
    """Why ``source`` (a path or an expression) is no date or date-time of the adapter's model."""
    error = _unreadable(adapter, source)
    if error is not None:
        return str(error)
    queryset = adapter.get_model()._default_manager.all()
    if isinstance(source, str):
        field = queryset.query.resolve_ref(source).output_field
    else:
        field = source.resolve_expression(queryset.query).output_field
    if not isinstance(field, DateField):
        return f"{source!r} is a {type(field).__name__}, not a date or date-time"
    return None


def _field_of(adapter: type[FeedAdapter], path: str) -> Any:
    adapter.get_model()._default_manager.all().values(path)  # FieldError when it does not resolve
    return path


def _e012(message: str, hint: str, obj: Any) -> checks.CheckMessage:
    return checks.Error(message, hint=hint, obj=obj, id="convertedin_feed.E012")


def _check_store(feed: str, adapter_class: type[StoreAdapter]) -> list[checks.CheckMessage]:
    """E011: the ``STORE`` setting (with what the adapter reads from other settings) cannot fill
    the storeinfo record."""
    setting = feed_settings.STORE
    problems: list[str] = []
    if not isinstance(setting, dict):
        problems.append(f"must be a dict, not {type(setting).__name__}")
        setting = {}
    unknown = sorted(set(setting) - set(STORE_KEYS))
    if unknown:
        problems.append(f"has unknown keys {', '.join(map(repr, unknown))}")
    try:
        store = adapter_class().get_store() if not problems else setting
    except Exception as exc:  # the adapter's own settings: reported, never raised by a check
        problems.append(f"cannot be read by {adapter_class.__qualname__}: {exc}")
        store = setting
    for key in ("name", "currency", "email", "country"):
        if not str(store.get(key) or "").strip():
            problems.append(f"has no {key!r}")
    if store.get("currency") and currency_code(str(store["currency"])) is None:
        problems.append(f"'currency' = {store['currency']!r} is no ISO 4217 code")
    for key in ("country", "country_code"):
        if store.get(key) and country_code(str(store[key])) is None:
            problems.append(f"{key!r} = {store[key]!r} is no ISO 3166 country")
    zone = store.get("time_zone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"'time_zone' = {zone!r} is not an IANA time zone")
    return [
        checks.Error(
            f'{SETTING_NAME}["STORE"] {problem}: the {feed!r} feed serves it.',
            hint='STORE = {"name": ..., "currency": "EGP", "time_zone": "Africa/Cairo", '
            '"email": ..., "description": ..., "country": "EG"}; or subclass StoreAdapter '
            "and override get_store().",
            id="convertedin_feed.E011",
        )
        for problem in problems
    ]


#: The keys ``STORE`` takes.
STORE_KEYS = ("name", "currency", "time_zone", "email", "description", "country", "country_code")


def _check_site_url() -> list[checks.CheckMessage]:
    """E010: a feed serves absolute URLs and ``SITE_URL`` cannot make them."""
    from urllib.parse import urlsplit

    from convertedin_feed.fields import URLKeyField, app_site_url

    needing = [
        feed.name
        for feed in _feeds()
        if any(
            isinstance(getattr(field, "child", field), URLKeyField)
            or any(
                isinstance(nested, URLKeyField)
                for nested in getattr(getattr(field, "child", None), "fields", {}).values()
            )
            for field in feed.schema().fields.values()
        )
    ]
    site = feed_settings.SITE_URL
    if not needing:
        return []
    if not site and app_site_url() is not None:
        return []  # an installed app provides it (convertedin_feed_site_url)
    parts = urlsplit(site) if isinstance(site, str) else None
    if parts is not None and parts.scheme in ("http", "https") and parts.netloc:
        return []
    return [
        checks.Error(
            f'{SETTING_NAME}["SITE_URL"] = {site!r} is not an absolute http(s) URL, and the '
            f"{', '.join(map(repr, needing))} feed serves absolute URLs built from it.",
            hint='Set it to the shop\'s public address, e.g. "https://shop.example": URLs '
            "are never built from the request's Host header, which the caller controls.",
            id="convertedin_feed.E010",
        )
    ]


def served_record_keys() -> dict[str, Any]:
    return {feed.name: feed.schema.documented_keys() for feed in _feeds()}


def _e008(message: str, hint: str) -> checks.CheckMessage:
    return checks.Error(message, hint=hint, id="convertedin_feed.E008")


def _check_mapping(
    feed: str, adapter_class: type[FeedAdapter], serializer_class: type[RecordSerializer]
) -> list[checks.CheckMessage]:
    name = f"{adapter_class.__module__}.{adapter_class.__qualname__}"
    keys = serializer_class.documented_keys()
    try:
        plan = plan_for(adapter_class, keys)
        adapter_class.get_model()
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
    try:
        guests = guest_adapter_class(adapter_class)
        if guests is not None and issubclass(adapter_class, CustomerAdapter):
            guests.guest_rows(guests.get_model()._default_manager.all())  # Meta.account, .email
            plans.append(plan_for(guests, keys))
    except (ImproperlyConfigured, FieldError) as exc:
        return [
            checks.Error(
                f"The {feed!r} adapter {name} cannot read its guests: {exc}",
                hint="Meta.account and Meta.email are paths (or, for email, an expression) "
                "of the order model.",
                obj=adapter_class,
                id="convertedin_feed.E004",
            )
        ]
    unreadable: list[checks.CheckMessage] = []
    relations: list[checks.CheckMessage] = []
    for checked in plans:
        label = _label(checked.adapter, adapter_class)
        model = checked.adapter.get_model()
        for key, source, shown in _sources(checked):
            error = _unreadable(checked.adapter, source)
            if error is not None:
                unreadable.append(_e004(feed, label, model, key, shown, error, checked.adapter))
            else:
                relations.extend(
                    _check_relations(feed, label, model, key, source, shown, checked.adapter)
                )
    if unreadable:  # an adapter that cannot be read is fixed first
        return unreadable
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
    messages.extend(relations)
    omittable = set(serializer_class.omit_unmapped)
    if set(STOCK_KEYS) <= omittable and set(STOCK_KEYS) <= plan.unmapped:
        messages.append(
            checks.Error(
                f"The {feed!r} adapter {name} maps neither 'quantity' nor 'stock_status': the "
                "platform needs one to show or hide a product.",
                hint="Declare quantity = Field(...) (a number in stock) or stock_status = Field(...).",
                obj=adapter_class,
                id="convertedin_feed.E009",
            )
        )
    required = serializer_class.required_keys()
    messages.extend(
        checks.Warning(
            f"The {feed!r} adapter {_label(checked.adapter, adapter_class)} gives no value for "
            f"the required key {key!r}; it will be null.",
            hint=f"Declare {key} = Field(...) on the adapter; the model has no field named {key!r}.",
            obj=checked.adapter,
            id="convertedin_feed.W003",
        )
        for checked in plans
        if checked is plan or issubclass(checked.adapter, GuestAdapter)
        for key in sorted(required & set(checked.constants))
        if checked.constants[key] is None
        and key not in checked.methods
        and key not in checked.adapter.declared
    )
    return messages


def _sources(plan: Plan) -> list[tuple[str, Any, Field]]:
    """``(key, path or expression, its Field)`` for every key a plan reads from the model."""
    sources = []
    for key in plan.keys:
        declaration = plan.adapter.declared.get(key)
        if key in plan.paths:  # declared, or the model field of the same name
            path = plan.paths[key]
            if path == GUEST_KEY:  # a guest's email, ours: Meta.email is checked on its own
                continue
            shown = declaration if isinstance(declaration, Field) else Field(path)
            sources.append((key, path, shown))
        elif isinstance(declaration, Field) and declaration.expression is not None:
            sources.append((key, declaration.expression, declaration))
    return sources


def _unreadable(adapter: type[FeedAdapter], source: Any) -> Exception | None:
    """Why ``source`` does not resolve on the adapter's model alone, if it does not.

    Resolved against a fresh queryset, one source at a time: an error then names
    only the model's own fields, never another key's annotation nor ours. No
    query runs.
    """
    queryset = adapter.get_model()._default_manager.all()
    try:
        if isinstance(source, str):
            queryset.values(source)
        else:
            resolved = source.resolve_expression(queryset.query, allow_joins=True, reuse=None)
            resolved.output_field  # noqa: B018 - mixed types are only found here
    except (FieldError, LookupError, TypeError, ValueError) as exc:
        return exc
    return None


def _e004(
    feed: str,
    label: str,
    model: type[Model],
    key: str,
    shown: Field,
    error: Exception,
    adapter: type[FeedAdapter],
) -> checks.CheckMessage:
    hint = (
        f"Check the path against {model.__name__}'s fields; a path follows relations "
        'as in filter() ("customer__email").'
    )
    if "keyword ''" in str(error):
        hint += (
            ' A string inside an expression names a field: NullIf("email", "") reads a '
            'field called \'\'. Write literal text as Value(""): NullIf("email", Value("")).'
        )
    return checks.Error(
        f"The {feed!r} adapter {label} cannot read {key!r} = {shown!r}: {error}",
        hint=hint,
        obj=adapter,
        id="convertedin_feed.E004",
    )


def _check_relations(
    feed: str,
    label: str,
    model: type[Model],
    key: str,
    source: Any,
    shown: Field,
    adapter: type[FeedAdapter],
) -> list[checks.CheckMessage]:
    """E006: a row read through a to-many relation; E007: an aggregate over two of them."""
    chains = sorted(to_many_chains(model, source))
    if not chains:
        return []
    each = model._meta.verbose_name
    if shown.is_aggregate:
        if len(chains) == 1:
            return []
        listed = " and ".join(map(repr, chains))
        return [
            checks.Error(
                f"The {feed!r} adapter {label} aggregates {key!r} through different to-many "
                f"relations, {listed}: in one SQL aggregate every row of one is joined to every "
                "row of the other, so each sum and count is multiplied by the other's rows.",
                hint=(
                    "Split it into one Field per relation (say one for "
                    f"{chains[0]!r} and one for {chains[1]!r}), or read one side with a "
                    f'Subquery(...) that aggregates it for one {each} (OuterRef("pk")).'
                ),
                obj=adapter,
                id="convertedin_feed.E007",
            )
        ]
    messages: list[checks.CheckMessage] = []
    paths = referenced_paths(source)
    for chain in chains:
        owner, relation = _last_hop(model, chain)
        per = relation.related_model._meta.verbose_name
        path = next(p for p in paths if to_many_chain(model, p) == chain)
        messages.append(
            checks.Error(
                f"The {feed!r} adapter {label} maps {key!r} through the to-many relation "
                f"{chain!r} ({owner.__name__}.{relation.name}): each {each} would be served "
                f"once per {per}.",
                hint=_one_value_hint(model, chain, path),
                obj=adapter,
                id="convertedin_feed.E006",
            )
        )
    return messages


def _one_value_hint(model: type[Model], chain: str, path: str) -> str:
    """What to declare instead of ``path``, which runs through the to-many ``chain``."""
    each = model._meta.verbose_name
    aggregate = f'Field(Max("{path}"))'
    first = model._meta.get_field(chain.split(LOOKUP_SEP)[0])
    if chain == first.name and isinstance(first, ManyToOneRel) and first.one_to_many:
        # A reverse foreign key of the model itself: every alternative can be spelled out.
        child = first.related_model
        rest = path[len(chain) + len(LOOKUP_SEP) :] or "pk"
        return (
            f"Read one value per {each}: an aggregate, {aggregate}; or one "
            f"{child._meta.verbose_name}'s value, Field(Subquery({child.__name__}.objects"
            f'.filter({first.field.name}=OuterRef("pk")).order_by(...).values("{rest}")[:1])); '
            f'or the list of them, Related("{chain}", {child.__name__}Adapter).'
        )
    return (
        f"Read one value per {each}: an aggregate, {aggregate}; or one row's value, "
        'Field(Subquery(....filter(...=OuterRef("pk")).values(...)[:1])). A list of records '
        f"comes from Related(...), over a reverse foreign key of {model.__name__}."
    )


def _last_hop(model: type[Model], chain: str) -> tuple[type[Model], Any]:
    """The model that holds the chain's last relation, and that relation."""
    *hops, last = chain.split(LOOKUP_SEP)
    for hop in hops:
        model = model._meta.get_field(hop).related_model  # type: ignore[assignment]
    return model, model._meta.get_field(last)


def _label(adapter: type[FeedAdapter], root: type[FeedAdapter]) -> str:
    if adapter is root:
        return f"{adapter.__module__}.{adapter.__qualname__}"
    if issubclass(adapter, GuestAdapter):
        return f"{adapter.__qualname__} (the guests of {root.__qualname__})"
    return f"{adapter.__qualname__} (a Related of {root.__qualname__})"
