"""Pages follow the platform's own paginator: the same envelope and the same arithmetic."""

from datetime import datetime, timezone

import pytest

from convertedin_feed.pagination import Page
from tests.testapp.models import Member

pytestmark = pytest.mark.django_db

ENVELOPE_KEYS = ["current_page", "data", "from", "last_page", "per_page", "to", "total"]


def make_members(count):
    created = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return Member.objects.bulk_create(
        Member(email=f"m{n}@example.com", first_name="A", last_name="B", created=created)
        for n in range(count)
    )


def envelope(pull, **fields):
    response = pull("customers", **fields)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ENVELOPE_KEYS
    return body


def ids(body):
    return [record["id"] for record in body["data"]]


@pytest.mark.parametrize(
    ("total", "per_page", "last_page"),
    [(0, 100, 1), (1, 100, 1), (100, 100, 1), (101, 100, 2), (2442, 100, 25), (3000, 100, 30)],
)
def test_last_page_is_the_ceiling_of_total_over_per_page_and_at_least_1(total, per_page, last_page):
    assert Page(number=1, per_page=per_page, total=total, rows=[]).last_page == last_page


def test_first_page(pull):
    members = make_members(25)
    body = envelope(pull, page=1, per_page=10)
    assert {k: v for k, v in body.items() if k != "data"} == {
        "current_page": 1,
        "from": 1,
        "last_page": 3,
        "per_page": 10,
        "to": 10,
        "total": 25,
    }
    assert ids(body) == [m.pk for m in members[:10]]


def test_a_middle_page(pull):
    members = make_members(25)
    body = envelope(pull, page=2, per_page=10)
    assert (body["current_page"], body["from"], body["to"]) == (2, 11, 20)
    assert ids(body) == [m.pk for m in members[10:20]]


def test_the_last_page_holds_the_remainder(pull):
    members = make_members(25)
    body = envelope(pull, page=3, per_page=10)
    assert (body["from"], body["to"], body["last_page"]) == (21, 25, 3)
    assert ids(body) == [m.pk for m in members[20:]]


def test_a_page_past_the_last_is_empty_with_null_positions(pull):
    make_members(25)
    body = envelope(pull, page=4, per_page=10)
    assert body == {
        "current_page": 4,
        "data": [],
        "from": None,
        "last_page": 3,
        "per_page": 10,
        "to": None,
        "total": 25,
    }


def test_an_empty_table(pull):
    body = envelope(pull)
    assert body == {
        "current_page": 1,
        "data": [],
        "from": None,
        "last_page": 1,
        "per_page": 100,
        "to": None,
        "total": 0,
    }


def test_per_page_1_walks_one_record_at_a_time(pull):
    members = make_members(3)
    pages = [envelope(pull, page=n, per_page=1) for n in (1, 2, 3)]
    assert [ids(body) for body in pages] == [[m.pk] for m in members]
    assert [(body["from"], body["to"], body["last_page"]) for body in pages] == [
        (1, 1, 3),
        (2, 2, 3),
        (3, 3, 3),
    ]


def test_the_maximum_per_page_is_served_whole(pull):
    make_members(1001)
    body = envelope(pull, per_page=1000)
    assert (len(body["data"]), body["per_page"], body["last_page"], body["to"]) == (
        1000,
        1000,
        2,
        1000,
    )


def test_a_per_page_above_the_maximum_is_served_at_the_maximum(pull):
    make_members(1001)
    body = envelope(pull, per_page=5000)
    assert (len(body["data"]), body["per_page"], body["last_page"]) == (1000, 1000, 2)


def test_records_come_in_primary_key_order_whatever_the_insert_order(pull):
    created = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for pk in (7, 3, 9, 1):
        Member.objects.create(
            pk=pk, email=f"{pk}@example.com", first_name="A", last_name="B", created=created
        )
    assert ids(envelope(pull)) == [1, 3, 7, 9]


def test_rows_that_arrive_mid_crawl_neither_skip_nor_repeat_earlier_rows(pull):
    before = make_members(10)
    seen = []
    for page in (1, 2, 3, 4):
        seen += ids(envelope(pull, page=page, per_page=3))
        make_members(2)  # new customers land behind the crawl
    assert seen[: len(before)] == [m.pk for m in before]
    assert len(seen) == len(set(seen))
