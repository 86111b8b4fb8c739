"""Several crawlers at once against the example shop under gunicorn, while the shop sells.

    python benchmarks/load.py                       # 4 crawlers, 60 s, 20,000 orders
    python benchmarks/load.py --crawlers 6 --seconds 120 --json load.json

Without ``DATABASE_URL`` it runs on a throwaway PostgreSQL (``.ci/with-postgres``);
with it, that database's ``shop_*`` tables are emptied and reseeded. Everything
stays on loopback: gunicorn with two sync workers sharing a throwaway Redis cache,
the crawlers (threads of this process), and a writer process that inserts new
purchases and clients and updates existing purchases the whole time.

Each crawler reads its feed from page 1 to the last page the envelope names, again
and again, until ``--seconds`` or ``--max-requests`` is reached. A crawl counts as
complete when every published row that existed when it started came back exactly
once, and no row came back twice. The run prints requests served, p50/p99 latency,
errors and complete crawls, and exits 1 unless there were no errors and every
finished crawl was complete.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import httpx  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402

from benchmarks import database, server  # noqa: E402
from benchmarks.run import server_env  # noqa: E402

PUBLISHED = {
    "orders": ["SELECT id FROM shop_purchase WHERE NOT is_test"],
    "customers": [
        "SELECT id FROM shop_client WHERE NOT is_staff_account",
        # The guests the feed serves after them, by the id the README documents:
        # "guest-" and 20 hex digits of the SHA-256 of the normalised email.
        """SELECT DISTINCT 'guest-' || left(encode(sha256(convert_to(
                   lower(trim(checkout_email)), 'UTF8')), 'hex'), 20)
           FROM shop_purchase
           WHERE client_id IS NULL AND NOT is_test AND trim(checkout_email) <> ''""",
    ],
}
# A copy of a purchase: a guest's (no client) buys again as that guest.
NEW_PURCHASE = """
INSERT INTO shop_purchase (client_id, placed_at, goods_total, tax, discount, grand_total,
    prices_include_tax, currency, ship_country, state, billing_first_name, billing_last_name,
    checkout_phone, checkout_email, is_test, updated_on)
SELECT client_id, now(), goods_total, tax, discount, grand_total, prices_include_tax, currency,
    ship_country, 'pending', billing_first_name, billing_last_name, checkout_phone,
    checkout_email, false, now()
FROM shop_purchase WHERE id = %(model)s
RETURNING id
"""
NEW_ITEMS = """
INSERT INTO shop_purchaseitem (purchase_id, product_id, sku, qty, unit_price)
SELECT %(new)s, product_id, sku, qty, unit_price FROM shop_purchaseitem WHERE purchase_id = %(model)s
"""
NEW_CLIENT = """
INSERT INTO shop_client (mail, first_name, family_name, mobile, sex, joined_on, language,
    is_staff_account, updated_on)
SELECT 'load-' || %(tag)s || '@example.com', first_name, family_name, mobile, sex, now(),
    language, false, now()
