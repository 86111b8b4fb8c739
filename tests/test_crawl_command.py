"""``manage.py convertedin_feed crawl``: every page of every feed, as the platform reads them.

In-process, or over HTTP against a live test server that is busy at first (503,
then 429 with ``Retry-After``): transient failures are retried, a refused token
stops the crawl with one clear line, and ``--out`` writes each feed's records as
JSON Lines, the same records the feed serves.
"""

import datetime as dt
import json
import socket
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import flaky_urls
from tests.factories import (
    AccountFactory,
    BasketFactory,
    BasketLineFactory,
    GadgetFactory,
    GadgetPictureFactory,
    MemberFactory,
    OrderFactory,
    SectionFactory,
    order_with_lines,
)

FEEDS = ["storeinfo", "categories", "products", "customers", "orders", "offers"]


@pytest.fixture
def shop(db):
    phones = SectionFactory(name="Phones")
    cases = SectionFactory(name="Cases", parent=phones)
    gadgets = [GadgetFactory(sections=[cases], stock=3) for _ in range(5)]
    for gadget in gadgets:
        GadgetPictureFactory(gadget=gadget, width=400, height=300)
    for member in MemberFactory.create_batch(7):
        basket = BasketFactory(member=member, status="successful")
        BasketLineFactory(basket=basket, sku=gadgets[0].pk, quantity=1)
    return gadgets


