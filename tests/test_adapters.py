"""Adapters map the shop's own models onto the documented keys, each feature declared once."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Concat, Upper
from django.test import override_settings
from rest_framework.test import APIClient

from convertedin_feed.adapters import (
    CustomerAdapter,
    FeedAdapter,
    Field,
    LineItemAdapter,
    Related,
    StoreAdapter,
)
from convertedin_feed.exceptions import FeedConfigurationError, UnknownFeed
from convertedin_feed.feeds import CUSTOMERS, ORDERS, PRODUCTS, STOREINFO, app_adapters
from convertedin_feed.plans import plan_for
from convertedin_feed.schemas import CustomerSerializer
from tests.factories import BasketFactory, BasketLineFactory, MemberFactory
from tests.providerapp.convertedin import ProvidedStoreAdapter
from tests.testapp.convertedin import BasketAdapter, GadgetAdapter, MemberAdapter
from tests.testapp.models import Basket

pytestmark = pytest.mark.django_db


class BareMemberAdapter(CustomerAdapter):
    """Declares nothing: keys named like the model's fields map themselves."""

    class Meta:
        model = "testapp.Member"


class FeatureMemberAdapter(CustomerAdapter):
    email = Field(Upper("email"))  # an ORM expression
    last_name = Field(expression=Concat("last_name", Value(" (member)")))
    currency = Field(constant="EGP")
    registered_at = Field("created")
    gender = Field("gender_code", value_map={"m": "male", "f": "female"}, default="unknown")
    phone = Field("phone")

    class Meta:
        model = "testapp.Member"
        extra_keys = ("accepts_marketing", "full_name")

    accepts_marketing = Field(constant=False)
    full_name = Field("first_name")

    def dehydrate_phone(self, row):
        return f"+20{row['phone'][1:]}" if row["phone"] else None

    def dehydrate_full_name(self, row):
        return f"{row['full_name']} {row['last_name']}"


class PathOrderAdapter(BasketAdapter):
    contact_email = Field("member__email")  # a path across a relation
    financial_status = Field("status", value_map={"paid": "successful"})


class LineWithoutModel(LineItemAdapter):
    product_id = Field("sku")
    price = Field(F("unit_price") * 2)


class DerivedLineOrderAdapter(BasketAdapter):
    line_items = Related("lines", LineWithoutModel)


def customers_with(adapter, pull, **fields):
    path = f"{__name__}.{adapter.__name__}"
    with override_settings(
        CONVERTEDIN_FEED={"TOKENS": [pull.token], "ADAPTERS": {"customers": path}}
    ):
        response = pull("customers", **fields)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def orders_with(adapter, pull):
    path = f"{__name__}.{adapter.__name__}"
    with override_settings(CONVERTEDIN_FEED={"TOKENS": [pull.token], "ADAPTERS": {"orders": path}}):
        response = pull("orders")
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.fixture
def pull(pull, token):
    pull.token = token
    return pull


def test_keys_named_like_model_fields_need_no_mapping(pull):
    member = MemberFactory(phone="0100")
    [record] = customers_with(BareMemberAdapter, pull)
    assert (record["email"], record["first_name"], record["last_name"], record["phone"]) == (
        member.email,
        member.first_name,
        member.last_name,
        "0100",
    )


def test_keys_with_no_source_are_null(pull):
    MemberFactory()
    [record] = customers_with(BareMemberAdapter, pull)
    # The model has no registered_at or currency; gender falls back to "unknown".
    assert (record["registered_at"], record["currency"], record["gender"]) == (
        None,
        None,
        "unknown",
    )


def test_an_orm_expression_is_computed_by_the_database(pull):
    MemberFactory(email="ali@example.com", last_name="Hassan")
    [record] = customers_with(FeatureMemberAdapter, pull)
    assert (record["email"], record["last_name"]) == ("ALI@EXAMPLE.COM", "Hassan (member)")


def test_a_constant_serves_every_record(pull):
    MemberFactory.create_batch(2)
    assert [r["currency"] for r in customers_with(FeatureMemberAdapter, pull)] == ["EGP", "EGP"]


@pytest.mark.parametrize(("stored", "rendered"), [("m", "male"), ("f", "female"), ("x", "unknown")])
def test_a_value_map_translates_an_enumeration(pull, stored, rendered):
    MemberFactory(gender_code=stored)
    [record] = customers_with(FeatureMemberAdapter, pull)
    assert record["gender"] == rendered


