"""A crawl reads every row once, while the shop goes on selling.

The platform asks for pages 1, 2, 3 ... last. The app remembers where each page
ended and the total it told the crawl, so page N+1 seeks past page N. These
tests run on whatever DATABASE_URL names; .ci/run runs them on PostgreSQL and
MariaDB too, with the writes interleaved between page requests.
"""

import logging
import random

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.testapp.models import Basket, CatalogItem, Member

pytestmark = pytest.mark.django_db

NO_CACHE = {**settings.CONVERTEDIN_FEED, "CACHE": None}


def crawl(pull, feed, per_page, between=None, **fields):
    """Read pages 1..last_page as the platform does; ``between(page)`` runs after each page.

    Returns the ids served, in order, and every page's envelope without its data.
    """
    served, envelopes = [], []
    page = last_page = 1
    while page <= last_page:
        response = pull(feed, page=page, per_page=per_page, **fields)
        assert response.status_code == 200, response.content
        body = response.json()
        served += [record["id"] for record in body.pop("data")]
        envelopes.append(body)
        last_page = body["last_page"]
        if between is not None:
            between(page)
        page += 1
    return served, envelopes


def page_of(pull, feed, page, per_page, **fields):
    response = pull(feed, page=page, per_page=per_page, **fields)
    assert response.status_code == 200, response.content
    return response.json()


def members(count):
    return [member.pk for member in MemberFactory.create_batch(count)]


def baskets(count):
    made = BasketFactory.create_batch(count)
    for basket in made:
        BasketLineFactory(basket=basket)
    return [basket.pk for basket in made]


# ---------------------------------------------------------------------------
# The data stands still: remembered pages are the counted pages


