"""An app that provides adapters, as ``convertedin_feed.contrib.oscar`` does: installing it maps two feeds."""

from typing import ClassVar

from django.apps import AppConfig


class ProviderConfig(AppConfig):
    name = "tests.providerapp"
    label = "providerapp"
    default = True
    convertedin_feed_adapters: ClassVar[dict[str, str]] = {
        "products": "tests.testapp.convertedin.GadgetAdapter",
        "storeinfo": "tests.providerapp.convertedin.ProvidedStoreAdapter",
    }


class BrokenProviderConfig(AppConfig):
    """The same app, providing an adapter that does not import."""

    name = "tests.providerapp"
    label = "brokenprovider"
    convertedin_feed_adapters: ClassVar[dict[str, str]] = {"orders": "tests.nowhere.OrderAdapter"}
