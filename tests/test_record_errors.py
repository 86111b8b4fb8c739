"""One bad record never blocks a shop's sync: served with null and logged, or as RECORD_ERRORS says.

A record cannot be mapped when a required key has no value (a null, a value that is
no ISO code), when a value cannot be rendered, or when a ``dehydrate_`` method
raises. The problem is logged on ``convertedin_feed`` with the record's id.
"""

import logging

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from convertedin_feed.adapters import Field
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.testapp.convertedin import BasketAdapter, MemberAdapter

pytestmark = pytest.mark.django_db


class PhoneCrashAdapter(MemberAdapter):
    def dehydrate_phone(self, row):
        if row["phone"] == "crash":
            raise ValueError("no such number")
        return row["phone"] or None


class QuantityAsTextLines(BasketAdapter.declared["line_items"].adapter):
    quantity = Field(constant="a few")


class TextQuantityAdapter(BasketAdapter):
    line_items = BasketAdapter.declared["line_items"].__class__("lines", QuantityAsTextLines)


def feed_with(policy=None, **adapters):
    setting = {
        **settings.CONVERTEDIN_FEED,
        "ADAPTERS": {**settings.CONVERTEDIN_FEED["ADAPTERS"], **adapters},
    }
    if policy is not None:
        setting["RECORD_ERRORS"] = policy
    return override_settings(CONVERTEDIN_FEED=setting)


def problems(caplog):
    return [r for r in caplog.records if r.name == "convertedin_feed" and hasattr(r, "record_id")]


def ids(response):
    assert response.status_code == 200, response.content
    return [record["id"] for record in response.json()["data"]]


def make_orders():
    good, bad, last = (
        BasketFactory(country="EG"),
        BasketFactory(country="Atlantis"),
        BasketFactory(),
    )
    return good, bad, last


def test_by_default_a_record_without_a_required_value_is_served_with_null_and_logged(pull, caplog):
    good, bad, last = make_orders()
    response = pull("orders")
    assert ids(response) == [good.pk, bad.pk, last.pk]
    served = response.json()["data"][1]
    assert served["country_code"] is None
    assert list(served) == list(response.json()["data"][0])  # every documented key kept
    [problem] = problems(caplog)
    assert problem.levelno == logging.WARNING
    assert problem.record_id == bad.pk
    assert "'country_code'" in problem.getMessage()


def test_skip_leaves_the_record_out_of_its_page_and_logs_it(pull, caplog):
    good, bad, last = make_orders()
    with feed_with("skip"):
        response = pull("orders")
    assert ids(response) == [good.pk, last.pk]
    assert response.json()["total"] == 3  # the page's rows were three: nothing moves
    assert [p.record_id for p in problems(caplog)] == [bad.pk]


class CountryCrashAdapter(BasketAdapter):
    def dehydrate_country_code(self, row):
        if row["country_code"] == "crash":
            raise ValueError("no such country")
        return row["country_code"]


@pytest.mark.parametrize("stage", ["rendering", "mapping"])
def test_under_skip_the_envelope_describes_the_page_as_served(pull, stage):
    """``to`` counts the records served, whichever stage found the problem."""
    BasketFactory.create_batch(3)
    BasketFactory(country="Atlantis" if stage == "rendering" else "crash")
    BasketFactory.create_batch(2)
    with feed_with("skip", orders=f"{__name__}.CountryCrashAdapter"):
        first = pull("orders", per_page=3).json()
        second = pull("orders", page=2, per_page=3).json()
    assert (first["from"], first["to"], len(first["data"])) == (1, 3, 3)
    assert (second["from"], second["to"], len(second["data"])) == (4, 5, 2)
    assert second["total"] == 6


def test_fail_fails_the_page_with_a_json_500_naming_no_data(token, caplog):
    make_orders()
    api = APIClient(raise_request_exception=False)
    with feed_with("fail"):
        response = api.post("/convertedin/orders", {"token": token})
    assert response.status_code == 500
    assert response.json() == {"message": "A record could not be mapped; the shop's logs name it."}
    assert len(problems(caplog)) == 1


@pytest.mark.parametrize("policy", [None, "skip"])
def test_a_dehydrate_method_that_raises_spoils_its_record_only(pull, caplog, policy):
    first, crashing, last = (MemberFactory(phone=p) for p in ("0100", "crash", "0102"))
    with feed_with(policy, customers=f"{__name__}.PhoneCrashAdapter"):
        response = pull("customers")
    if policy == "skip":
        assert ids(response) == [first.pk, last.pk]
    else:
        assert ids(response) == [first.pk, crashing.pk, last.pk]
        assert response.json()["data"][1]["phone"] is None
    [problem] = problems(caplog)
    assert problem.record_id == crashing.pk
    assert "dehydrate_phone() failed" in problem.getMessage()
    assert "no such number" in problem.exc_text


def test_a_value_that_cannot_be_rendered_is_null_and_logged(pull, caplog):
    basket = BasketFactory()
    BasketLineFactory(basket=basket)
    with feed_with(orders=f"{__name__}.TextQuantityAdapter"):
        response = pull("orders")
    [line] = response.json()["data"][0]["line_items"]
    assert line["quantity"] is None
    [problem] = problems(caplog)
    assert "'quantity' cannot be rendered from 'a few'" in problem.getMessage()


def test_a_clean_page_logs_no_problem(pull, caplog):
    MemberFactory.create_batch(3)
    BasketFactory.create_batch(2)
    assert pull("customers").status_code == pull("orders").status_code == 200
    assert problems(caplog) == []


class PickyLines(BasketAdapter.declared["line_items"].adapter):
    def dehydrate_price(self, row):
        if row["quantity"] == 13:
            raise ArithmeticError("unlucky")
        return row["price"]


class PickyLinesAdapter(BasketAdapter):
    line_items = BasketAdapter.declared["line_items"].__class__("lines", PickyLines)


@pytest.mark.parametrize(("policy", "kept"), [(None, 3), ("skip", 2)])
def test_a_bad_line_item_spoils_itself_not_its_order(pull, caplog, policy, kept):
    basket = BasketFactory()
    for quantity in (1, 13, 2):
        BasketLineFactory(basket=basket, quantity=quantity)
    with feed_with(policy, orders=f"{__name__}.PickyLinesAdapter"):
        response = pull("orders")
    [order] = response.json()["data"]
    assert order["id"] == basket.pk
    assert len(order["line_items"]) == kept
    # Checked once: the failure and the null price it leaves are one problem of one
    # line, named by its own id and its order's.
    [problem] = problems(caplog)
    line = basket.lines.get(quantity=13)
    assert problem.getMessage().startswith(f"LineItem record {line.pk} of Order {basket.pk}: ")
    assert "dehydrate_price() failed" in problem.getMessage()
    assert "no value for the required 'price'" in problem.getMessage()
    assert problem.record_id == line.pk
