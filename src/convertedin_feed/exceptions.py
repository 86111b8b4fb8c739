"""Errors the app raises, each a subclass of the standard one a caller expects."""

from django.core.exceptions import ImproperlyConfigured


class FeedConfigurationError(ImproperlyConfigured):
    """The ``CONVERTEDIN_FEED`` setting or an adapter declaration is wrong."""


class UnknownFeed(FeedConfigurationError):
    """A feed name that no adapter is configured for."""
