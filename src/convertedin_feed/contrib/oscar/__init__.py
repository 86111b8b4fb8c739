"""django-oscar: install ``convertedin_feed.contrib.oscar`` and an Oscar shop needs no mapping.

Its :class:`~convertedin_feed.contrib.oscar.apps.OscarFeedConfig` provides the
feeds' adapters (``convertedin_feed_adapters``); ``ADAPTERS`` in settings still
wins, so a shop subclasses one of them and names its subclass there to change
a key. Models are named by Oscar's app labels (``"order.Order"``), which forked
Oscar apps keep, so a fork's models are the ones read.
"""
