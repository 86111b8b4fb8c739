"""The compiled record plan: how an adapter's declarations read a page of rows into records.

An adapter's declarations (:class:`~convertedin_feed.adapters.Field`,
:class:`~convertedin_feed.adapters.Related`, ``dehydrate_`` methods) are
compiled once per adapter class and key tree into a :class:`Plan`, forgotten
with the settings (:func:`convertedin_feed.conf.memo`). A plan reads a page
with one ``values()`` query, plus one query per set of aggregates, per
:class:`~convertedin_feed.adapters.Related` relation and per subtree, however
many rows the page holds and however deep the tree.
"""

from __future__ import annotations

import difflib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeAlias

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, QuerySet, Value
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.db.models.functions import Length, Substr
from django.db.models.sql.datastructures import Join

from convertedin_feed.adapters import (
    _UNSET,
    GUEST_KEY,
    CategoryAdapter,
    Declaration,
    FeedAdapter,
    Field,
    GuestAdapter,
    LineItemAdapter,
    OrderAdapter,
    Related,
    guest_adapter_class,
)
from convertedin_feed.conf import feed_settings, memo
from convertedin_feed.exceptions import FeedConfigurationError
from convertedin_feed.keytree import MONEY, SUBTREE, KeyTree, freeze
from convertedin_feed.money import round_money
from convertedin_feed.record_errors import CheckedList, Problem
from convertedin_feed.relations import to_many_chains
from convertedin_feed.trees import descendants, path_descendants

Row: TypeAlias = dict[str, Any]

logger = logging.getLogger("convertedin_feed")

_ANNOTATION_PREFIX = "_convertedin_"
#: An order row's account link, read to tell a guest order from an account's.
_ACCOUNT = "_convertedin_account"
#: A line item row's fallback for a deleted product (``Meta.product_fallback``).
_PRODUCT_FALLBACK = "_convertedin_product_fallback"
#: A related row's parent: the primary key of the record it belongs to.
_LINK = "_convertedin_link"
#: A tree node's parent, in the rows of a subtree: its key, or by path its parent's path.
_PARENT = "_convertedin_parent"
#: A tree node's own path, in the rows of a materialised-path subtree.
_NODE = "_convertedin_node"
#: The one key of a ``Related(..., field=...)`` child record.
_FLAT = "_convertedin_value"

#: ``MISSING_PRODUCTS`` policies: what a line item whose product was deleted becomes.
DROP_LINE = "drop"
PRODUCT_FALLBACK = "fallback"
MISSING_PRODUCT_POLICIES = (DROP_LINE, PRODUCT_FALLBACK)


def plan_for(adapter: type[FeedAdapter], keys: KeyTree) -> Plan:
    """The compiled reading plan of ``adapter`` for ``keys``, built once per settings."""
    return _compiled(adapter, freeze(keys))


@memo()
def _compiled(adapter: type[FeedAdapter], frozen: Any) -> Plan:
    return Plan.compile(adapter, _thaw(frozen))


def _thaw(frozen: Any) -> Any:
    if not isinstance(frozen, tuple):
        return frozen
    return {key: _thaw(value) for key, value in frozen}


