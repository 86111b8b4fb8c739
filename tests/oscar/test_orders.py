"""The orders feed of an Oscar shop: Oscar's own figures, key by key."""

import logging
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from convertedin_feed.adapters import Field
from convertedin_feed.checks import TAG
from convertedin_feed.conf import forget
from convertedin_feed.contrib.oscar.orders import (
    OscarOrderAdapter,
    cancelled_statuses,
    financial_status,
)
from tests.oscar.conftest import build_shop, place_order, product, shipping_address

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")

DOCUMENTED_KEYS = [
    "id",
    "ordered_at",
    "total_price",
    "subtotal_price",
    "total_tax",
    "taxes_included",
    "currency",
    "country_code",
    "financial_status",
    "total_discounts",
    "phone",
    "customer_locale",
    "contact_email",
    "line_items",
    "customer",
]


def records(pull, feed="orders"):
    response = pull(feed, per_page=1000)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def by_id(pull, feed="orders"):
    return {record["id"]: record for record in records(pull, feed)}


def money(value):
    """A served amount as the Decimal it stands for (JSON numbers are written exactly)."""
    return Decimal(str(value))


def test_the_contrib_app_serves_the_orders_with_no_adapters_setting(pull, shop, settings):
    assert "ADAPTERS" not in settings.CONVERTEDIN_FEED
    served = [record["id"] for record in records(pull)]
    staff_orders = set(Order.objects.filter(user__is_staff=True).values_list("pk", flat=True))
    assert staff_orders
    assert served == [order.pk for order in shop.orders if order.pk not in staff_orders]


def test_a_record_has_exactly_the_documented_keys_in_order(pull, shop):
    assert all(list(record) == DOCUMENTED_KEYS for record in records(pull))


def test_the_adapters_name_oscar_s_models_by_label_so_a_fork_s_are_read():
    # Forked Oscar apps keep the label "order": the registry gives the fork's model.
    assert OscarOrderAdapter.get_model() is get_model("order", "Order")


def test_every_total_equals_what_oscar_s_own_properties_compute(pull, shop):
    served = by_id(pull)
    assert any(order.total_discount_incl_tax for order in shop.offer_orders)
    assert any(order.shipping_incl_tax for order in shop.orders)
    for order in Order.objects.exclude(user__is_staff=True):
        record = served[order.pk]
        assert money(record["total_price"]) == order.total_incl_tax
        assert money(record["subtotal_price"]) == order.basket_total_incl_tax
        assert money(record["total_tax"]) == order.total_tax
        assert money(record["total_discounts"]) == order.total_discount_incl_tax
        assert record["taxes_included"] == 1


def test_surcharges_are_not_part_of_the_subtotal_as_in_oscar(pull, db):
    order = place_order([(product("Mug", "45.50"), 1)])
    order.surcharges.create(
        name="Cash on delivery", code="cod", incl_tax=Decimal("11.40"), excl_tax=Decimal("10.00")
    )
    order.total_incl_tax += Decimal("11.40")
    order.total_excl_tax += Decimal("10.00")
    order.save()
    [record] = records(pull)
    assert money(record["subtotal_price"]) == order.basket_total_incl_tax == Decimal("51.87")
    assert money(record["total_price"]) == order.total_incl_tax == Decimal("63.27")


def test_discounts_of_a_real_offer_are_oscar_s_total_discount_incl_tax(pull, shop):
    served = by_id(pull)
    for order in shop.offer_orders:
        lines = order.lines.all()
        assert all(
            line.line_price_before_discounts_incl_tax > line.line_price_incl_tax for line in lines
        )
        assert money(served[order.pk]["total_discounts"]) == order.total_discount_incl_tax > 0


def test_ordered_at_is_date_placed_in_the_project_time_zone(pull, db):
    order = place_order([(product("Mug", "45.50"), 1)])
    Order.objects.filter(pk=order.pk).update(
        date_placed=datetime(2020, 12, 15, 17, 0, tzinfo=timezone.utc)
    )
    [record] = records(pull)
    assert record["ordered_at"] == "2020-12-15 19:00:00"  # Cairo, UTC+2


