"""The customers feed renders every documented key with the documented type and format."""

import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.factories import BasketFactory, MemberFactory

pytestmark = pytest.mark.django_db

DOCUMENTED_KEYS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "orders_count",
    "total_spent",
    "currency",
    "phone",
    "registered_at",
    "gender",
]
Y_M_D_H_I_S = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def only_record(pull):
    response = pull("customers")
    assert response.status_code == 200, response.content
    [record] = response.json()["data"]
    return record


def test_a_record_has_exactly_the_documented_keys_in_order(pull):
    MemberFactory()
    assert list(only_record(pull)) == DOCUMENTED_KEYS


def test_each_key_has_the_documented_type(pull):
    member = MemberFactory(
        first_name="صالح", last_name="عادل", phone="01000000001", gender_code="m"
    )
    BasketFactory.create_batch(2, member=member, total=Decimal("92.00"))
    record = only_record(pull)
    assert record == {
        "id": member.pk,
        "email": member.email,
        "first_name": "صالح",
        "last_name": "عادل",
        "orders_count": 2,
        "total_spent": 184,
        "currency": "USD",
        "phone": "01000000001",
        "registered_at": record["registered_at"],
        "gender": "male",
    }
    assert Y_M_D_H_I_S.match(record["registered_at"])


def test_registered_at_is_in_the_project_time_zone(pull):
    # 17:00 UTC is 19:00 in Cairo in December (UTC+2), the documents' own example.
    MemberFactory(created=datetime(2020, 12, 15, 17, 0, tzinfo=timezone.utc))
    assert only_record(pull)["registered_at"] == "2020-12-15 19:00:00"


def test_registered_at_follows_the_feed_time_zone_setting(pull, settings):
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "TIME_ZONE": "UTC"}
    MemberFactory(created=datetime(2020, 12, 15, 17, 0, tzinfo=timezone.utc))
    assert only_record(pull)["registered_at"] == "2020-12-15 17:00:00"


def test_money_is_a_number_not_a_string(pull):
    member = MemberFactory()
    BasketFactory(member=member, total=Decimal("199.65"))
    BasketFactory(member=member, total=Decimal("0.10"))
    assert only_record(pull)["total_spent"] == 199.75


def test_aggregates_count_only_what_the_adapter_filters(pull):
    member = MemberFactory()
    BasketFactory(member=member, total=Decimal("10.00"), status="paid")
    BasketFactory(member=member, total=Decimal("99.00"), status="cancelled")
    record = only_record(pull)
    assert (record["orders_count"], record["total_spent"]) == (1, 10)


def test_a_customer_without_orders_has_zero_not_null(pull):
    MemberFactory()
    record = only_record(pull)
    assert (record["orders_count"], record["total_spent"]) == (0, 0)


@pytest.mark.parametrize(
    ("stored", "rendered"), [("m", "male"), ("f", "female"), ("x", "unknown"), ("", "unknown")]
)
def test_gender_is_male_female_or_unknown(pull, stored, rendered):
    MemberFactory(gender_code=stored)
    assert only_record(pull)["gender"] == rendered


def test_a_missing_phone_is_null(pull):
    MemberFactory(phone="")
    assert only_record(pull)["phone"] is None


def test_rows_the_adapter_leaves_out_are_not_served(pull):
    MemberFactory(is_staff_account=True)
    visible = MemberFactory()
    response = pull("customers").json()
    assert [record["id"] for record in response["data"]] == [visible.pk]
    assert response["total"] == 1


def test_arabic_text_arrives_intact(pull):
    MemberFactory(first_name="صالح", last_name="عادل")
    response = pull("customers")
    assert "صالح".encode() in response.content
    assert only_record(pull)["last_name"] == "عادل"
