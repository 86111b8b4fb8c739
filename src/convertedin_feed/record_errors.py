"""A record the shop's data or code cannot map: what ``RECORD_ERRORS`` says to do with it.

One bad row must not block a shop's whole sync, so by default (``"null"``) the
record is served with the honest value, ``null``, and the problem is logged with
the record's id. ``"skip"`` leaves such records out of their page; ``"fail"``
fails the page, for shops that would rather stop than send anything incomplete.
"""

from __future__ import annotations

import logging
from typing import Any

from convertedin_feed.conf import SETTING_NAME, feed_settings

logger = logging.getLogger("convertedin_feed")

SERVE_NULL = "null"
SKIP = "skip"
FAIL = "fail"
POLICIES = (SERVE_NULL, SKIP, FAIL)


class Problem(str):
    """One problem of a record, in words, with the exception behind it when there is one."""

    exc: BaseException | None = None

    @classmethod
    def caused_by(cls, text: str, exc: BaseException) -> Problem:
        problem = cls(text)
        problem.exc = exc
        return problem


def first_cause(problems: list[str]) -> BaseException | None:
    return next((p.exc for p in problems if isinstance(p, Problem) and p.exc), None)


class CheckedList(list[Any]):
    """Nested records (an order's line items) with the problems their parent judges.

    ``problems`` and ``ids`` are by position; ``ids`` holds the primary keys
    the records stage knows for the records it found a problem in.
    """

    problems: dict[int, list[str]]
    ids: dict[int, Any]

    @classmethod
    def of(
        cls, records: list[Any], problems: dict[int, list[str]], ids: dict[int, Any]
    ) -> CheckedList:
        checked = cls(records)
        checked.problems, checked.ids = problems, ids
        return checked


class RecordError(Exception):
    """A record could not be mapped and ``RECORD_ERRORS`` is ``"fail"``."""


def record_problem(
    kind: str,
    record_id: Any,
    problem: str,
    exc: BaseException | None = None,
    *,
    label: str | None = None,
) -> bool:
    """Log one record's problem; return whether to drop the record, or raise under ``"fail"``.

    ``label`` names a record that has no id of its own (an order's line item).
    """
    label = label or f"{kind} record {record_id!r}"
    logger.warning(
        "%s: %s",
        label,
        problem,
        exc_info=exc,
        extra={"record_kind": kind, "record_id": record_id, "record_problem": problem},
    )
    policy = feed_settings.RECORD_ERRORS
    if policy == FAIL:
        raise RecordError(f"{label}: {problem}") from exc
    if policy not in POLICIES:
        logger.error("%s['RECORD_ERRORS'] = %r is not one of %s", SETTING_NAME, policy, POLICIES)
    return policy == SKIP
