"""Which relations a mapping reads through, found from declarations and ``_meta`` alone."""

import pytest
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf
from django.test.utils import isolate_apps

from convertedin_feed.relations import referenced_paths, to_many_chain, to_many_chains
from tests.factories import BasketFactory, MemberFactory
from tests.testapp.models import Basket, BasketLine, Member, Tag

# ---------------------------------------------------------------------------
# referenced_paths


def first_basket_total():
    return Subquery(Basket.objects.filter(member=OuterRef("pk"), lines__sku=1).values("total")[:1])


@pytest.mark.parametrize(
    ("source", "paths"),
    [
        ("lines__discounts__amount", ["lines__discounts__amount"]),
        ("pk", ["pk"]),
        (F("user__email"), ["user__email"]),
        (Lower("user__email"), ["user__email"]),  # the string became an F
        (Value("x"), []),
        (Concat("first_name", Value(" "), "last_name"), ["first_name", "last_name"]),
        (F("total") - F("lines__unit_price"), ["total", "lines__unit_price"]),
        (NullIf("email", ""), ["email", ""]),  # "" is read as a field name, as Django does
        (Coalesce(Max("baskets__total"), Value(0)), ["baskets__total"]),
    ],
)
def test_a_path_or_an_expression_names_its_paths(source, paths):
    assert referenced_paths(source) == paths


def test_an_aggregate_filter_gives_the_path_part_of_each_lookup():
    source = Sum("lines__price", filter=Q(discounts__amount__gt=0))
    assert referenced_paths(source) == ["lines__price", "discounts__amount"]


def test_a_filter_is_walked_through_nested_negated_and_ored_q_objects():
    condition = (Q(a=1) | ~Q(b__c__in=[1, 2])) & Q(Q(d__isnull=True), e__f=F("g__h"))
    assert referenced_paths(Count("x", filter=condition)) == ["x", "a", "b__c", "d", "e__f", "g__h"]


def test_a_filter_value_that_is_an_expression_is_walked_and_a_plain_value_is_not():
    source = Count("baskets", filter=Q(baskets__total__gt=Lower("phone"), baskets__status="paid"))
    # Q() sorts its keyword arguments.
    assert referenced_paths(source) == ["baskets", "baskets__status", "baskets__total", "phone"]


def test_a_transform_stays_on_the_path_and_a_lookup_alone_is_a_name():
    source = Count("pk", filter=Q(created__year=2024) | Q(exact=1))
    assert referenced_paths(source) == ["pk", "created__year", "exact"]


def test_a_when_condition_and_result_are_paths():
    source = Case(When(baskets__status="paid", then="baskets__total"), default=Value(0))
    assert referenced_paths(source) == ["baskets__status", "baskets__total"]


def test_each_path_is_named_once_in_order_of_appearance():
    source = Count("baskets", filter=Q(baskets__status="paid")) + Count("baskets")
    assert referenced_paths(source) == ["baskets", "baskets__status"]


def test_a_q_source_is_walked_like_a_filter():
    assert referenced_paths(Q(tags__name="vip") | Q(email__iendswith="@x.com")) == [
        "tags__name",
        "email",
    ]


@pytest.mark.parametrize(
    ("source", "paths"),
    [
        (OuterRef("pk"), []),
        (first_basket_total(), []),
        (Exists(Basket.objects.filter(member=OuterRef("pk"), lines__quantity__gt=1)), []),
        (Count("pk", filter=Q(Exists(Basket.objects.filter(member=OuterRef("pk"))))), ["pk"]),
        (Count("pk", filter=Q(pk__in=Basket.objects.values("member"))), ["pk"]),
    ],
)
def test_other_queries_and_outer_references_are_no_paths_of_this_model(source, paths):
    assert referenced_paths(source) == paths


def test_a_subquery_beside_a_path_leaves_the_path():
    assert referenced_paths(Coalesce(first_basket_total(), "phone")) == ["phone"]


# ---------------------------------------------------------------------------
# to_many_chain