@dataclass(frozen=True)
class Part:
    """One run of a feed's rows: who maps them, how, and from which queryset."""

    adapter: FeedAdapter
    plan: Plan
    queryset: QuerySet[Any]

    def select(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` (this part's, filtered or cut) as the ``values()`` rows the plan maps."""
        return self.adapter.select(self.plan, queryset)


def parts_of(adapter: FeedAdapter, keys: KeyTree) -> list[Part]:
    """What a feed reads, in paging order, each source of the adapter with its plan."""
    return [
        Part(source, plan_for(type(source), keys), queryset)
        for source, queryset in adapter.sources()
    ]


def read_records(
    parts: Sequence[Part], chunks: Sequence[tuple[int, list[Row]]]
) -> tuple[list[Row], dict[int, list[str]]]:
    """A page's rows, chunk by chunk, as records; and their problems, by position on the page."""
    records: list[Row] = []
    problems: dict[int, list[str]] = {}
    found: dict[int, list[str]]
    for index, rows in chunks:
        part, found = parts[index], {}
        mapped = part.plan.records(part.adapter, rows, found)
        problems.update((len(records) + position, trouble) for position, trouble in found.items())
        records.extend(mapped)
    return records, problems


@dataclass
class RelatedPlan:
    """A key whose value is a list of related rows' records, read in one query per page."""

    key: str
    #: The path from a child row to its parent (``purchase``; ``products`` across a many-to-many).
    link: str
    adapter: type[FeedAdapter]
    plan: Plan
    #: ``Related(..., field=...)``: the list holds that one value of each row.
    flat: bool = False


@dataclass
class SubtreePlan:
    """A key holding the record's descendants of its own kind, nested to any depth."""

    key: str
    #: The foreign key to the parent node (``parent``); unused for a materialised path.
    parent: str
    #: A materialised-path tree (treebeard's ``MP_Node``): ``(path field, step length)``.
    tree_path: tuple[str, int] | None = None


@dataclass
class Plan:
    """How to read one adapter's records: built once, then run per page."""

    adapter: type[FeedAdapter]
    keys: tuple[str, ...]
    paths: dict[str, str] = field(default_factory=dict)  # key -> values() path
    annotations: dict[str, Any] = field(default_factory=dict)  # alias -> expression
    aggregates: dict[str, Any] = field(default_factory=dict)  # alias -> aggregate
    #: The aggregates by the to-many relations they read, one query each: a
    #: sum over lines beside a sum over discounts would multiply each other in one.
    aggregate_sets: list[dict[str, Any]] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    #: Keys with no source at all: neither declared nor a model field of that name.
    unmapped: set[str] = field(default_factory=set)
    maps: dict[str, Field] = field(default_factory=dict)  # keys with value_map/default
    related: list[RelatedPlan] = field(default_factory=list)
    subtree: SubtreePlan | None = None
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: An orders plan with guests: the guest adapter that links guest orders.
    guests: type[GuestAdapter] | None = None
    #: Money keys whose value is computed (an aggregate, an expression, a
    #: ``dehydrate_`` method): rounded to the currency's minor units (``MONEY_PLACES``).
    computed_money: list[str] = field(default_factory=list)
    #: ``(key, row key, constant)`` in output order: a record is a dict display over these.
    sources: tuple[tuple[str, str | None, Any], ...] = ()
    #: :attr:`sources` as a record maker: the keys in order, a getter of their row
    #: values (``pk`` where the key is a constant), and the constants put in place after.
    record_keys: tuple[str, ...] = ()
    row_values: Callable[[Row], tuple[Any, ...]] = field(default=lambda row: ())
    record_constants: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def compile(cls, adapter: type[FeedAdapter], keys: KeyTree) -> Plan:
        model = adapter.get_model()
        extra_keys = tuple(adapter.option("extra_keys", ()) or ())
        plan = cls(adapter=adapter, keys=(*keys, *(k for k in extra_keys if k not in keys)))
        for key in plan.keys:
            declaration = adapter.declared.get(key)
            children = keys.get(key)
            if not isinstance(children, Mapping):
                children = None
            if declaration is None:
                declaration = adapter.default_declaration(key, children)
            if keys.get(key) == SUBTREE:
                plan._add_subtree(adapter, key, declaration)
            else:
                plan._add(model, key, declaration, children)
            method = getattr(adapter, f"dehydrate_{key}", None)
            if callable(method):
                plan.methods[key] = method
        if issubclass(adapter, OrderAdapter):
            plan.guests = guest_adapter_class(adapter)
            if plan.guests is not None:
                if plan.guests.get_model() is not model:
                    raise FeedConfigurationError(
                        f"{adapter.__qualname__}.Meta.guests: {plan.guests.__qualname__} maps "
                        f"{plan.guests.get_model().__name__}, not {model.__name__}."
                    )
                plan.annotations[_ACCOUNT] = F(plan.guests.account_path())
                plan.annotations[GUEST_KEY] = plan.guests.guest_key()
        if not issubclass(adapter, GuestAdapter):  # a guest's are in its row (GuestAdapter.select)
            plan.aggregate_sets = _aggregate_sets(model, plan.aggregates)
        plan.computed_money = [
            key
            for key in plan.keys
            if keys.get(key) == MONEY
            and (
                _ANNOTATION_PREFIX + key in plan.aggregates
                or _ANNOTATION_PREFIX + key in plan.annotations
                or key in plan.methods
            )
        ]
        fallback = adapter.option("product_fallback")
        if fallback is not None:
            plan.annotations[_PRODUCT_FALLBACK] = (
                F(fallback) if isinstance(fallback, str) else fallback
            )
        if issubclass(adapter, GuestAdapter) and "id" in adapter.declared:
            plan.problems.append(
                "declares 'id', which for a guest is guest_id() of its email: override "
                "guest_id() instead, so that the orders feed links its orders to the same id"
            )
        for key in adapter.declared:
            if key not in plan.keys:
                guess = difflib.get_close_matches(key, plan.keys, n=1)
                plan.problems.append(
                    f"declares {key!r}, which is not a documented key nor in Meta.extra_keys"
                    + (f"; did you mean {guess[0]!r}?" if guess else "")
                )
        for key in extra_keys:
            if key not in adapter.declared and key not in plan.methods and key not in plan.paths:
                plan.problems.append(
                    f"lists {key!r} in Meta.extra_keys but declares no Field or method for it"
                )
        plan.unmapped -= set(plan.methods)
        subtree = plan.subtree.key if plan.subtree is not None else None
        plan.sources = tuple(
            (key, None, plan.constants.get(key))  # a subtree is attached once mapped
            if key in plan.constants or key == subtree
            else (key, plan._source(key), None)
            for key in plan.keys
        )
        plan.record_keys = tuple(key for key, _, _ in plan.sources)
        row_keys = tuple("pk" if source is None else source for _, source, _ in plan.sources)
        plan.row_values = _tuple_getter(row_keys)
        plan.record_constants = {
            key: value for key, source, value in plan.sources if source is None
        }
        return plan

    def _source(self, key: str) -> str:
        """Where ``key``'s value sits in a row once a page's extra queries are merged in."""
        if key in self.paths:
            return self.paths[key]
        if any(related.key == key for related in self.related):
            return key
        if self.subtree is not None and self.subtree.key == key:
            return key
        return _ANNOTATION_PREFIX + key

    def _add(
        self, model: type[Model], key: str, declaration: Declaration | None, children: Any
    ) -> None:
        if declaration is None:
            self.constants[key] = None
            self.unmapped.add(key)
        elif isinstance(declaration, Related):
            self.related.append(_related_plan(model, key, declaration, children or {}))
        else:
            if declaration.attribute is not None:
                self.paths[key] = declaration.attribute
            elif declaration.is_aggregate:
                self.aggregates[_ANNOTATION_PREFIX + key] = declaration.expression
            elif declaration.expression is not None:
                self.annotations[_ANNOTATION_PREFIX + key] = declaration.expression
            else:
                self.constants[key] = declaration.constant
            if declaration.value_map is not None or declaration.default is not None:
                self.maps[key] = declaration

    def _add_subtree(
        self, adapter: type[FeedAdapter], key: str, declaration: Declaration | None
    ) -> None:
        if declaration is not None or not issubclass(adapter, CategoryAdapter):
            raise FeedConfigurationError(
                f"{adapter.__qualname__}: {key!r} holds the subtree of each record; it is read "
                "by a CategoryAdapter from Meta.parent, and cannot be declared."
            )
        tree_path = adapter.tree_path()
        parent = adapter.parent_path() if tree_path is None else ""
        self.subtree = SubtreePlan(key=key, parent=parent, tree_path=tree_path)

    # Running a plan

    def values_queryset(
        self,
        queryset: QuerySet[Any],
        *extra: str,
        annotations: dict[str, Any] | None = None,
        link: tuple[str, list[Any]] | None = None,
    ) -> QuerySet[Any]:
        """The page's rows as ``values()``, by ``pk``; refused if a join would repeat rows.

        ``link`` is ``(path, parent ids)`` for related rows: the path to their
        parent, whose join may repeat a row once per parent on purpose (a tag
        of two products is in both lists); it is added after the check.
        """
        fields = dict.fromkeys(("pk", *extra, *self.paths.values()))
        every = {**self.annotations, **(annotations or {})}
        if self.subtree is not None and self.subtree.tree_path is not None:
            path, steplen = self.subtree.tree_path
            # The parent's path is the node's less its last step ("" for a root).
            every[_PARENT] = Substr(path, 1, Length(path) - Value(steplen))
            every[_NODE] = F(path)
        elif self.subtree is not None:
            every[_PARENT] = F(self.subtree.parent)
        rows = queryset.order_by("pk").values(*fields, **every)
        fanning = to_many_joins(rows)
        if fanning:
            raise FeedConfigurationError(
                f"{self.adapter.__qualname__}: the rows query joins the to-many relation "
                f"{', '.join(fanning)}, so it would serve a record once per related row. "
                "Filter across it with Exists() in get_queryset(), and map it with an "
                "aggregate, a Subquery or Related, never a plain Field path."
            )
        if link is not None:
            path, ids = link
            rows = rows.filter(**{f"{path}__in": ids}).annotate(**{_LINK: F(path)})
        return rows

    def records(
        self,
        adapter: FeedAdapter,
        rows: list[Row],
        problems: dict[int, list[str]],
        currencies: Sequence[Any] | None = None,
        *,
        subtrees: bool = True,
    ) -> list[Row]:
        """Map a page of ``values()`` rows to records: one query per aggregate set, per Related
        and per subtree.

        A ``dehydrate_`` method that raises leaves its key ``None``; its problem
        goes into ``problems``, by the record's position, to be judged once
        with the rest of the record when it is rendered (``RECORD_ERRORS``).
        Computed money is rounded in the record's ``currency``, or for records
        without one (line items) in ``currencies``, their parents', row by row.
        """
        if not rows:
            return []
        ids = [row["pk"] for row in rows]
        linked = _LINK in rows[0]
        identities = [(row[_LINK], row["pk"]) for row in rows] if linked else ids
        if len(set(identities)) != len(identities):
            raise FeedConfigurationError(
                f"{self.adapter.__qualname__}: a page holds a record twice; its queryset "
                "repeats rows (a join or a union). A record is served once or not at all."
            )
        unique_ids = list(dict.fromkeys(ids)) if linked else ids
        for aggregates in self.aggregate_sets:
            aggregated = {
                row.pop("pk"): row for row in adapter.aggregate_rows(unique_ids, aggregates)
            }
            missing = dict.fromkeys(aggregates)  # a row deleted since the page was read
            for row in rows:
                row.update(aggregated.get(row["pk"], missing))
        for related in self.related:
            currencies_of_rows = self._currencies(rows) if related.plan.computed_money else []
            children = self._children(adapter, related, rows, currencies_of_rows)
            for row in rows:
                row[related.key] = children.get(row["pk"], [])

        # dict(zip()) over an itemgetter: C all the way; a constant replaces its
        # placeholder in place, so the keys keep the adapter's order.
        keys, values, constants = self.record_keys, self.row_values, self.record_constants
        records = [dict(zip(keys, values(row), strict=False)) for row in rows]  # same length
        if constants:
            for record in records:
                record.update(constants)
        for key, declaration in self.maps.items():
            for record in records:
                record[key] = _map_value(declaration, record[key])
        if self.guests is not None:
            self._link_guests(adapter, rows, records)
        for key, method in self.methods.items():
            for index, record in enumerate(records):
                try:
                    record[key] = method(adapter, record)
                except Exception as exc:  # the shop's code: judged with the record (RECORD_ERRORS)
                    record[key] = None
                    problem = Problem.caused_by(f"dehydrate_{key}() failed: {exc!r}", exc)
                    problems.setdefault(index, []).append(problem)
        if self.computed_money and feed_settings.MONEY_PLACES is not None:
            self._round(records, problems, currencies)
        if self.subtree is not None and subtrees:
            self._attach_subtrees(adapter, rows, records)
        return records

    def _currencies(self, rows: list[Row]) -> list[Any]:
        """Each row's currency as its record will have it, before any method runs.

        ``None`` for a record without a ``currency`` key (a product): its money is
        rounded to the store's currency (:func:`~convertedin_feed.money.money_places`).
        """
        if "currency" in self.constants:
            return [self.constants["currency"]] * len(rows)
        if "currency" not in self.keys:
            return [None] * len(rows)
        source = self._source("currency")
        declaration = self.maps.get("currency")
        if declaration is None:
            return [row.get(source) for row in rows]
        return [_map_value(declaration, row.get(source)) for row in rows]

    def _round(
        self, records: list[Row], problems: dict[int, list[str]], currencies: Sequence[Any] | None
    ) -> None:
        """Computed money to the currency's minor units: float residue never reaches the platform."""
        if currencies is None:
            currencies = [record.get("currency") for record in records]
        for index, (record, currency) in enumerate(zip(records, currencies, strict=True)):
            for key in self.computed_money:
                value = record[key]
                if value is None:
                    continue
                try:
                    record[key] = round_money(value, currency)
                except (ValueError, TypeError) as exc:
                    record[key] = None
                    problem = Problem.caused_by(f"{key!r} is no amount: {value!r}", exc)
                    problems.setdefault(index, []).append(problem)

    def _link_guests(self, adapter: FeedAdapter, rows: list[Row], records: list[Row]) -> None:
        """An order without an account is its guest's: ``customer`` is the guest's id."""
        assert self.guests is not None
        guests = self.guests(adapter.request)
        for row, record in zip(rows, records, strict=True):
            if row[_ACCOUNT] is None:
                email = row[GUEST_KEY]
                record["customer"] = guests.guest_id(email) if email else None

    def _children(
        self, adapter: FeedAdapter, related: RelatedPlan, rows: list[Row], currencies: list[Any]
    ) -> dict[Any, list[Any]]:
        """Each parent's related records, by the parent's primary key: one query for the page."""
        ids = list(dict.fromkeys(row["pk"] for row in rows))
        child_adapter = related.adapter(adapter.request)
        queryset = child_adapter.feed_queryset()
        plan = related.plan
        order = (*queryset.query.order_by, "pk")  # the child adapter's order, if it has one
        child_rows = list(
            plan.values_queryset(queryset, link=(related.link, ids)).order_by(_LINK, *order)
        )
        found: dict[int, list[str]] = {}
        child_currencies = None
        if plan.computed_money:
            currency_of = {
                row["pk"]: currency for row, currency in zip(rows, currencies, strict=True)
            }
            child_currencies = [currency_of[row[_LINK]] for row in child_rows]
        records = plan.records(child_adapter, child_rows, found, child_currencies)
        grouped: defaultdict[Any, list[Any]] = defaultdict(list)
        if related.flat:
            for row, record in zip(child_rows, records, strict=True):
                grouped[row[_LINK]].append(record[_FLAT])
            return grouped
        products = "product_id" in plan.keys and issubclass(related.adapter, LineItemAdapter)
        policy = feed_settings.MISSING_PRODUCTS
        troubled: dict[Any, dict[int, tuple[Any, list[str]]]] = defaultdict(dict)
        for index, (row, record) in enumerate(zip(child_rows, records, strict=True)):
            if products and record["product_id"] is None:
                kept = _missing_product(row, record, policy)
                if kept is None:
                    continue
                record = kept
            siblings = grouped[row[_LINK]]
            if index in found:  # judged with the rest of the record when its parent renders
                troubled[row[_LINK]][len(siblings)] = (row["pk"], found[index])
            siblings.append(record)
        for parent, trouble in troubled.items():
            grouped[parent] = _checked(grouped[parent], trouble)
        return grouped

    def _attach_subtrees(self, adapter: FeedAdapter, rows: list[Row], records: list[Row]) -> None:
        """Every record's descendants, nested under the subtree key: one query, any depth.

        The descendants are read with this same plan, from the adapter's own
        queryset: a node it leaves out is left out with everything under it.
        """
        assert self.subtree is not None
        key = self.subtree.key
        roots = [r["pk"] for r in rows]
        if self.subtree.tree_path is not None:
            queryset = path_descendants(adapter.feed_queryset(), self.subtree.tree_path[0], roots)
            identity = _NODE  # children name their parent by its path
        else:
            queryset = descendants(adapter.feed_queryset(), self.subtree.parent, roots)
            identity = "pk"
        node_rows = list(self.values_queryset(queryset))
        found: dict[int, list[str]] = {}
        nodes = self.records(adapter, node_rows, found, subtrees=False)
        children: defaultdict[Any, list[Row]] = defaultdict(list)
        troubled: dict[Any, dict[int, tuple[Any, list[str]]]] = defaultdict(dict)
        for index, (row, node) in enumerate(zip(node_rows, nodes, strict=True)):
            siblings = children[row[_PARENT]]
            if index in found:
                troubled[row[_PARENT]][len(siblings)] = (row["pk"], found[index])
            siblings.append(node)
        for parent, trouble in troubled.items():
            children[parent] = _checked(children[parent], trouble)
        for row, record in zip(node_rows, nodes, strict=True):
            record[key] = children.get(row[identity], [])
        for row, record in zip(rows, records, strict=True):
            record[key] = children.get(row[identity], [])


def _checked(records: list[Any], trouble: dict[int, tuple[Any, list[str]]]) -> CheckedList:
    """``records`` with the problems found in some, by position, and those records' keys."""
    return CheckedList.of(
        records,
        {position: problems for position, (_, problems) in trouble.items()},
        {position: pk for position, (pk, _) in trouble.items()},
    )


def _missing_product(row: Row, record: Row, policy: str) -> Row | None:
    """A line whose product was deleted: its fallback under ``"fallback"``, else left out."""
    fallback = row.get(_PRODUCT_FALLBACK)
    served: Row | None = record
    if policy == PRODUCT_FALLBACK and fallback is not None and str(fallback).strip():
        outcome = f"served with product_id {fallback!r} (Meta.product_fallback)"
        record["product_id"] = fallback
    else:
        outcome = "left out of its order"
        served = None
    line, order = row["pk"], row[_LINK]
    logger.warning(
        "line item %r of order %r has no product (deleted?); %s (MISSING_PRODUCTS = %r)",
        line,
        order,
        outcome,
        policy,
        extra={"record_kind": "line item", "record_id": line, "order_id": order},
    )
    return served


def _tuple_getter(keys: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """``operator.itemgetter`` that returns a tuple whatever the number of keys."""
    if len(keys) == 1:
        (key,) = keys
        return lambda row: (row[key],)
    if not keys:
        return lambda row: ()
    return itemgetter(*keys)


def _aggregate_sets(model: type[Model], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """Aggregates grouped by the to-many relations they read; those that read none join the first."""
    sets: dict[frozenset[str], dict[str, Any]] = {}
    for alias, expression in aggregates.items():
        sets.setdefault(to_many_chains(model, expression), {})[alias] = expression
    plain = sets.pop(frozenset(), {})
    if not sets:
        return [plain] if plain else []
    grouped = list(sets.values())
    grouped[0] = {**plain, **grouped[0]}
    return grouped


def to_many_joins(queryset: QuerySet[Any]) -> list[str]:
    """The to-many relations a queryset joins (each repeats the rows it joins from), by path name."""
    fanning = []
    for join in queryset.query.alias_map.values():
        relation = getattr(join, "join_field", None)
        if isinstance(join, Join) and (
            getattr(relation, "one_to_many", False) or getattr(relation, "many_to_many", False)
        ):
            fanning.append(_path_name(relation))
    return fanning


def _path_name(relation: Any) -> str:
    """The name a path uses to cross ``relation`` (a join field, or a many-to-many's half)."""
    if hasattr(relation, "get_accessor_name") and hasattr(relation, "field"):
        # the reverse side of a ForeignKey or ManyToManyField: its query name
        return str(relation.field.related_query_name())
    return str(getattr(relation, "name", relation))


def _map_value(declaration: Field, value: Any) -> Any:
    """A mapped value; else ``default`` when one is given; else the value as stored."""
    mapping = declaration.value_map
    if mapping is not None:
        try:
            mapped = mapping.get(value, _UNSET)
        except TypeError:  # unhashable: a JSON or array value
            mapped = _UNSET
        if mapped is not _UNSET:
            return mapped
    if declaration.default is not None and (value is None or mapping is not None):
        return declaration.default
    return value


def _related_plan(
    model: type[Model], key: str, declaration: Related, children: KeyTree
) -> RelatedPlan:
    """A ``Related`` key's plan: over a reverse foreign key or a many-to-many, either side."""
    try:
        relation = model._meta.get_field(declaration.accessor)
    except FieldDoesNotExist as exc:
        raise FeedConfigurationError(
            f"Related({declaration.accessor!r}) for {key!r}: {model.__name__} has no such relation."
        ) from exc
    if relation.one_to_many:
        link = relation.field.name  # type: ignore[union-attr]
    elif relation.many_to_many:
        # From the ManyToManyField itself back through its related query name; from
        # the other side, through the field's own name.
        link = (
            relation.field.name
            if isinstance(relation, ForeignObjectRel)
            else relation.related_query_name()  # type: ignore[attr-defined]
        )
    else:
        raise FeedConfigurationError(
            f"Related({declaration.accessor!r}) for {key!r} must name a reverse foreign key or "
            f"a many-to-many relation of {model.__name__}, not a {type(relation).__name__}."
        )
    child_model: type[Model] = relation.related_model  # type: ignore[assignment]
    adapter = declaration.adapter
    flat = declaration.field is not None
    if flat:
        children = {_FLAT: None}
        namespace: dict[str, Any] = {
            "Meta": type("Meta", (), {"model": child_model}),
            _FLAT: Field(declaration.field),
        }
        adapter = type(f"{child_model.__name__}Values", (adapter or FeedAdapter,), namespace)
    elif adapter is None:
        adapter = type(
            f"{child_model.__name__}Adapter",
            (FeedAdapter,),
            {"Meta": type("Meta", (), {"model": child_model})},
        )
    elif adapter.option("model") is None:
        adapter = type(
            adapter.__name__, (adapter,), {"Meta": type("Meta", (), {"model": child_model})}
        )
    return RelatedPlan(
        key=key, link=link, adapter=adapter, plan=plan_for(adapter, children), flat=flat
    )
