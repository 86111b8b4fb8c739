"""``manage.py check`` names each misconfiguration with an id and a hint."""

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Lower, NullIf
from django.test import override_settings

from convertedin_feed.adapters import CustomerAdapter, Field, Related
from convertedin_feed.checks import TAG
from tests import settings as test_settings
from tests.testapp.commerce import AccountAdapter, GuestOrderAdapter
from tests.testapp.convertedin import (
    BasketAdapter,
    BasketLineAdapter,
    MemberAdapter,
    SectionAdapter,
)
from tests.testapp.feeds import OfferAdapter
from tests.testapp.models import Basket

GOOD_TOKEN = "g" * 40
ADAPTERS = test_settings.CONVERTEDIN_FEED["ADAPTERS"]
#: The test project's feeds, site and store: what every check below starts from.
BASE = {name: test_settings.CONVERTEDIN_FEED[name] for name in ("FEEDS", "SITE_URL", "STORE")}


class TypoAdapter(CustomerAdapter):
    emial = Field("email")

    class Meta:
        model = "testapp.Member"


class ExtraWithoutSourceAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Member"
        extra_keys = ("accepts_marketing",)


class BadPathAdapter(CustomerAdapter):
    email = Field("mail")

    class Meta:
        model = "testapp.Member"


class BadModelAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Nothing"


class MissingRequiredAdapter(CustomerAdapter):
    class Meta:
        model = "testapp.Member"