@pytest.mark.parametrize("per_page", [1, 3, 10, 40])
def test_a_crawl_reads_every_row_once_in_key_order(pull, per_page):
    ids = members(23)
    served, envelopes = crawl(pull, "customers", per_page)
    assert served == sorted(ids)
    assert {body["total"] for body in envelopes} == {23}
    assert len(envelopes) == -(-23 // per_page)


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_every_page_of_a_crawl_is_the_page_a_cold_cache_serves(pull, feed):
    members(12) if feed == "customers" else baskets(12)
    warm = [page_of(pull, feed, page, 5) for page in (1, 2, 3, 4)]
    with override_settings(CONVERTEDIN_FEED=NO_CACHE):
        cold = [page_of(pull, feed, page, 5) for page in (1, 2, 3, 4)]
    assert warm == cold


def test_pages_requested_out_of_order_answer_as_if_in_order(pull):
    members(30)
    with override_settings(CONVERTEDIN_FEED=NO_CACHE):
        expected = {page: page_of(pull, "customers", page, 4) for page in range(1, 10)}
    crawl(pull, "customers", 4)  # remember every page end first
    for page in (5, 2, 9, 1, 8, 8, 3, 7, 4, 6):
        assert page_of(pull, "customers", page, 4) == expected[page]


def test_page_ends_of_one_page_size_are_not_used_for_another(pull):
    ids = sorted(members(20))
    crawl(pull, "customers", 3)
    body = page_of(pull, "customers", 2, 7)
    assert [record["id"] for record in body["data"]] == ids[7:14]


def test_a_filtered_crawl_remembers_its_own_total_and_page_ends(pull):
    CatalogItem.objects.bulk_create(
        CatalogItem(title=f"Item {n}", list_price=1, shelf=n % 3) for n in range(30)
    )
    on_shelf = {
        shelf: list(
            CatalogItem.objects.filter(shelf=shelf).order_by("pk").values_list("pk", flat=True)
        )
        for shelf in (0, 1, 2)
    }
    for shelf in (0, 1, 2, 1):
        served, envelopes = crawl(pull, "offers", 4, shelf=shelf)
        assert served == on_shelf[shelf]
        assert {body["total"] for body in envelopes} == {10}
    served, envelopes = crawl(pull, "offers", 4)
    assert (len(served), envelopes[0]["total"]) == (30, 30)


def test_a_page_past_the_last_is_empty_after_a_crawl_too(pull):
    members(6)
    crawl(pull, "customers", 3)
    body = page_of(pull, "customers", 3, 3)
    assert (body["data"], body["from"], body["to"], body["total"]) == ([], None, None, 6)


# ---------------------------------------------------------------------------
# The shop goes on selling mid-crawl


@pytest.mark.parametrize("cache", ["remembered pages", "no cache (OFFSET pages)"])
@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_rows_that_arrive_mid_crawl_never_hide_or_repeat_a_row_that_was_there(pull, feed, cache):
    make = members if feed == "customers" else baskets
    there = make(25)
    feed_settings = settings.CONVERTEDIN_FEED if cache == "remembered pages" else NO_CACHE
    with override_settings(CONVERTEDIN_FEED=feed_settings):
        served, _ = crawl(pull, feed, 4, between=lambda page: make(3))
    assert len(served) == len(set(served))
    assert set(there) <= set(served)


def test_total_and_last_page_stay_steady_through_a_crawl_while_rows_arrive(pull):
    members(25)
    _, envelopes = crawl(pull, "customers", 4, between=lambda page: members(2))
    assert {(body["total"], body["last_page"]) for body in envelopes} == {(25, 7)}


@pytest.mark.parametrize("feed", ["customers", "orders"])
def test_rows_deleted_mid_crawl_never_hide_or_repeat_a_row_that_stays(pull, feed):
    model = Member if feed == "customers" else Basket
    there = sorted(members(30) if feed == "customers" else baskets(30))
    doomed = set(there[2::5])  # behind the crawl and ahead of it alike

    def delete_some(page):
        for pk in sorted(doomed)[:2]:
            model.objects.filter(pk=pk).delete()
            doomed.discard(pk)

    served, envelopes = crawl(pull, feed, 4, between=delete_some)
    survivors = set(model.objects.values_list("pk", flat=True))
    assert len(served) == len(set(served))
    assert survivors <= set(served)
    assert {body["total"] for body in envelopes} == {30}


def test_offset_pages_can_skip_a_row_when_an_earlier_row_is_deleted(pull):
    """Why the README promises deletions only on the remembered path: OFFSET shifts."""
    ids = sorted(members(9))
    with override_settings(CONVERTEDIN_FEED=NO_CACHE):
        served, _ = crawl(
            pull, "customers", 3, between=lambda page: Member.objects.filter(pk=ids[0]).delete()
        )
    assert ids[3] not in served  # page 2 started one row late


def test_random_writes_between_every_page_keep_every_lasting_row_exactly_once(pull):
    chance = random.Random(20261125)
    there = set(members(60))
    gone = set()

    def churn(page):
        members(chance.randint(0, 4))
        alive = sorted(set(Member.objects.values_list("pk", flat=True)))
        for pk in chance.sample(alive, k=min(len(alive), chance.randint(0, 3))):
            Member.objects.filter(pk=pk).delete()
            gone.add(pk)

    served, _ = crawl(pull, "customers", 7, between=churn)
    assert len(served) == len(set(served))
    assert there - gone <= set(served)


def test_a_new_crawl_counts_the_rows_that_arrived_since_the_last(pull):
    members(10)
    crawl(pull, "customers", 4)
    later = members(7)  # within CACHE_TIMEOUT of the first crawl
    served, envelopes = crawl(pull, "customers", 4)
    assert envelopes[0]["total"] == 17
    assert set(later) <= set(served)
    assert len(served) == 17


def test_two_crawlers_interleaved_each_read_every_row_once(pull):
    ids = sorted(members(20))
    first, second = [], []
    for page in range(1, 6):
        first += [r["id"] for r in page_of(pull, "customers", page, 4)["data"]]
        second += [r["id"] for r in page_of(pull, "customers", 6 - page, 4)["data"]]
    assert first == ids
    assert sorted(second) == ids


# ---------------------------------------------------------------------------
# The cache is an accelerator, never a dependency


def test_a_cache_emptied_mid_crawl_changes_nothing(pull):
    from django.core.cache import cache

    ids = members(20)
    served, _ = crawl(pull, "customers", 3, between=lambda page: cache.clear())
    assert served == sorted(ids)


@override_settings(
    CACHES={"default": {"BACKEND": "tests.testapp.caches.UnreachableCache"}},
)
def test_an_unreachable_cache_costs_speed_not_pages(pull, caplog):
    ids = members(10)
    with caplog.at_level(logging.WARNING, logger="convertedin_feed"):
        served, _ = crawl(pull, "customers", 3)
    assert served == sorted(ids)
    assert "Feed cache read failed" in caplog.text


def test_an_unknown_cache_alias_serves_counted_pages_and_says_so(pull, caplog):
    ids = members(5)
    unknown = {**settings.CONVERTEDIN_FEED, "CACHE": "nope"}
    with (
        override_settings(CONVERTEDIN_FEED=unknown),
        caplog.at_level(logging.WARNING, logger="convertedin_feed"),
    ):
        served, _ = crawl(pull, "customers", 2)
    assert served == sorted(ids)
    assert "'nope' is not in CACHES" in caplog.text
