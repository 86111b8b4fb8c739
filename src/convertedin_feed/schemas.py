"""Record schemas: the documented shape of each feed's records, and the formatter that renders them.

A schema is a DRF serializer whose fields are the documented keys, in the
documents' order (:mod:`convertedin_feed.fields`). Records arrive as plain
dicts from the records stage (:mod:`convertedin_feed.plans`); a page of them
is rendered by one :class:`RecordFormatter` call, and each record is judged
once (``RECORD_ERRORS``) with every problem found on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rest_framework import serializers

from convertedin_feed.conf import feed_settings, memo
from convertedin_feed.fields import (
    BooleanKeyField,
    CountryField,
    CurrencyField,
    CustomerReferenceField,
    DateTimeField,
    EmailField,
    FlagField,
    GenderField,
    IdField,
    IntegerKeyField,
    KeyField,
    MoneyField,
    ObjectField,
    StringIdField,
    TagsField,
    TextField,
    URLKeyField,
    UTCOffsetField,
    _Never,
)
from convertedin_feed.keytree import MONEY, SUBTREE
from convertedin_feed.record_errors import CheckedList, first_cause, record_problem


class SubtreeField(KeyField):
    """A record's children of its own kind, nested to any depth (a category's ``subcategories``).

    The records stage fills it with the whole subtree; it renders as a list,
    ``[]`` when there are none.
    """


class RecordSerializer(serializers.Serializer):
    """Renders one record dict: documented keys first, then the adapter's extras."""

    #: Optional keys left out of the records, not served ``null``, when the adapter maps none.
    omit_unmapped: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def documented_keys(cls) -> dict[str, Any]:
        """The key tree adapters compile against: nested records map to their own keys,
        money keys to :data:`~convertedin_feed.keytree.MONEY`, a subtree to
        :data:`~convertedin_feed.keytree.SUBTREE`, others to ``None``."""
        keys: dict[str, Any] = {}
        nested = cls.nested_schemas()
        for name, declared in cls._declared_fields.items():
            schema = nested.get(name)
            if isinstance(declared, SubtreeField):
                keys[name] = SUBTREE
            elif schema is not None:
                keys[name] = schema.documented_keys()
            else:
                keys[name] = MONEY if isinstance(declared, MoneyField) else None
        return keys

    @classmethod
    def nested_schemas(cls) -> dict[str, type[RecordSerializer]]:
        """The keys that hold nested records, each with its records' schema, in the documents' order.

        A list of records (an order's ``line_items``, ``many=True``) or one record
        gives its child serializer; a :class:`SubtreeField` (a category's
        ``subcategories``) gives this schema itself, as its records are of this kind.
        """
        nested: dict[str, type[RecordSerializer]] = {}
        for name, declared in cls._declared_fields.items():
            child = getattr(declared, "child", declared)
            if isinstance(declared, SubtreeField):
                nested[name] = cls
            elif isinstance(child, RecordSerializer):
                nested[name] = type(child)
        return nested

    @classmethod
    def required_keys(cls) -> set[str]:
        return {
            name
            for name, declared in cls._declared_fields.items()
            if not getattr(declared, "optional", False)
        }

    @classmethod
    def formatter(cls, omit: frozenset[str] = frozenset()) -> RecordFormatter:
        """This schema's formatter, built once per settings; ``omit`` names keys left out."""
        return record_formatter(cls, omit)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.formatter()(instance)

    class Meta:
        list_serializer_class: type[serializers.ListSerializer] = serializers.ListSerializer


class RecordListSerializer(serializers.ListSerializer):
    """A page of records, rendered and checked in one call rather than one call per record.

    ``context["problems"]`` holds what the records stage found, by position,
    so each record is judged once (``RECORD_ERRORS``) with all its problems;
    ``context["omit"]`` the optional keys the adapter leaves unmapped that
    the schema omits rather than serve as ``null``.
    """

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        schema: type[RecordSerializer] = type(self.child)  # type: ignore[assignment]
        formatter = schema.formatter(self.context.get("omit", frozenset()))
        rendered, problems = formatter.render(data, self.context.get("problems"))
        return formatter.judge(rendered, problems)


RecordSerializer.Meta.list_serializer_class = RecordListSerializer


@memo()
def record_formatter(schema: type[RecordSerializer], omit: frozenset[str]) -> RecordFormatter:
    return RecordFormatter(schema, omit)