def feed_messages(secure_ssl_redirect=True, **feed_setting):
    setting = {**BASE, "TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS, **feed_setting}
    with override_settings(CONVERTEDIN_FEED=setting, SECURE_SSL_REDIRECT=secure_ssl_redirect):
        return [
            m
            for m in run_checks(tags=[TAG], include_deployment_checks=True)
            if m.id.startswith("convertedin_feed.")
        ]


def only(messages, prefix="convertedin_feed."):
    matching = [m for m in messages if m.id.startswith(prefix)]
    assert len(matching) == 1, messages
    return matching[0]


def test_a_correct_configuration_passes_clean():
    assert feed_messages() == []


def test_manage_py_check_passes_on_the_test_project(capsys):
    with override_settings(CONVERTEDIN_FEED={**BASE, "TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS}):
        call_command("check")
    assert "no issues" in capsys.readouterr().out


def test_a_missing_token_is_reported(monkeypatch):
    monkeypatch.delenv("CONVERTEDIN_FEED_TOKEN", raising=False)
    message = only(feed_messages(TOKENS=None))
    assert (message.id, type(message)) == ("convertedin_feed.W001", Warning)
    assert "No Converted.in token" in message.msg
    assert "CONVERTEDIN_FEED_TOKEN" in message.hint


def test_a_token_from_the_environment_counts(monkeypatch):
    monkeypatch.setenv("CONVERTEDIN_FEED_TOKEN", GOOD_TOKEN)
    assert feed_messages(TOKENS=None) == []


def test_a_short_token_is_reported_without_revealing_it():
    message = only(feed_messages(TOKENS=[GOOD_TOKEN, "short-secret"]))
    assert message.id == "convertedin_feed.W002"
    assert "12 characters" in message.msg
    assert "short-secret" not in message.msg + message.hint


def test_an_unknown_setting_is_reported():
    message = only(feed_messages(MAX_PERPAGE=50))
    assert (message.id, type(message)) == ("convertedin_feed.E001", Error)
    assert "MAX_PERPAGE" in message.msg
    assert "MAX_PER_PAGE" in message.hint


@pytest.mark.parametrize(("name", "value"), [("MAX_PER_PAGE", 0), ("DEFAULT_PER_PAGE", "100")])
def test_page_sizes_must_be_whole_numbers(name, value):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert name in message.msg


@pytest.mark.parametrize(
    ("name", "value", "where"),
    [("DATABASE", "replika", "settings.DATABASES"), ("CACHE", "redis", "settings.CACHES")],
)
def test_database_and_cache_must_name_configured_aliases(name, value, where):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert f"[{name!r}] = {value!r} is not an alias in {where}" in message.msg
    assert "'default'" in message.hint


@pytest.mark.parametrize("value", [0, -5, "300", 1.5, None])
def test_the_cache_timeout_is_whole_seconds(value):
    message = only(feed_messages(CACHE_TIMEOUT=value))
    assert message.id == "convertedin_feed.E001"
    assert "CACHE_TIMEOUT" in message.msg


@pytest.mark.parametrize(("name", "value"), [("DATABASE", "replica"), ("CACHE", None)])
def test_a_replica_alias_or_no_cache_is_fine(name, value):
    assert feed_messages(**{name: value}) == []


def test_an_unknown_time_zone_is_reported():
    message = only(feed_messages(TIME_ZONE="Mars/Olympus"))
    assert message.id == "convertedin_feed.E001"
    assert "Mars/Olympus" in message.msg


def test_a_feed_without_an_adapter_is_reported():
    adapters = {feed: path for feed, path in ADAPTERS.items() if feed != "orders"}
    message = only(feed_messages(ADAPTERS=adapters))
    assert (message.id, type(message)) == ("convertedin_feed.E002", Error)
    assert "'orders'" in message.msg
    assert 'CONVERTEDIN_FEED["ADAPTERS"]' in message.hint


def test_an_adapter_path_that_does_not_import_is_reported():
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": "shop.nowhere.ClientAdapter"}))
    assert message.id == "convertedin_feed.E003"
    assert "shop.nowhere.ClientAdapter" in message.msg
    assert "does not import" in message.msg


def test_a_path_to_something_that_is_not_an_adapter_is_reported():
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": "tests.testapp.models.Member"}))
    assert message.id == "convertedin_feed.E003"
    assert "not a CustomerAdapter" in message.msg


@pytest.mark.parametrize(
    ("adapter", "fragment"),
    [("BadPathAdapter", "mail"), ("BadModelAdapter", "testapp.Nothing")],
)
def test_a_mapping_that_does_not_fit_the_models_is_reported(adapter, fragment):
    message = only(feed_messages(ADAPTERS={**ADAPTERS, "customers": f"{__name__}.{adapter}"}))
    assert message.id == "convertedin_feed.E004"
    assert fragment in message.msg


def test_a_mapping_that_names_an_unknown_key_is_reported():
    messages = feed_messages(ADAPTERS={**ADAPTERS, "customers": f"{__name__}.TypoAdapter"})
    message = only(messages, "convertedin_feed.E")
    assert (message.id, type(message)) == ("convertedin_feed.E005", Error)
    assert "'emial'" in message.msg
    assert "did you mean 'email'?" in message.msg
    assert "Meta.extra_keys" in message.hint


def test_an_extra_key_without_a_source_is_reported():
    messages = feed_messages(
        ADAPTERS={**ADAPTERS, "customers": f"{__name__}.ExtraWithoutSourceAdapter"}
    )
    message = only(messages, "convertedin_feed.E")
    assert message.id == "convertedin_feed.E005"
    assert "'accepts_marketing'" in message.msg


def test_a_required_key_with_no_source_is_reported():
    messages = feed_messages(
        ADAPTERS={**ADAPTERS, "customers": f"{__name__}.MissingRequiredAdapter"}
    )
    assert {m.id for m in messages} == {"convertedin_feed.W003"}
    assert sorted(m.msg.split("required key ")[1].split(";")[0] for m in messages) == [
        "'currency'",
        "'orders_count'",
        "'registered_at'",
        "'total_spent'",
    ]


# ---------------------------------------------------------------------------
# Who gets in, and how much


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOWED_NETWORKS", "10.0.0.0/8"),
        ("ALLOWED_NETWORKS", ["10.0.0.0/8", "not-a-network"]),
        ("CLIENT_ADDRESS_HEADER", ""),
        ("CLIENT_ADDRESS_HEADER", ["X-Forwarded-For"]),
        ("THROTTLE_RATES", {"token": "lots"}),
        ("THROTTLE_RATES", {"ip": "10/min"}),
        ("THROTTLE_RATES", "10/min"),
        ("MAX_BODY_SIZE", 0),
        ("RECORD_ERRORS", "ignore"),
    ],
)
def test_access_settings_must_be_well_formed(name, value):
    message = only(feed_messages(**{name: value}))
    assert message.id == "convertedin_feed.E001"
    assert f"[{name!r}] must be" in message.msg


def test_well_formed_access_settings_pass_clean():
    assert (
        feed_messages(
            ALLOWED_NETWORKS=["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
            CLIENT_ADDRESS_HEADER="X-Forwarded-For",
            THROTTLE_RATES={"token": "600/min", "client": None},
            MAX_BODY_SIZE=1024,
        )
        == []
    )


def test_the_deployment_check_warns_when_the_feeds_answer_over_plain_http():
    message = only(feed_messages(secure_ssl_redirect=False))
    assert message.id == "convertedin_feed.W004"
    assert "plain HTTP" in message.msg
    assert "SECURE_SSL_REDIRECT = True" in message.hint


def test_the_https_warning_is_for_deployment_checks_only():
    setting = {"TOKENS": [GOOD_TOKEN], "ADAPTERS": ADAPTERS}
    with override_settings(CONVERTEDIN_FEED=setting, SECURE_SSL_REDIRECT=False):
        ids = {m.id for m in run_checks(tags=[TAG])}
    assert "convertedin_feed.W004" not in ids


# ---------------------------------------------------------------------------
# Paths that would repeat a record or multiply a number


class PhoneThroughBasketsAdapter(MemberAdapter):
    phone = Field("baskets__phone")


class PhoneThroughTagsAdapter(MemberAdapter):
    phone = Field("tags__name")


class LoweredThroughBasketsAdapter(MemberAdapter):
    phone = Field(Lower("baskets__phone"))


class TagProductAdapter(OfferAdapter):
    title = Field("members__email")
    price = Field(constant=0)

    class Meta:
        model = "testapp.Tag"


class TaggedLineAdapter(BasketLineAdapter):
    product_id = Field("basket__member__tags__name")


class TaggedLinesBasketAdapter(BasketAdapter):
    line_items = Related("lines", TaggedLineAdapter)


class OneValuePerMemberAdapter(MemberAdapter):
    phone = Field(Max("baskets__phone"))  # an aggregate: one value per member
    first_name = Field(  # a query of its own: cannot repeat the member
        Subquery(
            Basket.objects.filter(member=OuterRef("pk")).order_by("-created").values("phone")[:1]
        )
    )


class ForwardPathsBasketAdapter(BasketAdapter):
    contact_email = Field("member__email")
    customer_locale = Field(Lower("member__first_name"))


class SpentOnTaggedAdapter(MemberAdapter):
    total_spent = Field(Sum("baskets__total", filter=Q(tags__name="vip")))


class QuantityAndCountAdapter(MemberAdapter):
    orders_count = Field(Sum("baskets__lines__quantity") + Count("baskets"))


class LiteralAsFieldNameAdapter(BasketAdapter):
    contact_email = Field(NullIf("email", ""))


class TwoBadKeysAdapter(BasketAdapter):
    contact_email = Field("mail")
    total_tax = Field(Sum("lines__tax"))


class BadLineAdapter(BasketLineAdapter):
    price = Field("unit_cost")


class BadLinesBasketAdapter(BasketAdapter):
    line_items = Related("lines", BadLineAdapter)


def adapter_messages(feed, adapter):
    return feed_messages(ADAPTERS={**ADAPTERS, feed: f"{__name__}.{adapter}"})


@pytest.mark.parametrize(
    ("feed", "adapter", "key", "relation", "repeated"),
    [
        (
            "customers",
            "PhoneThroughBasketsAdapter",
            "phone",
            "'baskets' (Member.baskets)",
            "each member would be served once per basket",
        ),
        (
            "customers",
            "PhoneThroughTagsAdapter",
            "phone",
            "'tags' (Member.tags)",
            "each member would be served once per tag",
        ),
        (
            "offers",
            "TagProductAdapter",
            "title",
            "'members' (Tag.members)",
            "each tag would be served once per member",
        ),
        (
            "customers",
            "LoweredThroughBasketsAdapter",
            "phone",
            "'baskets' (Member.baskets)",
            "each member would be served once per basket",
        ),
    ],
)
def test_a_field_through_a_to_many_relation_is_reported(feed, adapter, key, relation, repeated):
    message = only(adapter_messages(feed, adapter))
    assert (message.id, type(message)) == ("convertedin_feed.E006", Error)
    assert message.msg == (
        f"The {feed!r} adapter {__name__}.{adapter} maps {key!r} through the to-many relation "
        f"{relation}: {repeated}."
    )
    assert f"Read one value per {repeated.split()[1]}: an aggregate, Field(Max(" in message.hint
    assert "Field(Subquery(" in message.hint
    assert "Related(" in message.hint


def test_the_hint_names_the_aggregate_and_the_related_to_use_instead():
    message = only(adapter_messages("customers", "PhoneThroughBasketsAdapter"))
    assert message.hint == (
        'Read one value per member: an aggregate, Field(Max("baskets__phone")); or one '
        'basket\'s value, Field(Subquery(Basket.objects.filter(member=OuterRef("pk"))'
        '.order_by(...).values("phone")[:1])); or the list of them, '
        'Related("baskets", BasketAdapter).'
    )


def test_a_line_item_field_through_a_to_many_relation_is_reported():
    message = only(adapter_messages("orders", "TaggedLinesBasketAdapter"))
    assert message.id == "convertedin_feed.E006"
    assert message.msg == (
        "The 'orders' adapter TaggedLineAdapter (a Related of TaggedLinesBasketAdapter) maps "
        "'product_id' through the to-many relation 'basket__member__tags' (Member.tags): "
        "each basket line would be served once per tag."
    )
    assert 'Field(Max("basket__member__tags__name"))' in message.hint


@pytest.mark.parametrize("adapter", ["OneValuePerMemberAdapter", "ForwardPathsBasketAdapter"])
def test_aggregates_subqueries_and_to_one_paths_pass_clean(adapter):
    feed = "orders" if "Basket" in adapter else "customers"
    assert adapter_messages(feed, adapter) == []


@pytest.mark.parametrize(
    ("adapter", "key", "chains"),
    [
        ("SpentOnTaggedAdapter", "total_spent", "'baskets' and 'tags'"),
        ("QuantityAndCountAdapter", "orders_count", "'baskets' and 'baskets__lines'"),
    ],
)
def test_an_aggregate_over_two_to_many_relations_is_reported(adapter, key, chains):
    message = only(adapter_messages("customers", adapter))
    assert (message.id, type(message)) == ("convertedin_feed.E007", Error)
    assert message.msg.startswith(
        f"The 'customers' adapter {__name__}.{adapter} aggregates {key!r} through different "
        f"to-many relations, {chains}:"
    )
    assert "multiplied" in message.msg
    assert "one Field per relation" in message.hint
    assert "Subquery(" in message.hint


def test_a_string_meant_as_text_is_reported_per_key_without_internal_names():
    message = only(adapter_messages("orders", "LiteralAsFieldNameAdapter"))
    assert message.id == "convertedin_feed.E004"
    reason, choices = message.msg.split(" Choices are: ")
    assert reason == (
        f"The 'orders' adapter {__name__}.LiteralAsFieldNameAdapter cannot read 'contact_email' "
        "= Field(expression=NullIf(F(email), F())): Cannot resolve keyword '' into field."
    )
    assert {"email", "total", "lines"} <= set(choices.split(", "))  # the model's own fields
    assert "_convertedin_" not in message.msg + message.hint
    assert 'Value("")' in message.hint


def test_each_key_that_cannot_be_read_is_reported_on_its_own():
    messages = adapter_messages("orders", "TwoBadKeysAdapter")
    assert [m.id for m in messages] == ["convertedin_feed.E004"] * 2
    total_tax, contact_email = (m.msg for m in messages)  # in the order of the documented keys
    assert "cannot read 'total_tax' = Field(expression=Sum(F(lines__tax))): " in total_tax
    assert "Unsupported lookup 'tax'" in total_tax
    assert "cannot read 'contact_email' = Field('mail'): Cannot resolve keyword 'mail'" in (
        contact_email
    )
    for message in messages:
        assert "_convertedin_" not in message.msg + message.hint
        assert "Value(" not in message.hint  # only for the '' keyword
        assert "Basket's fields" in message.hint


def test_a_line_item_key_that_cannot_be_read_names_the_line_adapter():
    message = only(adapter_messages("orders", "BadLinesBasketAdapter"))
    assert message.id == "convertedin_feed.E004"
    assert message.msg == (
        "The 'orders' adapter BadLineAdapter (a Related of BadLinesBasketAdapter) cannot read "
        "'price' = Field('unit_cost'): Cannot resolve keyword 'unit_cost' into field. "
        "Choices are: basket, basket_id, id, quantity, sku, unit_price"
    )
    assert "BasketLine's fields" in message.hint


# ---------------------------------------------------------------------------
# Guests and line items without a product

COMMERCE = {
    **ADAPTERS,
    "customers": "tests.testapp.commerce.AccountAdapter",
    "orders": "tests.testapp.commerce.CommerceOrderAdapter",
}


def test_the_commerce_shop_with_guests_checks_clean():
    assert feed_messages(ADAPTERS=COMMERCE) == []


class AccountsWithoutGuests(CustomerAdapter):
    class Meta:
        model = "testapp.Account"


def test_guests_named_by_the_orders_adapter_only_are_an_error():
    adapters = {**COMMERCE, "customers": f"{__name__}.AccountsWithoutGuests"}
    [message] = [m for m in feed_messages(ADAPTERS=adapters) if m.id == "convertedin_feed.E008"]
    assert "Meta.guests (none)" in message.msg
    assert "tests.testapp.commerce.GuestOrderAdapter" in message.msg
    assert "same GuestAdapter" in message.hint


class GuestsWithoutEmail(GuestOrderAdapter):
    class Meta:
        email = None


class AccountsWithGuestsWithoutEmail(AccountAdapter):
    class Meta:
        guests = GuestsWithoutEmail


def test_a_guest_adapter_without_an_email_is_an_error():
    adapters = {**COMMERCE, "customers": f"{__name__}.AccountsWithGuestsWithoutEmail"}
    messages = feed_messages(ADAPTERS=adapters)
    assert any(
        m.id == "convertedin_feed.E008" and "GuestsWithoutEmail has no Meta.email" in m.msg
        for m in messages
    )


class GuestsWithABadPath(GuestOrderAdapter):
    first_name = Field("shipping_address__given_name")


class AccountsWithBadGuests(AccountAdapter):
    class Meta:
        guests = GuestsWithABadPath


def test_a_guest_adapters_bad_path_names_the_guests_and_the_key():
    adapters = {**COMMERCE, "customers": f"{__name__}.AccountsWithBadGuests"}
    message = only(feed_messages(ADAPTERS=adapters), "convertedin_feed.E004")
    assert "GuestsWithABadPath (the guests of AccountsWithBadGuests)" in message.msg
    assert "cannot read 'first_name'" in message.msg
    assert "_convertedin_" not in message.msg


class GuestsWithoutNames(GuestOrderAdapter):
    first_name = None


class AccountsWithNamelessGuests(AccountAdapter):
    class Meta:
        guests = GuestsWithoutNames


def test_a_guest_adapter_without_a_required_key_is_warned_about():
    adapters = {**COMMERCE, "customers": f"{__name__}.AccountsWithNamelessGuests"}
    [warning] = [m for m in feed_messages(ADAPTERS=adapters) if m.id == "convertedin_feed.W003"]
    assert "(the guests of AccountsWithNamelessGuests)" in warning.msg
    assert "'first_name'" in warning.msg


def test_a_product_fallback_without_a_fallback_path_is_warned_about():
    [warning] = [
        m for m in feed_messages(MISSING_PRODUCTS="fallback") if m.id == "convertedin_feed.W005"
    ]
    assert "BasketLineAdapter names no Meta.product_fallback" in warning.msg
    assert feed_messages(ADAPTERS=COMMERCE, MISSING_PRODUCTS="fallback") == []


@pytest.mark.parametrize("policy", ["keep", None, "Drop"])
def test_an_unknown_missing_products_policy_is_a_settings_error(policy):
    message = only(feed_messages(MISSING_PRODUCTS=policy), "convertedin_feed.E001")
    assert "MISSING_PRODUCTS" in message.msg


class GuestsWithTheirOwnId(GuestOrderAdapter):
    id = Field("number")


class AccountsWithOwnIdGuests(AccountAdapter):
    class Meta:
        guests = GuestsWithTheirOwnId


def test_a_guest_adapter_cannot_declare_an_id_the_orders_would_not_link_to():
    adapters = {**COMMERCE, "customers": f"{__name__}.AccountsWithOwnIdGuests"}
    message = only(feed_messages(ADAPTERS=adapters), "convertedin_feed.E005")
    assert "GuestsWithTheirOwnId (the guests of AccountsWithOwnIdGuests)" in message.msg
    assert "override guest_id() instead" in message.msg


@pytest.mark.django_db(databases=["default", "replica"])  # Django's own checks read them
def test_every_check_of_the_app_carries_its_tag(settings):
    """``check --tag convertedin_feed`` runs the app's checks alone (the audit does)."""
    adapters = {**settings.CONVERTEDIN_FEED["ADAPTERS"], "orders": "tests.nowhere.Adapter"}
    with override_settings(
        CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters, "TOKENS": []}
    ):
        everything = {m.id for m in run_checks() if m.id.startswith("convertedin_feed")}
        tagged = {m.id for m in run_checks(tags=[TAG])}
    assert "convertedin_feed.E003" in tagged
    assert "convertedin_feed.W001" in tagged
    assert tagged == everything


# E012: change filters (created_since, updated_since, ids) that cannot run

CHANGING = {
    "customers": "tests.testapp.commerce.ChangingAccountAdapter",
    "orders": "tests.testapp.commerce.ChangingOrderAdapter",
}


def test_the_commerce_shop_pulled_incrementally_checks_clean():
    assert feed_messages(ADAPTERS={**ADAPTERS, **CHANGING}) == []


class MembersChangedByName(MemberAdapter):
    class Meta:
        updated_at = "first_name"


class MembersChangedByNothing(MemberAdapter):
    class Meta:
        created_at = "joined"


class MembersChangedByAnAggregate(MemberAdapter):
    class Meta:
        updated_at = ("created", Max("baskets__created"))


class MembersByComputedId(MemberAdapter):
    id = Field(Lower("email"))

    class Meta:
        filter_ids = True


class SectionsChanged(SectionAdapter):
    class Meta:
        updated_at = "opened"


@pytest.mark.parametrize(
    ("feed", "adapter", "fragment"),
    [
        (
            "customers",
            "MembersChangedByName",
            "Meta.updated_at: 'first_name' is a CharField, not a date",
        ),
        (
            "customers",
            "MembersChangedByNothing",
            "Meta.created_at: Cannot resolve keyword 'joined'",
        ),
        ("customers", "MembersChangedByAnAggregate", "is an aggregate; name the path through"),
        (
            "customers",
            "MembersByComputedId",
            "takes ids (Meta.filter_ids), but its id is not a field path",
        ),
        (
            "categories",
            "SectionsChanged",
            "declares Meta.updated_at, but the 'categories' feed takes no",
        ),
    ],
)
def test_a_change_filter_that_cannot_run_is_reported(feed, adapter, fragment):
    message = only(adapter_messages(feed, adapter), "convertedin_feed.E012")

    assert fragment in message.msg
    assert message.obj.__name__ == adapter


class GuestsThatNeverChange(GuestOrderAdapter):
    pass


class AccountsChangingWithoutTheirGuests(AccountAdapter):
    class Meta:
        guests = GuestsThatNeverChange
        updated_at = "date_joined"


class GuestsNumbered(GuestOrderAdapter):
    def guest_id(self, email):
        return f"g-{len(email)}"


class AccountsWithNumberedGuests(AccountAdapter):
    class Meta:
        guests = GuestsNumbered
        filter_ids = True


@pytest.mark.parametrize(
    ("accounts", "guests", "fragment"),
    [
        (
            "AccountsChangingWithoutTheirGuests",
            "GuestsThatNeverChange",
            "declare no Meta.updated_at",
        ),
        (
            "AccountsWithNumberedGuests",
            "GuestsNumbered",
            "overrides guest_id() but not guest_id_expression()",
        ),
    ],
)
def test_guests_must_take_the_change_filters_their_accounts_take(accounts, guests, fragment):
    # (The orders adapter names other guests: E008 says so, apart.)
    adapters = {**COMMERCE, "customers": f"{__name__}.{accounts}"}
    message = only(feed_messages(ADAPTERS=adapters), "convertedin_feed.E012")

    assert f"'s guests ({guests})" in message.msg
    assert fragment in message.msg