def test_country_code_is_the_shipping_address_s_country_key(pull, db):
    saudi = place_order(
        [(product("Mug", "45.50"), 1)],
        address=shipping_address(
            country=get_model("address", "Country").objects.create(
                iso_3166_1_a2="SA", printable_name="Saudi Arabia"
            )
        ),
    )
    assert saudi.shipping_address.country.pk == "SA"
    [record] = records(pull)
    assert record["country_code"] == "SA"


def test_an_order_without_a_shipping_address_has_no_country_and_is_logged(pull, db, caplog):
    order = place_order([(product("E-book", "99.00"), 1)], guest_email="reader@example.com")
    Order.objects.filter(pk=order.pk).update(shipping_address=None)
    with caplog.at_level(logging.WARNING, logger="convertedin_feed"):
        [record] = records(pull)
    assert (record["country_code"], record["phone"]) == (None, None)
    assert any(f"record {order.pk}" in message for message in caplog.messages)


class LocaleOrderAdapter(OscarOrderAdapter):
    customer_locale = Field(constant="ar")
    total_discounts = Field(constant=0)


def test_a_subclass_named_in_adapters_changes_only_its_keys(pull, shop, settings):
    before = by_id(pull)
    settings.CONVERTEDIN_FEED = {
        **settings.CONVERTEDIN_FEED,
        "ADAPTERS": {"orders": "tests.oscar.test_orders.LocaleOrderAdapter"},
    }
    after = by_id(pull)
    assert {record["customer_locale"] for record in after.values()} == {"ar"}
    assert {record["total_discounts"] for record in after.values()} == {0}
    assert any(record["total_discounts"] for record in before.values())
    for pk, record in after.items():
        unchanged = {
            k: v for k, v in record.items() if k not in ("customer_locale", "total_discounts")
        }
        assert unchanged == {k: before[pk][k] for k in unchanged}


def test_phone_is_the_shipping_address_s_and_contact_email_is_order_email(pull, shop):
    served = by_id(pull)
    for order in Order.objects.exclude(user__is_staff=True).exclude(shipping_address=None):
        record = served[order.pk]
        assert record["phone"] == str(order.shipping_address.phone_number)
        # Order.email, without the spaces a guest typed around it
        assert record["contact_email"] == (order.email.strip() or None)


def test_an_account_s_order_links_to_the_account_and_a_guest_s_to_the_guest(pull, shop):
    served = by_id(pull)
    customers = {record["id"]: record for record in records(pull, "customers")}
    for order in shop.guest_orders:
        guest = customers[served[order.pk]["customer"]["id"]]
        assert guest["email"] == order.guest_email.strip().lower()
    for order in shop.orders:
        if order.user_id is not None and not order.user.is_staff:
            assert served[order.pk]["customer"] == {"id": order.user_id}


def test_a_deleted_account_s_order_cannot_be_linked_and_is_logged(pull, shop, caplog):
    [order] = shop.deleted_account_orders
    assert (order.user_id, order.guest_email) == (None, "")
    with caplog.at_level(logging.WARNING, logger="convertedin_feed"):
        record = by_id(pull)[order.pk]
    assert (record["customer"], record["contact_email"]) == (None, None)
    assert any(str(order.pk) in message for message in caplog.messages)


def test_line_items_are_oscar_s_lines_at_their_unit_price_including_tax(pull, shop):
    served = by_id(pull)
    order = shop.offer_orders[0]
    assert served[order.pk]["line_items"] == [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "price": float(line.unit_price_incl_tax),
        }
        for line in order.lines.order_by("pk")
    ]


def test_a_line_whose_product_was_deleted_is_dropped_by_default(pull, shop, caplog):
    [order] = shop.deleted_product_orders
    gone, kept = order.lines.order_by("pk")
    assert (gone.product_id, kept.product_id is not None) == (None, True)
    with caplog.at_level(logging.WARNING, logger="convertedin_feed"):
        items = by_id(pull)[order.pk]["line_items"]
    assert [item["product_id"] for item in items] == [kept.product_id]
    assert any("has no product" in message for message in caplog.messages)


