"""The feed endpoint: request -> auth -> paging -> adapter rows -> records -> envelope.

One view serves every feed; ``urls.py`` gives it one :class:`~convertedin_feed.feeds.Feed`
per url, as ``FeedView.as_view(feed=...)``.
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import datetime
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponseBase
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from convertedin_feed import stats
from convertedin_feed.auth import (
    FeedTokenAuthentication,
    IsPlatform,
    check_network,
    client_address,
)
from convertedin_feed.collector import collector_paused
from convertedin_feed.conf import feed_settings
from convertedin_feed.feeds import Feed
from convertedin_feed.filters import FeedFilterSet, refuse_change_filters
from convertedin_feed.pagination import NO_STORE, FeedPagination, Page, Segment, page_scope
from convertedin_feed.parsers import PARSER_CLASSES, declared_length
from convertedin_feed.plans import Part, parts_of, read_records
from convertedin_feed.record_errors import RecordError
from convertedin_feed.renderers import FeedJSONRenderer, JSONOnlyNegotiation
from convertedin_feed.throttling import ClientRateThrottle, TokenRateThrottle

logger = logging.getLogger("convertedin_feed")

DATABASE_RETRY_AFTER = 30  # seconds


class FeedView(APIView):
    """``POST`` one page of a feed. Every policy is pinned so the shop's own
    ``REST_FRAMEWORK`` defaults (session auth, browsable API, pagination) never
    change the contract."""

    #: The feed this view serves (``as_view(feed=...)``).
    feed: ClassVar[Feed] = None  # type: ignore[assignment]
    #: Whether requests count for the admin page (``stats``); the app's own in-process
    #: tools (audit, crawl, preview) are not the platform, and pass ``False``.
    counted: ClassVar[bool] = True

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]
    authentication_classes = (FeedTokenAuthentication,)
    permission_classes = (IsPlatform,)
    parser_classes = PARSER_CLASSES
    renderer_classes = (FeedJSONRenderer,)
    content_negotiation_class = JSONOnlyNegotiation
    throttle_classes = (TokenRateThrottle,)
    versioning_class = None
    metadata_class = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        started = time.perf_counter()
        self.paginator: FeedPagination | None = None
        self.scope: str | None = None
        response = super().dispatch(request, *args, **kwargs)
        served = self.paginator.page if self.paginator is not None else None
        seconds = time.perf_counter() - started
        log_request(self.feed.name, request, response, served, seconds)
        if self.counted:
            stats.record(self.feed.name, request, response, served, seconds, self.scope)
        if response.status_code < 500:
            # Our line is the log of a refused request; django.request's would add
            # the request itself, URL and all, and a URL may hold a refused token.
            response._has_been_logged = True  # type: ignore[attr-defined]
        # The view holds the response and the paginator its page's rows, and DRF's
        # response and request hold the view: cycles, which the collector frees only on
        # an older generation's pass, pages later (collector.py). Let go of them here, so
        # that a page's rows and records are freed with the response, by reference count.
        self.paginator = None
        self.response = None  # type: ignore[assignment]
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """What can be refused before the body is read, then DRF's auth, permission and throttle.

        DRF authenticates before it checks the method; a GET can carry no body
        token, so without this it could never be told 405. The client's rate is
        checked before the token, so guessing tokens is limited too.
        """
        if (request.method or "").lower() not in self.http_method_names:
            raise exceptions.MethodNotAllowed(request.method or "")
        check_network(request)
        client = ClientRateThrottle()
        if not client.allow_request(request, self):
            self.throttled(request, client.wait() or 1)
        check_body_size(request)
        super().initial(request, *args, **kwargs)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        feed = self.feed
        adapter = feed.get_adapter(request)
        if feed.pagination_class is None:
            record = feed.schema.formatter()(adapter.get_record())
            return Response({"code": 200, "data": record}, headers=NO_STORE)
        paginator = self.paginator = feed.pagination_class()
        paginator.get_page_parameters(request)  # a bad page number is refused before any filter
        refuse_change_filters(request.data, feed.filterset_class)
        parts = parts_of(adapter, feed.schema.documented_keys())
        segments = [self.segment(part, adapter) for part in parts]
        scope = self.scope = self.page_scope(adapter, paginator)
        with collector_paused():  # rows, records and their rendering hold no cycles
            page = paginator.paginate_segments(segments, request, scope)
            records, problems = read_records(parts, page.chunks)
            # Every record is checked once, as it is rendered; the envelope then
            # describes the page as served, whatever RECORD_ERRORS left out.
            omit = omitted_keys(feed, parts[0].plan.unmapped) if parts else frozenset()
            served = feed.schema(many=True, context={"problems": problems, "omit": omit})
            data = served.to_representation(records)
        return paginator.get_paginated_response(data)  # type: ignore[arg-type]

    def page_scope(self, adapter: Any, paginator: FeedPagination) -> str:
        """What a remembered total or page end depends on (:func:`~convertedin_feed.pagination.page_scope`)."""
        filters: list[tuple[str, Any]] = []
        if self.feed.filterset_class is not None:
            # Every field but the paging ones and the token: a filter's widget
            # may read several (``price_min``, ``price_max``).
            data = self.request.data
            ignored = {*paginator.query_params, "token"}
            for name in sorted(set(data) - ignored):
                values = data.getlist(name) if hasattr(data, "getlist") else data[name]
                filters.append((name, values))
        return page_scope(self.feed.name, type(adapter), filters)

    def segment(self, part: Part, feed_adapter: Any) -> Segment:
        """One source of the feed's rows, filtered by its own adapter; with a change filter
        of time, also as of a moment, which the paginator fixes for a whole crawl."""
        filterset = self.get_filterset(part, feed_adapter)
        if filterset is None:
            return Segment(part.queryset, part.select)
        at = None
        if isinstance(filterset, FeedFilterSet) and filterset.timed:
            at = functools.partial(self.filtered_until, part, feed_adapter)
        return Segment(filterset.qs, part.select, at)

    def filtered_until(self, part: Part, feed_adapter: Any, moment: datetime) -> Any:
        filterset = self.get_filterset(part, feed_adapter, until=moment)
        assert filterset is not None
        return filterset.qs

    def get_filterset(self, part: Part, feed_adapter: Any, until: datetime | None = None) -> Any:
        """The feed's FilterSet over ``part``'s rows, valid, or a 422 naming the fields."""
        filterset_class = self.feed.filterset_class
        if filterset_class is None:
            return None
        kwargs: dict[str, Any] = {"data": self.request.data, "queryset": part.queryset}
        if issubclass(filterset_class, FeedFilterSet):
            kwargs.update(adapter=part.adapter, feed_adapter=feed_adapter, until=until)
        elif part.adapter is not feed_adapter:  # a plain FilterSet knows the feed's model only
            return None
        filterset = filterset_class(request=self.request, **kwargs)
        if not filterset.is_valid():
            raise exceptions.ValidationError(
                {
                    name: [str(message) for message in messages]
                    for name, messages in filterset.errors.items()
                }
            )
        return filterset

    def get_exception_handler(self) -> Any:
        return feed_exception_handler


def omitted_keys(feed: Feed, unmapped: set[str]) -> frozenset[str]:
    """The keys the schema leaves out, not serves ``null``, when the adapter maps none."""
    return frozenset(unmapped.intersection(feed.schema.omit_unmapped))


def check_body_size(request: Request) -> None:
    """A body past ``MAX_BODY_SIZE`` is refused on its declared length, before it is read."""
    if declared_length(request) > feed_settings.MAX_BODY_SIZE:
        raise RequestDataTooBig()


def log_request(
    feed: str,
    request: HttpRequest,
    response: HttpResponseBase,
    page: Page | None,
    seconds: float,
) -> None:
    """One line per request on the ``convertedin_feed`` logger; the fields also ride as ``extra``.

    Never the token, and never the URL, which may carry one that was refused.
    """
    fields = {
        "feed": feed,
        "page": page.number if page else None,
        "per_page": page.per_page if page else None,
        "status_code": response.status_code,
        "rows": len(page.rows) if page else 0,
        "duration_ms": round(seconds * 1000, 1),
        "client": client_address(request),
    }
    logger.info(
        "%(feed)s page=%(page)s per_page=%(per_page)s status=%(status_code)s rows=%(rows)s "
        "duration_ms=%(duration_ms)s client=%(client)s",
        fields,
        extra=fields,
    )


def feed_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every error as ``{"message": ..., "errors"?: {field: [...]}}``: never HTML, never a traceback."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return _error("The request body is too large.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, SuspiciousOperation):
        return _error("The request could not be read.", status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is down, restarting or timed out: the crawler should
        # come back, not give up on the shop. A connection the server dropped
        # is closed now, so the next request reconnects whoever serves it.
        logger.error("Feed database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        for connection in connections.all(initialized_only=True):
            if connection.errors_occurred and not connection.is_usable():
                connection.close()
        response = _error(
            "The shop's database is unavailable; try again shortly.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(
            {"message": "The given data was invalid.", "errors": errors},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            headers=NO_STORE,
        )
    if isinstance(exc, exceptions.APIException):
        headers = dict(NO_STORE)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        return Response({"message": str(exc.detail)}, status=exc.status_code, headers=headers)

    request = context.get("request")
    logger.exception("Feed request failed", exc_info=exc)
    got_request_exception.send(sender=None, request=getattr(request, "_request", request))
    if isinstance(exc, RecordError):  # RECORD_ERRORS = "fail"
        return _error(
            "A record could not be mapped; the shop's logs name it.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return _error("The feed could not be served.", status.HTTP_500_INTERNAL_SERVER_ERROR)


def _error(message: str, code: int) -> Response:
    return Response({"message": message}, status=code, headers=NO_STORE)
