"""Every request leaves one line on the ``convertedin_feed`` logger, and never the token."""

import logging

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "convertedin_feed" and hasattr(r, "status_code")]


def test_a_served_page_logs_its_feed_page_size_status_rows_duration_and_client(pull, caplog):
    MemberFactory.create_batch(3)
    with caplog.at_level(logging.INFO, logger="convertedin_feed"):
        response = pull("customers", page=1, per_page=2, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert line.levelno == logging.INFO
    assert (line.feed, line.page, line.per_page, line.status_code, line.rows) == (
        "customers",
        1,
        2,
        200,
        2,
    )
    assert line.client == "127.0.0.1"  # the test client's address
    assert line.duration_ms >= 0
    assert line.getMessage().startswith("customers page=1 per_page=2 status=200 rows=2 ")


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"token": "wrong-" + "w" * 34}, 401), ({"page": "abc"}, 422), ({}, 200)],
)
def test_every_request_logs_one_line_whatever_its_outcome(pull, caplog, fields, status):
    with caplog.at_level(logging.INFO, logger="convertedin_feed"):
        response = pull("orders", **fields)
    assert response.status_code == status
    [line] = request_lines(caplog)
    assert (line.feed, line.status_code) == ("orders", status)


def test_the_log_never_holds_a_token_sent_in_the_body_or_the_url(api, token, caplog):
    with caplog.at_level(logging.DEBUG):
        api.post("/convertedin/customers", {"token": token})
        api.post(f"/convertedin/customers?token={token}", {"token": token})
        api.post("/convertedin/customers", {"token": token[:-1] + "x"})
    assert len(request_lines(caplog)) == 3
    assert token not in caplog.text
    assert token[:-1] not in caplog.text
    for record in caplog.records:
        assert token not in repr(vars(record))


def test_a_refused_request_is_logged_once_not_again_by_django(api, caplog):
    with caplog.at_level(logging.INFO):
        api.post("/convertedin/orders", {"token": "wrong-" + "w" * 34})
    assert [r.name for r in caplog.records] == ["convertedin_feed"]


def test_a_failing_feed_still_reaches_django_request_for_the_admins(token, caplog):
    api = APIClient(raise_request_exception=False)
    broken = {**settings.CONVERTEDIN_FEED, "ADAPTERS": {"orders": "tests.testapp.Missing"}}
    with override_settings(CONVERTEDIN_FEED=broken), caplog.at_level(logging.INFO):
        response = api.post("/convertedin/orders", {"token": token})
    assert response.status_code == 500
    assert "django.request" in {r.name for r in caplog.records}
    [line] = request_lines(caplog)
    assert line.status_code == 500
