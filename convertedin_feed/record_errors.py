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


class RecordError(Exception):
    """A record could not be mapped and ``RECORD_ERRORS`` is ``"fail"``."""


def record_problem(
    kind: str, record_id: Any, problem: str, exc: BaseException | None = None
) -> bool:
    """Log one record's problem; return whether to drop the record, or raise under ``"fail"``."""
    logger.warning(
        "%s record %r: %s",
        kind,
        record_id,
        problem,
        exc_info=exc,
        extra={"record_kind": kind, "record_id": record_id, "record_problem": problem},
    )
    policy = feed_settings.RECORD_ERRORS
    if policy == FAIL:
        raise RecordError(f"{kind} record {record_id!r}: {problem}") from exc
    if policy not in POLICIES:
        logger.error("%s['RECORD_ERRORS'] = %r is not one of %s", SETTING_NAME, policy, POLICIES)
    return policy == SKIP
