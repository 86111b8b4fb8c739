"""Python's cyclic garbage collector, paused while a page is built.

A page of 1,000 orders allocates some 60,000 dicts and lists: rows, records,
rendered records, their line items. Each 700 allocations start a collection
of the youngest generation, and every tenth of those an older one, which walks
every object the process holds (Django, the app, the shop's code): work that
finds nothing, as records hold no reference cycles, and which
``benchmarks/run.py`` measured at a quarter of an orders page in a gunicorn
worker. :func:`collector_paused` holds the collector off for the build and lets
it run once after.

Threads that build pages at once share one pause (the collector is
process-wide): it ends when the last of them is done. A collector the project
turned off itself (``gc.disable()``, as some deployments do with ``gc.freeze()``)
stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_builds = 0  # pages being built now, in every thread
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    global _builds, _resume
    with _lock:
        if _builds == 0:
            _resume = gc.isenabled()
            gc.disable()
        _builds += 1
    try:
        yield
    finally:
        with _lock:
            _builds -= 1
            if _builds == 0 and _resume:
                gc.enable()