class RecordFormatter:
    """A schema's keys as plain functions, one per key, run over a whole page.

    A page is a thousand records of fifteen keys: DRF's field-by-field loop,
    with its per-field attribute lookups, costs more there than the database
    does. A blank or whitespace-only string is no value, on every key. A
    record that cannot be rendered key by key at full speed (a missing key,
    extras, a value a key cannot render) is rendered again by the careful
    loop, which notes what went wrong for the judge.
    """

    def __init__(self, schema: type[RecordSerializer], omit: frozenset[str] = frozenset()) -> None:
        fields = schema().fields
        self.kind = schema.__name__.removesuffix("Serializer")
        #: ``(key, format, null value, ready type)``, in the documents' order.
        self.keys: tuple[tuple[str, Callable[[Any], Any], Any, type], ...] = tuple(
            (
                name,
                self._key_formatter(key_field),
                _null_value(key_field),
                getattr(key_field, "ready_type", _Never),
            )
            for name, key_field in fields.items()
            if name not in omit
        )
        #: Keys holding nested records, whose problems the parent record reports.
        self.nested = {
            name: nested.__name__.removesuffix("Serializer")
            for name, nested in schema.nested_schemas().items()
            if name not in omit
        }
        required = schema.required_keys()
        #: Keys the documents require and whose null renders as null: a record
        #: without them cannot be mapped (``RECORD_ERRORS``).
        self.required = tuple(
            name for name, _, null_value, _ in self.keys if name in required and null_value is None
        )
        self.omit = omit

    def _key_formatter(self, key_field: serializers.Field) -> Callable[[Any], Any]:
        """A key's function; nested records skip ListSerializer's per-call work."""
        if isinstance(key_field, SubtreeField):
            return self.nested_records
        child = getattr(key_field, "child", None)
        if isinstance(key_field, serializers.ListSerializer) and isinstance(
            child, RecordSerializer
        ):
            return type(child).formatter().nested_records
        formatter = getattr(key_field, "formatter", None)
        return formatter() if callable(formatter) else key_field.to_representation

    def render(
        self, records: Iterable[Any], problems: dict[int, list[str]] | None = None
    ) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
        """Each record rendered, and every problem found so far, by position."""
        problems = {i: list(trouble) for i, trouble in (problems or {}).items()}
        keys, size, rendered = self.keys, len(self.keys) + len(self.omit), []
        for index, instance in enumerate(records):
            record: dict[str, Any] | None = None
            if len(instance) == size:
                try:
                    record = {
                        name: null
                        if (v := instance[name]) is None
                        or (v.__class__ is str and (not v or v.isspace()))
                        else v
                        if v.__class__ is ready
                        else format_(v)
                        for name, format_, null, ready in keys
                    }
                except Exception:  # rendered again key by key, which notes what went wrong
                    record = None
            if record is None:
                record, trouble = self.render_carefully(instance)
                if trouble:
                    problems.setdefault(index, []).extend(trouble)
            rendered.append(record)
        required = self.required
        for index, record in enumerate(rendered):
            missing = [name for name in required if record[name] is None]
            if missing:
                problems.setdefault(index, []).append(
                    f"no value for the required {', '.join(map(repr, missing))}"
                )
        return rendered, problems

    def render_carefully(self, instance: Any) -> tuple[dict[str, Any], list[str]]:
        """Key by key: a missing key renders null, a value that cannot render is null and noted.

        Extras follow the documented keys, as the adapter lists them.
        """
        record: dict[str, Any] = {}
        trouble: list[str] = []
        get = instance.get
        for name, format_, null_value, _ in self.keys:
            value = get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                record[name] = null_value
                continue
            try:
                record[name] = format_(value)
            except Exception as exc:
                record[name] = null_value
                trouble.append(f"{name!r} cannot be rendered from {value!r}: {exc!r}")
        for name, value in instance.items():
            if name not in record and name not in self.omit:
                record[name] = value
        return record, trouble

    def judge(
        self, rendered: list[dict[str, Any]], problems: dict[int, list[str]]
    ) -> list[dict[str, Any]]:
        """Log each record's problems once, with its id; ``RECORD_ERRORS`` says which stay.

        Nested records (line items, subcategories) are judged each on its own:
        one left out leaves its parent, not the page.
        """
        self.judge_nested(rendered)
        if not problems:
            return rendered
        dropped = {
            i
            for i, trouble in problems.items()
            if record_problem(
                self.kind, rendered[i].get("id"), "; ".join(trouble), first_cause(trouble)
            )
        }
        return [r for i, r in enumerate(rendered) if i not in dropped] if dropped else rendered

    def nested_records(self, records: Any) -> list[dict[str, Any]]:
        """Nested records for their parent's key: problems go up with them, to be judged there."""
        found = records.problems if records.__class__ is CheckedList else None
        rendered, problems = self.render(records, found)
        if self.nested:  # their own nested records (a subcategory's) name them as parent
            self.judge_nested(rendered)
        if not problems:
            return rendered
        return CheckedList.of(rendered, problems, getattr(records, "ids", {}))

    def judge_nested(self, rendered: list[dict[str, Any]]) -> None:
        """Judge the nested records of ``rendered`` that carry problems, each naming its parent."""
        for name in self.nested:
            for record in rendered:
                children = record.get(name)
                if children.__class__ is CheckedList:
                    record[name] = self._judge_children(name, record.get("id"), children)

    def _judge_children(self, name: str, parent: Any, children: CheckedList) -> list[Any]:
        child = self.nested[name]
        kept = []
        for position, record in enumerate(children):
            trouble = children.problems.get(position)
            if trouble:
                own = children.ids.get(position, record.get("id") if child == self.kind else None)
                label = (
                    f"{child} record {own!r} of {self.kind} {parent!r}"
                    if own is not None
                    else f"{child} {name}[{position}] of {self.kind} {parent!r}"
                )
                if record_problem(
                    child, own, "; ".join(trouble), first_cause(trouble), label=label
                ):
                    continue
            kept.append(record)
        return kept

    def __call__(self, instance: Any) -> dict[str, Any]:
        """One record, for DRF's ``to_representation``; its problems are logged, never dropped."""
        rendered, problems = self.render([instance])
        self.judge_nested(rendered)
        if problems:
            record_problem(self.kind, rendered[0].get("id"), "; ".join(problems[0]))
        return rendered[0]


