"""Adapters: where each documented key's value comes from in the shop's own models.

A shop subclasses the base adapter of each feed (:class:`CategoryAdapter`,
:class:`ProductAdapter`, :class:`CustomerAdapter`, :class:`OrderAdapter`; the
storeinfo feed's :class:`StoreAdapter` reads settings unless subclassed) in a
module of its own app and names them in ``CONVERTEDIN_FEED["ADAPTERS"]``.
Declarations are data (:class:`Field`, :class:`Related`); the records stage
(:mod:`convertedin_feed.plans`) compiles them once per adapter class into a
plan that reads a whole page with ``values()`` and a fixed number of extra
queries, however many rows the page holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import (
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import SHA256, Concat, Left, Length, Lower, Trim
from django.utils.module_loading import import_string

from convertedin_feed.conf import feed_settings
from convertedin_feed.exceptions import FeedConfigurationError
from convertedin_feed.inputs import whole_number
from convertedin_feed.trees import path_with_descendants, with_descendants

if TYPE_CHECKING:
    from convertedin_feed.plans import Plan

Row: TypeAlias = dict[str, Any]
_Class = TypeVar("_Class")

_UNSET: Any = object()
#: A guest's identity in the rows of its orders: the contact email, trimmed and lower case.
GUEST_KEY = "_convertedin_guest"
#: A category's path length, which tells a root of a materialised-path tree.
_PATH_LENGTH = "_convertedin_path_length"
#: A guest's id, computed in SQL for the ``ids`` filter.
_GUEST_ID = "_convertedin_guest_id"
#: The filters a feed takes when its adapter declares them (``Meta.created_at``,
#: ``Meta.updated_at``, ``Meta.filter_ids``), by the ``Meta`` option that declares each.
CHANGE_FILTERS = {"created_since": "created_at", "updated_since": "updated_at", "ids": "filter_ids"}


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
    """Declares a key whose value is a list: the rows of a to-many relation, each mapped.

    ``accessor`` is the relation's name on the parent model: a reverse foreign
    key (the ``related_name`` of the child's ``ForeignKey``) or a many-to-many
    (the ``ManyToManyField``, from either side). ``adapter`` maps each related
    row to a nested record; ``field`` instead makes the list that one field's
    values (``Related("tags", field="name")``). One query per page reads the
    relation for every record on it.
    """

    def __init__(
        self,
        accessor: str,
        adapter: type[FeedAdapter] | None = None,
        *,
        field: str | None = None,
    ) -> None:
        if field is not None and adapter is not None:
            raise FeedConfigurationError("Related() takes an adapter or field=, not both.")
        self.accessor = accessor
        self.adapter = adapter
        self.field = field

    def __repr__(self) -> str:
        field = f", field={self.field!r}" if self.field is not None else ""
        return f"Related({self.accessor!r}{field})"


Declaration: TypeAlias = Field | Related


class Adapter:
    """What every adapter has: the request it serves, and ``Meta`` options read by inheritance."""

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


class FeedAdapter(Adapter):
    """Maps one model onto one feed's records. Subclass it; don't instantiate it bare.

    ``Meta`` options:

    - ``model``: the model class or ``"app_label.ModelName"`` (resolved when used).
    - ``extra_keys``: keys added beyond the documented ones (the Shopify-shaped
      extras); each needs a :class:`Field`, :class:`Related` or a method.
    - ``created_at``: when a record was created, a field path or an expression
      of the model: the feed then takes ``created_since``.
    - ``updated_at``: when a record last changed, a path or expression, or a
      tuple of them when a record changes with other rows too (a customer with
      its orders: ``("updated", "orders__updated")``); a record counts as
      changed when any of them is recent. The feed then takes ``updated_since``.
    - ``filter_ids``: ``True`` to take ``ids``, a comma-separated list of
      record ids (the ``id`` key must read a field path, as it does by default).

    A documented key with no declaration reads the model field of the same name,
    or is ``null`` when the model has none. ``dehydrate_<key>(self, row)``
    returns the final value of ``<key>`` for logic only Python can express;
    ``row`` holds every key's mapped value.
    """

    declared: ClassVar[dict[str, Declaration]] = {}
    #: Keys a class sets to ``None``: no base declares them, not even from settings.
    dropped: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        model: type[Model] | str | None = None
        extra_keys: tuple[str, ...] = ()
        created_at: Any = None
        updated_at: Any = None
        filter_ids: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Declaration] = {}
        dropped: set[str] = set()
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field | Related):
                    declared[name] = value
                    dropped.discard(name)
                elif value is None and not name.startswith("__"):
                    # ``key = None`` drops an inherited declaration, or one a base builds
                    declared.pop(name, None)
                    dropped.add(name)
        cls.declared = declared
        cls.dropped = frozenset(dropped)

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

    def sources(self) -> list[tuple[FeedAdapter, QuerySet[Any]]]:
        """What the feed pages over, in order: who maps which rows (customers add their guests)."""
        return [(self, self.feed_queryset())]

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
            to_many = model_field.one_to_many or model_field.many_to_many
            return Related(key) if to_many else None
        if model_field.concrete and not model_field.many_to_many:
            return Field(key)
        return None

    def aggregate_rows(self, ids: list[Any], aggregates: dict[str, Any]) -> QuerySet[Any]:
        """``aggregates`` for each of the page's rows, as ``values()`` rows holding ``pk``."""
        queryset = self.feed_queryset().filter(pk__in=ids).order_by().values("pk")
        return queryset.annotate(**aggregates)

    # Change filters (``created_since``, ``updated_since``, ``ids``): the ``filters`` stage
    # (:mod:`convertedin_feed.filters`) validates what was sent and calls these.

    @classmethod
    def change_filters(cls) -> frozenset[str]:
        """The change filters this adapter's ``Meta`` declares."""
        return frozenset(name for name, option in CHANGE_FILTERS.items() if cls.option(option))

    @classmethod
    def change_times(cls, option: str) -> tuple[Any, ...]:
        """``Meta.created_at`` or ``Meta.updated_at`` as a tuple of paths and expressions."""
        value = cls.option(option)
        sources = tuple(value) if isinstance(value, list | tuple) else (value,)
        for source in sources:
            if isinstance(source, str) and source:
                continue
            if not hasattr(source, "resolve_expression"):
                raise FeedConfigurationError(
                    f"{cls.__qualname__}.Meta.{option} must be a field path, an ORM expression "
                    f"or a tuple of them, not {value!r}."
                )
            if getattr(source, "contains_aggregate", False):
                raise FeedConfigurationError(
                    f"{cls.__qualname__}.Meta.{option}: {source!r} is an aggregate; name the "
                    'path through the relation instead ("orders__updated"): any recent one counts.'
                )
        return sources

    def filter_changed(
        self,
        queryset: QuerySet[Any],
        option: str,
        since: datetime,
        until: datetime | None = None,
    ) -> QuerySet[Any]:
        """The rows of ``queryset`` with one of their ``option`` times (``"created_at"`` or
        ``"updated_at"``) at or after ``since``, and before ``until`` when given.

        A path across relations is a ``pk IN (subquery)``: a row with two recent
        orders is served once, and the subquery runs once, from the index on the
        related time, not once per row. A path on the model itself and an
        expression compare in place.
        """
        model = self.get_model()
        window = {"gte": since} if until is None else {"gte": since, "lt": until}
        condition = Q()
        for index, source in enumerate(self.change_times(option)):
            if isinstance(source, str) and "__" in source:
                lookups = {f"{source}__{lookup}": value for lookup, value in window.items()}
                changed = model._base_manager.using(queryset.db).filter(**lookups)
                condition |= Q(pk__in=changed.order_by().values("pk"))
                continue
            if not isinstance(source, str):
                alias = f"_convertedin_{option}_{index}"
                queryset, source = queryset.alias(**{alias: source}), alias
            condition |= Q(**{f"{source}__{lookup}": value for lookup, value in window.items()})
        return queryset.filter(condition)

    @classmethod
    def id_path(cls) -> str:
        """The path the ``id`` key reads, for the ``ids`` filter: ``pk`` unless declared."""
        declaration = cls.declared.get("id")
        if declaration is None and "id" not in cls.dropped:
            return "pk"
        if (
            isinstance(declaration, Field)
            and declaration.attribute is not None
            and declaration.value_map is None
            and not callable(getattr(cls, "dehydrate_id", None))
        ):
            return declaration.attribute
        raise FeedConfigurationError(
            f"{cls.__qualname__} takes ids (Meta.filter_ids), but its id is not a field path "
            f"({declaration!r}, or a dehydrate_id method): the filter could not be run in SQL."
        )

    def refused_ids(self, values: Iterable[Any]) -> list[Any]:
        """The ids in ``values`` that can be no record's of this feed."""
        return self._keys(values)[1]

    def filter_ids(self, queryset: QuerySet[Any], values: Iterable[Any]) -> QuerySet[Any]:
        """The rows of ``queryset`` whose record id is one of ``values`` (ids that cannot
        be this adapter's match nothing)."""
        return queryset.filter(**{f"{self.id_path()}__in": self._keys(values)[0]})

    def _keys(self, values: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        """``values`` as this adapter's keys, and those that cannot be one."""
        field = _field_at(self.get_model(), self.id_path())
        keys, refused = [], []
        for value in values:
            try:
                keys.append(model_key(field, value))
            except (ValueError, TypeError, ValidationError):
                refused.append(value)
        return keys, refused


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

    #: What :meth:`guest_id` makes: ``ids`` that do not look like this are no guest's.
    guest_id_pattern: ClassVar[re.Pattern[str]] = re.compile(r"guest-[0-9a-f]{20}")

    @classmethod
    def guest_id_expression(cls) -> Any:
        """:meth:`guest_id` in SQL, over a guest's row: what the ``ids`` filter compares.

        A subclass that overrides ``guest_id`` overrides this too (and
        :attr:`guest_id_pattern`), or takes no ``ids``: ``manage.py check`` says so (E012).
        """
        if cls.guest_id is not GuestAdapter.guest_id and (
            cls.guest_id_expression.__func__ is GuestAdapter.guest_id_expression.__func__  # type: ignore[attr-defined]
        ):
            raise FeedConfigurationError(
                f"{cls.__qualname__} overrides guest_id() but not guest_id_expression(): "
                "the ids filter cannot find its guests in SQL."
            )
        return Concat(Value("guest-"), Left(UTF8SHA256(F(GUEST_KEY)), 20))

    @classmethod
    def change_filters(cls) -> frozenset[str]:
        """The times the guests' ``Meta`` declares; ``ids`` always (by :meth:`guest_id_expression`)."""
        return super().change_filters() | {"ids"}

    def filter_changed(
        self,
        queryset: QuerySet[Any],
        option: str,
        since: datetime,
        until: datetime | None = None,
    ) -> QuerySet[Any]:
        """A guest was created with its first order (the row ``queryset`` holds), and
        changes whenever one of its orders does (its aggregates run over all of them)."""
        if option == "created_at":
            return super().filter_changed(queryset, option, since, until)
        changed = super().filter_changed(self.guest_orders().order_by(), option, since, until)
        return queryset.filter(**{f"{GUEST_KEY}__in": changed.values(GUEST_KEY)})

    def refused_ids(self, values: Iterable[Any]) -> list[Any]:
        return [value for value in values if not self.is_guest_id(value)]

    def is_guest_id(self, value: Any) -> bool:
        return isinstance(value, str) and self.guest_id_pattern.fullmatch(value) is not None

    def filter_ids(self, queryset: QuerySet[Any], values: Iterable[Any]) -> QuerySet[Any]:
        wanted = [value for value in values if self.is_guest_id(value)]
        guests = queryset.alias(**{_GUEST_ID: self.guest_id_expression()})
        return guests.filter(**{f"{_GUEST_ID}__in": wanted})

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
    Its change filters apply to both; the guest adapter declares its own
    ``created_at`` and ``updated_at``, paths of the order model.
    """

    def refused_ids(self, values: Iterable[Any]) -> list[Any]:
        """The ids that are neither an account's nor a guest's."""
        refused = super().refused_ids(values)
        guests = guest_adapter_class(type(self))
        return refused if guests is None else guests(self.request).refused_ids(refused)

    def sources(self) -> list[tuple[FeedAdapter, QuerySet[Any]]]:
        sources = super().sources()
        guests = guest_adapter_class(type(self))
        if guests is not None:
            adapter = guests(self.request)
            sources.append((adapter, adapter.first_orders()))
        return sources


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


class CategoryAdapter(FeedAdapter):
    """Base adapter for the categories feed: root categories, each with its whole subtree.

    ``Meta.parent`` names the foreign key to the parent category (default
    ``"parent"``); a category without one is a root, and a record of the feed.
    A tree kept as a materialised path (django-treebeard's ``MP_Node``: no
    parent column) names its path field in ``Meta.path`` instead (``"path"``),
    and the length of one step in ``Meta.steplen`` (default: the model's own
    ``steplen``, as treebeard declares it); a root's path is one step long.
    ``subcategories`` is read, not declared: the descendants of a page's roots,
    nested to any depth, in one query (:func:`convertedin_feed.trees.descendants`,
    or :func:`~convertedin_feed.trees.path_descendants` by path).
    A category :meth:`get_queryset` leaves out is left out with its subtree.
    """

    class Meta:
        parent: str = "parent"
        path: str | None = None
        steplen: int | None = None

    @classmethod
    def parent_path(cls) -> str:
        parent = cls.option("parent")
        if not isinstance(parent, str) or not parent:
            raise FeedConfigurationError(
                f"{cls.__qualname__}.Meta.parent must name the foreign key to the parent category."
            )
        return parent

    @classmethod
    def tree_path(cls) -> tuple[str, int] | None:
        """``(path field, step length)`` of a materialised-path tree (``Meta.path``), else ``None``."""
        path = cls.option("path")
        if path is None:
            return None
        steplen = cls.option("steplen")
        if steplen is None:
            steplen = getattr(cls.get_model(), "steplen", None)
        if not isinstance(path, str) or not path:
            raise FeedConfigurationError(
                f"{cls.__qualname__}.Meta.path must name the category's materialised path field."
            )
        if isinstance(steplen, bool) or not isinstance(steplen, int) or steplen < 1:
            raise FeedConfigurationError(
                f"{cls.__qualname__}.Meta.steplen must be the length of one step of the path "
                f"(treebeard's steplen), not {steplen!r}."
            )
        return path, steplen

    def sources(self) -> list[tuple[FeedAdapter, QuerySet[Any]]]:
        tree = self.tree_path()
        if tree is not None:
            path, steplen = tree
            roots = self.feed_queryset().alias(**{_PATH_LENGTH: Length(path)})
            return [(self, roots.filter(**{_PATH_LENGTH: steplen}))]
        roots = self.feed_queryset().filter(**{f"{self.parent_path()}__isnull": True})
        return [(self, roots)]


class ProductAdapter(FeedAdapter):
    """Base adapter for the products feed.

    ``Meta`` options, beside ``model``:

    - ``categories``: the path from a product to its categories (a many-to-many
      or a foreign key), which the ``collection_id`` filter follows.
    - ``collection_subcategories``: whether ``collection_id`` also matches the
      products of that category's subcategories, at any depth (default ``True``,
      as a shopper browsing a category sees them); ``parent`` is then the
      category model's foreign key to its parent (default ``"parent"``), or
      ``path`` its materialised path field, for a treebeard ``MP_Node``.

    Serve ``quantity`` or ``stock_status``, as the shop tells stock; the one
    left unmapped is left out of the records.
    """

    class Meta:
        categories: str | None = None
        collection_subcategories: bool = True
        parent: str = "parent"
        path: str | None = None

    def filter_collection(self, queryset: QuerySet[Any], category: Any) -> QuerySet[Any]:
        """The products of ``queryset`` in ``category`` (and its subcategories): an ``Exists``,
        so a product in two of them is served once."""
        path = self.categories_path()
        categories = self.collection_categories(queryset, category)
        inside = (
            self.get_model()
            ._default_manager.using(queryset.db)
            .filter(Q(pk=OuterRef("pk")), **{f"{path}__in": categories})
        )
        return queryset.filter(Exists(inside))

    def categories_path(self) -> str:
        """``Meta.categories``, the path from a product to its categories."""
        path = self.option("categories")
        if not path:
            raise FeedConfigurationError(
                f"{type(self).__qualname__} has no Meta.categories: name the path from a "
                "product to its categories for the collection_id filter."
            )
        return str(path)

    def collection_categories(self, queryset: QuerySet[Any], category: Any) -> QuerySet[Any]:
        """The keys of the categories ``collection_id`` matches: ``category``, and with
        ``Meta.collection_subcategories`` every category under it, as a subquery."""
        category_model = _related_model(self.get_model(), self.categories_path())
        category = model_key(category_model._meta.pk, category)
        categories = category_model._default_manager.using(queryset.db).all()
        if self.option("collection_subcategories") and self.option("path"):
            categories = path_with_descendants(categories, self.option("path"), [category])
        elif self.option("collection_subcategories"):
            categories = with_descendants(categories, self.option("parent"), [category])
        else:
            categories = categories.filter(pk=category)
        return categories.values("pk")


class StoreAdapter(Adapter):
    """The storeinfo feed's one record, from ``CONVERTEDIN_FEED["STORE"]``.

    Keys: ``name``, ``currency``, ``time_zone`` (an IANA name; default
    ``settings.TIME_ZONE``), ``email``, ``description``, ``country`` (and
    ``country_code``, which defaults to ``country``). A shop that keeps these
    in its database subclasses this and overrides :meth:`get_store`.

    ``manage.py check`` checks the values (``E011``) when ``get_store`` reads
    settings only: this class's, or a subclass's that sets ``settings_only``.
    """

    #: Whether :meth:`get_store` reads settings only, so ``manage.py check`` can check its
    #: values; ``None``: only when it is this class's own.
    settings_only: ClassVar[bool | None] = None

    def get_store(self) -> dict[str, Any]:
        """The store's values by key; the time zone as an IANA name."""
        store = feed_settings.STORE
        values = dict(store) if isinstance(store, Mapping) else {}
        values.setdefault("time_zone", feed_settings.time_zone_name)
        return values

    def get_record(self) -> dict[str, Any]:
        """The one record the feed serves."""
        values = self.get_store()
        values.setdefault("country_code", values.get("country"))
        return values


class UTF8SHA256(SHA256):
    """Django's ``SHA256`` (hex), on PostgreSQL by its built-in ``sha256()`` of the UTF-8
    text rather than pgcrypto's ``digest()``, which is an extension a shop may not have."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra_context,
        )


def model_key(field: Any, value: Any) -> Any:
    """``value``, as sent, as the key ``field`` holds (``ValueError`` or ``ValidationError``).

    An integer key reads text as the page number is read (no ``٣``, ``1_0`` or
    ``007``: :func:`~convertedin_feed.inputs.whole_number`), within the column's range.
    """
    field = getattr(field, "target_field", field)  # a foreign key holds its target's values
    if isinstance(field, IntegerField) and isinstance(value, str):
        value = whole_number(value)
    value = field.to_python(value)
    field.run_validators(value)  # the column's range, where Django knows it
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} is out of any integer column's range")
    return value


def _field_at(model: type[Model], path: str) -> Any:
    """The model field at the end of ``path`` (``"pk"``, ``"number"``, ``"account__code"``)."""
    *relations, name = path.split("__")
    if relations:
        model = _related_model(model, "__".join(relations))
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _related_model(model: type[Model], path: str) -> type[Model]:
    """The model at the end of a relation ``path`` (``"categories"``, ``"shelf__section"``)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model  # type: ignore[assignment]
        if model is None:
            raise FeedConfigurationError(f"{path!r} is not a path of relations.")
    return model


def guest_adapter_class(adapter: type[FeedAdapter]) -> type[GuestAdapter] | None:
    """The :class:`GuestAdapter` an adapter names in ``Meta.guests``, or ``None``."""
    option = adapter.option("guests")
    if option is None:
        return None
    return import_class(option, GuestAdapter, f"{adapter.__qualname__}.Meta.guests")


def import_class(value: Any, base: type[_Class], where: str) -> type[_Class]:
    """``value``, a class or its dotted path, which must be a subclass of ``base``."""
    try:
        found = import_string(value) if isinstance(value, str) else value
    except ImportError as exc:
        raise FeedConfigurationError(f"{where} = {value!r} does not import: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, base)):
        raise FeedConfigurationError(f"{where} = {value!r} is not a {base.__name__} subclass.")
    return found
