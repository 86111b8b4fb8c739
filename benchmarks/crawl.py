"""Requests as the platform sends them (POST form data, pages in order), timed from outside.

Every reply is checked before it counts: a 200, the envelope's keys in order, the
expected total and number of rows, and the same ids on a page whatever serves it.
A check that fails is a :class:`CrawlError`, which ``run.py`` turns into a non-zero exit.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

ENVELOPE_KEYS = ("current_page", "data", "from", "last_page", "per_page", "to", "total")
RECORD_KEYS = {
    "orders": {
        "id", "ordered_at", "total_price", "subtotal_price", "total_tax", "taxes_included",
        "currency", "country_code", "financial_status", "total_discounts", "phone",
        "customer_locale", "contact_email", "line_items", "customer",
    },
    "customers": {
        "id", "email", "first_name", "last_name", "orders_count", "total_spent", "currency",
        "phone", "registered_at", "gender",
    },
    "products": {
        "id", "title", "full_permalink", "image", "content", "vendor", "price", "category_id",
        "handle", "compare_at_price", "quantity", "published_at", "tags", "images",
    },
    "categories": {
        "id", "title", "handle", "content", "subcategories", "available", "published_at",
    },
}  # fmt: skip


class CrawlError(RuntimeError):
    pass


@dataclass(frozen=True)
class Impl:
    name: str
    path: str
    feed: str = "orders"
    seek: bool = False  # told ``total`` and ``after`` by the client (handwritten_seek)
    remembers: bool = False  # remembers where a page ended (ours): prime page k-1 first


@dataclass(frozen=True)
class Reply:
    page: int
    ms: float
    queries: int
    ids: list


@dataclass(frozen=True)
class Timing:
    ms: float  # median
    queries: int  # the most any of the requests made


def rotated(impls: list[Impl], turn: int) -> list[Impl]:
    """Each implementation goes first in turn, so none always follows the slow ones."""
    shift = turn % len(impls)
    return impls[shift:] + impls[:shift]


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


class Client:
    """One crawler's connection to one server.

    ``totals`` holds each feed's published row count; ``page_end(per_page, page, feed)``
    the id a page of the feed ends on (for ``after``, from SQL); ``seen`` is shared
    between clients so every implementation must serve the same ids on a page.
    """

    def __init__(
        self,
        url: str,
        token: str,
        totals: dict[str, int],
        page_end: Callable[[int, int, str], int],
        seen: dict | None = None,
    ):
        self.http = httpx.Client(base_url=url, timeout=600, trust_env=False)
        self.token = token
        self.totals = totals
        self.page_end = page_end
        self.seen = {} if seen is None else seen

    def close(self) -> None:
        self.http.close()

    def last_page(self, impl: Impl, per_page: int) -> int:
        return last_page(self.totals[impl.feed], per_page)

    def get(self, impl: Impl, page: int, per_page: int, after: int | None = None) -> Reply:
        """One page, timed and checked; ``after`` (seek only) defaults to the page before's end."""
        form = {"token": self.token, "page": page, "per_page": per_page}
        if impl.seek:
            form["total"] = self.totals[impl.feed]
            form["after"] = self.page_end(per_page, page - 1, impl.feed) if after is None else after
        started = time.perf_counter()
        response = self.http.post(impl.path, data=form)
        ms = (time.perf_counter() - started) * 1000
        return Reply(page, ms, *self._check(impl, page, per_page, response))

    def _check(self, impl: Impl, page: int, per_page: int, response: httpx.Response):
        where = f"{impl.name} {impl.path} page {page} per_page {per_page}"
        if response.status_code != 200:
            raise CrawlError(f"{where}: HTTP {response.status_code}: {response.text[:300]}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise CrawlError(f"{where}: not a JSON object: {response.text[:300]}")
        total = self.totals[impl.feed]
        rows = max(0, min(per_page, total - (page - 1) * per_page))
        expected = {
            "current_page": page,
            "from": (page - 1) * per_page + 1 if rows else None,
            "last_page": last_page(total, per_page),
            "per_page": per_page,
            "to": (page - 1) * per_page + rows if rows else None,
            "total": total,
        }
        got = {key: body.get(key) for key in expected}
        if tuple(body) != ENVELOPE_KEYS or got != expected or len(body["data"]) != rows:
            raise CrawlError(
                f"{where}: envelope {got} with {len(body.get('data') or [])} rows "
                f"(keys {tuple(body)}), expected {expected} with {rows} rows"
            )
        missing = RECORD_KEYS[impl.feed] - set(body["data"][0]) if rows else set()
        if missing:
            raise CrawlError(f"{where}: records lack {sorted(missing)}")
        ids = [record["id"] for record in body["data"]]
        if ids:
            bounds = (ids[0], ids[-1])
            if self.seen.setdefault((impl.feed, per_page, page), bounds) != bounds:
                raise CrawlError(
                    f"{where}: ids {bounds}, but another implementation served "
                    f"{self.seen[(impl.feed, per_page, page)]}"
                )
        queries = response.headers.get("X-Queries")
        if queries is None:
            raise CrawlError(f"{where}: no X-Queries header (benchmarks.settings not in use?)")
        return int(queries), ids

    def medians(
        self, impls: list[Impl], pages: list[int], per_page: int, repeat: int
    ) -> dict[tuple[str, int], Timing]:
        """Each of ``pages`` ``repeat`` times from each implementation, taking turns.

        Turns, in an order that rotates, and the pages asked in the same round, spread
        a burst of noise on a shared machine, and the buffers a slow OFFSET page
        evicts, over all of them. ``ours`` first arrives at each page from the one
        before, once, as a crawler does.
        """
        for impl in impls:
            for page in pages:
                if impl.remembers and page > 1:
                    self.get(impl, page - 1, per_page)
        replies: dict[tuple[str, int], list[Reply]] = {
            (impl.name, page): [] for impl in impls for page in pages
        }
        for turn in range(repeat):
            for impl in rotated(impls, turn):
                for page in pages:
                    replies[impl.name, page].append(self.get(impl, page, per_page))
        return {
            key: Timing(statistics.median(r.ms for r in got), max(r.queries for r in got))
            for key, got in replies.items()
        }

    def stretches(
        self, impls: list[Impl], start: int, count: int, per_page: int
    ) -> dict[str, list[Reply]]:
        """Pages ``start`` .. ``start + count - 1`` in order from each implementation, as a
        crawl in progress reads them, taking turns page by page.

        Turns matter: a slow OFFSET page evicts what the next request would have found in
        PostgreSQL's buffers, so whichever implementation always came after the slow ones
        would be favoured.
        """
        after: dict[str, int | None] = {}
        for impl in impls:
            if impl.remembers and start > 1:
                self.get(impl, start - 1, per_page)  # untimed: the crawl so far
            after[impl.name] = self.page_end(per_page, start - 1, impl.feed) if impl.seek else None
        replies: dict[str, list[Reply]] = {impl.name: [] for impl in impls}
        for page in range(start, min(start + count, self.last_page(impls[0], per_page) + 1)):
            for impl in rotated(impls, page):
                reply = self.get(impl, page, per_page, after[impl.name])
                if impl.seek and reply.ids:
                    after[impl.name] = reply.ids[-1]
                replies[impl.name].append(reply)
        return replies

    def full_crawl(self, impl: Impl, per_page: int) -> dict:
        """Every page from 1 to the last: every row once, in id order."""
        ids: list = []
        started = time.perf_counter()
        for page in range(1, self.last_page(impl, per_page) + 1):
            ids += self.get(impl, page, per_page).ids
        seconds = time.perf_counter() - started
        total = self.totals[impl.feed]
        if len(ids) != total or len(set(ids)) != total or ids != sorted(ids):
            raise CrawlError(
                f"{impl.name} full crawl at {per_page}: {len(ids)} rows, "
                f"{len(set(ids))} distinct, in order: {ids == sorted(ids)}; expected {total}"
            )
        pages = self.last_page(impl, per_page)
        return {"per_page": per_page, "pages": pages, "rows": len(ids), "seconds": seconds}


def parallel_crawl(clients: list[Client], impl: Impl, per_page: int, starts: list[int], pages: int):
    """Each client crawls ``pages`` pages from its start, all at once; pages per second overall.

    A crawl past the last page starts over at page 1, as the next sync would.
    """
    last = clients[0].last_page(impl, per_page)
    barrier = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def crawl(client: Client, start: int) -> None:
        try:
            barrier.wait()
            for step in range(pages):
                client.get(impl, (start - 1 + step) % last + 1, per_page)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=crawl, args=(client, start))
        for client, start in zip(clients, starts, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(clients) * pages / seconds
