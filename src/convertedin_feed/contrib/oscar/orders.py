"""A django-oscar shop's customers and orders, mapped onto the platform's feeds.

- **Customers**: the shop's non-staff users, then its guest buyers
  (:class:`OscarGuestAdapter`: orders whose ``user`` is ``NULL``, one customer
  per ``guest_email``). ``orders_count`` and ``total_spent`` count the orders
  that are not cancelled (:func:`cancelled_statuses`); ``total_spent`` is in the
  store's currency (:func:`store_currency`), orders in another one converted
  at :func:`exchange_rates`. ``phone`` is the default shipping address's.
- **Orders**: Oscar's own figures, each key read from the fields Oscar's model
  properties read, so each equals the property for the same order.

Settings are read when a feed's plan is built (on first use, and again after
any ``CONVERTEDIN_FEED`` change), never at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import GreaterThan
from django.utils.module_loading import import_string

from convertedin_feed.adapters import (
    CustomerAdapter,
    Declaration,
    Field,
    GuestAdapter,
    LineItemAdapter,
    OrderAdapter,
    Related,
    Row,
)
from convertedin_feed.codes import currency_code
from convertedin_feed.conf import SETTING_NAME, feed_settings
from convertedin_feed.exceptions import FeedConfigurationError

#: Oscar's model labels: forked apps keep them, so these resolve to a fork's models.
ORDER = "order.Order"
LINE = "order.Line"
SURCHARGE = "order.Surcharge"
USER_ADDRESS = "address.UserAddress"

#: Room for an amount times a rate, before the app rounds it to the currency's places.
_CONVERTED = DecimalField(max_digits=30, decimal_places=10)
_MONEY = DecimalField(max_digits=12, decimal_places=2)
_CANCELLED_NAMES = frozenset(("cancelled", "canceled"))


def _model(label: str) -> type[Model]:
    from django.apps import apps

    return apps.get_model(label)


def store_currency() -> str:
    """The store's currency: ``STORE["currency"]``, else Oscar's ``OSCAR_DEFAULT_CURRENCY``."""
    store = feed_settings.STORE
    configured = store.get("currency") if isinstance(store, Mapping) else None
    currency = configured or getattr(settings, "OSCAR_DEFAULT_CURRENCY", None)
    code = currency_code(str(currency)) if currency else None
    if code is None:
        raise FeedConfigurationError(
            f"No store currency: set {SETTING_NAME}['STORE']['currency'] or "
            f"OSCAR_DEFAULT_CURRENCY to an ISO 4217 code (it is {currency!r})."
        )
    return code


def cancelled_statuses() -> tuple[str, ...]:
    """The order statuses of cancelled orders.

    ``OSCAR_CANCELLED_STATUSES`` when set; else every order status of Oscar's
    ``OSCAR_ORDER_STATUS_CASCADE`` and ``OSCAR_ORDER_STATUS_PIPELINE`` that is
    named "Cancelled" (or "Canceled", in any case), or that cascades to a line
    status of that name.
    """
    configured = feed_settings.OSCAR_CANCELLED_STATUSES
    if configured is not None:
        if isinstance(configured, str) or not all(isinstance(s, str) for s in configured):
            raise FeedConfigurationError(
                f"{SETTING_NAME}['OSCAR_CANCELLED_STATUSES'] must be a list of order statuses."
            )
        return tuple(configured)
    cascade: Mapping[str, str] = getattr(settings, "OSCAR_ORDER_STATUS_CASCADE", None) or {}
    pipeline: Mapping[str, Any] = getattr(settings, "OSCAR_ORDER_STATUS_PIPELINE", None) or {}
    statuses = {*cascade, *pipeline, *(s for after in pipeline.values() for s in after)}
    return tuple(
        sorted(
            status
            for status in statuses
            if _is_cancelled_name(status) or _is_cancelled_name(cascade.get(status))
        )
    )


def _is_cancelled_name(status: Any) -> bool:
    return isinstance(status, str) and status.strip().lower() in _CANCELLED_NAMES


def financial_status(status: str | None) -> str:
    """An Oscar order status as the platform's ``financial_status``.

    ``OSCAR_FINANCIAL_STATUSES`` first (status by status); else a cancelled
    status (:func:`cancelled_statuses`) is ``"canceled"``, and any other
    ``"successful"``: Oscar's checkout takes the payment before it places the order.
    """
    mapping = feed_settings.OSCAR_FINANCIAL_STATUSES
    if not isinstance(mapping, Mapping):
        raise FeedConfigurationError(
            f"{SETTING_NAME}['OSCAR_FINANCIAL_STATUSES'] must map Oscar order statuses "
            "to financial_status values."
        )
    status = status or ""
    if status in mapping:
        return str(mapping[status])
    return "canceled" if status in cancelled_statuses() else "successful"


def exchange_rates() -> dict[str, Decimal]:
    """Units of the store's currency one unit of each other currency is worth.

    ``OSCAR_EXCHANGE_RATES``: a mapping of ISO 4217 code to rate (a Decimal, an
    int or a numeric string; never a float), or the dotted path of a function
    that returns one. The store's own currency is always 1.
    """
    configured = feed_settings.OSCAR_EXCHANGE_RATES
    if isinstance(configured, str):
        try:
            configured = import_string(configured)()
        except ImportError as exc:
            raise FeedConfigurationError(
                f"{SETTING_NAME}['OSCAR_EXCHANGE_RATES'] = {configured!r} does not import: {exc}"
            ) from exc
    if not isinstance(configured, Mapping):
        raise FeedConfigurationError(
            f"{SETTING_NAME}['OSCAR_EXCHANGE_RATES'] must be a mapping of currency to rate, "
            "or the dotted path of a function that returns one."
        )
    rates: dict[str, Decimal] = {}
    for currency, rate in configured.items():
        code = currency_code(str(currency))
        try:
            if isinstance(rate, float | bool):
                raise TypeError
            value = Decimal(str(rate).strip()) if isinstance(rate, str) else Decimal(rate)
        except (TypeError, ValueError, InvalidOperation):
            value = None
        if code is None or value is None or not value.is_finite() or value <= 0:
            raise FeedConfigurationError(
                f"{SETTING_NAME}['OSCAR_EXCHANGE_RATES']: {currency!r}: {rate!r} is not a "
                "positive rate for an ISO 4217 currency (write rates as strings or Decimals)."
            )
        rates[code] = value
    rates[store_currency()] = Decimal(1)
    return rates


def _not_cancelled(prefix: str) -> Q | None:
    statuses = cancelled_statuses()
    return ~Q(**{f"{prefix}status__in": statuses}) if statuses else None


def _counted(prefix: str, extra: Q | None = None) -> Q | None:
    """The orders that count (not cancelled), and ``extra`` too, as an aggregate's filter."""
    counted = _not_cancelled(prefix)
    if extra is None:
        return counted
    return extra if counted is None else counted & extra