def test_a_value_map_without_default_passes_unknown_values_through(pull):
    BasketFactory(status="paid")
    BasketFactory(status="refunded")
    records = orders_with(PathOrderAdapter, pull)
    assert [r["financial_status"] for r in records] == ["successful", "refunded"]


def test_a_method_computes_what_only_python_can(pull):
    MemberFactory(phone="01000000001")
    MemberFactory(phone="")
    records = customers_with(FeatureMemberAdapter, pull)
    assert [r["phone"] for r in records] == ["+201000000001", None]


def test_extra_keys_follow_the_documented_ones_which_stay_as_documented(pull):
    MemberFactory(first_name="Bob", last_name="Norman")
    [record] = customers_with(FeatureMemberAdapter, pull)
    assert list(record) == [*CustomerSerializer.documented_keys(), "accepts_marketing", "full_name"]
    assert (record["accepts_marketing"], record["full_name"]) == (False, "Bob Norman (member)")


def test_a_path_across_a_relation(pull):
    basket = BasketFactory(email="checkout@example.com")
    [record] = orders_with(PathOrderAdapter, pull)
    assert record["contact_email"] == basket.member.email


def test_aggregates_span_the_shop_s_relations(pull):
    member = MemberFactory()
    BasketFactory(member=member, total=Decimal("1.50"))
    BasketFactory(member=member, total=Decimal("2.25"))
    [record] = customers_with(MemberAdapter, pull)
    assert (record["orders_count"], record["total_spent"]) == (2, 3.75)


def test_related_line_items_take_the_child_model_from_the_relation(pull):
    basket = BasketFactory()
    BasketLineFactory(basket=basket, sku=7, quantity=3, unit_price=Decimal("2.50"))
    [record] = orders_with(DerivedLineOrderAdapter, pull)
    assert record["line_items"] == [{"product_id": 7, "quantity": 3, "price": 5}]


def test_get_queryset_decides_which_rows_are_published(pull):
    MemberFactory(is_staff_account=True)
    MemberFactory()
    assert len(customers_with(MemberAdapter, pull)) == 1
    assert len(customers_with(BareMemberAdapter, pull)) == 2


def test_a_feed_reads_its_adapter_setting_on_every_call(rf):
    request = rf.post("/")
    assert isinstance(CUSTOMERS.get_adapter(request), MemberAdapter)
    with override_settings(
        CONVERTEDIN_FEED={"ADAPTERS": {"customers": f"{__name__}.BareMemberAdapter"}}
    ):
        adapter = CUSTOMERS.get_adapter(request)
    assert isinstance(adapter, BareMemberAdapter)
    assert adapter.request is request


def test_an_unconfigured_feed_is_a_configuration_error():
    with (
        override_settings(CONVERTEDIN_FEED={"ADAPTERS": {}}),
        pytest.raises(UnknownFeed, match="products") as caught,
    ):
        PRODUCTS.get_adapter()
    assert isinstance(caught.value, ImproperlyConfigured)


PROVIDER = "tests.providerapp"


def test_an_installed_app_can_provide_the_adapters(settings):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, PROVIDER],
        CONVERTEDIN_FEED={"ADAPTERS": {}},
    ):
        assert PRODUCTS.get_adapter_class() is GadgetAdapter
        assert STOREINFO.get_adapter_class() is ProvidedStoreAdapter  # over the feed's default
        assert app_adapters()["products"][0] == PROVIDER
        with pytest.raises(UnknownFeed, match="customers"):
            CUSTOMERS.get_adapter()  # what the app does not provide still needs ADAPTERS


def test_the_adapters_setting_wins_over_an_installed_apps_adapter(settings):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, PROVIDER],
        CONVERTEDIN_FEED={"ADAPTERS": {"storeinfo": "convertedin_feed.adapters.StoreAdapter"}},
    ):
        assert STOREINFO.get_adapter_class() is StoreAdapter


def test_a_provided_adapter_that_does_not_import_names_the_app(settings):
    with (
        override_settings(
            INSTALLED_APPS=[*settings.INSTALLED_APPS, f"{PROVIDER}.apps.BrokenProviderConfig"],
            CONVERTEDIN_FEED={"ADAPTERS": {}},
        ),
        pytest.raises(
            FeedConfigurationError, match=r"installed app 'tests\.providerapp'"
        ) as caught,
    ):
        ORDERS.get_adapter()
    assert "tests.nowhere.OrderAdapter" in str(caught.value)


