"""The "Converted.in feeds" admin page: who sees it, and what it says after real requests."""

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.test import Client

from convertedin_feed.chart import hourly_chart, nice_ceiling
from convertedin_feed.models import FeedHour, SavedAudit
from convertedin_feed.stats import hour_of
from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/convertedin_feed/feedhour/"


@pytest.fixture(autouse=True)
def stats_on(settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True}


def staff(*permissions):
    user = User.objects.create_user("owner", password="pw", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def owner_client():
    client = Client()
    client.force_login(staff("view_feeds_page"))
    return client


def row(html, feed):
    found = re.search(rf'<tr data-feed="{feed}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {feed}"
    return found.group(1)


def test_an_anonymous_visitor_is_sent_to_the_login_page():
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={PAGE}"


def test_staff_without_the_permission_get_403_and_no_link():
    client = Client()
    client.force_login(staff())
    assert client.get(PAGE).status_code == 403
    assert PAGE not in client.get("/admin/").content.decode()


def test_the_admin_index_links_to_the_page(owner_client):
    index = owner_client.get("/admin/").content.decode()
    assert f'<a href="{PAGE}"' in index
    assert "Converted.in feeds" in index


def test_nothing_on_the_page_can_be_added_changed_or_deleted(owner_client):
    hour = FeedHour.objects.create(
        feed="orders",
        hour=hour_of(datetime.now(dt_timezone.utc)),
        last_request_at=datetime.now(dt_timezone.utc),
    )
    assert owner_client.get(f"{PAGE}add/").status_code == 404
    assert owner_client.get(f"{PAGE}{hour.pk}/change/").status_code == 404
    assert (
        owner_client.post(
            PAGE, {"action": "delete_selected", "_selected_action": [hour.pk]}
        ).status_code
        == 200
    )
    assert FeedHour.objects.filter(pk=hour.pk).exists()


def test_a_crawl_shows_as_the_last_complete_crawl_with_its_numbers(owner_client, pull):
    BasketFactory.create_batch(5)
    for number in (1, 2, 3):
        assert pull("orders", page=number, per_page=2).status_code == 200
    html = owner_client.get(PAGE).content.decode()
    orders = row(html, "orders")
    assert 'data-crawl-pages="3" data-crawl-records="5"' in orders
    assert "3 pages, 5 records" in orders
    assert '<span data-records="5">5</span> <span class="quiet">remembered</span>' in orders
    assert "none yet" in row(html, "customers")
    assert "never" in row(html, "customers")


def test_records_not_remembered_are_counted(owner_client):
    MemberFactory.create_batch(4)
    html = owner_client.get(PAGE).content.decode()
    assert '<span data-records="4">4</span> <span class="quiet">counted</span>' in row(
        html, "customers"
    )
    assert '<span data-records="1">1</span> <span class="quiet"></span>' in row(html, "storeinfo")


def test_errors_of_the_last_24_hours_are_shown_by_status(owner_client, pull):
    pull("orders", token="wrong")
    pull("orders", token="wrong")
    pull("orders", page="x")
    now = datetime.now(dt_timezone.utc)
    FeedHour.objects.create(
        feed="orders", hour=hour_of(now) - timedelta(hours=25), unauthorized=7, last_request_at=now
    )
    orders = row(owner_client.get(PAGE).content.decode(), "orders")
    assert 'data-status="401" data-count="2"' in orders
    assert 'data-status="422" data-count="1"' in orders
    assert 'data-status="429" data-count="0"' in orders
    assert 'data-status="5xx" data-count="0"' in orders


def test_the_chart_has_a_point_for_each_hour_with_traffic_and_a_table_beside_it(owner_client):
    now = hour_of(datetime.now(dt_timezone.utc))
    traffic = {("orders", 0): 12, ("orders", 5): 3, ("customers", 5): 8, ("orders", 24 * 8): 99}
    for (feed, hours_ago), pages in traffic.items():
        FeedHour.objects.create(
            feed=feed, hour=now - timedelta(hours=hours_ago), pages=pages, last_request_at=now
        )
    html = owner_client.get(PAGE).content.decode()
    points = re.findall(
        r'<circle [^>]*data-feed="(\w+)" data-hour="([^"]+)" data-pages="(\d+)"', html
    )
    assert sorted(points) == sorted(
        [
            ("orders", now.isoformat(), "12"),
            ("orders", (now - timedelta(hours=5)).isoformat(), "3"),
            ("customers", (now - timedelta(hours=5)).isoformat(), "8"),
        ]
    )  # eight days ago is off the chart
    table = re.search(r'<table id="pages-per-hour">(.*?)</table>', html, re.S).group(1)
    assert len(re.findall(r"<tr><th scope=\"row\">", table)) == 2


def test_the_latest_saved_audit_shows_its_broken_rules_with_example_ids(owner_client):
    now = datetime.now(dt_timezone.utc)
    report = {
        "rules": [
            {
                "rule": "email",
                "text": "emails are valid",
                "required": True,
                "violations": 2,
                "feeds": {"customers": {"violations": 2, "examples": ["17", "g:abc"]}},
            },
            {
                "rule": "currency",
                "text": "ISO 4217",
                "required": True,
                "violations": 0,
                "feeds": {},
            },
        ]
    }
    SavedAudit.objects.create(
        started_at=now - timedelta(days=1), finished_at=now, ok=True, report={"rules": []}
    )
    SavedAudit.objects.create(started_at=now, finished_at=now, ok=False, report=report)
    html = owner_client.get(PAGE).content.decode()
    rules = re.search(r'<table id="audit-rules">(.*?)</table>', html, re.S).group(1)
    assert 'data-rule="email"' in rules
    assert "customers: 17, g:abc" in rules
    assert 'data-rule="currency"' not in rules
    assert "failed" in re.search(r'<p id="audit-summary">(.*?)</p>', html, re.S).group(1)


def test_without_an_audit_the_page_says_how_to_save_one(owner_client):
    assert "manage.py convertedin_feed audit --save" in owner_client.get(PAGE).content.decode()


def test_the_feed_urls_and_where_the_token_is_set_but_never_the_token(owner_client):
    html = owner_client.get(PAGE).content.decode()
    for feed in ("storeinfo", "categories", "products", "customers", "orders", "offers"):
        assert f"<code>POST https://gadgets.example/convertedin/{feed}</code>" in html
    assert "the CONVERTEDIN_FEED[&#x27;TOKENS&#x27;] setting (1 configured)" in html
    token = django_settings.TEST_TOKEN
    assert token not in html
    assert token[:8] not in html


def test_tokens_from_the_environment_are_named_by_their_variable(
    owner_client, settings, monkeypatch
):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True, "TOKENS": None}
    monkeypatch.setenv("CONVERTEDIN_FEED_TOKEN", "env-secret-value-1,env-secret-value-2")
    html = owner_client.get(PAGE).content.decode()
    assert "the CONVERTEDIN_FEED_TOKEN environment variable (2 configured)" in html
    assert "env-secret" not in html


def test_a_feed_whose_adapter_is_missing_shows_why_instead_of_failing(owner_client, settings):
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "orders": "tests.testapp.nowhere.Adapter"}
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": True, "ADAPTERS": adapters}
    response = owner_client.get(PAGE)
    assert response.status_code == 200
    assert "tests.testapp.nowhere.Adapter" in row(response.content.decode(), "orders")


def test_with_stats_off_the_page_says_so(owner_client, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "STATS": False}
    assert "Requests are not counted" in owner_client.get(PAGE).content.decode()


def test_the_chart_scale_is_a_round_number_at_or_above_the_busiest_hour():
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 10, 11, 480)] == [1, 1, 5, 10, 10, 20, 500]


def test_a_feed_name_is_escaped_in_the_chart():
    hour = datetime(2026, 11, 20, 10, tzinfo=dt_timezone.utc)
    svg = hourly_chart([hour], [("<b>x</b>", {hour: 2})])
    assert "<b>" not in svg
    assert 'data-feed="&lt;b&gt;x&lt;/b&gt;"' in svg
