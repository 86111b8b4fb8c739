"""A django-oscar shop's catalogue, mapped onto the platform's storeinfo, categories and products.

- **Storeinfo**: Oscar's ``OSCAR_SHOP_NAME``, ``OSCAR_DEFAULT_CURRENCY`` and
  ``OSCAR_SHOP_TAGLINE``, and ``TIME_ZONE``; ``STORE`` gives what Oscar has no
  setting for (``email``, ``country``) and wins for every key it sets.
- **Categories**: Oscar's ``Category``, a django-treebeard ``MP_Node``: the
  roots are the records, each with its whole subtree, one query per page
  whatever the depth (the path-prefix query of ``CategoryAdapter.Meta.path``).
- **Products**: the products a shopper buys, standalone and child products
  (every order line's product is one of them); a parent product is never
  bought, and is served through its children, which take its title, text,
  image, class and categories where they have none of their own, as Oscar
  does. Price and stock are the default strategy's stock record's
  (``UseFirstStockRecord``: the first by primary key), read by subqueries in
  the page's one query.

Settings and URLs are read when a feed's plan is built (on first use, and
again after any settings change), never at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from django.apps import apps
from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import translation

from convertedin_feed.adapters import (
    CategoryAdapter,
    Declaration,
    Field,
    ProductAdapter,
    Row,
    StoreAdapter,
)
from convertedin_feed.codes import currency_code
from convertedin_feed.conf import SETTING_NAME, feed_settings
from convertedin_feed.contrib.oscar.orders import _Settled, exchange_rates, store_currency
from convertedin_feed.exceptions import FeedConfigurationError

#: Oscar's model labels: forked apps keep them, so these resolve to a fork's models.
PRODUCT = "catalogue.Product"
CATEGORY = "catalogue.Category"
PRODUCT_CATEGORY = "catalogue.ProductCategory"
PRODUCT_IMAGE = "catalogue.ProductImage"
STOCK_RECORD = "partner.StockRecord"

#: Oscar's URL name for a product's page, and the module of its own ``get_absolute_url``.
PRODUCT_URL_NAME = "catalogue:detail"
_OSCAR_PRODUCT_MODULE = "oscar.apps.catalogue.abstract_models"
#: What Django's ``reverse()`` leaves unquoted in a path (``django.urls.resolvers``).
_URL_SAFE = "!$&'()*+,;=" + "/~:@"
_SLUG_MARK = "convertedinslugmark"
_PK_MARK = 918273645


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _blank_is_null(path: str, output_field: Any = None) -> NullIf:
    return NullIf(F(path), Value(""), output_field=output_field or CharField())


# ---------------------------------------------------------------------------
# storeinfo


class OscarStoreAdapter(StoreAdapter):
    """The store from Oscar's settings, with ``STORE`` for the rest.

    - ``name``: ``OSCAR_SHOP_NAME``;
    - ``currency``: ``OSCAR_DEFAULT_CURRENCY``;
    - ``time_zone``: the feeds' ``TIME_ZONE``, else ``settings.TIME_ZONE``;
    - ``description``: ``OSCAR_SHOP_TAGLINE`` (``null`` when blank);
    - ``email``, ``country`` (and ``country_code``): ``STORE`` only; Oscar has
      no setting for them (``OSCAR_FROM_EMAIL`` is the sender of its emails,
      ``oscar@example.com`` unless set, not the shop's contact address).

    Every key ``STORE`` sets wins over Oscar's. ``manage.py check`` checks the
    values (``E011``): it reads settings only.
    """

    settings_only = True

    def get_store(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": getattr(settings, "OSCAR_SHOP_NAME", None),
            "currency": getattr(settings, "OSCAR_DEFAULT_CURRENCY", None),
            "time_zone": feed_settings.time_zone_name,
            "description": getattr(settings, "OSCAR_SHOP_TAGLINE", None) or None,
        }
        store = feed_settings.STORE
        if store and not isinstance(store, Mapping):
            raise FeedConfigurationError(f"{SETTING_NAME}['STORE'] must be a dict.")
        values.update(store or {})
        return values


# ---------------------------------------------------------------------------
# categories


def _products_under(category_path: Any) -> QuerySet[Any]:
    """The ``ProductCategory`` rows of the categories whose path starts with ``category_path``."""
    return _model(PRODUCT_CATEGORY)._default_manager.filter(
        category__path__startswith=category_path
    )


class OscarCategoryAdapter(_Settled, CategoryAdapter):
    """Oscar's ``Category``: a treebeard ``MP_Node`` (no parent column; ``path`` and ``steplen``).

    - ``title``: ``name``; ``handle``: ``slug``; ``content``: ``description``;
    - ``available``: ``is_public`` and ``ancestors_are_public``, the categories
      Oscar's own ``browsable()`` lists (a public category under a hidden one
      is not reachable);
    - ``published_at``: Oscar keeps no date for a category: the creation date
      of the first product its page lists (its own products and its
      subcategories', as Oscar's category page shows them); ``null`` for a
      category with no product anywhere under it.
    """

    title = Field("name")
    handle = Field("slug")
    content = Field("description")
    available = Field(
        ExpressionWrapper(Q(is_public=True, ancestors_are_public=True), output_field=BooleanField())
    )

    class Meta:
        model = CATEGORY
        path = "path"  # steplen: the model's own (treebeard's, 4 in Oscar)

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        first_product = (
            _products_under(OuterRef("path"))
            .order_by("product__date_created")
            .values("product__date_created")[:1]
        )
        return {"published_at": Field(Subquery(first_product))}


# ---------------------------------------------------------------------------
# products


def _first_stock_record(field: str | None = None, **annotations: Any) -> Subquery:
    """``field`` (or the one annotation) of the product's stock record that Oscar's default
    strategy uses: ``UseFirstStockRecord``, the first of ``product.stockrecords.all()``,
    taken as the first by primary key."""
    records = (
        _model(STOCK_RECORD)
        ._default_manager.filter(product=OuterRef("pk"))
        .order_by("pk")
        .annotate(**annotations)
    )
    name = field if field is not None else next(iter(annotations))
    return Subquery(records.values(name)[:1])


def _primary_image(product: str) -> Subquery:
    """The ``original`` of the primary image (the lowest ``display_order``) of ``product``."""
    images = _model(PRODUCT_IMAGE)._default_manager.filter(product=OuterRef(product))
    return Subquery(images.order_by("display_order", "pk").values("original")[:1])


def _price_and_currency() -> Concat:
    """The stock record's ``price_currency`` and ``price`` as text (``"USD 19.99"``), converted
    by :meth:`OscarProductAdapter.dehydrate_price` in Python: Decimal from end to end, where
    the database would multiply by a rate in floating point (SQLite)."""
    return Concat(
        F("price_currency"), Value(" "), Cast("price", CharField()), output_field=CharField()
    )


def product_url_template() -> tuple[str, str, str]:
    """Oscar's product URL around its slug and key: ``(before, between, after)``, unquoted.

    Reversed once from the URLconf (``catalogue:detail``), in ``LANGUAGE_CODE``
    (a shop under ``i18n_patterns`` serves its default language's URLs) and
    without the script prefix (``SITE_URL`` is the address the URLconf is
    served at): so the URL is where the shop mounts Oscar, and what
    ``get_absolute_url`` returns, without a query or a ``reverse()`` per record.
    """
    try:
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(PRODUCT_URL_NAME, kwargs={"product_slug": _SLUG_MARK, "pk": _PK_MARK})
    except NoReverseMatch as exc:
        raise FeedConfigurationError(
            f"Oscar's product URL {PRODUCT_URL_NAME!r} does not reverse ({exc}): include "
            "Oscar's URLs, or declare full_permalink on a subclass of OscarProductAdapter."
        ) from exc
    prefix = get_script_prefix()
    if prefix != "/" and path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    path = unquote(path)
    before, slug_mark, rest = path.partition(_SLUG_MARK)
    between, pk_mark, after = rest.partition(str(_PK_MARK))
    if not (slug_mark and pk_mark) or _SLUG_MARK in after or str(_PK_MARK) in after:
        raise FeedConfigurationError(
            f"Oscar's product URL {path!r} does not hold the slug, then the key, once each: "
            "declare full_permalink on a subclass of OscarProductAdapter."
        )
    return before, between, after


def _oscar_get_absolute_url(model: type[Model]) -> bool:
    method = getattr(model, "get_absolute_url", None)
    return getattr(method, "__module__", None) == _OSCAR_PRODUCT_MODULE


class OscarProductAdapter(_Settled, ProductAdapter):
    """Oscar's standalone and child products; parents are served through their children.

    A line of an order points at the product bought, a standalone or a child
    product: Oscar never sells a parent. So every product a line names is in
    this feed, and a parent, which has no price or stock of its own, is not;
    its children carry what it has (Oscar's ``get_title``, ``primary_image``
    and ``get_categories`` read the parent for a child).

    - ``title``: ``title``, else the parent's (``get_title``);
    - ``full_permalink``: Oscar's product URL (:func:`product_url_template`,
      what ``get_absolute_url`` gives) on the site URL;
    - ``image``: the primary image (lowest ``display_order``), else the
      parent's for a child; else Oscar's ``OSCAR_MISSING_IMAGE_URL``, the
      image Oscar's own pages show for a product without one;
    - ``content``: ``description``, else the parent's;
    - ``vendor``: the stock record's partner's name (the seller), else the
      store's name (``STORE["name"]``, else ``OSCAR_SHOP_NAME``);
    - ``price``: the stock record's ``price`` (what Oscar's default strategy
      charges before tax), in the store's currency: converted at
      ``OSCAR_EXCHANGE_RATES`` when the stock record is in another one, in
      Python's Decimal (never the database's floating point);
    - ``quantity``: the stock record's ``net_stock_level``, ``num_in_stock``
      less ``num_allocated``; ``null`` without a stock record;
    - ``category_id``: the lowest key among its categories (the parent's for a
      child); ``collection_id`` matches a child through its parent's, with
      every subcategory (by path);
    - ``type``: the product class's ``name`` (the parent's for a child);
    - ``handle``: ``slug``;
    - ``published_at``: ``date_created`` when the product is public (and its
      parent too, for a child), else ``null``, which the platform reads as
      inactive;
    - ``images``: ``[]``: Oscar keeps no image dimensions, which the
      document's images need; ``image`` is the main one.
    """

    title = Field(Coalesce(_blank_is_null("title"), _blank_is_null("parent__title")))
    content = Field(
        Coalesce(
            _blank_is_null("description", TextField()),
            _blank_is_null("parent__description", TextField()),
        )
    )
    handle = Field("slug")
    type = Field(Coalesce("product_class__name", "parent__product_class__name"))
    published_at = Field(
        Case(
            When(
                Q(is_public=True) & (Q(parent__isnull=True) | Q(parent__is_public=True)),
                then=F("date_created"),
            )
        )
    )
    images = Field(constant=[])

    #: ``OSCAR_EXCHANGE_RATES``, read once per request.
    _rates: dict[str, Decimal] | None = None

    class Meta:
        model = PRODUCT
        categories = "categories"
        path = "path"  # the category's materialised path: collection_id takes its subtree
        # Change filters: a product changes with its stock record (price, stock) and, for
        # a child, with the parent it shows the title, description and class of.
        created_at = "date_created"
        updated_at = ("date_updated", "stockrecords__date_updated", "parent__date_updated")
        filter_ids = True

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().exclude(structure="parent")

    @classmethod
    def settled_declarations(cls) -> dict[str, Declaration]:
        model = cls.get_model()
        declarations: dict[str, Declaration] = {
            "image": Field(
                Coalesce(
                    _primary_image("pk"),
                    _primary_image("parent"),
                    Value(getattr(settings, "OSCAR_MISSING_IMAGE_URL", "image_not_found.jpg")),
                    output_field=CharField(),
                )
            ),
            "vendor": Field(
                Coalesce(
                    NullIf(_first_stock_record("partner__name"), Value("")),
                    Value(OscarStoreAdapter().get_store().get("name")),
                    output_field=CharField(),
                )
            ),
            "price": Field(_first_stock_record(feed_price=_price_and_currency())),
            "quantity": Field(
                _first_stock_record(
                    feed_net_stock=Case(
                        When(num_in_stock__isnull=True, then=Value(0)),
                        default=F("num_in_stock") - Coalesce("num_allocated", Value(0)),
                        output_field=IntegerField(),
                    )
                )
            ),
            "category_id": Field(
                Subquery(
                    _model(PRODUCT_CATEGORY)
                    ._default_manager.filter(product=Coalesce(OuterRef("parent"), OuterRef("pk")))
                    .order_by("category")
                    .values("category")[:1]
                )
            ),
        }
        if "full_permalink" in cls.declared:
            pass  # a subclass's own
        elif _oscar_get_absolute_url(model):
            before, between, after = product_url_template()
            declarations["full_permalink"] = Field(
                Concat(
                    Value(before),
                    "slug",
                    Value(between),
                    Cast("pk", CharField()),
                    Value(after),
                    output_field=CharField(),
                )
            )
        else:
            raise FeedConfigurationError(
                f"{model._meta.label}.get_absolute_url is not Oscar's, so the feed cannot "
                "build it in SQL: declare full_permalink on a subclass of OscarProductAdapter "
                "and name it in ADAPTERS['products']."
            )
        return declarations

    def dehydrate_full_permalink(self, record: Row) -> Any:
        """Quoted as ``reverse()`` quotes a URL (a Unicode slug's letters percent-encoded)."""
        url = record["full_permalink"]
        if "full_permalink" in type(self).declared or not isinstance(url, str):
            return url  # a subclass's own
        return quote(url, safe=_URL_SAFE)

    def dehydrate_price(self, record: Row) -> Any:
        """The stock record's price in the store's currency, at ``OSCAR_EXCHANGE_RATES``."""
        value = record["price"]
        if "price" in type(self).declared:
            return value  # a subclass's own
        currency, _, amount = (value or "").partition(" ")
        if not amount.strip():
            raise ValueError("no stock record with a price")
        rates = self._rates
        if rates is None:
            rates = self._rates = exchange_rates()
        code = currency_code(currency)
        rate = rates.get(code) if code else None
        if rate is None:
            raise ValueError(
                f"a price in {currency!r}, which has no rate in "
                f"{SETTING_NAME}['OSCAR_EXCHANGE_RATES'] (store currency {store_currency()})"
            )
        price = Decimal(amount.strip())
        return price if rate == 1 else price * rate

    def filter_collection(self, queryset: QuerySet[Any], category: Any) -> QuerySet[Any]:
        """The products filed under the category or a subcategory; a child through its parent."""
        categories = self.collection_categories(queryset, category)
        filed = _model(PRODUCT_CATEGORY)._default_manager.using(queryset.db)
        filed = filed.filter(
            category__in=categories, product=Coalesce(OuterRef("parent"), OuterRef("pk"))
        )
        return queryset.filter(Exists(filed.values("pk")))


def current_site_url() -> str | None:
    """``https://`` and the sites framework's current ``Site`` domain, which Oscar uses.

    ``None`` when ``django.contrib.sites`` is not installed.
    """
    if not apps.is_installed("django.contrib.sites"):
        return None
    from django.contrib.sites.models import Site

    domain = Site.objects.get_current().domain.strip().rstrip("/")
    return f"https://{domain}" if domain else None