def orders_count(prefix: str) -> Count:
    """The orders at ``prefix`` (``"orders__"`` from a user, ``""`` from an order) not cancelled."""
    return Count(f"{prefix}pk", filter=_counted(prefix))


def total_spent(prefix: str) -> Case:
    """The sum of ``total_incl_tax`` over the orders that count, in the store's currency.

    ``NULL`` when one of them is in a currency :func:`exchange_rates` has no
    rate for, which ``dehydrate_total_spent`` reports: never a sum that leaves
    an order out. ``0`` for no orders.
    """
    rates = exchange_rates()
    total = F(f"{prefix}total_incl_tax")
    converted = Case(
        *(
            When(**{f"{prefix}currency": code}, then=total if rate == 1 else total * Value(rate))
            for code, rate in sorted(rates.items())
        ),
        default=Value(None),
        output_field=_CONVERTED,
    )
    unknown = Count(
        f"{prefix}pk", filter=_counted(prefix, ~Q(**{f"{prefix}currency__in": sorted(rates)}))
    )
    return Case(
        When(GreaterThan(unknown, 0), then=Value(None)),
        default=Coalesce(
            Sum(converted, filter=_counted(prefix)), Value(Decimal(0)), output_field=_CONVERTED
        ),
        output_field=_CONVERTED,
    )


