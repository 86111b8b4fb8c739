"""Show what the platform will receive: one page as JSON, or a whole crawl checked.

It goes through the real view with the first configured token, so it proves the
settings, the adapters and the authentication together, without a web server.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import RequestFactory

from convertedin_feed.conf import feed_settings
from convertedin_feed.feeds import ServedFeed, served_feeds


class Command(BaseCommand):
    help = "Print one page of a feed as the platform receives it, or --crawl every page and report problems."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", help="Feed name, e.g. customers or orders.")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--per-page", type=int, default=None)
        parser.add_argument(
            "--crawl",
            action="store_true",
            help="Read every page in order, as the platform's sync does, and check what arrives.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        feeds = served_feeds()
        feed = feeds.get(options["feed"])
        if feed is None:
            raise CommandError(
                f"Unknown feed {options['feed']!r}; this project serves: {', '.join(feeds)}."
            )
        tokens = feed_settings.tokens
        if not tokens:
            raise CommandError(
                "No token is configured (CONVERTEDIN_FEED_TOKEN or CONVERTEDIN_FEED['TOKENS'])."
            )
        per_page = options["per_page"] or feed_settings.DEFAULT_PER_PAGE
        if options["crawl"]:
            self.crawl(feed, tokens[0], per_page)
        else:
            body = self.fetch(feed, tokens[0], options["page"], per_page)
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))

    def fetch(self, feed: ServedFeed, token: str, page: int, per_page: int) -> dict[str, Any]:
        request = RequestFactory().post(
            f"/convertedin/{feed.name}", {"token": token, "page": page, "per_page": per_page}
        )
        response = feed.view(request)
        response.render()
        body: dict[str, Any] = json.loads(response.content)
        if response.status_code != 200:
            raise CommandError(
                f"The {feed.name} feed answered {response.status_code}: {body.get('message')}"
            )
        return body

    def crawl(self, feed: ServedFeed, token: str, per_page: int) -> None:
        required = feed.serializer_class.required_keys()
        nulls: Counter[str] = Counter()
        seen: set[Any] = set()
        duplicates = out_of_order = records = 0
        previous: Any = None
        page, last_page, total = 1, 1, 0
        started = time.perf_counter()
        while page <= last_page:
            body = self.fetch(feed, token, page, per_page)
            last_page, total = body["last_page"], body["total"]
            for record in body["data"]:
                records += 1
                record_id = record.get("id")
                duplicates += record_id in seen
                seen.add(record_id)
                if _out_of_order(previous, record_id):
                    out_of_order += 1
                previous = record_id
                nulls.update(key for key in required if record.get(key) is None)
            if page % 100 == 0:
                self.stdout.write(f"  page {page} of {last_page}")
            page += 1
        elapsed = time.perf_counter() - started

        self.stdout.write(
            f"{feed.name}: {records} records of {total} in {last_page} pages of {per_page}, "
            f"{elapsed:.1f} s ({1000 * elapsed / last_page:.0f} ms a page)"
        )
        problems = [
            f"{count} records have no {key!r} (required)" for key, count in sorted(nulls.items())
        ]
        if duplicates:
            problems.append(f"{duplicates} records were served twice")
        if out_of_order:
            problems.append(f"{out_of_order} records came out of id order")
        if records != total:
            problems.append(f"the envelope's total says {total}, the pages held {records}")
        for problem in problems:
            self.stdout.write(self.style.WARNING(f"  {problem}"))
        if problems:
            raise CommandError(f"The {feed.name} feed has problems the platform will see.")
        self.stdout.write(
            self.style.SUCCESS("  every record arrived once, in order, with its required keys")
        )


def _out_of_order(previous: Any, current: Any) -> bool:
    """Only integer ids can be checked here: text and UUID keys follow the database's
    own collation, which Python cannot reproduce (duplicates and totals still count)."""
    return isinstance(previous, int) and isinstance(current, int) and current <= previous
