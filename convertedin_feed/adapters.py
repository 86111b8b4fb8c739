"""Adapters: where each documented key's value comes from in the shop's own models.

A shop subclasses :class:`CustomerAdapter` and :class:`OrderAdapter` in a module
of its own app and names them in ``CONVERTEDIN_FEED["ADAPTERS"]``. Declarations
are data (:class:`Field`, :class:`Related`); they are compiled once per adapter
class into a :class:`Plan` that reads a whole page with ``values()`` and a fixed
number of extra queries, however many rows the page holds.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, ClassVar, TypeAlias, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, F, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower, Trim
from django.db.models.sql.datastructures import Join
from django.utils.module_loading import import_string

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import FeedConfigurationError, UnknownFeed
from convertedin_feed.money import MONEY, round_money
from convertedin_feed.record_errors import CheckedList, Problem
from convertedin_feed.relations import to_many_chains

#: The documented keys of a record, in output order; a nested mapping marks a
#: key whose value is a list of sub-records (an order's ``line_items``), and
#: :data:`~convertedin_feed.money.MONEY` a money key.
KeyTree: TypeAlias = Mapping[str, "KeyTree | str | None"]

Row: TypeAlias = dict[str, Any]
_Class = TypeVar("_Class")

logger = logging.getLogger("convertedin_feed")

_UNSET: Any = object()
_ANNOTATION_PREFIX = "_convertedin_"
#: A guest's identity in the rows of its orders: the contact email, trimmed and lower case.
GUEST_KEY = "_convertedin_guest"
#: An order row's account link, read to tell a guest order from an account's.
_ACCOUNT = "_convertedin_account"
#: A line item row's fallback for a deleted product (``Meta.product_fallback``).
_PRODUCT_FALLBACK = "_convertedin_product_fallback"

#: ``MISSING_PRODUCTS`` policies: what a line item whose product was deleted becomes.
DROP_LINE = "drop"
PRODUCT_FALLBACK = "fallback"
MISSING_PRODUCT_POLICIES = (DROP_LINE, PRODUCT_FALLBACK)


class Field:
    """Declares the source of one key.

    Exactly one source: a field path (``"user__email"``), an ORM ``expression``
    (``Count("orders")``; aggregates are computed for the page's rows only) or
    a ``constant``. ``value_map`` translates stored values (``{"M": "male"}``);
    ``default`` replaces ``None`` and values the map does not know.
    """

    def __init__(
        self,
        attribute: Any = None,
        *,
        expression: Any = None,
        constant: Any = _UNSET,
        value_map: Mapping[Any, Any] | None = None,
        default: Any = None,
    ) -> None:
        if attribute is not None and not isinstance(attribute, str):
            expression, attribute = attribute, None
        sources = [attribute is not None, expression is not None, constant is not _UNSET]
        if sum(sources) != 1:
            raise FeedConfigurationError(
                "Field() takes exactly one of: a field path, expression=, constant=."
            )
        if expression is not None and not hasattr(expression, "resolve_expression"):
            raise FeedConfigurationError(
                f"Field(expression=...) needs an ORM expression, not {expression!r}."
            )
        self.attribute: str | None = attribute
        self.expression = expression
        self.constant = constant
        self.value_map = dict(value_map) if value_map is not None else None
        self.default = default

    @property
    def is_aggregate(self) -> bool:
        return bool(
            self.expression is not None and getattr(self.expression, "contains_aggregate", False)
        )

    def __repr__(self) -> str:
        if self.attribute is not None:
            source = repr(self.attribute)
        elif self.expression is not None:
            source = f"expression={self.expression!r}"
        else:
            source = f"constant={self.constant!r}"
        return f"Field({source})"


class Related:
    """Declares a key whose value is the list of a reverse foreign key's rows.

    ``accessor`` is the relation's name on the parent model (the ``related_name``
    of the child's foreign key); ``adapter`` maps each child row.
    """

    def __init__(self, accessor: str, adapter: type[FeedAdapter] | None = None) -> None:
        self.accessor = accessor
        self.adapter = adapter

    def __repr__(self) -> str:
        return f"Related({self.accessor!r})"


Declaration: TypeAlias = Field | Related


class FeedAdapter:
    """Maps one model onto one feed's records. Subclass it; don't instantiate it bare.

    ``Meta`` options:

    - ``model``: the model class or ``"app_label.ModelName"`` (resolved when used).
    - ``extra_keys``: keys added beyond the documented ones (the Shopify-shaped
      extras); each needs a :class:`Field`, :class:`Related` or a method.

    A documented key with no declaration reads the model field of the same name,
    or is ``null`` when the model has none. ``dehydrate_<key>(self, row)``
    returns the final value of ``<key>`` for logic only Python can express;
    ``row`` holds every key's mapped value.
    """

    declared: ClassVar[dict[str, Declaration]] = {}
    _plans: ClassVar[dict[Any, Plan]] = {}

    class Meta:
        model: type[Model] | str | None = None
        extra_keys: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Declaration] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field | Related):
                    declared[name] = value
                elif value is None and name in declared:  # ``key = None`` drops an inherited one
                    del declared[name]
        cls.declared = declared
        cls._plans = {}

    def __init__(self, request: Any = None) -> None:
        self.request = request

    @classmethod
    def option(cls, name: str, default: Any = None) -> Any:
        """A ``Meta`` option, inherited option by option from base adapters."""
        for klass in cls.__mro__:
            meta = vars(klass).get("Meta")
            if meta is not None and name in vars(meta):
                return vars(meta)[name]
        return default

    @classmethod
    def get_model(cls) -> type[Model]:
        model = cls.option("model")
        if isinstance(model, str):
            try:
                return apps.get_model(model)
            except (LookupError, ValueError) as exc:
                raise FeedConfigurationError(
                    f"{cls.__qualname__}.Meta.model {model!r}: {exc}"
                ) from exc
        if model is None:
            raise FeedConfigurationError(f"{cls.__qualname__} has no Meta.model.")
        return model

    def get_queryset(self) -> QuerySet[Any]:
        """The rows this feed may publish. Override to leave out test or staff rows."""
        return self.get_model()._default_manager.all()

    # The machinery below is what views call; shops rarely need to touch it.

    def feed_queryset(self) -> QuerySet[Any]:
        """:meth:`get_queryset` on the ``DATABASE`` alias: every query a feed makes starts here."""
        queryset = self.get_queryset()
        alias = feed_settings.DATABASE
        return queryset.using(alias) if alias else queryset

    @classmethod
    def plan(cls, keys: KeyTree) -> Plan:
        """The compiled reading plan for ``keys``, built once per adapter class."""
        cache_key = _freeze(keys)
        plan = cls._plans.get(cache_key)
        if plan is None:
            plan = cls._plans[cache_key] = Plan.compile(cls, keys)
        return plan

    def parts(self, keys: KeyTree) -> list[Part]:
        """What the feed reads, in paging order: this adapter's rows (customers add their guests)."""
        return [Part(self, self.plan(keys), self.feed_queryset())]

    def select(self, plan: Plan, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """A page's rows as ``values()``: what ``plan`` maps, by ``pk``."""
        return plan.values_queryset(queryset)

    @classmethod
    def default_declaration(cls, key: str, children: Any) -> Declaration | None:
        """A key the adapter leaves undeclared reads the model's field of the same name."""
        if key == "id":
            return Field("pk")  # whatever the primary key is called
        model = cls.get_model()
        try:
            model_field = model._meta.get_field(key)
        except FieldDoesNotExist:
            return None
        if children is not None:
            return Related(key) if model_field.one_to_many else None
        if model_field.concrete and not model_field.many_to_many:
            return Field(key)
        return None

    def aggregate_rows(self, ids: list[Any], aggregates: dict[str, Any]) -> QuerySet[Any]:
        """``aggregates`` for each of the page's rows, as ``values()`` rows holding ``pk``."""
        queryset = self.feed_queryset().filter(pk__in=ids).order_by().values("pk")
        return queryset.annotate(**aggregates)


class GuestAdapter(FeedAdapter):
    """Customers without an account, derived from the shop's orders.

    One guest per normalised contact email (trimmed, lower case), over the
    orders whose account link is ``NULL``: guest checkouts, and the orders of
    accounts deleted since. Paths and expressions are the order model's. Plain
    values are read from the guest's first order (the lowest primary key);
    aggregates (``Count``, ``Sum``, ``Min``) run over all of the guest's orders.

    ``Meta`` options, beside ``model`` (the order model):

    - ``account``: the order's link to the account, e.g. ``"user"``.
    - ``email``: the order's contact email, a path or an expression.

    ``id`` is always :meth:`guest_id` of the normalised email (override that
    method to change it: the orders feed links through it too); ``email`` is
    the normalised email unless declared. Name this class in ``Meta.guests``
    of both the customers and the orders adapter.
    """

    class Meta:
        account: str | None = None
        email: Any = None

    @classmethod
    def guest_key(cls) -> Any:
        """The normalised contact email, as an expression over the order model."""
        email = cls.option("email")
        if email is None:
            raise FeedConfigurationError(
                f"{cls.__qualname__} has no Meta.email: name the order's contact email field."
            )
        return Lower(Trim(F(email) if isinstance(email, str) else email))

    @classmethod
    def account_path(cls) -> str:
        account = cls.option("account")
        if not isinstance(account, str) or not account:
            raise FeedConfigurationError(
                f"{cls.__qualname__} has no Meta.account: name the order's link to the account "
                "(guests are the orders where it is NULL)."
            )
        return account

    @classmethod
    def guest_rows(cls, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The orders of ``queryset`` that belong to a guest, each with its :data:`GUEST_KEY`."""
        return (
            queryset.filter(**{f"{cls.account_path()}__isnull": True})
            .annotate(**{GUEST_KEY: cls.guest_key()})
            .exclude(**{f"{GUEST_KEY}__isnull": True})
            .exclude(**{GUEST_KEY: ""})
        )

    def guest_orders(self) -> QuerySet[Any]:
        """Every order of every guest, on the feed's database."""
        return self.guest_rows(self.feed_queryset())

    def first_orders(self) -> QuerySet[Any]:
        """Each guest's first order: a guest's row in the customers feed, paged by its key."""
        orders = self.guest_orders()
        earlier = orders.filter(**{GUEST_KEY: OuterRef(GUEST_KEY), "pk__lt": OuterRef("pk")})
        return orders.filter(~Exists(earlier.values("pk")))

    def guest_id(self, email: str) -> str:
        """A guest's customer id: ``guest-`` and the first 20 hex digits of the email's SHA-256.

        The same email gives the same id on every sync; no account id starts
        with ``guest-``. Override to form ids another way; the orders feed links
        guest orders through this same method.
        """
        return "guest-" + hashlib.sha256(email.encode()).hexdigest()[:20]

    def dehydrate_id(self, record: Row) -> Any:
        return self.guest_id(record["id"])

    @classmethod
    def default_declaration(cls, key: str, children: Any) -> Declaration | None:
        if key in ("id", "email"):
            return Field(GUEST_KEY)
        return super().default_declaration(key, children)

    def select(self, plan: Plan, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Each guest's first order, with the aggregates over all of the guest's orders.

        An aggregate is a subquery per row, one index lookup of the guest's key:
        a ``GROUP BY`` over the page's keys would read every guest order (the
        planner will not look a thousand expressions up in an index), and a
        subquery per aggregate computes each as if alone.
        """
        orders = self.guest_orders().order_by()
        mine = orders.filter(**{GUEST_KEY: OuterRef(GUEST_KEY)}).values(GUEST_KEY)
        figures = {
            alias: Subquery(mine.annotate(_figure=expression).values("_figure")[:1])
            for alias, expression in plan.aggregates.items()
        }
        return plan.values_queryset(queryset, annotations=figures)


class CustomerAdapter(FeedAdapter):
    """Base adapter for the customers feed.

    ``Meta.guests`` names a :class:`GuestAdapter` (the class or its dotted
    path): the feed then serves the accounts, then the guests, in one paging order.
    """

    def parts(self, keys: KeyTree) -> list[Part]:
        parts = super().parts(keys)
        guests = guest_adapter_class(type(self))
        if guests is not None:
            adapter = guests(self.request)
            parts.append(Part(adapter, guests.plan(keys), adapter.first_orders()))
        return parts


class OrderAdapter(FeedAdapter):
    """Base adapter for the orders feed; ``customer`` defaults to the ``customer`` foreign key.

    With ``Meta.guests`` (the same :class:`GuestAdapter` as the customers
    adapter's), an order whose account link is ``NULL`` is linked to its guest
    customer; one without an email either has no customer (``RECORD_ERRORS``).
    """


class LineItemAdapter(FeedAdapter):
    """Base adapter for an order's line items (``product_id``, ``quantity``, ``price``).

    ``Meta.product_fallback``: the path served as ``product_id`` when the
    line's product was deleted and ``MISSING_PRODUCTS`` is ``"fallback"``.
    """


def guest_adapter_class(adapter: type[FeedAdapter]) -> type[GuestAdapter] | None:
    """The :class:`GuestAdapter` an adapter names in ``Meta.guests``, or ``None``."""
    option = adapter.option("guests")
    if option is None:
        return None
    return _import_class(option, GuestAdapter, f"{adapter.__qualname__}.Meta.guests")


def get_adapter(feed: str, request: Any = None) -> FeedAdapter:
    """The shop's adapter for ``feed``, resolved from settings on every call."""
    adapters = feed_settings.ADAPTERS
    path = adapters.get(feed) if isinstance(adapters, Mapping) else None
    if not path:
        raise UnknownFeed(
            f'No adapter for the {feed!r} feed: set CONVERTEDIN_FEED["ADAPTERS"][{feed!r}].'
        )
    return load_adapter_class(path, feed)(request)


def load_adapter_class(path: Any, feed: str) -> type[FeedAdapter]:
    return _import_class(path, FeedAdapter, f'CONVERTEDIN_FEED["ADAPTERS"][{feed!r}]')


def _import_class(value: Any, base: type[_Class], where: str) -> type[_Class]:
    """``value``, a class or its dotted path, which must be a subclass of ``base``."""
    try:
        found = import_string(value) if isinstance(value, str) else value
    except ImportError as exc:
        raise FeedConfigurationError(f"{where} = {value!r} does not import: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, base)):
        raise FeedConfigurationError(f"{where} = {value!r} is not a {base.__name__} subclass.")
    return found


# ---------------------------------------------------------------------------
# Compiled plans


@dataclass(frozen=True)
class Part:
    """One run of a feed's rows: who maps them, how, and from which queryset."""

    adapter: FeedAdapter
    plan: Plan
    queryset: QuerySet[Any]

    def select(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` (this part's, filtered or cut) as the ``values()`` rows the plan maps."""
        return self.adapter.select(self.plan, queryset)


@dataclass
class RelatedPlan:
    key: str
    link: str  # the child's foreign-key column, e.g. "purchase_id"
    adapter: type[FeedAdapter]
    plan: Plan


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
    maps: dict[str, Field] = field(default_factory=dict)  # keys with value_map/default
    related: list[RelatedPlan] = field(default_factory=list)
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: An orders plan with guests: the guest adapter that links guest orders.
    guests: type[GuestAdapter] | None = None
    #: Money keys whose value is computed (an aggregate, an expression, a
    #: ``dehydrate_`` method): rounded to the currency's minor units (``MONEY_PLACES``).
    computed_money: list[str] = field(default_factory=list)

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
        return plan

    def _source(self, key: str) -> str:
        """Where ``key``'s value sits in a row once a page's extra queries are merged in."""
        if key in self.paths:
            return self.paths[key]
        if any(related.key == key for related in self.related):
            return key
        return _ANNOTATION_PREFIX + key

    def _add(
        self, model: type[Model], key: str, declaration: Declaration | None, children: Any
    ) -> None:
        if declaration is None:
            self.constants[key] = None
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

    # Running a plan

    def values_queryset(
        self, queryset: QuerySet[Any], *extra: str, annotations: dict[str, Any] | None = None
    ) -> QuerySet[Any]:
        """The page's rows as ``values()``, by ``pk``; refused if a join would repeat rows."""
        fields = dict.fromkeys(("pk", *extra, *self.paths.values()))
        rows = queryset.order_by("pk").values(*fields, **self.annotations, **(annotations or {}))
        fanning = to_many_joins(rows)
        if fanning:
            raise FeedConfigurationError(
                f"{self.adapter.__qualname__}: the rows query joins the to-many relation "
                f"{', '.join(fanning)}, so it would serve a record once per related row. "
                "Filter across it with Exists() in get_queryset(), and map it with an "
                "aggregate, a Subquery or Related, never a plain Field path."
            )
        return rows

    def records(
        self,
        adapter: FeedAdapter,
        rows: list[Row],
        problems: dict[int, list[str]],
        currencies: Sequence[Any] | None = None,
    ) -> list[Row]:
        """Map a page of ``values()`` rows to records: one query per aggregate set and per Related.

        A ``dehydrate_`` method that raises leaves its key ``None``; its problem
        goes into ``problems``, by the record's position, to be judged once
        with the rest of the record when it is rendered (``RECORD_ERRORS``).
        Computed money is rounded in the record's ``currency``, or for records
        without one (line items) in ``currencies``, their parents', row by row.
        """
        if not rows:
            return []
        ids = [row["pk"] for row in rows]
        if len(set(ids)) != len(ids):
            raise FeedConfigurationError(
                f"{self.adapter.__qualname__}: a page holds a record twice; its queryset "
                "repeats rows (a join or a union). A record is served once or not at all."
            )
        for aggregates in self.aggregate_sets:
            aggregated = {row.pop("pk"): row for row in adapter.aggregate_rows(ids, aggregates)}
            missing = dict.fromkeys(aggregates)  # a row deleted since the page was read
            for row in rows:
                row.update(aggregated.get(row["pk"], missing))
        for related in self.related:
            currencies_of_rows = self._currencies(rows) if related.plan.computed_money else []
            children = self._children(adapter, related, ids, currencies_of_rows)
            for row in rows:
                row[related.key] = children.get(row["pk"], [])

        build, methods = self._build, self.methods
        records = [build(row) for row in rows]
        if self.guests is not None:
            self._link_guests(adapter, rows, records)
        for key, method in methods.items():
            for index, record in enumerate(records):
                try:
                    record[key] = method(adapter, record)
                except Exception as exc:  # the shop's code: judged with the record (RECORD_ERRORS)
                    record[key] = None
                    problem = Problem.caused_by(f"dehydrate_{key}() failed: {exc!r}", exc)
                    problems.setdefault(index, []).append(problem)
        if self.computed_money and feed_settings.MONEY_PLACES is not None:
            self._round(records, problems, currencies)
        return records

    def _currencies(self, rows: list[Row]) -> list[Any]:
        """Each row's currency as its record will have it, before any method runs."""
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

    @cached_property
    def _build(self) -> Callable[[Row], Row]:
        """One row to one record, as a generated function: a dict display, one line per key.

        A page is a thousand orders and three thousand line items; a loop over
        keys per record costs more there than the database does::

            "email": row["mail"], "currency": constant_6, "gender": map_9(row["sex"]),
        """
        namespace: dict[str, Any] = {}
        lines = []
        for i, key in enumerate(self.keys):
            if key in self.constants:
                namespace[f"constant_{i}"] = self.constants[key]
                value = f"constant_{i}"
            else:
                value = f"row[{self._source(key)!r}]"
            if key in self.maps:
                namespace[f"map_{i}"] = partial(_map_value, self.maps[key])
                value = f"map_{i}({value})"
            lines.append(f"        {key!r}: {value},")
        source = "def build(row):\n    return {\n" + "\n".join(lines) + "\n    }\n"
        filename = f"<{self.adapter.__qualname__} plan>"
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own source
        build: Callable[[Row], Row] = namespace["build"]
        return build

    def _children(
        self, adapter: FeedAdapter, related: RelatedPlan, ids: list[Any], currencies: list[Any]
    ) -> dict[Any, list[Row]]:
        child_adapter = related.adapter(adapter.request)
        queryset = child_adapter.feed_queryset().filter(**{f"{related.link}__in": ids})
        rows = list(
            related.plan.values_queryset(queryset, related.link).order_by(related.link, "pk")
        )
        found: dict[int, list[str]] = {}
        child_currencies = None
        if related.plan.computed_money:
            currency_of = dict(zip(ids, currencies, strict=True))
            child_currencies = [currency_of[row[related.link]] for row in rows]
        records = related.plan.records(child_adapter, rows, found, child_currencies)
        grouped: defaultdict[Any, list[Row]] = defaultdict(list)
        products = "product_id" in related.plan.keys and issubclass(
            related.adapter, LineItemAdapter
        )
        policy = feed_settings.MISSING_PRODUCTS
        troubled: dict[Any, dict[int, tuple[Any, list[str]]]] = defaultdict(dict)
        for index, (row, record) in enumerate(zip(rows, records, strict=True)):
            if products and record["product_id"] is None:
                kept = _missing_product(related, row, record, policy)
                if kept is None:
                    continue
                record = kept
            siblings = grouped[row[related.link]]
            if index in found:  # judged with the rest of the record when its parent renders
                troubled[row[related.link]][len(siblings)] = (row["pk"], found[index])
            siblings.append(record)
        for parent, trouble in troubled.items():
            grouped[parent] = CheckedList.of(
                grouped[parent],
                {position: problems for position, (_, problems) in trouble.items()},
                {position: pk for position, (pk, _) in trouble.items()},
            )
        return grouped


def _missing_product(related: RelatedPlan, row: Row, record: Row, policy: str) -> Row | None:
    """A line whose product was deleted: its fallback under ``"fallback"``, else left out."""
    fallback = row.get(_PRODUCT_FALLBACK)
    served: Row | None = record
    if policy == PRODUCT_FALLBACK and fallback is not None and str(fallback).strip():
        outcome = f"served with product_id {fallback!r} (Meta.product_fallback)"
        record["product_id"] = fallback
    else:
        outcome = "left out of its order"
        served = None
    line, order = row["pk"], row[related.link]
    logger.warning(
        "line item %r of order %r has no product (deleted?); %s (MISSING_PRODUCTS = %r)",
        line,
        order,
        outcome,
        policy,
        extra={"record_kind": "line item", "record_id": line, "order_id": order},
    )
    return served


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
    """The to-many relations a queryset joins (each repeats the rows it joins from)."""
    fanning = []
    for join in queryset.query.alias_map.values():
        relation = getattr(join, "join_field", None)
        if isinstance(join, Join) and (
            getattr(relation, "one_to_many", False) or getattr(relation, "many_to_many", False)
        ):
            fanning.append(str(getattr(relation, "name", join.table_name)))
    return fanning


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
    try:
        relation = model._meta.get_field(declaration.accessor)
    except FieldDoesNotExist as exc:
        raise FeedConfigurationError(
            f"Related({declaration.accessor!r}) for {key!r}: {model.__name__} has no such relation."
        ) from exc
    if not relation.one_to_many:
        raise FeedConfigurationError(
            f"Related({declaration.accessor!r}) for {key!r} must name a reverse foreign key "
            f"(the related_name of a ForeignKey to {model.__name__})."
        )
    child_model: type[Model] = relation.related_model  # type: ignore[assignment]
    adapter = declaration.adapter
    if adapter is None:
        adapter = type(
            f"{child_model.__name__}Adapter",
            (FeedAdapter,),
            {"Meta": type("Meta", (), {"model": child_model})},
        )
    elif adapter.option("model") is None:
        adapter = type(
            adapter.__name__, (adapter,), {"Meta": type("Meta", (), {"model": child_model})}
        )
    link = relation.field.attname  # type: ignore[union-attr]
    return RelatedPlan(key=key, link=link, adapter=adapter, plan=adapter.plan(children))


def _freeze(keys: KeyTree | str | None) -> Any:
    if not isinstance(keys, Mapping):
        return keys
    return tuple((key, _freeze(value)) for key, value in keys.items())