def _no_rate(record: Row) -> Any:
    if record["total_spent"] is None:
        raise ValueError(
            "an order in a currency with no rate in "
            f"{SETTING_NAME}['OSCAR_EXCHANGE_RATES'] (store currency {store_currency()})"
        )
    return record["total_spent"]


class _Settled:
    """Declarations built from settings when the plan is built: :meth:`settled_declarations`.

    A key the subclass declares itself still wins, as always, and ``key = None``
    in a subclass drops the built one too.
    """

    dropped: frozenset[str]

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        return {}

    @classmethod
    def default_declaration(cls, key: str, children: Any) -> Declaration | None:
        if key not in cls.dropped:
            declaration = cls.settled_declarations().get(key)
            if declaration is not None:
                return declaration
        return super().default_declaration(key, children)  # type: ignore[misc]


def _blank_is_null(path: str) -> NullIf:
    return NullIf(F(path), Value(""))


class OscarGuestAdapter(_Settled, GuestAdapter):
    """Buyers without an account: Oscar's guest checkouts (``user`` NULL, ``guest_email``).

    Plain values come from the guest's first order; names from its shipping
    address, else its billing address; ``registered_at`` is its first
    ``date_placed``. The orders of a deleted account have ``user`` NULL and no
    ``guest_email`` (Oscar kept the email on the user): they form no guest.
    """

    first_name = Field(
        Coalesce(
            _blank_is_null("shipping_address__first_name"),
            _blank_is_null("billing_address__first_name"),
        )
    )
    last_name = Field(
        Coalesce(
            _blank_is_null("shipping_address__last_name"),
            _blank_is_null("billing_address__last_name"),
        )
    )
    phone = Field("shipping_address__phone_number")
    registered_at = Field(Min("date_placed"))
    gender = Field(constant="unknown")  # Oscar does not ask

    class Meta:
        model = ORDER
        account = "user"
        email = "guest_email"
        # Change filters: a guest is created with its first order, and changes when it
        # orders again or an order's status changes (Order.set_status records each change).
        created_at = "date_placed"
        updated_at = ("date_placed", "status_changes__date_created")

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        return {
            "orders_count": Field(orders_count("")),
            "total_spent": Field(total_spent("")),
            "currency": Field(constant=store_currency()),
        }

    def dehydrate_total_spent(self, record: Row) -> Any:
        return _no_rate(record)


def _default_shipping_address(field: str) -> Subquery:
    """``field`` of the user's default shipping address (``UserAddress.is_default_for_shipping``)."""
    addresses = _model(USER_ADDRESS)._default_manager.filter(
        user=OuterRef("pk"), is_default_for_shipping=True
    )
    return Subquery(addresses.order_by("pk").values(field)[:1])


