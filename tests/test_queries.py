"""Queries per page are a constant: the same for 1 row as for 1000, on page 2 as on page 2000."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.factories import BasketFactory, BasketLineFactory, MemberFactory

pytestmark = pytest.mark.django_db


def statements(pull, feed, **fields):
    with CaptureQueriesContext(connection) as captured:
        response = pull(feed, **fields)
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


def crawl_statements(pull, feed, per_page):
    """The SQL of each page of a crawl from page 1 to the last."""
    pages = []
    page = last_page = 1
    while page <= last_page:
        with CaptureQueriesContext(connection) as captured:
            response = pull(feed, page=page, per_page=per_page)
        assert response.status_code == 200
        last_page = response.json()["last_page"]
        pages.append([query["sql"] for query in captured.captured_queries])
        page += 1
    return pages


@pytest.fixture
def shop():
    for member in MemberFactory.create_batch(30):
        for basket in BasketFactory.create_batch(2, member=member):
            BasketLineFactory.create_batch(2, basket=basket)


@pytest.mark.parametrize("per_page", [1, 7, 30])
def test_a_running_crawl_of_customers_is_the_page_and_its_aggregates(pull, shop, per_page):
    pages = crawl_statements(pull, "customers", per_page)
    assert len(pages) == -(-30 // per_page)
    for sql in pages[1:]:
        assert len(sql) == 2
        assert "SUM(" in sql[1].upper()
        assert " IN (" in sql[1]


@pytest.mark.parametrize("per_page", [1, 9, 60])
def test_a_running_crawl_of_orders_is_the_page_and_its_line_items(pull, shop, per_page):
    pages = crawl_statements(pull, "orders", per_page)
    assert len(pages) == -(-60 // per_page)
    for sql in pages[1:]:
        assert len(sql) == 2
        assert "testapp_basketline" in sql[1]


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_a_running_crawl_neither_counts_nor_offsets(pull, shop, feed):
    for sql in crawl_statements(pull, feed, 7)[1:]:
        text = " ".join(sql).upper()
        assert "COUNT(*)" not in text
        assert "OFFSET" not in text


def test_a_cold_first_page_counts_once_and_notes_the_newest_key(pull, shop):
    sql = statements(pull, "orders", per_page=10)
    assert len(sql) == 4  # COUNT, newest key, page, line items
    assert "COUNT(*)" in sql[0].upper()
    assert "DESC" in sql[1].upper()
    assert "LIMIT 1" in sql[1].upper()


def test_a_later_crawl_s_first_page_only_counts_rows_newer_than_the_remembered_total(pull, shop):
    statements(pull, "customers", per_page=10)
    sql = statements(pull, "customers", per_page=10)
    assert len(sql) == 3  # rows newer than the remembered total, page, aggregates
    assert "COUNT(*)" in sql[0].upper()
    assert re.search(r"id[\"`]? > ", sql[0])


def test_without_a_cache_every_page_counts(pull, shop):
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "CACHE": None}):
        for page in (1, 2, 3):
            sql = statements(pull, "customers", page=page, per_page=10)
            assert len(sql) == 3
            assert "COUNT(*)" in sql[0].upper()


def test_the_aggregates_are_computed_for_the_page_s_customers_only(pull, shop):
    aggregates = [sql for sql in statements(pull, "customers", per_page=5) if "SUM(" in sql.upper()]
    assert len(aggregates) == 1
    assert " IN (" in aggregates[0]


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_the_feed_only_reads(pull, shop, feed):
    sql = [s for page in crawl_statements(pull, feed, 10) for s in page]
    assert sql
    assert all(s.lstrip().upper().startswith("SELECT") for s in sql)
