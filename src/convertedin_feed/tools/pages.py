"""A feed's pages as the platform reads them, and what a page's envelope must add up to.

:class:`InProcess` posts to the real view (:class:`~convertedin_feed.views.FeedView`)
with a ``RequestFactory`` request, so settings, adapters and authentication are
proved together without a web server. :func:`read_pages` walks a feed page by
page as the platform's sync does, one page in memory at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.test import RequestFactory

from convertedin_feed.feeds import Feed

#: The envelope of every paged answer, in the documents' order.
ENVELOPE_KEYS = ("current_page", "data", "from", "last_page", "per_page", "to", "total")


class FeedAnswerError(Exception):
    """A feed answered something other than a page: its status, message and, for a 422,
    the fields it refused."""

    def __init__(
        self, feed: str, status: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        self.feed, self.status, self.message = feed, status, message
        self.errors = errors or {}
        detail = "".join(f" {name}: {' '.join(map(str, why))}" for name, why in self.errors.items())
        super().__init__(f"The {feed} feed answered {status}: {message}{detail}")


class Reader(Protocol):
    def post(self, feed: Feed, fields: dict[str, Any]) -> tuple[int, bytes]:
        """The status and body of ``POST convertedin/<feed>`` with ``fields`` (token added)."""
        ...


class InProcess:
    """The feeds of this project, through the view, as a request from the platform would go."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.factory = RequestFactory()

    def post(self, feed: Feed, fields: dict[str, Any]) -> tuple[int, bytes]:
        from convertedin_feed.views import FeedView

        request = self.factory.post(f"/convertedin/{feed.name}", {"token": self.token, **fields})
        response = FeedView.as_view(feed=feed, counted=False)(request)
        response.render()
        return response.status_code, bytes(response.content)


class FeedUnreachable(Exception):
    """No answer at all: the server is down, the name does not resolve, the retries ran out."""


class OverHTTP:
    """The feeds of a running shop at ``base_url``, read with requests as the platform reads them.

    Transient failures are retried with exponential backoff (urllib3's ``Retry``):
    connection errors, 5xx, and 429 after the ``Retry-After`` the server asks
    for. A feed only reads, so its POST is safe to repeat. Other answers (401,
    422) come back as they are.
    """

    #: Statuses worth another try: the shop is busy or restarting.
    RETRY_STATUSES = (429, 500, 502, 503, 504)

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 120.0,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.base_url = base_url.rstrip("/")
        self.token, self.timeout = token, timeout
        retry = Retry(
            total=retries,
            backoff_factor=backoff,
            status_forcelist=self.RETRY_STATUSES,
            allowed_methods=None,  # every method: POST included, as a feed only reads
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer is returned, and reported
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def post(self, feed: Feed, fields: dict[str, Any]) -> tuple[int, bytes]:
        import requests

        url = f"{self.base_url}/convertedin/{feed.name}"
        try:
            response = self.session.post(
                url, data={"token": self.token, **fields}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise FeedUnreachable(f"POST {url} failed: {_reason(exc)}") from exc
        return response.status_code, response.content


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, in one line."""
    while exc.__context__ is not None and not isinstance(exc, OSError):
        exc = exc.__context__
    reason = getattr(exc, "reason", None)
    return str(reason or exc).splitlines()[0]


@dataclass
class Page:
    """One page as it arrived: its number, its parsed body, its bytes and how long it took."""

    number: int
    body: dict[str, Any]
    content: bytes
    seconds: float
    #: What the envelope's figures get wrong, in words.
    problems: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[Any]:
        data = self.body.get("data")
        if isinstance(data, list):
            return data
        return [] if data is None else [data]  # storeinfo's one record


def fetch(
    reader: Reader, feed: Feed, fields: dict[str, Any]
) -> tuple[dict[str, Any], bytes, float]:
    """One answer of ``feed``, parsed; a :class:`FeedAnswerError` unless it is a 200 in JSON."""
    started = time.perf_counter()
    status, content = reader.post(feed, fields)
    seconds = time.perf_counter() - started
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if status != 200 or not isinstance(body, dict):
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str):
            message = content[:200].decode(errors="replace") or "(an empty body)"
        errors = body.get("errors") if isinstance(body, dict) else None
        raise FeedAnswerError(
            feed.name, status, message, errors if isinstance(errors, dict) else None
        )
    return body, content, seconds


def read_pages(
    reader: Reader,
    feed: Feed,
    per_page: int,
    *,
    filters: dict[str, Any] | None = None,
    limit: int | None = None,
) -> Iterator[Page]:
    """Every page of ``feed`` in order, from 1 to the ``last_page`` each page announces.

    A feed that is not paged is one page. ``limit`` stops after the page that
    reaches that many records. Each page's envelope is checked against the one
    before it and against its own records (:func:`envelope_problems`).
    """
    if not feed.paged:
        body, content, seconds = fetch(reader, feed, dict(filters or {}))
        yield Page(1, body, content, seconds)
        return
    number, last_page, read = 1, 1, 0
    first: dict[str, Any] | None = None
    while number <= last_page:
        fields = {**(filters or {}), "page": number, "per_page": per_page}
        body, content, seconds = fetch(reader, feed, fields)
        page = Page(number, body, content, seconds)
        page.problems = envelope_problems(body, number, per_page, first)
        first = first or body
        yield page
        read += len(page.records)
        if limit is not None and read >= limit:
            return
        announced = body.get("last_page")
        last_page = announced if isinstance(announced, int) else 0
        number += 1


def envelope_problems(
    body: dict[str, Any], number: int, per_page: int, first: dict[str, Any] | None
) -> list[str]:
    """What page ``number``'s envelope gets wrong: keys, arithmetic, a total that moved."""
    missing = [key for key in ENVELOPE_KEYS if key not in body]
    if missing:
        return [f"page {number} lacks {', '.join(missing)}"]
    data, total = body["data"], body["total"]
    if not isinstance(data, list) or not all(
        isinstance(body[key], int) for key in ("current_page", "last_page", "per_page", "total")
    ):
        return [f"page {number}: data is not a list or a figure is not a whole number"]
    problems = []
    expected_last = max(1, -(-total // per_page))
    start = (number - 1) * per_page
    expected_rows = max(0, min(per_page, total - start))
    expected = {
        "current_page": number,
        "per_page": per_page,
        "last_page": expected_last,
        "from": start + 1 if expected_rows else None,
        "to": start + expected_rows if expected_rows else None,
    }
    for key, value in expected.items():
        if body[key] != value:
            problems.append(f"page {number}: {key} is {body[key]!r}, the figures make it {value!r}")
    if len(data) != expected_rows:
        problems.append(
            f"page {number} holds {len(data)} records, the total makes it {expected_rows}"
        )
    if first is not None and first.get("total") != total:
        problems.append(f"page {number}: the total moved from {first.get('total')} to {total}")
    return problems
