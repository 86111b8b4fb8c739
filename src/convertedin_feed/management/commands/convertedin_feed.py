"""``manage.py convertedin_feed <subcommand>``: the tools a shop developer reaches for.

- ``audit``: the app's system checks, then every record of every feed against
  the documented rules (:mod:`convertedin_feed.tools.rules`), in-process.
- ``crawl``: every page of every feed as the platform reads them, over HTTP or
  in-process, checked the same way, with timings.
- ``preview``: one page as the platform receives it, or ``--crawl`` one feed
  (``convertedin_feed_preview`` is its alias).
- ``token``: a new random token, and the setting that uses it.

They share one way to read pages (:mod:`convertedin_feed.tools.pages`) and one
judge of records (:mod:`convertedin_feed.tools.rules`); a required rule broken
exits with status 1.
"""

from __future__ import annotations

import json
import secrets
import zoneinfo
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from convertedin_feed import stats
from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import UnknownFeed
from convertedin_feed.feeds import Feed, configured_feeds, feed_names, get_feed
from convertedin_feed.filters import parse_moment
from convertedin_feed.tools.audit import Report, audit, judge_feeds
from convertedin_feed.tools.database import reachable_database
from convertedin_feed.tools.pages import (
    FeedAnswerError,
    FeedUnreachable,
    InProcess,
    OverHTTP,
    Reader,
    fetch,
)
from convertedin_feed.tools.progress import Progress
from convertedin_feed.tools.text import crawl_table, indent_json, report_lines

#: Bytes of randomness in a token ``token`` makes: 43 URL-safe characters.
TOKEN_BYTES = 32


def add_preview_arguments(parser: CommandParser) -> None:
    """``preview``'s arguments, shared with the ``convertedin_feed_preview`` alias."""
    parser.add_argument("feed", help="Feed name, e.g. products or orders.")
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--per-page", type=int, default=None)
    parser.add_argument(
        "--compact",
        action="store_true",
        help="Print the body exactly as received, without indentation.",
    )
    parser.add_argument(
        "--crawl",
        action="store_true",
        help="Read every page in order, as the platform's sync does, and check what arrives.",
    )
    parser.add_argument("--quiet", action="store_true", help="No progress (with --crawl).")