FROM shop_client WHERE id = %(model)s
"""
PAY = "UPDATE shop_purchase SET state = 'paid', updated_on = now() WHERE id = %(model)s"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Concurrent crawls while the shop sells.")
    parser.add_argument("--orders", type=int, default=20_000, help="seeded orders (%(default)s)")
    parser.add_argument("--crawlers", type=int, default=4, help="concurrent crawlers (%(default)s)")
    parser.add_argument("--per-page", type=int, default=100, help="page size (%(default)s)")
    parser.add_argument("--seconds", type=float, default=60, help="time budget (%(default)s)")
    parser.add_argument(
        "--max-requests", type=int, default=50_000, help="request budget (%(default)s)"
    )
    parser.add_argument(
        "--writes-per-second", type=float, default=20, help="writer's pace (%(default)s)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if min(args.orders, args.crawlers, args.per_page, args.max_requests) < 1 or args.seconds <= 0:
        parser.error("every number must be positive")
    return args


def write_while_crawled(url: str, stop: multiprocessing.synchronize.Event, pace: float, done):
    """The shop selling: new purchases with their items, new clients, purchases paid."""
    rng = random.Random(7)
    counts: Counter = Counter()
    with psycopg.connect(url, autocommit=True) as conn:
        (top_purchase,) = conn.execute("SELECT max(id) FROM shop_purchase").fetchone()
        (top_client,) = conn.execute("SELECT max(id) FROM shop_client").fetchone()
        while not stop.is_set():
            model = rng.randint(1, top_purchase)
            kind = rng.choices(("purchase", "client", "pay"), weights=(5, 1, 4))[0]
            with conn.transaction():
                if kind == "purchase":
                    row = conn.execute(NEW_PURCHASE, {"model": model}).fetchone()
                    if row:
                        conn.execute(NEW_ITEMS, {"new": row[0], "model": model})
                elif kind == "client":
                    tag = secrets.token_hex(8)
                    conn.execute(NEW_CLIENT, {"tag": tag, "model": rng.randint(4, top_client)})
                else:
                    conn.execute(PAY, {"model": model})
            counts[kind] += 1
            time.sleep(1 / pace)
    done.put(dict(counts))


@dataclass
class Crawler:
    feed: str
    base_url: str
    token: str
    per_page: int
    db_url: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crawls: list[dict] = field(default_factory=list)

    def run(self, deadline: float, budget: threading.Semaphore) -> None:
        with (
            httpx.Client(base_url=self.base_url, timeout=60, trust_env=False) as http,
            psycopg.connect(self.db_url, autocommit=True) as conn,
        ):
            while time.monotonic() < deadline:
                existing = {row[0] for sql in PUBLISHED[self.feed] for row in conn.execute(sql)}
                served: list = []
                page, last = 1, 1
                while page <= last:
                    if time.monotonic() >= deadline or not budget.acquire(blocking=False):
                        return  # an unfinished crawl is not judged
                    started = time.perf_counter()
                    try:
                        response = http.post(
                            f"/convertedin/{self.feed}",
                            data={"token": self.token, "page": page, "per_page": self.per_page},
                        )
                    except httpx.HTTPError as exc:
                        self.errors.append(f"{self.feed} page {page}: {exc!r}")
                        return
                    self.latencies.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        self.errors.append(
                            f"{self.feed} page {page}: HTTP {response.status_code} "
                            f"{response.text[:200]}"
                        )
                        return
                    body = orjson.loads(response.content)
                    served += [record["id"] for record in body["data"]]
                    last = body["last_page"]
                    page += 1
                counted = Counter(served)
                self.crawls.append(
                    {
                        "feed": self.feed,
                        "pages": last,
                        "rows": len(served),
                        "missing": len(existing - counted.keys()),
                        "repeated": sum(1 for times in counted.values() if times > 1),
                        "new": len(counted.keys() - existing),
                    }
                )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(30)
    env = server_env(token)
    db_url = os.environ["DATABASE_URL"]
    with (
        tempfile.TemporaryDirectory(prefix="convertedin-load-") as tmp,
        psycopg.connect(db_url, autocommit=True) as conn,
    ):
        log_dir = Path(tmp)
        database.migrate(env, ROOT)
        print(f"... seeding {args.orders:,} orders", file=sys.stderr, flush=True)
        seeded = database.seed(conn, args.orders, max(1, args.orders // 10))
        with (
            server.redis_server(log_dir) as cache_url,
            server.gunicorn(
                env | {"BENCHMARK_CACHE_URL": cache_url}, workers=2, log_dir=log_dir
            ) as srv,
        ):
            feeds = ["orders", "customers"]
            crawlers = [
                Crawler(feeds[i % 2], srv.url, token, args.per_page, db_url)
                for i in range(args.crawlers)
            ]
            stop = multiprocessing.Event()
            writes = multiprocessing.Queue()
            writer = multiprocessing.Process(
                target=write_while_crawled, args=(db_url, stop, args.writes_per_second, writes)
            )
            writer.start()
            budget = threading.Semaphore(args.max_requests)
            started = time.monotonic()
            deadline = started + args.seconds
            threads = [
                threading.Thread(target=crawler.run, args=(deadline, budget))
                for crawler in crawlers
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.monotonic() - started
            stop.set()
            written = writes.get(timeout=60)
            writer.join(timeout=60)
    latencies = [ms for crawler in crawlers for ms in crawler.latencies]
    errors = [error for crawler in crawlers for error in crawler.errors]
    crawls = [done for crawler in crawlers for done in crawler.crawls]
    complete = [c for c in crawls if not c["missing"] and not c["repeated"]]
    results = {
        "seeded": {"orders": seeded.orders, "customers": seeded.customers},
        "crawlers": args.crawlers,
        "per_page": args.per_page,
        "seconds": round(seconds, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "errors": len(errors),
        "error_samples": errors[:5],
        "writes": written,
        "finished_crawls": len(crawls),
        "complete_crawls": len(complete),
        "crawls": crawls,
    }
    print(
        f"{results['requests']:,} requests in {results['seconds']}s "
        f"({results['requests_per_second']}/s) from {args.crawlers} crawlers at per_page="
        f"{args.per_page}, two gunicorn workers, shared Redis cache; "
        f"p50 {results['p50_ms']} ms, p99 {results['p99_ms']} ms; errors: {len(errors)}"
    )
    print(f"writes meanwhile: {written}")
    print(
        f"finished crawls: {len(crawls)} ("
        + ", ".join(f"{n} {feed}" for feed, n in Counter(c["feed"] for c in crawls).items())
        + "); every row that existed throughout received exactly once: "
        + ("yes" if crawls and len(complete) == len(crawls) else "NO")
    )
    for error in errors[:5]:
        print(f"  error: {error}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if crawls and not errors and len(complete) == len(crawls) else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    server.on_throwaway_postgres(Path(__file__), argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
