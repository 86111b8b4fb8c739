"""When the database fails, the crawler is told to come back: 503 JSON with Retry-After.

The real failure is a connection the database server drops mid-crawl (PostgreSQL
and MariaDB, which ``.ci/run`` runs the suite on); the generic one is an
``OperationalError`` raised where the backend executes a query, on any database.
"""

import logging

import pytest
from django.db import OperationalError, connection, connections

from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert int(response["Retry-After"]) > 0
    assert response.json() == {"message": "The shop's database is unavailable; try again shortly."}
    assert b"Traceback" not in response.content


def fail_every_query(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_a_database_failure_is_a_503_and_the_next_request_is_served(pull, feed, caplog):
    (MemberFactory if feed == "customers" else BasketFactory).create_batch(3)
    assert pull(feed, page=1, per_page=1).status_code == 200
    with connection.execute_wrapper(fail_every_query):
        assert_unavailable(pull(feed, page=2, per_page=1))
    assert pull(feed, page=2, per_page=1).status_code == 200
    [logged] = [
        r for r in caplog.records if r.name == "convertedin_feed" and r.levelno >= logging.ERROR
    ]
    assert logged.name == "convertedin_feed"
    assert "OperationalError" in logged.getMessage()


def drop_connection_from_the_server():
    """Ask the server, over a second connection, to end this one, as a restart would."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
        else:
            cursor.execute("SELECT CONNECTION_ID()")
        [session] = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            if other.vendor == "postgresql":
                cursor.execute("SELECT pg_terminate_backend(%s)", [session])
            else:
                cursor.execute(f"KILL {int(session)}")
    finally:
        other.close()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite has no server to drop the connection; .ci/run runs this on PostgreSQL and MariaDB",
)
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_drops_mid_crawl_is_a_503_then_the_crawl_goes_on(pull):
    ids = [member.pk for member in MemberFactory.create_batch(3)]
    first = pull("customers", page=1, per_page=2)
    assert first.status_code == 200
    drop_connection_from_the_server()
    assert_unavailable(pull("customers", page=2, per_page=2))
    again = pull("customers", page=2, per_page=2)
    assert again.status_code == 200, again.content
    assert [record["id"] for record in first.json()["data"] + again.json()["data"]] == ids


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="statement_timeout is PostgreSQL's; the dropped connection above covers MariaDB",
)
@pytest.mark.django_db(transaction=True)
def test_a_query_that_times_out_is_a_503_and_the_next_one_is_served(pull):
    """A table another session holds locked: the feed's query waits past the timeout."""
    MemberFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '300ms'")
    locker = connections.create_connection("default")
    try:
        locker.set_autocommit(False)
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE testapp_member IN ACCESS EXCLUSIVE MODE")
        assert_unavailable(pull("customers"))
        locker.rollback()
    finally:
        locker.close()
    served = pull("customers")
    assert served.status_code == 200, served.content
    assert len(served.json()["data"]) == 2
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
