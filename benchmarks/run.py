"""The project's benchmark: the feeds under gunicorn, crawled the way Converted.in crawls them.

    python benchmarks/run.py --orders 1000000          # the figures the README quotes
                                                       # (a million products, 10,000 categories)
    python benchmarks/run.py --orders 2000 --repeat 3 --stretch 3   # the CI smoke run

Without ``DATABASE_URL`` it re-runs itself under ``.ci/with-postgres`` (a throwaway
PostgreSQL); with it, that database's ``shop_*`` tables are emptied and reseeded
(``--reuse`` keeps them when they already hold the asked-for counts).

It seeds the example shop in bulk SQL, serves ``benchmarks.wsgi`` with one sync
gunicorn worker and POSTs form data (``token``, ``page``, ``per_page``) like the
platform, pages in order. Four implementations of a page of orders answer side by
side (``baselines.py``): ``ours`` (the app, as the example shop configures it),
``drf`` (idiomatic DRF), ``handwritten`` and ``handwritten_seek`` (the floor). For
each, at each ``--per-page``:

- page 1 and the last page: the median of ``--repeat`` requests; ``ours`` reaches
  the last page from the one before (it remembers where pages end, and a crawler
  arrives that way), ``handwritten_seek`` is told the total and the id to seek after;
- a crawl: ``--stretch`` consecutive pages at 0, 25, 50, 75 and 100% depth, each
  primed like a crawl in progress; the ms/page at each depth, joined by straight
  lines over every page, estimates a full crawl;
- SQL queries per page, from the ``X-Queries`` header of ``middleware.py``.

The catalogue is crawled the same way: ``--products`` products (as many as the
orders unless given) against ``handwritten_seek`` products, a hand-written
``values()`` + orjson feed with ours' advantages in a crawl (told the total and
the id to seek after; one query for the rows, one per relation: tags, images);
and the categories feed (``--categories`` in a tree ``--category-depth`` levels
deep), whose queries per page must not grow with the tree's depth: a crawl of
one root a page, over the seeded roots and then two roots added without
children (removed after), counts both.

The admin page's request counts (``STATS``): a crawl of orders on a worker with them
on and one with them off, in turns (pages/s each, and on/off).

Then ``ours`` alone: a real full crawl (every row once, in order) on a fresh worker,
whose memory growth is its peak (VmHWM) less its idle RSS; and two crawlers at once
against one worker and then two, sharing a Redis cache (pages/s, the ratio, and the
cores busy on the whole machine meanwhile: on two cores the workers share them with
PostgreSQL, Redis and the crawlers).

The issue's targets are printed PASS/FAIL; only ``--check`` makes a miss exit 1.
A functional error (a non-200, a wrong envelope or row count, ids that differ
between implementations) always exits 2. ``--json FILE`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # ``benchmarks`` as a package, not its modules as top-level names

import psycopg  # noqa: E402

from benchmarks import crawl, database, report, server  # noqa: E402

OURS = crawl.Impl("ours", "/convertedin/orders", remembers=True)
OURS_CUSTOMERS = crawl.Impl("ours", "/convertedin/customers", feed="customers", remembers=True)
OURS_PRODUCTS = crawl.Impl("ours", "/convertedin/products", feed="products", remembers=True)
PRODUCT_IMPLS = (
    OURS_PRODUCTS,
    crawl.Impl(
        "handwritten_seek", "/baselines/handwritten-seek/products", feed="products", seek=True
    ),
)
OURS_CATEGORIES = crawl.Impl("ours", "/convertedin/categories", feed="categories", remembers=True)
FLAT_ROOTS = 2  # childless root categories added for the depth check
ORDER_IMPLS = (
    OURS,
    crawl.Impl("drf", "/baselines/drf/orders"),
    crawl.Impl("handwritten", "/baselines/handwritten/orders"),
    crawl.Impl("handwritten_seek", "/baselines/handwritten-seek/orders", seek=True),
)
DEPTHS = (0, 0.25, 0.5, 0.75, 1)
WARM_UP = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the feeds against DRF and hand-written baselines."
    )
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="published orders (%(default)s)"
    )
    parser.add_argument(
        "--customers",
        type=int,
        help="published clients (orders / 10); the customers feed serves the guests after them",
    )
    parser.add_argument(
        "--products",
        type=int,
        help="products (as many as the orders: 1,000,000 in a full run)",
    )
    parser.add_argument(
        "--categories",
        type=int,
        help="categories (products / 100, at least 10 a level, at most 10,000)",
    )
    parser.add_argument(
        "--category-depth",
        type=int,
        default=6,
        help="levels of the category tree, roots included (%(default)s)",
    )
    parser.add_argument(
        "--per-page", default="100,1000", help="comma-separated page sizes to measure (%(default)s)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="requests per median (%(default)s)")
    parser.add_argument(
        "--stretch", type=int, default=20, help="pages per sampled stretch (%(default)s)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--markdown", type=Path, help="also write the figures as the README quotes them"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data if it already has these counts"
    )
    parser.add_argument(
        "--skip-full-crawl", action="store_true", help="no real full crawl, no memory figure"
    )
    parser.add_argument(
        "--full-crawl-budget",
        type=float,
        default=300,
        help="full crawls at smaller page sizes run when estimated below it (%(default)ss)",
    )
    parser.add_argument(
        "--workers-test",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="two crawlers against one and then two workers sharing Redis (on)",
    )
    parser.add_argument(
        "--throughput-pages",
        type=int,
        default=50,
        help="pages each crawler reads there (%(default)s)",
    )
    parser.add_argument(
        "--throughput-rounds",
        type=int,
        default=3,
        help="rounds of one worker then two; each figure is their median (%(default)s)",
    )
    parser.add_argument(
        "--stats-pages",
        type=int,
        default=40,
        help="pages of orders each crawl reads with STATS on and off (%(default)s)",
    )
    parser.add_argument(
        "--stats-rounds",
        type=int,
        default=5,
        help="crawls with STATS on and off, in turns; each figure is their median (%(default)s)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.customers = args.orders // 10 if args.customers is None else args.customers
    args.products = args.orders if args.products is None else args.products
    if args.categories is None:
        args.categories = min(10_000, max(10 * args.category_depth, args.products // 100))
    if args.category_depth < 1 or args.categories < args.category_depth:
        parser.error("--categories must be at least --category-depth, which is at least 1")
    args.per_page = sorted({int(size) for size in args.per_page.split(",") if size.strip()})
    if (
        min(args.orders, args.customers, args.products, args.repeat, args.stretch) < 1
        or args.throughput_rounds < 1
    ):
        parser.error(
            "--orders, --customers, --products, --repeat, --stretch and --throughput-rounds "
            "must be at least 1"
        )
    if not args.per_page or not all(1 <= size <= 1000 for size in args.per_page):
        parser.error("--per-page sizes are from 1 to 1000 (the feeds' MAX_PER_PAGE)")
    return args


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def machine(conn: psycopg.Connection) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown CPU",
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_gb = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_gb, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "djangorestframework": metadata.version("djangorestframework"),
        "gunicorn": metadata.version("gunicorn"),
        "postgresql": database.server_version(conn),
        "commit": commit or None,
    }


def server_env(token: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "example_project"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    env["DJANGO_DEBUG"] = "0"
    env["CONVERTEDIN_FEED_TOKEN"] = token
    env.pop("BENCHMARK_CACHE_URL", None)
    return env


def stretch_starts(last: int, stretch: int) -> list[int]:
    starts = [1 + round(depth * max(0, last - stretch)) for depth in DEPTHS]
    return list(dict.fromkeys(starts))


def measure(client: crawl.Client, impls: list[crawl.Impl], per_page: int, args) -> dict:
    """Page 1, the last page and the sampled crawl of each implementation at one page size.

    Implementations take turns, request by request, so noise from a shared machine, and
    the buffers a slow OFFSET page evicts, fall on all of them rather than on whichever
    ran then.
    """
    last = client.last_page(impls[0], per_page)
    for impl in impls:
        for _ in range(WARM_UP):
            client.get(impl, 1, per_page)
    timings = client.medians(impls, [1, last], per_page, args.repeat)
    stretches: dict[str, list] = {impl.name: [] for impl in impls}
    for start in stretch_starts(last, args.stretch):
        for name, replies in client.stretches(impls, start, args.stretch, per_page).items():
            stretches[name].append(stretch_figures(start, replies))
    results = {}
    for impl in impls:
        sampled = stretches[impl.name]
        results[impl.name] = {
            "page1_ms": timings[impl.name, 1].ms,
            "page1_queries": timings[impl.name, 1].queries,
            "last_page": last,
            "last_ms": timings[impl.name, last].ms,
            "last_queries": timings[impl.name, last].queries,
            "stretches": sampled,
            "crawl_queries": max(
                (s["queries"] for s in sampled if s["queries"] is not None), default=None
            ),
            **report.summarise(sampled, last),
        }
    return results


def stretch_figures(start: int, replies: list[crawl.Reply]) -> dict:
    ms = [reply.ms for reply in replies]
    return {
        "start": start,
        "pages": len(replies),
        "mid_page": start + (len(replies) - 1) / 2,
        "mean_ms": statistics.mean(ms),
        # In a running crawl: page 1 starts one, and may count.
        "queries": max((r.queries for r in replies if r.page > 1), default=None),
        "ms": [round(value, 2) for value in ms],
    }


def measure_all(client: crawl.Client, args) -> dict[str, dict]:
    """Each paged feed at each page size: {feed: {per_page: {impl: figures}}}."""
    feeds: dict[str, tuple[crawl.Impl, ...]] = {
        "orders": ORDER_IMPLS,
        "customers": (OURS_CUSTOMERS,),
        "products": PRODUCT_IMPLS,
        "categories": (OURS_CATEGORIES,),
    }
    results: dict[str, dict] = {feed: {} for feed in feeds}
    for per_page in args.per_page:
        for feed, impls in feeds.items():
            progress(f"{feed}, per_page={per_page}: {', '.join(i.name for i in impls)}")
            results[feed][per_page] = measure(client, list(impls), per_page, args)
    return results


def category_queries(env, token, conn: psycopg.Connection, log_dir: Path) -> dict:
    """Queries per page of categories in a crawl, one root a page, whatever the tree's depth.

    The seeded roots each head a tree ``--category-depth`` levels deep (or nearly);
    ``FLAT_ROOTS`` roots without children are added after them for the crawl, and
    removed after it. A page of the crawl but the first (which counts) reads the
    rows after the page before's end: its queries are compared, deep and flat.
    """
    top, roots = conn.execute(
        "SELECT max(id), count(*) FILTER (WHERE parent_id IS NULL) FROM shop_category"
    ).fetchone()
    depth = conn.execute(
        """WITH RECURSIVE tree(id, depth) AS (
               SELECT id, 1 FROM shop_category WHERE parent_id IS NULL
               UNION ALL
               SELECT c.id, tree.depth + 1 FROM shop_category AS c JOIN tree ON c.parent_id = tree.id
           ) SELECT coalesce(max(depth), 0) FROM tree"""
    ).fetchone()[0]
    conn.execute(
        """INSERT INTO shop_category (id, parent_id, name, slug, description, is_visible, created_at)
           SELECT %(top)s + g, NULL, 'Flat ' || g, 'flat-' || g, '', true, now()
           FROM generate_series(1, %(flat)s) AS g""",
        {"top": top, "flat": FLAT_ROOTS},
    )
    try:
        with server.gunicorn(env, workers=1, log_dir=log_dir) as srv:
            totals = {"categories": roots + FLAT_ROOTS}
            client = crawl.Client(srv.url, token, totals, lambda *_: 0, {})
            replies = [
                client.get(OURS_CATEGORIES, page, 1) for page in range(1, roots + FLAT_ROOTS + 1)
            ]
            client.close()
    finally:
        conn.execute("DELETE FROM shop_category WHERE id > %s", (top,))
    deep = [reply.queries for reply in replies[1:roots]]
    flat = [reply.queries for reply in replies[roots:]]
    return {
        "per_page": 1,
        "roots": roots,
        "depth": depth,
        "flat_roots": FLAT_ROOTS,
        "page1_queries": replies[0].queries,
        "deep_queries": max(deep, default=None),
        "flat_queries": max(flat),
        "queries": [reply.queries for reply in replies],
    }


def full_crawls(env, token, totals, page_end, seen, orders: dict, args, log_dir) -> dict:
    """Real crawls of ``ours`` on a fresh worker, largest page first; its memory growth."""
    with server.gunicorn(env, workers=1, log_dir=log_dir) as srv:
        client = crawl.Client(srv.url, token, totals, page_end, seen)
        largest = args.per_page[-1]
        for _ in range(3):
            client.get(OURS, 1, largest)
        worker = srv.worker_pids()[0]
        idle = server.memory_kb(worker)["VmRSS"]
        crawls = []
        for per_page in reversed(args.per_page):
            estimate = orders[per_page]["ours"]["estimated_full_crawl_s"]
            if per_page != largest and estimate > args.full_crawl_budget:
                progress(f"no full crawl at {per_page}: estimated {report.duration(estimate)}")
                continue
            progress(f"full crawl of ours at per_page={per_page}")
            crawls.append(client.full_crawl(OURS, per_page) | {"estimated_s": estimate})
        peak = server.memory_kb(worker)["VmHWM"]
        client.close()
    memory = {"idle_mb": idle / 1024, "peak_mb": peak / 1024, "growth_mb": (peak - idle) / 1024}
    return {"full_crawl": crawls, "memory": memory}


def throughput(env, token, totals, page_end, seen, args, log_dir) -> dict:
    """Two crawlers at once, on different stretches, against one worker and then two.

    Rounds alternate one and two workers, and each figure is the median of its
    rounds, so a burst of noise on a shared machine cannot make the ratio.
    """
    per_page, pages = args.per_page[-1], args.throughput_pages
    last = crawl.last_page(totals["orders"], per_page)
    starts = [1 + last // 4, 1 + (3 * last) // 4]
    rates: dict[int, list[float]] = {1: [], 2: []}
    cores: dict[int, list[float]] = {1: [], 2: []}
    with server.redis_server(log_dir) as url:
        for turn in range(args.throughput_rounds):
            for workers in (1, 2):
                progress(f"throughput, round {turn + 1}, {workers} worker(s), Redis cache")
                server.flush_redis(url)
                with server.gunicorn(
                    env | {"BENCHMARK_CACHE_URL": url}, workers=workers, log_dir=log_dir
                ) as srv:
                    clients = [crawl.Client(srv.url, token, totals, page_end, seen) for _ in starts]
                    crawl.parallel_crawl(clients, OURS, per_page, [1, 1], 3)  # warm every worker
                    for client, start in zip(clients, starts, strict=True):
                        if start > 1:
                            client.get(OURS, start - 1, per_page)
                    busy, total = server.cpu_ticks()
                    rate = crawl.parallel_crawl(clients, OURS, per_page, starts, pages)
                    busy_after, total_after = server.cpu_ticks()
                    rates[workers].append(rate)
                    # Cores busy on the whole machine: workers, PostgreSQL, Redis, crawlers.
                    share = (busy_after - busy) / (total_after - total)
                    cores[workers].append((os.cpu_count() or 1) * share)
                    for client in clients:
                        client.close()
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    one_cores, two_cores = statistics.median(cores[1]), statistics.median(cores[2])
    return {
        "per_page": per_page,
        "crawlers": len(starts),
        "pages_per_crawler": pages,
        "rounds": args.throughput_rounds,
        "one_worker_pages_s": one,
        "two_workers_pages_s": two,
        "one_worker_busy_cores": one_cores,
        "two_workers_busy_cores": two_cores,
        "ratio": two / one,
        # Pages per busy core-second, two workers over one: 1.0 means the second
        # worker adds exactly what a core adds; below 1, contention costs.
        "per_core_ratio": (two / two_cores) / (one / one_cores),
        "rates": rates,
    }


def stats_cost(env, token, totals, page_end, seen, conn, args, log_dir) -> dict:
    """Pages/s of a crawl of orders with the admin page's counts on (``STATS``, the
    default) and off, on two workers side by side, crawling in turns.

    Each round crawls pages 1 .. ``--stats-pages`` (a crawl the counts follow and
    write) on one worker and then the other, the order swapped each round; each
    figure is the median of the rounds. The counted pages are read back from the
    table, so a worker that counted nothing (or one that should not have) fails the run.
    """
    per_page = args.per_page[0]
    pages = min(args.stats_pages, crawl.last_page(totals["orders"], per_page))
    rates: dict[str, list[float]] = {"on": [], "off": []}
    before = _counted_pages(conn)
    with (
        server.gunicorn(env, workers=1, log_dir=log_dir) as on,
        server.gunicorn(env | {"BENCHMARK_STATS": "0"}, workers=1, log_dir=log_dir) as off,
    ):
        clients = {
            "on": crawl.Client(on.url, token, totals, page_end, seen),
            "off": crawl.Client(off.url, token, totals, page_end, seen),
        }
        for client in clients.values():
            for _ in range(WARM_UP):
                client.get(OURS, 1, per_page)
        warmed = _counted_pages(conn)
        for turn in range(args.stats_rounds):
            progress(f"counts on and off, round {turn + 1}: {pages} pages each")
            for name in ("on", "off") if turn % 2 == 0 else ("off", "on"):
                replies = [clients[name].get(OURS, n, per_page) for n in range(1, pages + 1)]
                rates[name].append(1000 * len(replies) / sum(r.ms for r in replies))
        for client in clients.values():
            client.close()
    counted = _counted_pages(conn) - warmed
    if counted != args.stats_rounds * pages or warmed - before < WARM_UP:
        raise crawl.CrawlError(
            f"STATS on should count {args.stats_rounds * pages} pages and off none: "
            f"{counted} counted"
        )
    on_rate, off_rate = statistics.median(rates["on"]), statistics.median(rates["off"])
    return {
        "per_page": per_page,
        "pages": pages,
        "rounds": args.stats_rounds,
        "on_pages_s": on_rate,
        "off_pages_s": off_rate,
        "ratio": on_rate / off_rate,
        "rates": rates,
    }


def _counted_pages(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(pages), 0) FROM convertedin_feed_feedhour WHERE feed = 'orders'"
    ).fetchone()
    return int(row[0]) if row else 0


def print_report(results: dict, found: list[report.Target]) -> None:
    m, data = results["machine"], results["data"]
    print(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Linux {m['kernel']}; "
        f"Python {m['python']}, Django {m['django']}, DRF {m['djangorestframework']}, "
        f"gunicorn {m['gunicorn']}, PostgreSQL {m['postgresql']}; commit {m['commit']}"
    )
    seeded = report.duration(data["seed_s"]) if data["seed_s"] is not None else "reused"
    print(
        f"Data: {data['orders']:,} orders ({data['items']:,} line items), "
        f"{data['customers']:,} customers{report.guests(data)}; {data['products']:,} products "
        f"({data['images']:,} images) in {data['categories']:,} categories "
        f"({data['root_categories']:,} roots, {data['category_depth']} levels); seeded in {seeded}. "
        "One sync gunicorn worker."
    )
    for feed in ("orders", "customers", "products", "categories"):
        for per_page, impls in results.get(feed, {}).items():
            last = next(iter(impls.values()))["last_page"]
            print()
            print(report.feed_table(feed, per_page, last, impls))
    if results.get("category_queries"):
        c = results["category_queries"]
        print(
            f"\ncategories, one root a page: {c['deep_queries']} queries a page under roots "
            f"{c['depth']} levels deep, {c['flat_queries']} under roots without children "
            f"(page 1, which counts: {c['page1_queries']})"
        )
    print()
    for done in results.get("full_crawl") or []:
        print(
            f"ours full crawl, per_page={done['per_page']}: {done['rows']:,} rows in "
            f"{done['pages']:,} pages, {report.duration(done['seconds'])} "
            f"(estimated {report.duration(done['estimated_s'])}); every row once, in order"
        )
    if results.get("memory"):
        mem = results["memory"]
        print(
            f"worker memory: idle {mem['idle_mb']:.1f} MB, peak {mem['peak_mb']:.1f} MB, "
            f"growth {mem['growth_mb']:.1f} MB"
        )
    if results.get("throughput"):
        t = results["throughput"]
        print(
            f"throughput, {t['crawlers']} crawlers x {t['pages_per_crawler']} pages at "
            f"per_page={t['per_page']}, median of {t['rounds']} rounds: "
            f"1 worker {t['one_worker_pages_s']:.2f} pages/s "
            f"({t['one_worker_busy_cores']:.2f} cores busy), 2 workers "
            f"{t['two_workers_pages_s']:.2f} pages/s ({t['two_workers_busy_cores']:.2f} cores busy); "
            f"pages per busy core-second, 2 workers over 1: {t['per_core_ratio']:.2f}"
        )
    if results.get("stats"):
        s = results["stats"]
        print(
            f"admin page counts (STATS), crawls of {s['pages']} pages at per_page={s['per_page']}, "
            f"median of {s['rounds']} each: on {s['on_pages_s']:.1f} pages/s, "
            f"off {s['off_pages_s']:.1f} pages/s; on/off {s['ratio']:.2f}"
        )
    print()
    print(report.targets_table(found))


def run(args) -> int:
    started = time.perf_counter()
    token = secrets.token_urlsafe(30)  # 40 characters
    env = server_env(token)
    results: dict = {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    }
    with (
        tempfile.TemporaryDirectory(prefix="convertedin-bench-") as tmp,
        psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn,
    ):
        log_dir = Path(tmp)
        results["machine"] = machine(conn)
        progress("migrating")
        database.migrate(env, ROOT)
        counts = database.counts(conn)
        seed_s = None
        asked = (args.orders, args.customers, args.products, args.categories, args.category_depth)
        held = (
            counts.orders,
            counts.clients,
            counts.products,
            counts.categories,
            counts.category_depth,
        )
        if not (args.reuse and held == asked):
            progress(
                f"seeding {args.orders:,} orders, {args.customers:,} clients, "
                f"{args.products:,} products and {args.categories:,} categories "
                f"{args.category_depth} levels deep"
            )
            seed_started = time.perf_counter()
            counts = database.seed(
                conn,
                args.orders,
                args.customers,
                products=args.products,
                categories=args.categories,
                category_depth=args.category_depth,
            )
            seed_s = time.perf_counter() - seed_started
            progress(f"seeded in {report.duration(seed_s)}")
        results["data"] = {
            "orders": counts.orders,
            "customers": counts.customers,
            "guests": counts.guests,
            "guest_orders": counts.guest_purchases,
            "items": counts.items,
            "products": counts.products,
            "images": counts.images,
            "categories": counts.categories,
            "root_categories": counts.root_categories,
            "category_depth": counts.category_depth,
            "seed_s": seed_s,
        }
        totals = {
            "orders": counts.orders,
            "customers": counts.customers,
            "products": counts.products,
            "categories": counts.root_categories,
        }
        page_end = lru_cache(maxsize=None)(
            lambda per_page, page, feed="orders": database.page_end(conn, per_page, page, feed)
        )
        seen: dict = {}

        with server.gunicorn(env, workers=1, log_dir=log_dir) as srv:
            client = crawl.Client(srv.url, token, totals, page_end, seen)
            results |= measure_all(client, args)
            client.close()
        results["stats"] = stats_cost(env, token, totals, page_end, seen, conn, args, log_dir)
        progress("categories: queries a page, deep roots and childless ones")
        results["category_queries"] = category_queries(env, token, conn, log_dir)
        if not args.skip_full_crawl:
            results |= full_crawls(
                env, token, totals, page_end, seen, results["orders"], args, log_dir
            )
        if args.workers_test:
            results["throughput"] = throughput(env, token, totals, page_end, seen, args, log_dir)

    found = report.targets(results)
    results["targets"] = [target.as_dict() for target in found]
    results["seconds"] = time.perf_counter() - started
    print_report(results, found)
    print(f"\nbenchmark ran in {report.duration(results['seconds'])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"figures written to {args.json}")
    if args.markdown:
        args.markdown.write_text(report.markdown(results, found))
    missed = [target.name for target in found if target.passed is False]
    return 1 if args.check and missed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    server.on_throwaway_postgres(Path(__file__), argv)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        print(
            "ERROR: the benchmark seeds PostgreSQL; DATABASE_URL is not postgres://",
            file=sys.stderr,
        )
        return 2
    try:
        return run(args)
    except (crawl.CrawlError, server.ServerError, subprocess.CalledProcessError) as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
