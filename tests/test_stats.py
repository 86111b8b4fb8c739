"""Requests counted for the admin page: per feed and hour, crawls, and what it costs."""

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from convertedin_feed import stats
from convertedin_feed.models import FeedHour
from convertedin_feed.stats import hour_of
from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

TABLE = FeedHour._meta.db_table


@pytest.fixture(autouse=True)
def stats_on(settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True}


@pytest.fixture
def clock(monkeypatch):
    """The time ``stats`` reads, moved on by hand."""

    class Clock:
        now = datetime(2026, 11, 20, 10, 15, tzinfo=dt_timezone.utc)

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(stats, "current_time", lambda: clock.now)
    return clock


def writes(queries):
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def the_hour(feed="orders"):
    return FeedHour.objects.get(feed=feed)


def test_a_page_is_counted_in_its_hour_with_its_records_and_time(pull, clock):
    BasketFactory.create_batch(3)
    assert pull("orders", page=1, per_page=2).status_code == 200
    assert pull("orders", page=1, per_page=2).status_code == 200
    hour = the_hour()
    assert hour.hour == datetime(2026, 11, 20, 10, tzinfo=dt_timezone.utc)
    assert (hour.requests, hour.pages, hour.rows) == (2, 2, 4)
    assert hour.duration_ms > 0
    assert hour.last_request_at == clock.now
    assert (hour.unauthorized, hour.invalid, hour.throttled, hour.server_errors) == (0, 0, 0, 0)


def test_each_feed_and_hour_has_its_own_row(pull, clock):
    MemberFactory.create_batch(2)
    pull("customers")
    clock.advance(hours=1)
    pull("customers")
    pull("storeinfo")
    counted = FeedHour.objects.order_by("hour", "feed").values_list("feed", "hour", "pages")
    assert [(feed, hour.hour, pages) for feed, hour, pages in counted] == [
        ("customers", 10, 1),
        ("customers", 11, 1),
        ("storeinfo", 11, 1),
    ]


@pytest.mark.parametrize(
    ("fields", "counter"),
    [
        ({"token": "wrong"}, "unauthorized"),
        ({"page": "zero"}, "invalid"),
        ({"token": ""}, "unauthorized"),
    ],
)
def test_a_refused_request_counts_under_its_status(pull, fields, counter):
    assert pull("orders", **fields).status_code in (401, 422)
    hour = the_hour()
    assert (hour.requests, hour.pages, hour.rows, getattr(hour, counter)) == (1, 0, 0, 1)


def test_a_throttled_request_counts_as_429(pull, settings):
    settings.CONVERTEDIN_FEED = {
        **settings.CONVERTEDIN_FEED,
        "THROTTLE_RATES": {"token": "1/min", "client": None},
    }
    pull("orders")
    assert pull("orders").status_code == 429
    assert (the_hour().pages, the_hour().throttled) == (1, 1)


def test_a_failed_page_counts_as_5xx(token, monkeypatch):
    BasketFactory()

    def fail(*args, **kwargs):
        raise RuntimeError("the shop's adapter broke")

    monkeypatch.setattr("convertedin_feed.views.read_records", fail)
    api = APIClient(raise_request_exception=False)
    assert api.post("/convertedin/orders", {"token": token}).status_code == 500
    assert (the_hour().server_errors, the_hour().pages) == (1, 0)


def test_a_refused_token_costs_one_write_and_no_crawl(pull, monkeypatch):
    pull("orders", token="wrong")  # the hour's row exists now
    followed = []
    monkeypatch.setattr(stats, "follow_crawl", lambda *a: followed.append(a))
    with CaptureQueriesContext(connection) as queries:
        assert pull("orders", token="wrong").status_code == 401
    [write] = writes(queries.captured_queries)
    assert write.lstrip().upper().startswith("UPDATE")
    assert TABLE in write
    assert followed == []
    assert FeedHour.objects.count() == 1


@pytest.mark.parametrize("page", [1, 2, 3])
def test_every_page_of_a_crawl_costs_one_write_the_last_one_included(pull, page):
    BasketFactory.create_batch(5)
    pull("orders", token="wrong")  # the hour's first request inserts its row
    for number in range(1, page):
        pull("orders", page=number, per_page=2)
    with CaptureQueriesContext(connection) as queries:
        pull("orders", page=page, per_page=2)
    [write] = writes(queries.captured_queries)
    assert write.lstrip().upper().startswith("UPDATE")
    assert TABLE in write


def test_a_crawl_is_written_with_its_last_page(pull, clock):
    BasketFactory.create_batch(5)
    started = clock.now
    for number in (1, 2, 3):
        clock.advance(seconds=30)
        assert pull("orders", page=number, per_page=2).status_code == 200
    hour = the_hour()
    assert (hour.crawls, hour.crawl_pages, hour.crawl_records) == (1, 3, 5)
    assert started < hour.crawl_started_at <= started + timedelta(seconds=30)
    assert hour.crawl_finished_at == clock.now


def test_a_page_asked_again_counts_once_in_its_crawl(pull):
    BasketFactory.create_batch(5)
    for number in (1, 2, 2, 3):
        pull("orders", page=number, per_page=2)
    hour = the_hour()
    assert (hour.pages, hour.crawl_pages, hour.crawl_records) == (4, 3, 5)


@pytest.mark.parametrize("numbers", [(2, 3), (1, 3), (1, 2, 1)])
def test_pages_that_do_not_run_from_the_first_to_the_last_are_no_crawl(pull, numbers):
    BasketFactory.create_batch(5)
    for number in numbers:
        pull("orders", page=number, per_page=2)
    assert (the_hour().pages, the_hour().crawls) == (len(numbers), 0)
    assert the_hour().crawl_finished_at is None


