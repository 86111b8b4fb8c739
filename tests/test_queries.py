"""Rows reach the serializers with a fixed number of queries, however large the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BasketFactory, BasketLineFactory, MemberFactory

pytestmark = pytest.mark.django_db


def queries_for(pull, feed, per_page):
    with CaptureQueriesContext(connection) as captured:
        response = pull(feed, per_page=per_page)
    assert response.status_code == 200
    assert len(response.json()["data"]) == per_page
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def shop():
    for member in MemberFactory.create_batch(30):
        for basket in BasketFactory.create_batch(2, member=member):
            BasketLineFactory.create_batch(2, basket=basket)


def test_customers_take_the_same_queries_for_1_row_as_for_30(pull, shop):
    assert len(queries_for(pull, "customers", 1)) == len(queries_for(pull, "customers", 30))


def test_orders_take_the_same_queries_for_1_row_as_for_60(pull, shop):
    assert len(queries_for(pull, "orders", 1)) == len(queries_for(pull, "orders", 60))


@pytest.mark.parametrize("per_page", [1, 10, 60])
def test_orders_are_one_count_one_page_and_one_line_items_query(
    pull, shop, django_assert_max_num_queries, per_page
):
    with django_assert_max_num_queries(3):
        assert pull("orders", per_page=per_page).status_code == 200


@pytest.mark.parametrize("per_page", [1, 10, 30])
def test_customers_are_one_count_one_page_and_one_aggregate_query(
    pull, shop, django_assert_max_num_queries, per_page
):
    with django_assert_max_num_queries(3):
        assert pull("customers", per_page=per_page).status_code == 200


def test_the_aggregates_are_computed_for_the_page_s_customers_only(pull, shop):
    statements = queries_for(pull, "customers", 5)
    [aggregate] = [sql for sql in statements if "SUM(" in sql.upper()]
    assert " IN (" in aggregate


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_the_feed_only_reads(pull, shop, feed):
    statements = queries_for(pull, feed, 10)
    assert statements
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements)
