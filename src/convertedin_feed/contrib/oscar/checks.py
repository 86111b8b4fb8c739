"""System checks of the django-oscar settings (``OSCAR_*`` in ``CONVERTEDIN_FEED``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.checks import CheckMessage, Error, Warning

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import FeedConfigurationError


def oscar_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each ``OSCAR_*`` setting reads; a shop where no status is a cancelled one is told so."""
    from convertedin_feed.contrib.oscar import orders

    problems: dict[str, None] = {}  # one reading may fail inside another: each said once
    readings: tuple[Callable[[], Any], ...] = (
        orders.store_currency,
        orders.exchange_rates,
        orders.cancelled_statuses,
        lambda: orders.financial_status(""),
    )
    for read in readings:
        try:
            read()
        except FeedConfigurationError as exc:
            problems[str(exc)] = None
    messages: list[CheckMessage] = [
        Error(problem, id="convertedin_feed_oscar.E001") for problem in problems
    ]
    try:
        cancelled = orders.cancelled_statuses()
    except FeedConfigurationError:
        cancelled = ("",)  # reported above
    if not cancelled and feed_settings.OSCAR_CANCELLED_STATUSES is None:
        messages.append(
            Warning(
                "No order status is known as cancelled: every order counts towards "
                "orders_count and total_spent, and none is served as 'canceled'.",
                hint='Name them in CONVERTEDIN_FEED["OSCAR_CANCELLED_STATUSES"], or call '
                "them 'Cancelled' in OSCAR_ORDER_STATUS_PIPELINE; an empty list "
                "silences this.",
                id="convertedin_feed_oscar.W001",
            )
        )
    return messages