class OscarCustomerAdapter(_Settled, CustomerAdapter):
    """The shop's users who are not staff (``is_staff``), then its guests.

    ``first_name`` and ``last_name`` are the user's, else (Oscar's registration
    asks only an email) their default shipping address's; ``phone`` is that
    address's ``phone_number``; ``registered_at`` is ``date_joined``.
    """

    registered_at = Field("date_joined")
    gender = Field(constant="unknown")  # Oscar's user has none

    class Meta:
        guests = OscarGuestAdapter
        # Change filters. orders_count and total_spent follow the user's orders and
        # their statuses, so the user changes with them.
        created_at = "date_joined"
        updated_at = ("date_joined", "orders__date_placed", "orders__status_changes__date_created")
        filter_ids = True

    @classmethod
    def get_model(cls) -> type[Model]:
        return get_user_model()

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        return {
            "first_name": Field(
                Coalesce(_blank_is_null("first_name"), _default_shipping_address("first_name"))
            ),
            "last_name": Field(
                Coalesce(_blank_is_null("last_name"), _default_shipping_address("last_name"))
            ),
            "phone": Field(_default_shipping_address("phone_number")),
            "orders_count": Field(orders_count("orders__")),
            "total_spent": Field(total_spent("orders__")),
            "currency": Field(constant=store_currency()),
        }

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(is_staff=False)

    def dehydrate_total_spent(self, record: Row) -> Any:
        return _no_rate(record)


class OscarLineAdapter(LineItemAdapter):
    """An order's ``Line``: its product, quantity and unit price including tax.

    A line whose product was deleted (``product`` NULL) is handled by
    ``MISSING_PRODUCTS``: left out, or served with its ``partner_sku``.
    """

    product_id = Field("product")
    price = Field("unit_price_incl_tax")  # Oscar's price of one unit before discounts

    class Meta:
        model = LINE
        product_fallback = "partner_sku"


def _per_order(label: str, expression: Any) -> Coalesce:
    """A sum over the order's rows of ``label`` as one subquery: 0 when it has none."""
    rows = _model(label)._default_manager.filter(order=OuterRef("pk")).order_by()
    summed = rows.values("order").annotate(_sum=Sum(expression, output_field=_MONEY))
    return Coalesce(Subquery(summed.values("_sum")[:1]), Value(Decimal(0)), output_field=_MONEY)


class OscarOrderAdapter(_Settled, OrderAdapter):
    """Oscar's ``Order``, every amount including tax (``taxes_included`` is 1).

    - ``total_price``: ``total_incl_tax``;
    - ``subtotal_price``: ``basket_total_incl_tax``, the total less shipping
      and surcharges;
    - ``total_tax``: ``total_tax``, ``total_incl_tax - total_excl_tax``;
    - ``total_discounts``: ``total_discount_incl_tax``, the lines' discounts;
    - ``country_code``: the shipping address's country (its key is the alpha-2 code);
    - ``phone``: the shipping address's; ``contact_email``: ``Order.email``,
      the user's, else ``guest_email``;
    - ``financial_status``: :func:`financial_status` of ``status``.

    The orders of staff users are left out, as the staff are not customers.
    """

    ordered_at = Field("date_placed")
    total_price = Field("total_incl_tax")
    total_tax = Field(F("total_incl_tax") - F("total_excl_tax"))
    taxes_included = Field(constant=1)
    currency = Field("currency")
    country_code = Field("shipping_address__country")
    financial_status = Field("status")
    phone = Field("shipping_address__phone_number")
    contact_email = Field(
        Case(When(user__isnull=False, then=F("user__email")), default=F("guest_email"))
    )
    line_items = Related("lines", OscarLineAdapter)
    customer = Field("user")

    class Meta:
        model = ORDER
        guests = OscarGuestAdapter
        # Change filters: financial_status follows the status, whose every change
        # Order.set_status records as an OrderStatusChange.
        created_at = "date_placed"
        updated_at = ("date_placed", "status_changes__date_created")
        filter_ids = True

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        # Subqueries over Oscar's models: built with the plan, once the models are loaded.
        surcharges = _per_order(SURCHARGE, F("incl_tax"))
        discounts = _per_order(
            LINE, F("line_price_before_discounts_incl_tax") - F("line_price_incl_tax")
        )
        return {
            "subtotal_price": Field(F("total_incl_tax") - F("shipping_incl_tax") - surcharges),
            "total_discounts": Field(discounts),
        }

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().exclude(user__is_staff=True)

    def dehydrate_financial_status(self, record: Row) -> str:
        return financial_status(record["financial_status"])
