"""Reports as text: aligned tables, and JSON bodies indented without touching a number.

The commands print with these; a :class:`~convertedin_feed.tools.audit.Report`
is rendered by :func:`report_lines`, each line with the style it deserves
(``"error"``, ``"warning"``, ``"success"`` or ``None``), which the command maps
to its terminal colours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from convertedin_feed.tools.audit import Report
from convertedin_feed.tools.rules import RULES, Finding

Line = tuple[str, "str | None"]


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned: numbers (a column whose cells start with a digit) to the right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = [all(row[i][:1].isdigit() for row in rows if row[i]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def crawl_table(report: Report) -> str:
    """Per feed: pages, records, seconds, records a second and the slowest pages."""
    rows = []
    for name, stats in report.feeds.items():
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
    return table(["feed", "pages", "records", "seconds", "records/s", "slowest pages"], rows)


def report_lines(report: Report) -> Iterator[Line]:
    """System check messages, records per feed, then each rule's violations, and the verdict."""
    for text in report.check_errors:
        yield text, "error"
    for text in report.check_warnings:
        yield text, "warning"
    if report.check_errors:
        yield "No record was read: fix the system check errors first.", None
        return
    records = [[name, f"{count:,}"] for name, count in report.records.items()]
    yield table(["feed", "records"], records), None
    yield "", None
    by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    rows = []
    for rule in RULES.values():
        kind = "required" if rule.required else "advice"
        found = by_rule.get(rule.id, [])
        if not found:
            rows.append([rule.id, kind, "", "0", ""])
        for finding in found:
            examples = ", ".join(finding.examples)
            rows.append([rule.id, kind, finding.feed, f"{finding.count:,}", examples])
    yield table(["rule", "kind", "feed", "violations", "examples"], rows), None
    for name, stats in report.feeds.items():
        for problem in stats.envelope:
            yield f"{name}: {problem}", "error"
        if stats.filters:
            sent = ", ".join(f"{key}={value}" for key, value in stats.filters.items())
            yield f"{name}: only the records with {sent}", None
        if stats.refused_filters:
            refused = ", ".join(stats.refused_filters)
            yield f"{name}: read whole, as it does not take {refused}", "warning"
    for reference, count in report.unchecked.items():
        yield f"not checked: {count:,} references {reference} (that feed was not read whole)", None
    if report.ok:
        yield "Every required rule holds.", "success"


#: A JSON body's tokens: a string (escapes and all), a bracket, brace, comma or
#: colon, a run of anything else (a number, true, false, null), whitespace, or
#: failing all of those a lone character, so that nothing is ever dropped.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[][{},:]|[^][{},:"\s]+|(\s+)|.', re.DOTALL)


def indent_json(text: str, indent: int = 2) -> str:
    """``text`` indented for reading, its numbers and strings untouched.

    Newlines and indentation follow ``{``, ``[`` and ``,`` and precede ``}`` and
    ``]``, a space follows ``:``, and ``[]`` and ``{}`` stay as they are; the
    whitespace the body had between tokens goes. Re-parsing and dumping instead
    would re-render numbers (``0.00000001`` as ``1e-08``).
    """
    parts = [match.group() for match in _TOKENS.finditer(text) if match.group(1) is None]
    out: list[str] = []
    depth = 0
    i, end = 0, len(parts)
    while i < end:
        part = parts[i]
        if part == "{" or part == "[":
            if i + 1 < end and parts[i + 1] == ("}" if part == "{" else "]"):
                out.append(part + parts[i + 1])
                i += 2
                continue
            depth += 1
            out.append(part + "\n" + " " * (indent * depth))
        elif part == "}" or part == "]":
            depth = max(depth - 1, 0)
            out.append("\n" + " " * (indent * depth) + part)
        elif part == ",":
            out.append(",\n" + " " * (indent * depth))
        elif part == ":":
            out.append(": ")
        else:
            out.append(part)
        i += 1
    return "".join(out)