def test_storeinfo_needs_no_adapter_setting():
    with override_settings(CONVERTEDIN_FEED={"ADAPTERS": {}}):
        assert type(STOREINFO.get_adapter()) is StoreAdapter


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.nowhere.Adapter", "does not import"),
        ("tests.factories.MemberFactory", "not a CustomerAdapter"),
        ("tests.testapp.convertedin.BasketAdapter", "not a CustomerAdapter"),
    ],
)
def test_a_bad_adapter_path_is_a_configuration_error(path, message):
    with (
        override_settings(CONVERTEDIN_FEED={"ADAPTERS": {"customers": path}}),
        pytest.raises(FeedConfigurationError, match=message),
    ):
        CUSTOMERS.get_adapter()


@pytest.mark.parametrize(
    "arguments",
    [{}, {"attribute": "a", "constant": 1}, {"expression": "not an expression"}],
)
def test_a_field_takes_exactly_one_source(arguments):
    with pytest.raises(FeedConfigurationError):
        Field(**arguments)


def test_an_adapter_without_a_model_says_so():
    class NoModel(FeedAdapter):
        pass

    with pytest.raises(FeedConfigurationError, match=r"no Meta\.model"):
        NoModel.get_model()


def test_meta_options_are_inherited_one_by_one():
    class Child(FeatureMemberAdapter):
        class Meta:
            extra_keys = ()

    assert Child.get_model().__name__ == "Member"
    assert Child.option("extra_keys") == ()


def test_the_plan_is_compiled_once_per_adapter_class():
    keys = CustomerSerializer.documented_keys()
    assert plan_for(MemberAdapter, keys) is plan_for(MemberAdapter, dict(keys))
    assert plan_for(MemberAdapter, keys) is not plan_for(FeatureMemberAdapter, keys)


def test_plans_and_formatters_are_forgotten_when_the_settings_change(settings):
    keys = CustomerSerializer.documented_keys()
    plan, formatter = plan_for(MemberAdapter, keys), CustomerSerializer.formatter()
    settings.CONVERTEDIN_FEED = {**settings.CONVERTEDIN_FEED, "DEFAULT_PER_PAGE": 7}
    assert plan_for(MemberAdapter, keys) is not plan
    assert CustomerSerializer.formatter() is not formatter


class PaidMembersByJoin(MemberAdapter):
    """Filters across a to-many relation: the join repeats a member once per paid basket."""

    def get_queryset(self):
        return super().get_queryset().filter(baskets__status="paid")


class PaidMembersByExtraTable(MemberAdapter):
    """The same repetition, through a table ``extra()`` adds: no join the ORM can see."""

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .extra(
                tables=["testapp_basket"], where=["testapp_basket.member_id = testapp_member.id"]
            )
        )


@pytest.mark.parametrize(
    ("adapter", "said"),
    [
        (PaidMembersByJoin, "joins the to-many relation baskets"),
        (PaidMembersByExtraTable, "a page holds a record twice"),
    ],
)
def test_a_page_never_holds_a_record_twice(caplog, token, adapter, said):
    member = MemberFactory()
    BasketFactory.create_batch(2, member=member)
    path = f"{__name__}.{adapter.__name__}"
    with override_settings(CONVERTEDIN_FEED={"TOKENS": [token], "ADAPTERS": {"customers": path}}):
        response = APIClient(raise_request_exception=False).post(
            "/convertedin/customers", {"token": token}, format="multipart"
        )
    assert response.status_code == 500
    assert response.json() == {"message": "The feed could not be served."}
    [failure] = [r for r in caplog.records if r.exc_info]
    assert said in str(failure.exc_info[1])
    assert adapter.__qualname__ in str(failure.exc_info[1])


class PaidMembersByExists(MemberAdapter):
    def get_queryset(self):
        paid = Basket.objects.filter(member=OuterRef("pk"), status="paid")
        return super().get_queryset().filter(Exists(paid))


def test_filtering_across_a_to_many_relation_with_exists_serves_each_record_once(pull):
    member = MemberFactory()
    BasketFactory.create_batch(2, member=member)
    MemberFactory()
    assert [r["id"] for r in customers_with(PaidMembersByExists, pull)] == [member.pk]


class UngenderedMemberAdapter(MemberAdapter):
    gender = None  # drops MemberAdapter's mapping: Member has no field named gender


def test_a_key_set_to_none_drops_the_inherited_declaration(pull):
    MemberFactory(gender_code="f")
    assert MemberAdapter.declared["gender"] is not None
    assert "gender" not in UngenderedMemberAdapter.declared
    [record] = customers_with(UngenderedMemberAdapter, pull)
    assert record["gender"] == "unknown"