class Command(BaseCommand):
    help = "Tools for the Converted.in feeds: audit, crawl, preview, token."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        subcommands.required = True

        audit_parser = subcommands.add_parser(
            "audit",
            help="Check every record of every feed against the documented rules.",
            description=(
                "Run the app's system checks, then read every record of every feed "
                "through the adapters, in the platform's order, and check each against "
                "the documented rules. Exit status 1 when a required rule is broken."
            ),
        )
        audit_parser.add_argument(
            "--save",
            action="store_true",
            help="Store the result in the app's table (SavedAudit) for the admin page.",
        )
        crawl = subcommands.add_parser(
            "crawl",
            help="Crawl every page of every feed as the platform does, and check what arrives.",
            description=(
                "Read every page of every feed in the platform's order, over HTTP with "
                "--url or in-process without it; check the envelopes' figures and every "
                "record as the audit does; report pages, records, throughput and the "
                "slowest pages. Exit status 1 when a required rule is broken."
            ),
        )
        crawl.add_argument("--url", help="The shop's base URL, e.g. https://shop.example/")
        crawl.add_argument(
            "--token", help="The token to send (default: the first one configured here)."
        )
        crawl.add_argument(
            "--retries",
            type=int,
            default=5,
            help="Tries again after a connection error, a 5xx or a 429, waiting longer "
            "each time (and as long as Retry-After asks); default 5.",
        )
        crawl.add_argument(
            "--out",
            metavar="DIR",
            help="Write each feed's records to DIR/<feed>.jsonl, one record a line.",
        )
        crawl.add_argument(
            "--since",
            metavar="MOMENT",
            help="Only the records changed since MOMENT (Y-m-d H:i:s in the feed's time zone, "
            "or ISO 8601), sent as updated_since; a feed that does not take it is read whole. "
            "The crawl ends with the MOMENT for the next one.",
        )
        for reading in (audit_parser, crawl):
            reading.add_argument(
                "--feed",
                action="append",
                dest="feeds",
                metavar="NAME",
                help="Only this feed (repeat for several). References to feeds left out "
                "are not checked.",
            )
            reading.add_argument("--limit", type=int, help="At most this many records a feed.")
            reading.add_argument(
                "--per-page", type=int, help="Records a page (default: MAX_PER_PAGE)."
            )
            reading.add_argument("--json", action="store_true", help="Print the result as JSON.")
            reading.add_argument("--quiet", action="store_true", help="No progress.")

        add_preview_arguments(
            subcommands.add_parser(
                "preview",
                help="Print one page as the platform receives it, or --crawl every page.",
            )
        )
        subcommands.add_parser(
            "token",
            help="Print a new random token and the setting that uses it.",
        )
        subcommands.add_parser(
            "prune",
            help="Delete the admin page's hourly counts older than STATS_DAYS days.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "token":
            self.token()
            return
        if subcommand == "prune":
            deleted = stats.prune()
            self.stdout.write(
                f"Deleted {deleted} hourly count{'s' if deleted != 1 else ''} "
                f"older than {feed_settings.STATS_DAYS} days."
            )
            return
        with reachable_database(feed_settings.DATABASE or "default"):
            if subcommand == "preview":
                self.preview(options)
            else:
                self.judge(options)

    # ------------------------------------------------------------------ token

    def token(self) -> None:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.stdout.write(token)
        self.stdout.write(
            "\nGive it to Converted.in, and serve it from the environment:\n\n"
            f'    export CONVERTEDIN_FEED_TOKEN="{token}"\n\n'
            "To rotate, list the new token and the old one together until the platform\n"
            "uses the new one, then drop the old one:\n\n"
            f'    export CONVERTEDIN_FEED_TOKEN="{token},<the old token>"'
        )

    # ---------------------------------------------------------------- preview

    def preview(self, options: dict[str, Any]) -> None:
        """One page, printed as the view wrote it; or ``--crawl``: the crawl of that feed."""
        feed = self.chosen_feeds([options["feed"]])[0]
        if options["crawl"]:
            self.judge(
                {
                    **options,
                    "subcommand": "crawl",
                    "feeds": [feed.name],
                    "url": None,
                    "limit": None,
                    "json": False,
                    "per_page": options["per_page"] or feed_settings.DEFAULT_PER_PAGE,
                }
            )
            return
        fields = {"page": options["page"], "per_page": options["per_page"]} if feed.paged else {}
        fields = {name: value for name, value in fields.items() if value is not None}
        try:
            _, content, _ = fetch(InProcess(self.configured_token()), feed, fields)
        except FeedAnswerError as exc:
            raise CommandError(str(exc)) from None
        body = content.decode()
        self.stdout.write(body if options["compact"] else indent_json(body))

    # ------------------------------------------------------------ audit, crawl

    def configured_token(self) -> str:
        token = next(iter(feed_settings.tokens), None)
        if not token:
            raise CommandError(
                "No token is configured (CONVERTEDIN_FEED_TOKEN or CONVERTEDIN_FEED['TOKENS'])."
            )
        return token

    def judge(self, options: dict[str, Any]) -> None:
        """``audit`` and ``crawl``: read the feeds, judge every record, report."""
        feeds = self.chosen_feeds(options["feeds"])
        crawling = options["subcommand"] == "crawl"
        url = options.get("url")
        token = options.get("token") or self.configured_token()
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit takes a whole number of records, 1 or more.")
        per_page = options["per_page"] or feed_settings.MAX_PER_PAGE
        quiet = options["quiet"]

        def progress(label: str, total: int | None) -> Progress:
            return Progress(self.stderr, label, total=total, quiet=quiet)

        try:
            if crawling:
                reader: Reader = (
                    OverHTTP(url, token, retries=options["retries"]) if url else InProcess(token)
                )
                with JsonLines(options.get("out")) as out:
                    result = judge_feeds(
                        reader,
                        feeds,
                        per_page=per_page,
                        limit=options["limit"],
                        progress=progress,
                        on_page=out.write if out.directory else None,
                        filters=self.since(options.get("since")),
                    )
            else:
                result = audit(
                    feeds, token, per_page=per_page, limit=options["limit"], progress=progress
                )
        except FeedAnswerError as exc:
            if exc.status == 401:
                where = "--token" if url else "CONVERTEDIN_FEED_TOKEN"
                raise CommandError(
                    f"The {exc.feed} feed refused the token (401: {exc.message}). Check {where}."
                ) from None
            raise CommandError(str(exc)) from None
        except (FeedUnreachable, OSError) as exc:
            raise CommandError(str(exc)) from None
        if options.get("save"):
            self.save(result)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.print_report(result, crawled=crawling)
        if crawling and options.get("since") and result.ok:
            # Seconds cut off: the next crawl overlaps this one a little, never leaves a gap.
            since = timezone.localtime(result.started_at).isoformat(timespec="seconds")
            self.stderr.write(f"Next, for what changed after this crawl began: --since {since}")
        if not result.ok:
            raise CommandError(f"The {options['subcommand']} found what the platform would refuse.")

    def since(self, moment: str | None) -> dict[str, str]:
        """``--since`` as the filters sent: ``updated_since``, checked here first."""
        if not moment:
            return {}
        try:
            parse_moment(moment, zoneinfo.ZoneInfo(feed_settings.time_zone_name))
        except ValueError:
            raise CommandError(
                f"--since {moment!r} is not a date and time: give Y-m-d H:i:s (in the feed's "
                "time zone) or ISO 8601, such as 2024-05-01T09:30:00+02:00."
            ) from None
        return {"updated_since": moment}

    def save(self, result: Report) -> None:
        from convertedin_feed.models import SavedAudit

        assert result.finished_at is not None
        saved = SavedAudit.objects.create(
            started_at=result.started_at,
            finished_at=result.finished_at,
            ok=result.ok,
            report=result.as_dict(),
        )
        self.stderr.write(f"Saved as audit {saved.pk} (SavedAudit).")

    def chosen_feeds(self, names: list[str] | None) -> list[Feed]:
        """The feeds named, in the platform's order; every feed without names."""
        if not names:
            return list(configured_feeds())
        for name in names:
            try:
                get_feed(name)
            except UnknownFeed:
                raise CommandError(
                    f"Unknown feed {name!r}; this project serves: {feed_names()}."
                ) from None
        return [feed for feed in configured_feeds() if feed.name in names]

    def print_report(self, result: Report, *, crawled: bool) -> None:
        styles = {
            "error": self.style.ERROR,
            "warning": self.style.WARNING,
            "success": self.style.SUCCESS,
        }
        if crawled and result.feeds:
            self.stdout.write(crawl_table(result))
            self.stdout.write("")
        for text, style in report_lines(result):
            self.stdout.write(styles[style](text) if style else text)


class JsonLines:
    """``--out DIR``: each feed's records in ``DIR/<feed>.jsonl``, one record a line."""

    def __init__(self, directory: str | None) -> None:
        self.directory = Path(directory) if directory else None
        self.files: dict[str, IO[str]] = {}

    def write(self, feed: Feed, records: list[Any]) -> None:
        assert self.directory is not None
        out = self.files.get(feed.name)
        if out is None:
            path = self.directory / f"{feed.name}.jsonl"
            out = self.files[feed.name] = path.open("w", encoding="utf-8")
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def __enter__(self) -> JsonLines:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for out in self.files.values():
            out.close()