def crawl(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("convertedin_feed", "crawl", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + str(exc), exc.returncode
    return out.getvalue(), err.getvalue(), 0


def test_an_in_process_crawl_reports_pages_records_and_slowest_pages(shop):
    out, err, status = crawl("--per-page", "3", "--quiet")
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["feed", "pages", "records", "seconds", "records/s"]
    rows = {line.split()[0]: line.split() for line in lines[1:7]}
    assert list(rows) == FEEDS  # the platform's order
    assert rows["customers"][1:3] == ["3", "7"]  # 7 customers, 3 a page
    assert rows["products"][1:3] == ["2", "5"]
    assert rows["storeinfo"][1:3] == ["1", "1"]
    assert "Every required rule holds." in out


def test_the_json_names_each_feed_s_slowest_pages(shop):
    out, _, status = crawl("--per-page", "2", "--quiet", "--json")
    result = json.loads(out)
    assert status == 0
    customers = result["feeds"]["customers"]
    assert customers["pages"] == 4
    assert customers["records"] == 7
    slowest = customers["slowest_pages"]
    assert sorted(entry["page"] for entry in slowest) == [1, 2, 3, 4]
    assert [entry["seconds"] for entry in slowest] == sorted(
        (entry["seconds"] for entry in slowest), reverse=True
    )


def test_out_writes_one_json_lines_file_a_feed_with_the_feed_s_records(shop, pull, tmp_path):
    _, _, status = crawl("--per-page", "3", "--quiet", "--out", str(tmp_path))
    assert status == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{f}.jsonl" for f in FEEDS)
    for feed in FEEDS:
        written = [
            json.loads(line) for line in (tmp_path / f"{feed}.jsonl").read_text().splitlines()
        ]
        body = pull(feed, per_page=1000).json()
        served = body["data"] if feed != "storeinfo" else [body["data"]]
        assert written == served, feed


def test_a_broken_record_fails_the_crawl_like_the_audit(shop):
    MemberFactory(email="nobody")
    out, _, status = crawl("--quiet", "--feed", "customers")
    assert status == 1
    assert "email" in out


# ---------------------------------------------------------------------------
# over HTTP


@pytest.fixture
def busy_server(live_server, settings):
    flaky_urls.FAILURES.clear()
    flaky_urls.SEEN.clear()
    settings.ROOT_URLCONF = "tests.flaky_urls"
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_over_http_a_busy_shop_is_retried_after_503_and_429(shop, busy_server):
    flaky_urls.FAILURES[:] = [(503, {}), (429, {"Retry-After": "1"})]
    started = time.monotonic()
    out, err, status = crawl("--url", busy_server, "--per-page", "4", "--quiet")
    assert status == 0, out + err
    assert flaky_urls.SEEN[:3] == [("storeinfo", 503), ("storeinfo", 429), ("storeinfo", 200)]
    assert time.monotonic() - started >= 1  # it waited as Retry-After asked
    assert [line.split()[:3] for line in out.splitlines()[1:7]] == [
        ["storeinfo", "1", "1"],
        ["categories", "1", "1"],
        ["products", "2", "5"],
        ["customers", "2", "7"],
        ["orders", "2", "7"],
        ["offers", "1", "0"],
    ]


@pytest.mark.django_db(transaction=True)
def test_over_http_a_refused_token_stops_the_crawl_with_one_clear_line(shop, busy_server):
    _out, err, status = crawl("--url", busy_server, "--token", "w" * 40, "--quiet")
    assert status == 1
    assert "refused the token (401" in err
    assert "Check --token." in err
    assert flaky_urls.SEEN == [("storeinfo", 401)]  # stopped at the first answer


def test_a_shop_that_cannot_be_reached_is_one_line(db):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _out, err, status = crawl("--url", f"http://127.0.0.1:{port}", "--quiet", "--retries", "1")
    assert status == 1
    assert f"POST http://127.0.0.1:{port}/convertedin/storeinfo failed" in err
    assert "Traceback" not in err


# crawl --since: only what changed, by the change filters the adapters declare

CHANGING = {
    "customers": "tests.testapp.commerce.ChangingAccountAdapter",
    "orders": "tests.testapp.commerce.ChangingOrderAdapter",
}


@pytest.fixture
def changing_shop(shop, settings):
    settings.CONVERTEDIN_FEED = {
        **settings.CONVERTEDIN_FEED,
        "ADAPTERS": {**settings.CONVERTEDIN_FEED["ADAPTERS"], **CHANGING},
    }
    old, new = (dt.datetime(2024, m, 1, tzinfo=dt.timezone.utc) for m in (1, 3))
    quiet = AccountFactory(date_joined=old)
    OrderFactory(account=quiet, placed=old)
    busy = AccountFactory(date_joined=old)
    order_with_lines(account=busy, placed=new, number="NEW-1")
    order_with_lines(guest=True, guest_email="sara@example.com", placed=new, number="NEW-2")
    return busy


#: The commerce shop's orders sell its own items, not the test project's gadgets: the
#: products feed is left out, and with it the check of the lines' products.
COMMERCE_FEEDS = ["--feed", "categories", "--feed", "customers", "--feed", "orders"]


def test_crawl_since_reads_what_changed_and_the_feeds_without_the_filter_whole(changing_shop):
    out, err, status = crawl("--since", "2024-02-01", "--json", "--quiet", *COMMERCE_FEEDS)

    assert status == 0, out + err
    report = json.loads(out)
    feeds = report["feeds"]
    assert feeds["customers"]["records"] == 2  # the account that ordered, and the new guest
    assert feeds["orders"]["records"] == 2
    for name in ("customers", "orders"):
        assert feeds[name]["filters"] == {"updated_since": "2024-02-01"}
        assert feeds[name]["refused_filters"] == []
    assert feeds["categories"]["filters"] == {}
    assert feeds["categories"]["refused_filters"] == ["updated_since"]
    assert feeds["categories"]["records"] == 1  # read whole
    # The orders' customers are not all in a filtered customers feed: not judged.
    assert report["unchecked_references"]["customer -> customers"] == 2
    assert "Next, for what changed after this crawl began: --since 20" in err


def test_crawl_since_says_which_feeds_it_read_whole(changing_shop):
    out, err, status = crawl("--since", "2024-02-01 00:00:00", "--quiet", *COMMERCE_FEEDS)

    assert status == 0, out + err
    assert "customers: only the records with updated_since=2024-02-01 00:00:00" in out
    assert "categories: read whole, as it does not take updated_since" in out


def test_crawl_since_takes_only_a_moment(changing_shop):
    _out, err, status = crawl("--since", "last week", "--quiet")

    assert status == 1
    assert "--since 'last week' is not a date and time" in err


@pytest.mark.django_db(transaction=True)
def test_over_http_crawl_since_reads_what_the_shop_takes(changing_shop, live_server):
    out, err, status = crawl(
        "--url", live_server.url, "--since", "2024-02-01", "--json", "--quiet", *COMMERCE_FEEDS
    )

    assert status == 0, out + err
    feeds = json.loads(out)["feeds"]
    assert (feeds["orders"]["records"], feeds["orders"]["filters"]) == (
        2,
        {"updated_since": "2024-02-01"},
    )
    assert feeds["categories"]["refused_filters"] == ["updated_since"]
