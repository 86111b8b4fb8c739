"""The figures as a table, and the issue's targets as PASS/FAIL lines."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass

ORDER_IMPLS = ("ours", "drf", "handwritten", "handwritten_seek")


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    goal: str  # "<= 1.2", ">= 10", "== 2"
    limit: float

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        if self.goal.startswith("<="):
            return self.value <= self.limit
        if self.goal.startswith("=="):
            return self.value == self.limit
        return self.value >= self.limit

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def estimate_full_crawl_ms(stretches: list[dict], last: int) -> float:
    """Mean ms/page at each sampled depth, joined by straight lines over every page (trapezoids)."""
    points = sorted((s["mid_page"], s["mean_ms"]) for s in stretches)
    total = 0.0
    for page in range(1, last + 1):
        if page <= points[0][0]:
            total += points[0][1]
        elif page >= points[-1][0]:
            total += points[-1][1]
        else:
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                if x0 <= page <= x1:
                    total += y0 + (y1 - y0) * (page - x0) / (x1 - x0) if x1 > x0 else y0
                    break
    return total


def summarise(stretches: list[dict], last: int) -> dict:
    every = [ms for s in stretches for ms in s["ms"]]
    return {
        "crawl_ms_per_page": statistics.mean(every) if every else None,
        "estimated_full_crawl_s": estimate_full_crawl_ms(stretches, last) / 1000,
    }


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def feed_table(title: str, per_page: int, last: int, results: dict) -> str:
    depths = next(iter(results.values()))["stretches"]
    span = max(1, last - max(s["pages"] for s in depths))  # where the deepest stretch starts
    depth_labels = [f"@{min(100, round(100 * (s['start'] - 1) / span))}%" for s in depths]
    head = (
        f"{'impl':<17}{'page 1':>9}{'last':>9}{'last/p1':>8}"
        + "".join(f"{label:>8}" for label in depth_labels)
        + f"{'mean':>8}{'est. crawl':>12}{'q p1':>6}{'q crawl':>8}"
    )
    lines = [
        f"{title}, per_page={per_page} ({last:,} pages): page 1 and last page in median ms; "
        "a crawl in mean ms/page at each depth and overall; SQL queries per page",
        head,
    ]
    for name, r in results.items():
        ratio = r["last_ms"] / r["page1_ms"] if r["page1_ms"] else None
        lines.append(
            f"{name:<17}{number(r['page1_ms']):>9}{number(r['last_ms']):>9}{number(ratio, 2):>8}"
            + "".join(f"{number(s['mean_ms']):>8}" for s in r["stretches"])
            + f"{number(r['crawl_ms_per_page']):>8}{duration(r['estimated_full_crawl_s']):>12}"
            + f"{r['page1_queries']:>6}{number(r['crawl_queries'], 0):>8}"
        )
    return "\n".join(lines)


def _last_page_target(feed: str, per_page: str, ours: dict) -> Target:
    """The last page of a crawl costs at most 1.2x the first."""
    ratio = ours["last_ms"] / ours["page1_ms"]
    return Target(f"ours {feed} last/page-1 @{per_page}", ratio, "<= 1.2", 1.2)


def _baseline_targets(feed: str, per_page: str, ours: dict, seek: dict) -> list[Target]:
    """Page 1, the last page and a crawl within 1.25x of the hand-written seeking baseline."""
    prefix = f"ours/handwritten_seek {feed} " if feed else "ours/handwritten_seek "
    return [
        Target(f"{prefix}{label} @{per_page}", ours[key] / seek[key], "<= 1.25", 1.25)
        for label, key in (
            ("page 1", "page1_ms"),
            ("last page", "last_ms"),
            ("crawl", "crawl_ms_per_page"),
        )
    ]


def targets(results: dict) -> list[Target]:
    found: list[Target] = []
    orders, customers = results["orders"], results["customers"]
    for per_page, impls in orders.items():
        ours, seek, drf = impls["ours"], impls["handwritten_seek"], impls["drf"]
        found.append(_last_page_target("orders", per_page, ours))
        found.extend(_baseline_targets("", per_page, ours, seek))
        found.append(
            Target(
                f"drf/ours est. full crawl @{per_page}",
                drf["estimated_full_crawl_s"] / ours["estimated_full_crawl_s"],
                ">= 10",
                10,
            )
        )
    for per_page, impls in customers.items():
        found.append(_last_page_target("customers", per_page, impls["ours"]))
    for per_page, impls in results.get("products", {}).items():
        ours, seek = impls["ours"], impls["handwritten_seek"]
        found.append(_last_page_target("products", per_page, ours))
        found.extend(_baseline_targets("products", per_page, ours, seek))
    depth_check = results.get("category_queries")
    if depth_check:
        # A page under roots as deep as the tree goes costs what one under childless roots does.
        flat = depth_check["flat_queries"]
        found.append(
            Target(
                f"ours categories queries/page, {depth_check['depth']} deep",
                depth_check["deep_queries"],
                f"== {flat}",
                flat,
            )
        )
    memory = results.get("memory")
    if memory:
        found.append(Target("worker peak - idle MB", memory["growth_mb"], "<= 50", 50))
    throughput = results.get("throughput")
    if throughput:
        found.append(Target("2-worker/1-worker pages/s", throughput["ratio"], ">= 1.7", 1.7))
    # Customers: 2 on a page of accounts (rows, aggregates), 1 on a page of guests;
    # the one page that spans both, 3.
    for feed, per_pages, limit in (("orders", orders, 3), ("customers", customers, 3)):
        counted = [impls["ours"]["crawl_queries"] for impls in per_pages.values()]
        most = max((count for count in counted if count is not None), default=None)
        found.append(Target(f"ours {feed} queries/page in a crawl", most, f"<= {limit}", limit))
    return found


def targets_table(found: list[Target]) -> str:
    lines = [f"{'target':<50}{'value':>9}  {'goal':<8} result"]
    for target in found:
        verdict = {True: "PASS", False: "FAIL", None: "-"}[target.passed]
        lines.append(f"{target.name:<50}{number(target.value, 2):>9}  {target.goal:<8} {verdict}")
    return "\n".join(lines)


def guests(data: dict) -> str:
    """How many of the customers are guests, and of the orders theirs (" (...)"), if known."""
    if data.get("guests") is None:
        return ""
    return f" ({data['guests']:,} of them guests, from {data['guest_orders']:,} guest orders)"


def markdown(results: dict, found: list[Target]) -> str:
    """The figures as the README's performance section quotes them."""
    m, data = results["machine"], results["data"]
    lines = [
        f"{data['orders']:,} orders ({data['items']:,} line items) and {data['customers']:,} "
        f"customers{guests(data)} on PostgreSQL {m['postgresql'].split()[0]}; {m['cpu']}, {m['cores']} cores, "
        f"{m['ram_gb']} GB; Python {m['python']}, Django {m['django']}, DRF "
        f"{m['djangorestframework']}, gunicorn {m['gunicorn']} (one sync worker); commit "
        f"{m['commit']}.",
        "",
        "| orders | per page | page 1 | last page | a crawl, per page | full crawl (est.) | queries per page |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for per_page, impls in results["orders"].items():
        for name, r in impls.items():
            lines.append(
                f"| {name} | {per_page} | {number(r['page1_ms'])} ms | {number(r['last_ms'])} ms "
                f"| {number(r['crawl_ms_per_page'])} ms | {duration(r['estimated_full_crawl_s'])} "
                f"| {number(r['crawl_queries'], 0)} |"
            )
    for feed in ("customers", "products", "categories"):
        for per_page, impls in results.get(feed, {}).items():
            for name, r in impls.items():
                lines.append(
                    f"| {name}, {feed} | {per_page} | {number(r['page1_ms'])} ms | "
                    f"{number(r['last_ms'])} ms | {number(r['crawl_ms_per_page'])} ms | "
                    f"{duration(r['estimated_full_crawl_s'])} | {number(r['crawl_queries'], 0)} |"
                )
    lines.append("")
    if data.get("products") is not None:
        lines.append(
            f"- The catalogue: {data['products']:,} products ({data['images']:,} images) in "
            f"{data['categories']:,} categories, {data['root_categories']:,} roots "
            f"{data['category_depth']} levels deep."
        )
    if results.get("category_queries"):
        c = results["category_queries"]
        lines.append(
            f"- Categories, one root a page in a crawl: {number(c['deep_queries'], 0)} queries a "
            f"page under roots {c['depth']} levels deep, {c['flat_queries']} under roots "
            "without children."
        )
    for done in results.get("full_crawl") or []:
        lines.append(
            f"- A real full crawl of ours at per_page {done['per_page']}: {done['rows']:,} rows "
            f"in {done['pages']:,} pages, {duration(done['seconds'])}, every row once, in order."
        )
    if results.get("memory"):
        mem = results["memory"]
        lines.append(
            f"- The worker's memory through those crawls: idle {mem['idle_mb']:.1f} MB, "
            f"peak {mem['peak_mb']:.1f} MB (+{mem['growth_mb']:.1f} MB)."
        )
    if results.get("throughput"):
        t = results["throughput"]
        lines.append(
            f"- Two crawlers at once, per_page {t['per_page']}, median of {t['rounds']} rounds: "
            f"one worker {t['one_worker_pages_s']:.1f} pages/s, two workers sharing Redis "
            f"{t['two_workers_pages_s']:.1f} pages/s ({t['ratio']:.2f}x), with "
            f"{t['one_worker_busy_cores']:.2f} and {t['two_workers_busy_cores']:.2f} of the "
            f"{m['cores']} cores busy (the workers share them with PostgreSQL, Redis and the "
            "crawlers)."
        )
    lines += ["", "| target | measured | goal | |", "|---|---:|---|---|"]
    for target in found:
        verdict = {True: "pass", False: "**miss**", None: "-"}[target.passed]
        lines.append(f"| {target.name} | {number(target.value, 2)} | {target.goal} | {verdict} |")
    return "\n".join(lines) + "\n"
