"""Where each key of the categories and products feeds comes from in this shop's models.

``settings.CONVERTEDIN_FEED["ADAPTERS"]`` names ``CategoryTreeAdapter`` and
``CatalogueAdapter``, as ``shop/convertedin.py`` does the customers and orders
adapters. A key an adapter does not declare reads the model field of the same
name (``id``, ``price``), so only the differences are written down.

Nothing imports this module until a feed or the system checks ask for an
adapter: the categories and products feeds' adapters are the app's newest.
"""

from django.db.models import Case, F, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Concat

from convertedin_feed.adapters import CategoryAdapter, FeedAdapter, Field, ProductAdapter, Related
from shop.models import ProductImage


class CategoryTreeAdapter(CategoryAdapter):
    """Root categories, each with its whole subtree under ``subcategories``."""

    title = Field("name")
    handle = Field("slug")
    content = Field("description")
    available = Field("is_visible")  # rendered true/false
    published_at = Field("created_at")

    class Meta:
        model = "shop.Category"
        parent = "parent"  # the ForeignKey to the parent category


class ProductImageAdapter(FeedAdapter):
    # A stored file name ("products/jeans-1.jpg"): the storage's URL, on SITE_URL.
    path = Field("file")
    # width and height read the model fields of the same name.


#: The stored file of a product's main image: the one of the lowest position.
MAIN_IMAGE = Subquery(
    ProductImage.objects.filter(product=OuterRef("pk"))
    .order_by("position", "pk")
    .values("file")[:1]
)


class CatalogueAdapter(ProductAdapter):
    title = Field("name")
    # A path: the app joins it to SITE_URL.
    full_permalink = Field(expression=Concat(Value("/products/"), "slug", Value("/")))
    image = Field(expression=MAIN_IMAGE)
    content = Field("description")  # HTML
    vendor = Field("brand")  # blank: the store's own, served as the store's name
    # price and compare_at_price read the fields of the same name; a product not
    # on sale has no compare_at_price (null).
    # A product sits in one to three categories: the first of them.
    category_id = Field(expression=Min("categories__pk"))
    handle = Field("slug")
    quantity = Field("stock")
    # An inactive product is unpublished: null tells the platform to hide it.
    published_at = Field(expression=Case(When(is_active=True, then=F("created_at"))))
    tags = Related("tags", field="name")  # "new, sale, gift"
    images = Related("images", ProductImageAdapter)

    class Meta:
        model = "shop.Product"
        categories = "categories"  # the path the collection_id filter follows
        collection_subcategories = True  # a category's products include its subcategories'
