"""The cyclic garbage collector is paused while a page is built, and only then.

A page of records allocates tens of thousands of containers that hold no
cycles; the collections they would start find nothing and walk the whole heap
(``convertedin_feed.collector``). The fast path is asserted here, not timed.
"""

import gc
import threading
import tracemalloc

import pytest
from django.test import override_settings

from convertedin_feed.collector import collector_paused
from tests.factories import MemberFactory
from tests.testapp.convertedin import MemberAdapter

#: gc.isenabled() as each record was mapped.
SEEN: list[bool] = []


class WatchingMembers(MemberAdapter):
    def dehydrate_gender(self, row):
        SEEN.append(gc.isenabled())
        return row["gender"]


@pytest.fixture
def watched(settings):
    SEEN.clear()
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "customers": f"{__name__}.WatchingMembers"}
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        yield SEEN


@pytest.mark.django_db
def test_records_are_built_with_the_collector_paused_and_it_runs_again_after(pull, watched):
    MemberFactory.create_batch(3)
    assert gc.isenabled()
    response = pull("customers")
    assert response.status_code == 200
    assert watched == [False, False, False]
    assert gc.isenabled()


@pytest.mark.django_db
def test_a_collector_the_project_turned_off_stays_off(pull, watched):
    MemberFactory()
    gc.disable()
    try:
        assert pull("customers").status_code == 200
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert watched == [False]


def fail_while_paused():
    with collector_paused():
        assert not gc.isenabled()
        raise ZeroDivisionError


def test_an_error_in_the_build_ends_the_pause():
    with pytest.raises(ZeroDivisionError):
        fail_while_paused()
    assert gc.isenabled()


def test_threads_share_one_pause_that_ends_with_the_last_of_them():
    first_in, second_in, first_may_go, first_out = (threading.Event() for _ in range(4))
    during_second: list[bool] = []

    def first():
        with collector_paused():
            first_in.set()
            first_may_go.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)  # the first build ended while this one goes on
            during_second.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_in.wait(5)
    first_may_go.set()
    for thread in threads:
        thread.join(5)
    assert during_second == [False]
    assert gc.isenabled()


def kept_after_a_page(per_page):
    """Bytes still allocated, with the collector off, after a page of ``per_page`` is served
    and its response dropped: what only the collector could free."""
    from django.conf import settings
    from django.test import RequestFactory

    from convertedin_feed.feeds import get_feed
    from convertedin_feed.views import FeedView

    view = FeedView.as_view(feed=get_feed("customers"))
    request = RequestFactory().post(
        "/convertedin/customers", {"token": settings.TEST_TOKEN, "per_page": per_page}
    )
    view(request).render()  # warm: plans and caches are built once, not measured
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        request = RequestFactory().post(
            "/convertedin/customers", {"token": settings.TEST_TOKEN, "per_page": per_page}
        )
        response = view(request)
        response.render()
        assert response.content.count(b'"email"') == per_page
        del response, request
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gc.enable()


@pytest.mark.django_db
def test_a_served_page_is_freed_with_its_response_not_left_to_the_collector():
    """The view lets go of its response and page: the rows and records go by reference
    count, so what waits for the collector (the view and request's own cycles) does not
    grow with the page."""
    MemberFactory.create_batch(300)
    small, large = kept_after_a_page(5), kept_after_a_page(300)
    assert large - small < 150_000, (small, large)  # held by a cycle: over 400,000