def test_a_gap_longer_than_crawl_gap_ends_a_crawl(pull, clock, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True, "CRAWL_GAP": 60}
    BasketFactory.create_batch(3)
    pull("orders", page=1, per_page=2)
    clock.advance(seconds=61)
    pull("orders", page=2, per_page=2)
    assert the_hour().crawls == 0
    pull("orders", page=1, per_page=2)
    clock.advance(seconds=59)
    pull("orders", page=2, per_page=2)
    assert (the_hour().crawls, the_hour().crawl_pages) == (1, 2)


def test_two_clients_crawling_at_once_make_two_crawls(pull, api, token):
    BasketFactory.create_batch(3)

    def from_(address, number):
        fields = {"token": token, "page": number, "per_page": 2}
        return api.post("/convertedin/orders", fields, format="multipart", REMOTE_ADDR=address)

    for number in (1, 2):
        assert from_("203.0.113.1", number).status_code == 200
        assert from_("203.0.113.2", number).status_code == 200
    assert (the_hour().crawls, the_hour().crawl_pages, the_hour().crawl_records) == (2, 2, 3)


def test_a_crawl_ending_in_a_later_hour_is_written_there(pull, clock):
    BasketFactory.create_batch(3)
    clock.now = clock.now.replace(minute=59, second=50)
    pull("orders", page=1, per_page=2)
    clock.advance(seconds=20)
    pull("orders", page=2, per_page=2)
    first, second = FeedHour.objects.order_by("hour")
    assert (first.crawls, second.crawls, second.crawl_pages) == (0, 1, 2)
    assert second.crawl_started_at.hour == 10
    assert second.crawl_finished_at.hour == 11


def test_the_hour_s_first_request_prunes_hours_past_stats_days(pull, clock, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True, "STATS_DAYS": 2}
    now = hour_of(clock.now)
    for hours in (73, 49, 48, 25):
        FeedHour.objects.create(
            feed="orders", hour=now - timedelta(hours=hours), last_request_at=now
        )
    pull("orders")
    kept = sorted((now - row.hour) // timedelta(hours=1) for row in FeedHour.objects.all())
    assert kept == [0, 25, 48]  # 49 and 73 hours ago are past two days


def test_the_prune_command_deletes_hours_past_stats_days(settings, capsys):
    now = hour_of(datetime.now(dt_timezone.utc))
    for days in (40, 31, 29):
        FeedHour.objects.create(feed="orders", hour=now - timedelta(days=days), last_request_at=now)
    call_command("convertedin_feed", "prune")
    assert "Deleted 2 hourly counts older than 30 days." in capsys.readouterr().out
    assert [(now - row.hour).days for row in FeedHour.objects.all()] == [29]


def test_with_stats_off_nothing_is_counted_or_written(pull, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": False}
    BasketFactory()
    with CaptureQueriesContext(connection) as queries:
        assert pull("orders").status_code == 200
    assert writes(queries.captured_queries) == []
    assert not any(TABLE in q["sql"] for q in queries.captured_queries)


def test_the_app_s_own_tools_are_not_counted(capsys):
    BasketFactory.create_batch(2)
    call_command("convertedin_feed", "preview", "orders")
    assert '"total": 2' in capsys.readouterr().out
    assert FeedHour.objects.count() == 0


def test_a_count_that_cannot_be_written_is_logged_and_the_page_served(pull, caplog):
    BasketFactory()

    def refuse_counts(execute, sql, params, many, context):
        if TABLE in sql:
            raise DatabaseError("permission denied for table")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_counts):
        response = pull("orders")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 1
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.getMessage() == "Feed request could not be counted (convertedin_feed.stats)"
    assert logged.exc_info[0] is DatabaseError
    assert pull("orders").status_code == 200
    assert the_hour().requests == 1  # the next request is counted: the shop's connection is fine


def test_without_a_cache_requests_are_counted_and_crawls_not_followed(pull, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True, "CACHE": None}
    BasketFactory.create_batch(3)
    pull("orders", page=1, per_page=2)
    pull("orders", page=2, per_page=2)
    assert (the_hour().pages, the_hour().rows, the_hour().crawls) == (2, 3, 0)


def test_a_shop_with_stats_off_still_migrates_cleanly():
    """The table ships with the app whatever STATS says: no pending migration either way."""
    from io import StringIO

    out = StringIO()
    call_command("makemigrations", "convertedin_feed", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
    assert FeedHour.objects.count() == 0


def test_a_database_that_is_down_is_still_a_503_and_the_next_page_is_counted(pull, caplog):
    def down(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    BasketFactory()
    with connection.execute_wrapper(down):
        response = pull("orders")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "convertedin_feed" and r.levelno >= logging.ERROR
    ]
    assert messages == [
        "Feed database unavailable: OperationalError",
        "Feed request could not be counted (convertedin_feed.stats)",
    ]
    assert pull("orders").status_code == 200
    assert (the_hour().requests, the_hour().pages, the_hour().server_errors) == (1, 1, 0)


def test_a_failing_cache_is_logged_and_the_page_still_counted(pull, monkeypatch, caplog):
    BasketFactory.create_batch(3)

    class Down:
        def get(self, key):
            raise ConnectionError("cache server gone")

    monkeypatch.setattr(stats, "crawl_cache", lambda: Down())
    assert pull("orders", page=1, per_page=2).status_code == 200
    [logged] = [
        r for r in caplog.records if r.name == "convertedin_feed" and r.levelno == logging.WARNING
    ]
    assert logged.getMessage() == "Feed cache failed; the crawl of orders is not followed"
    assert (the_hour().pages, the_hour().crawls) == (1, 0)
