"""Feeds: each one declarative object, and the list a project serves.

A :class:`Feed` says everything the app needs to serve one of the platform's
endpoints: its name, its record schema, the adapter base class a shop
subclasses, how it pages (or that it does not) and its filters. ``urls.py``
and the system checks are derived from :func:`configured_feeds`, the
``FEEDS`` setting: a shop adds a feed by declaring a ``Feed`` and listing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import URLPattern, re_path

from convertedin_feed.adapters import (
    Adapter,
    CategoryAdapter,
    CustomerAdapter,
    OrderAdapter,
    ProductAdapter,
    StoreAdapter,
    import_class,
)
from convertedin_feed.conf import SETTING_NAME, feed_settings, memo
from convertedin_feed.exceptions import FeedConfigurationError, UnknownFeed
from convertedin_feed.filters import ChangeFilterSet, ProductFilterSet
from convertedin_feed.pagination import FeedPagination
from convertedin_feed.schemas import (
    CategorySerializer,
    CustomerSerializer,
    OrderSerializer,
    ProductSerializer,
    RecordSerializer,
    StoreInfoSerializer,
)


@dataclass(frozen=True)
class Feed:
    """One endpoint of the platform, ``POST convertedin/<name>``.

    - ``schema``: the record serializer whose fields are the documented keys.
    - ``adapter_class``: the base class the shop's adapter (``ADAPTERS[name]``) subclasses.
    - ``default_adapter``: the adapter used when ``ADAPTERS`` names none and no
      installed app provides one (a class or dotted path); ``None`` makes one of
      them required.
    - ``pagination_class``: the paginator; ``None`` serves one record as
      ``{"code": 200, "data": {...}}`` from the adapter's ``get_record()``.
    - ``filterset_class``: a django-filter FilterSet over the adapter's rows,
      fed the request body (a :class:`~convertedin_feed.filters.FeedFilterSet`
      is given the adapter too, and filters every source the feed pages over).
      The categories feed has none: its records are whole trees, few, and
      always read whole.
    """

    name: str
    schema: type[RecordSerializer]
    adapter_class: type[Adapter]
    default_adapter: type[Adapter] | str | None = None
    pagination_class: type[FeedPagination] | None = FeedPagination
    filterset_class: type[Any] | None = None

    @property
    def paged(self) -> bool:
        return self.pagination_class is not None

    def get_adapter_class(self) -> type[Adapter]:
        """The shop's adapter class, resolved on every call: ``ADAPTERS[name]``, else the
        one an installed app provides (:func:`app_adapters`), else ``default_adapter``."""
        adapters = feed_settings.ADAPTERS
        path = adapters.get(self.name) if isinstance(adapters, Mapping) else None
        where = f'{SETTING_NAME}["ADAPTERS"][{self.name!r}]'
        if not path:
            provided = app_adapters().get(self.name)
            if provided is not None:
                app, path = provided
                where = f"the {self.name!r} adapter of the installed app {app!r}"
            elif self.default_adapter is not None:
                path, where = self.default_adapter, f"the {self.name!r} feed's default adapter"
            else:
                raise UnknownFeed(f"No adapter for the {self.name!r} feed: set {where}.")
        return import_class(path, self.adapter_class, where)

    def get_adapter(self, request: Any = None) -> Any:
        return self.get_adapter_class()(request)

    def urlpattern(self) -> URLPattern:
        """``convertedin/<name>``, with or without a trailing slash: a redirect would lose the POST."""
        from convertedin_feed.views import FeedView

        return re_path(rf"^convertedin/{self.name}/?$", FeedView.as_view(feed=self), name=self.name)


def app_adapters() -> dict[str, tuple[str, type[Adapter] | str]]:
    """The adapters installed apps provide, by feed name, with the providing app's name.

    An app provides them by a ``convertedin_feed_adapters`` mapping on its
    ``AppConfig`` (feed name to class or dotted path), as
    ``convertedin_feed.contrib.oscar`` does: installing it is the whole mapping.
    The first installed app that provides a feed's adapter wins.
    """
    provided: dict[str, tuple[str, type[Adapter] | str]] = {}
    for config in apps.get_app_configs():
        for name, adapter in (getattr(config, "convertedin_feed_adapters", None) or {}).items():
            provided.setdefault(name, (config.name, adapter))
    return provided


STOREINFO = Feed(
    name="storeinfo",
    schema=StoreInfoSerializer,
    adapter_class=StoreAdapter,
    default_adapter=StoreAdapter,
    pagination_class=None,
)
CATEGORIES = Feed(name="categories", schema=CategorySerializer, adapter_class=CategoryAdapter)
PRODUCTS = Feed(
    name="products",
    schema=ProductSerializer,
    adapter_class=ProductAdapter,
    filterset_class=ProductFilterSet,
)
CUSTOMERS = Feed(
    name="customers",
    schema=CustomerSerializer,
    adapter_class=CustomerAdapter,
    filterset_class=ChangeFilterSet,
)
ORDERS = Feed(
    name="orders",
    schema=OrderSerializer,
    adapter_class=OrderAdapter,
    filterset_class=ChangeFilterSet,
)

#: The platform's five feeds, in the order it calls them.
BUILTIN_FEEDS = (STOREINFO, CATEGORIES, PRODUCTS, CUSTOMERS, ORDERS)


@memo()
def configured_feeds() -> tuple[Feed, ...]:
    """The ``FEEDS`` setting's feeds, in order; the built-in five when it is ``None``.

    An entry is a built-in feed's name (``"orders"``), a :class:`Feed`, or a
    Feed's dotted path (``"shop.feeds.OFFERS"``).
    """
    setting = feed_settings.FEEDS
    if setting is None:
        return BUILTIN_FEEDS
    if isinstance(setting, str | Feed) or not isinstance(setting, list | tuple):
        raise FeedConfigurationError(
            f"{SETTING_NAME}['FEEDS'] must be a list of Feed objects or their dotted paths."
        )
    builtin = {feed.name: feed for feed in BUILTIN_FEEDS}
    feeds: list[Feed] = []
    for entry in setting:
        feed = entry
        if isinstance(entry, str) and entry in builtin:
            feed = builtin[entry]
        elif isinstance(entry, str):
            from django.utils.module_loading import import_string

            try:
                feed = import_string(entry)
            except ImportError as exc:
                raise FeedConfigurationError(
                    f"{SETTING_NAME}['FEEDS'] lists {entry!r}, which does not import: {exc}"
                ) from exc
        if not isinstance(feed, Feed):
            raise FeedConfigurationError(
                f"{SETTING_NAME}['FEEDS'] lists {entry!r}, which is not a Feed."
            )
        if any(other.name == feed.name for other in feeds):
            raise FeedConfigurationError(
                f"{SETTING_NAME}['FEEDS'] lists two feeds named {feed.name!r}."
            )
        feeds.append(feed)
    return tuple(feeds)


def get_feed(name: str) -> Feed:
    """The served feed called ``name``."""
    for feed in configured_feeds():
        if feed.name == name:
            return feed
    raise UnknownFeed(f"No feed is called {name!r}; served: {feed_names()}.")


def feed_names() -> str:
    return ", ".join(feed.name for feed in configured_feeds())