@pytest.mark.parametrize(
    ("model", "path", "chain"),
    [
        (Basket, "lines__sku", "lines"),  # reverse foreign key
        (Basket, "lines", "lines"),  # the relation itself
        (Member, "baskets__lines__unit_price", "baskets__lines"),  # the last to-many hop
        (BasketLine, "basket__member__baskets__total", "basket__member__baskets"),
        (Basket, "lines__basket__currency", "lines"),  # a to-one hop after it
        (Member, "tags__name", "tags"),  # many-to-many, reverse
        (Tag, "members__email", "members"),  # many-to-many, forward
        (BasketLine, "basket__member__tags__name", "basket__member__tags"),
        (Basket, "member__email", None),  # forward foreign key only
        (BasketLine, "basket__member", None),
        (Basket, "member_id", None),
        (Basket, "pk", None),
        (Basket, "total", None),
        (Basket, "created__year", None),  # a transform
        (Basket, "lines__sku__gt", "lines"),  # a lookup after it
        (Basket, "lines__unit_price__lower", "lines"),
        (Basket, "nowhere__lines", None),  # unknown: resolution reports it
        (Member, "baskets__nowhere__tags", "baskets"),  # what was found so far
        (Member, "", None),
    ],
)
def test_the_chain_ends_at_the_last_to_many_hop(model, path, chain):
    assert to_many_chain(model, path) == chain


@isolate_apps("tests.testapp")
def test_a_generic_relation_is_to_many_and_a_generic_foreign_key_ends_the_walk():
    class Note(models.Model):
        content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
        object_id = models.PositiveIntegerField()
        subject = GenericForeignKey("content_type", "object_id")
        text = models.TextField()

        class Meta:
            app_label = "testapp"

    class Ticket(models.Model):
        notes = GenericRelation(Note)

        class Meta:
            app_label = "testapp"

    assert to_many_chain(Ticket, "notes__text") == "notes"
    assert to_many_chain(Note, "content_type__model") is None
    assert to_many_chain(Note, "subject__notes") is None


# ---------------------------------------------------------------------------
# to_many_chains


@pytest.mark.parametrize(
    ("model", "source", "chains"),
    [
        (Basket, "lines__sku", {"lines"}),
        (Basket, "member__email", set()),
        (
            Basket,
            Sum("lines__unit_price", filter=Q(member__tags__name="vip")),
            {"lines", "member__tags"},
        ),
        (Member, Sum("baskets__lines__quantity") + Count("baskets"), {"baskets__lines", "baskets"}),
        (Member, Count("baskets", filter=Q(baskets__status="paid")), {"baskets"}),
        (Member, Lower("tags__name"), {"tags"}),
        (Member, Coalesce(first_basket_total(), "phone"), set()),
        (Member, Concat("first_name", Value(" "), "last_name"), set()),
        (Member, Value(1), set()),
    ],
)
def test_the_chains_of_a_whole_source(model, source, chains):
    assert to_many_chains(model, source) == frozenset(chains)


# ---------------------------------------------------------------------------
# What a chain means in the database


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "rows"),
    [
        ("baskets__phone", 2),  # a chain: the member once per basket
        ("tags__name", 3),  # once per tag
        (Lower("baskets__phone"), 2),
        ("phone", 1),  # no chain: once
        (Max("baskets__phone"), 1),  # an aggregate folds the chain back
        (Subquery(Basket.objects.filter(member=OuterRef("pk")).values("phone")[:1]), 1),
    ],
)
def test_a_source_repeats_the_row_exactly_when_it_has_a_chain_outside_an_aggregate(source, rows):
    member = MemberFactory()
    BasketFactory.create_batch(2, member=member)
    for name in ("vip", "new", "eg"):
        Tag.objects.create(name=name).members.add(member)
    queryset = Member.objects.filter(pk=member.pk)
    if isinstance(source, str):
        served = queryset.values("pk", source)
    else:
        served = queryset.values("pk").annotate(value=source)
    assert len(served) == rows
    repeats = bool(to_many_chains(Member, source)) and not source_is_aggregate(source)
    assert repeats == (rows > 1)


def source_is_aggregate(source):
    return getattr(source, "contains_aggregate", False)


@pytest.mark.django_db
def test_an_aggregate_over_two_chains_multiplies_one_by_the_other():
    member = MemberFactory()
    BasketFactory.create_batch(2, member=member)
    for name in ("vip", "new", "eg"):
        Tag.objects.create(name=name).members.add(member)
    source = Count("baskets") + Count("tags")
    assert to_many_chains(Member, source) == {"baskets", "tags"}
    (row,) = Member.objects.filter(pk=member.pk).values("pk").annotate(n=source)
    assert row["n"] == 2 * 3 + 3 * 2  # not 2 + 3: every basket joined to every tag
