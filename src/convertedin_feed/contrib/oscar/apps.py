from typing import ClassVar

from django.apps import AppConfig
from django.core import checks


class OscarFeedConfig(AppConfig):
    """The Converted.in feeds of a django-oscar shop, mapped: no ``ADAPTERS`` needed."""

    name = "convertedin_feed.contrib.oscar"
    label = "convertedin_feed_oscar"
    verbose_name = "Converted.in feeds for django-oscar"
    default = True
    #: Feed name -> adapter, found by ``convertedin_feed.feeds.app_adapters``.
    convertedin_feed_adapters: ClassVar[dict[str, str]] = {
        "storeinfo": "convertedin_feed.contrib.oscar.catalogue.OscarStoreAdapter",
        "categories": "convertedin_feed.contrib.oscar.catalogue.OscarCategoryAdapter",
        "products": "convertedin_feed.contrib.oscar.catalogue.OscarProductAdapter",
        "customers": "convertedin_feed.contrib.oscar.orders.OscarCustomerAdapter",
        "orders": "convertedin_feed.contrib.oscar.orders.OscarOrderAdapter",
    }

    def convertedin_feed_site_url(self) -> str | None:
        """The site URL when ``SITE_URL`` is unset: the sites framework's current domain, as Oscar
        reads it (:func:`~convertedin_feed.contrib.oscar.catalogue.current_site_url`)."""
        from convertedin_feed.contrib.oscar.catalogue import current_site_url

        return current_site_url()

    def ready(self) -> None:
        from convertedin_feed.checks import TAG
        from convertedin_feed.contrib.oscar.checks import oscar_settings

        checks.register(oscar_settings, TAG)
