"""``manage.py convertedin_feed <subcommand>``: the tools a shop developer reaches for.

- ``audit``: the app's system checks, then every record of every feed against
  the documented rules (:mod:`convertedin_feed.tools.rules`); exit status 1 when
  a required rule is broken.
- ``preview``: one page as the platform receives it, or ``--crawl`` (what
  ``convertedin_feed_preview`` does, which stays as its alias).
- ``token``: a new random token, and the setting that uses it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import IO, Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import UnknownFeed
from convertedin_feed.feeds import Feed, configured_feeds, feed_names, get_feed
from convertedin_feed.tools.audit import Report, audit, judge_feeds
from convertedin_feed.tools.pages import (
    FeedAnswerError,
    FeedUnreachable,
    InProcess,
    OverHTTP,
    Reader,
)
from convertedin_feed.tools.progress import Progress
from convertedin_feed.tools.rules import RULES

#: Bytes of randomness in a token ``token`` makes: 43 URL-safe characters.
TOKEN_BYTES = 32


class Command(BaseCommand):
    help = "Tools for the Converted.in feeds: audit, preview, token."

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

        preview = subcommands.add_parser(
            "preview",
            help="Print one page as the platform receives it, or --crawl every page.",
        )
        preview.add_argument("feed", help="Feed name, e.g. products or orders.")
        preview.add_argument("--page", type=int, default=1)
        preview.add_argument("--per-page", type=int, default=None)
        preview.add_argument("--compact", action="store_true")
        preview.add_argument("--crawl", action="store_true")

        subcommands.add_parser(
            "token",
            help="Print a new random token and the setting that uses it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "token":
            self.token()
        elif subcommand == "preview":
            names = ("page", "per_page", "compact", "crawl")
            call_command(
                "convertedin_feed_preview",
                options["feed"],
                stdout=self.stdout._out,
                stderr=self.stderr._out,
                **{name: options[name] for name in names if options[name] is not None},
            )
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

    # ------------------------------------------------------------------ audit

    def judge(self, options: dict[str, Any]) -> None:
        """``audit`` and ``crawl``: read the feeds, judge every record, report."""
        feeds = self.chosen_feeds(options["feeds"])
        crawling = options["subcommand"] == "crawl"
        token = options.get("token") or next(iter(feed_settings.tokens), None)
        if not token:
            raise CommandError(
                "No token is configured (CONVERTEDIN_FEED_TOKEN or CONVERTEDIN_FEED['TOKENS'])"
                + (", and --token was not given." if crawling else ".")
            )
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit takes a whole number of records, 1 or more.")
        per_page = options["per_page"] or feed_settings.MAX_PER_PAGE
        quiet = options["quiet"]

        def progress(label: str, total: int | None) -> Progress:
            return Progress(self.stderr, label, total=total, quiet=quiet)

        try:
            if crawling:
                reader: Reader = (
                    OverHTTP(options["url"], token, retries=options["retries"])
                    if options["url"]
                    else InProcess(token)
                )
                with JsonLines(options["out"]) as out:
                    result = judge_feeds(
                        reader,
                        feeds,
                        per_page=per_page,
                        limit=options["limit"],
                        progress=progress,
                        on_page=out.write if options["out"] else None,
                    )
            else:
                result = audit(
                    feeds, token, per_page=per_page, limit=options["limit"], progress=progress
                )
        except FeedAnswerError as exc:
            if exc.status == 401:
                raise CommandError(
                    f"The {exc.feed} feed refused the token (401: {exc.message}). "
                    + ("Check --token." if options.get("url") else "Check CONVERTEDIN_FEED_TOKEN.")
                ) from None
            raise CommandError(str(exc)) from None
        except (FeedUnreachable, OSError) as exc:
            raise CommandError(str(exc)) from None
        if options.get("save"):
            from convertedin_feed.models import SavedAudit

            assert result.finished_at is not None
            saved = SavedAudit.objects.create(
                started_at=result.started_at,
                finished_at=result.finished_at,
                ok=result.ok,
                report=result.as_dict(),
            )
            self.stderr.write(f"Saved as audit {saved.pk} (SavedAudit).")
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        else:
            if crawling:
                self.print_crawl(result)
            self.print_audit(result)
        if not result.ok:
            raise CommandError(f"The {options['subcommand']} found what the platform would refuse.")

    def chosen_feeds(self, names: list[str] | None) -> list[Feed]:
        if not names:
            return list(configured_feeds())
        try:
            chosen = {get_feed(name).name for name in names}
        except UnknownFeed:
            unknown = next(name for name in names if name not in feed_names().split(", "))
            raise CommandError(
                f"Unknown feed {unknown!r}; this project serves: {feed_names()}."
            ) from None
        return [feed for feed in configured_feeds() if feed.name in chosen]  # platform order

    def print_crawl(self, result: Report) -> None:
        rows = []
        for name, stats in result.feeds.items():
            rate = stats.records / stats.seconds if stats.seconds else 0.0
            slowest = ", ".join(f"{number} ({seconds:.2f} s)" for seconds, number in stats.slowest)
            rows.append(
                [
                    name,
                    f"{stats.pages:,}",
                    f"{stats.records:,}",
                    f"{stats.seconds:.2f}",
                    f"{rate:,.0f}",
                    slowest,
                ]
            )
        header = ["feed", "pages", "records", "seconds", "records/s", "slowest pages"]
        self.stdout.write(table(header, rows))
        self.stdout.write("")

    def print_audit(self, result: Report) -> None:
        write = self.stdout.write
        for text in result.check_errors:
            write(self.style.ERROR(text))
        for text in result.check_warnings:
            write(self.style.WARNING(text))
        if result.check_errors:
            write("No record was read: fix the system check errors first.")
            return
        write(table(["feed", "records"], [[f, f"{n:,}"] for f, n in result.records.items()]))
        write("")
        by_rule: dict[str, list[Any]] = {}
        for finding in result.findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        rows = []
        for rule in RULES.values():
            found = by_rule.get(rule.id, [])
            kind = "required" if rule.required else "advice"
            if not found:
                rows.append([rule.id, kind, "", "0", ""])
            for finding in found:
                examples = ", ".join(finding.examples)
                rows.append([rule.id, kind, finding.feed, f"{finding.count:,}", examples])
        write(table(["rule", "kind", "feed", "violations", "examples"], rows))
        for feed, stats in result.feeds.items():
            for problem in stats.envelope:
                write(self.style.ERROR(f"{feed}: {problem}"))
        for reference, count in result.unchecked.items():
            write(f"not checked: {count:,} references {reference} (that feed was not read whole)")
        if result.ok:
            write(self.style.SUCCESS("Every required rule holds."))


class JsonLines:
    """``--out DIR``: each feed's records in ``DIR/<feed>.jsonl``, one record a line."""

    def __init__(self, directory: str | None) -> None:
        self.directory = Path(directory) if directory else None
        self.files: dict[str, IO[str]] = {}

    def write(self, feed: Feed, records: list[Any]) -> None:
        assert self.directory is not None
        out = self.files.get(feed.name)
        if out is None:
            out = self.files[feed.name] = open(  # noqa: SIM115 (closed in __exit__)
                self.directory / f"{feed.name}.jsonl", "w", encoding="utf-8"
            )
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def __enter__(self) -> JsonLines:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for out in self.files.values():
            out.close()


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned: numbers (a column whose cells start with a digit) to the right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    numeric = [all(str(row[i])[:1].isdigit() for row in rows if row[i]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).rjust(width) if right else str(cell).ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
