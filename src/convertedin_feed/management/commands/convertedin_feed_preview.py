"""``manage.py convertedin_feed_preview``: the first name of ``convertedin_feed preview``.

One page of a feed as the platform receives it, or ``--crawl`` every page of it,
checked by the rules every tool shares. Kept so that scripts written for it go on
working; the README names ``convertedin_feed preview``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from convertedin_feed.conf import feed_settings
from convertedin_feed.management.commands.convertedin_feed import (
    Command as ToolsCommand,
)
from convertedin_feed.management.commands.convertedin_feed import (
    add_preview_arguments,
)
from convertedin_feed.tools.database import reachable_database


class Command(ToolsCommand):
    help = "Print one page of a feed as the platform receives it, or --crawl every page and report problems."

    def add_arguments(self, parser: CommandParser) -> None:
        add_preview_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with reachable_database(feed_settings.DATABASE or "default"):
            self.preview(options)