def _null_value(key_field: serializers.Field) -> Any:
    """What ``None`` renders as: a list of records (line items, subcategories) is ``[]``, never null."""
    if isinstance(key_field, serializers.ListSerializer | SubtreeField):
        return ()  # orjson writes a tuple as a list, and nothing can append to it
    return getattr(key_field, "null_value", None)


# ---------------------------------------------------------------------------
# The platform's records


class StoreInfoSerializer(RecordSerializer):
    """The store, as the storeinfo document shows it (``country`` upper case, as ``country_code``)."""

    name = TextField()
    currency = CurrencyField()
    time_zone = UTCOffsetField()
    email = EmailField()
    description = TextField(optional=True)
    country = CountryField()
    country_code = CountryField(optional=True)


class CategorySerializer(RecordSerializer):
    """A category with its whole subtree, as the categories document shows it."""

    id = IdField()
    title = TextField()
    handle = TextField(optional=True)
    content = TextField(optional=True)
    subcategories = SubtreeField()
    available = BooleanKeyField()
    published_at = DateTimeField()


class ProductImageSerializer(RecordSerializer):
    path = URLKeyField(media=True)
    width = IntegerKeyField()
    height = IntegerKeyField()


class VendorField(TextField):
    """A product's brand; the store's name when it has none, as the documents ask."""

    @property
    def null_value(self) -> Any:
        store = feed_settings.STORE
        return store.get("name") if isinstance(store, dict) else None

    @null_value.setter
    def null_value(self, value: Any) -> None:
        pass  # always the store's name


#: Keys a product serves only when its adapter maps them: the platform reads a
#: ``quantity`` of ``null`` as zero in stock, which would hide a product whose
#: shop tells stock by ``stock_status``.
STOCK_KEYS = ("quantity", "stock_status")


class ProductSerializer(RecordSerializer):
    """A product, as the products document shows it."""

    id = IdField()
    title = TextField()
    full_permalink = URLKeyField()
    image = URLKeyField(media=True)
    content = TextField()
    vendor = VendorField()
    price = MoneyField()
    category_id = StringIdField(optional=True, references="categories")
    handle = TextField(optional=True)
    app_links = ObjectField(optional=True)
    type = TextField(optional=True)
    compare_at_price = MoneyField(optional=True)
    quantity = IntegerKeyField(optional=True)
    stock_status = TextField(optional=True)
    published_at = DateTimeField(optional=True)
    tags = TagsField(optional=True)
    images = ProductImageSerializer(many=True, read_only=True)

    omit_unmapped = STOCK_KEYS


class CustomerSerializer(RecordSerializer):
    """A customer, as ``customers.md`` documents it."""

    id = IdField()
    email = EmailField()
    first_name = TextField()
    last_name = TextField()
    orders_count = IntegerKeyField(null_value=0)
    total_spent = MoneyField(null_value=0)
    currency = CurrencyField()
    phone = TextField(optional=True)
    registered_at = DateTimeField()
    gender = GenderField(optional=True)


class LineItemSerializer(RecordSerializer):
    product_id = IdField(references="products")
    quantity = IntegerKeyField(minimum=1)
    price = MoneyField()


#: The ``financial_status`` values the orders document lists.
FINANCIAL_STATUSES = ("processing", "successful", "canceled", "refunded")


class OrderSerializer(RecordSerializer):
    """An order, as ``orders.md`` documents it."""

    id = IdField()
    ordered_at = DateTimeField()
    total_price = MoneyField()
    subtotal_price = MoneyField()
    total_tax = MoneyField(null_value=0)
    taxes_included = FlagField()
    currency = CurrencyField()
    country_code = CountryField()
    financial_status = TextField(optional=True, documented_values=FINANCIAL_STATUSES)
    total_discounts = MoneyField(null_value=0)
    phone = TextField()
    customer_locale = TextField(optional=True)
    contact_email = EmailField()
    line_items = LineItemSerializer(many=True, read_only=True, allow_empty=False)
    customer = CustomerReferenceField(references="customers")
