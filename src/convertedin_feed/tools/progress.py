"""Progress of a long command: a bar on a terminal, plain lines in a log, nothing when quiet.

On a terminal, tqdm draws a bar with the rate and the time left. Anywhere else
(CI, a pipe, a file) a line is written every ``every`` seconds and at the end,
so logs stay readable. ``quiet`` silences both.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from tqdm import tqdm


class Stream(Protocol):
    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


class Progress:
    """Counts ``unit`` (records, rows) towards ``total``, if known, under ``label``."""

    def __init__(
        self,
        stream: Stream,
        label: str,
        *,
        total: int | None = None,
        unit: str = "records",
        quiet: bool = False,
        every: float = 10.0,
    ) -> None:
        self.stream, self.label, self.total, self.unit = stream, label, total, unit
        self.quiet, self.every = quiet, every
        self.done = 0
        self.started = self.last = time.monotonic()
        self.bar: tqdm[Any] | None = None
        if not quiet and _is_terminal(stream):
            # tqdm draws with carriage returns: to the stream itself, not through
            # a management command's OutputWrapper, which ends every write with a newline.
            raw = getattr(stream, "_out", stream)
            self.bar = tqdm(total=total, desc=label, unit=f" {unit}", file=raw, leave=True)

    def set_total(self, total: int) -> None:
        self.total = total
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def update(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        elif not self.quiet and time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self._line()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif not self.quiet:
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        of = f" of {self.total:,}" if self.total is not None else ""
        self.stream.write(
            f"{self.label}: {self.done:,}{of} {self.unit}, "
            f"{self.done / elapsed:,.0f}/s, {elapsed:.1f} s\n"
        )
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: Stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