def test_under_the_fallback_policy_a_deleted_product_s_line_is_served_with_its_sku(
    pull, shop, settings
):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "MISSING_PRODUCTS": "fallback"}
    [order] = shop.deleted_product_orders
    gone, kept = order.lines.order_by("pk")
    items = by_id(pull)[order.pk]["line_items"]
    assert [item["product_id"] for item in items] == [gone.partner_sku, kept.product_id]


def test_financial_status_by_default_cancelled_is_canceled_and_any_other_successful(pull, shop):
    served = by_id(pull)
    [cancelled] = shop.cancelled_orders
    assert cancelled.status == "Cancelled"
    assert served[cancelled.pk]["financial_status"] == "canceled"
    others = {r["financial_status"] for pk, r in served.items() if pk != cancelled.pk}
    assert others == {"successful"}


def test_financial_status_follows_the_setting_status_by_status(pull, shop, settings):
    settings.CONVERTEDIN_FEED = {
        **settings.CONVERTEDIN_FEED,
        "OSCAR_FINANCIAL_STATUSES": {"Pending": "processing", "Refunded": "refunded"},
    }
    order = shop.guest_orders[0]
    order.set_status("Being processed")
    refunded = shop.guest_orders[1]
    Order.objects.filter(pk=refunded.pk).update(status="Refunded")
    served = by_id(pull)
    assert served[shop.guest_orders[2].pk]["financial_status"] == "processing"
    assert served[order.pk]["financial_status"] == "successful"  # not in the setting
    assert served[refunded.pk]["financial_status"] == "refunded"
    assert served[shop.cancelled_orders[0].pk]["financial_status"] == "canceled"


def test_cancelled_statuses_come_from_oscar_s_cascade_and_pipeline(settings):
    assert cancelled_statuses() == ("Cancelled",)
    settings.OSCAR_ORDER_STATUS_PIPELINE = {"Nouvelle": ("Annulée",), "Annulée": ()}
    settings.OSCAR_ORDER_STATUS_CASCADE = {"Annulée": "Cancelled", "Expédiée": "Shipped"}
    assert cancelled_statuses() == ("Annulée",)
    assert (financial_status("Annulée"), financial_status("Nouvelle")) == (
        "canceled",
        "successful",
    )


def test_the_cancelled_statuses_setting_wins_over_oscar_s(settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "OSCAR_CANCELLED_STATUSES": ["Void"]}
    assert cancelled_statuses() == ("Void",)
    assert (financial_status("Void"), financial_status("Cancelled")) == ("canceled", "successful")


def crawl_query_counts(pull, feed, per_page):
    """Queries per page of a crawl from page 1 to the last."""
    counts, page, last_page = [], 1, 1
    while page <= last_page:
        with CaptureQueriesContext(connection) as captured:
            response = pull(feed, page=page, per_page=per_page)
        assert response.status_code == 200
        last_page = response.json()["last_page"]
        counts.append(len(captured.captured_queries))
        page += 1
    return counts


def test_queries_per_page_are_fixed_whatever_the_data_size(pull, db):
    build_shop(customers=2)
    forget()
    small = crawl_query_counts(pull, "orders", 4)
    build_shop(customers=10)
    forget()
    for cache in caches.all():
        cache.clear()  # a cold crawl again
    large = crawl_query_counts(pull, "orders", 4)
    assert len(large) > len(small) > 2
    # A running crawl: the page's orders, then their lines; the cold first page counts too.
    assert set(small[1:]) == set(large[1:]) == {2}
    assert small[0] == large[0]


def test_the_system_checks_find_nothing_wrong_with_the_customers_and_orders_adapters():
    from django.core import checks

    problems = [
        problem
        for problem in checks.run_checks(tags=[TAG])
        if problem.id and problem.id.startswith("convertedin_feed")
    ]
    assert problems == []
