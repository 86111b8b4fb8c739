"""An Oscar shop's data, made by Oscar's own ``oscar.test.factories`` and checkout code.

Orders are placed the way Oscar's checkout places them (a basket priced by a
strategy with 14% tax, offers applied by Oscar's ``Applicator``, then
``OrderCreator``), so every stored figure is one Oscar itself computed.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.apps.partner import strategy
from oscar.apps.shipping.methods import FixedPrice, Free
from oscar.core.loading import get_class, get_model
from oscar.test import factories

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
ProductCategory = get_model("catalogue", "ProductCategory")
Applicator = get_class("offer.applicator", "Applicator")


class EgyptianVAT(
    strategy.UseFirstStockRecord, strategy.StockRequired, strategy.FixedRateTax, strategy.Structured
):
    """Oscar's sample fixed-rate strategy at Egypt's 14%: tax to four places per unit."""

    rate = Decimal("0.14")


@dataclass
class Shop:
    users: list = field(default_factory=list)
    staff: list = field(default_factory=list)
    orders: list = field(default_factory=list)
    guest_orders: list = field(default_factory=list)
    deleted_account_orders: list = field(default_factory=list)
    deleted_product_orders: list = field(default_factory=list)
    usd_orders: list = field(default_factory=list)
    offer_orders: list = field(default_factory=list)
    cancelled_orders: list = field(default_factory=list)
    products: list = field(default_factory=list)
    categories: list = field(default_factory=list)


def country(code="EG", name="Egypt"):
    return factories.CountryFactory(iso_3166_1_a2=code, printable_name=name)


def shipping_address(**fields):
    fields.setdefault("country", country())
    fields.setdefault("first_name", "صالح")
    fields.setdefault("last_name", "عادل")
    fields.setdefault("phone_number", "+201001234567")
    return factories.ShippingAddressFactory(**fields)


def product(title, price, *, currency="EGP", **fields):
    """A product with a stock record and, as a shop's products have, a description (a
    child's is blank: it shows its parent's, as Oscar's templates do)."""
    if fields.get("structure") != "child":
        fields.setdefault("description", f"<p>{title}</p>")
    made = factories.create_product(title=title, **fields)
    factories.create_stockrecord(made, price=Decimal(price), num_in_stock=1000, currency=currency)
    return made


def place_order(
    lines,
    *,
    user=None,
    guest_email="",
    shipping=None,
    address=None,
    offers=False,
    status=None,
):
    """An order placed as Oscar's checkout places one: ``lines`` are (product, quantity)."""
    basket = Basket.objects.create(owner=user)
    basket.strategy = EgyptianVAT()
    for item, quantity in lines:
        basket.add_product(item, quantity)
    if offers:
        Applicator().apply(basket, user)
    kwargs = {"guest_email": guest_email} if guest_email else {}
    if status is not None:
        kwargs["status"] = status
    return factories.create_order(
        basket=basket,
        user=user,
        shipping_address=address if address is not None else shipping_address(),
        shipping_method=shipping or Free(),
        **kwargs,
    )


def build_shop(customers=3):
    """A shop with ``customers`` ordinary customers (two orders each) and every special case."""
    shop = Shop()
    # The catalogue: a four-level tree, Arabic names, a parent product with children.
    leaf = create_from_breadcrumbs("أزياء > رجال > قمصان > كتان")
    shop.categories = [*leaf.get_ancestors(), leaf]
    shirt = product("قميص كتان", "199.99")
    mug = product("Mug", "45.50")
    parent = factories.create_product(
        title="تيشيرت", structure="parent", description="<p>قطن مصري</p>"
    )
    children = [
        product(f"تيشيرت {size}", "120.00", parent=parent, structure="child") for size in ("S", "M")
    ]
    kitchen = create_from_breadcrumbs("منزل > مطبخ")
    for item, category in ((shirt, leaf), (parent, leaf), (mug, kitchen)):
        ProductCategory.objects.create(product=item, category=category)
    shop.categories += [*kitchen.get_ancestors(), kitchen]
    shop.products = [shirt, mug, parent, *children]

    for number in range(customers):
        user = factories.UserFactory(first_name="صالح", last_name=f"عادل {number}")
        factories.UserAddressFactory(
            user=user,
            country=country(),
            phone_number="+201001234567",
            is_default_for_shipping=True,
        )
        shop.users.append(user)
        shop.orders.append(place_order([(shirt, 1), (children[0], 2)], user=user))
        shop.orders.append(
            place_order(
                [(mug, 3)],
                user=user,
                shipping=FixedPrice(Decimal("30.00"), Decimal("34.20")),
                address=shipping_address(country=country("SA", "Saudi Arabia")),
            )
        )
    first = shop.users[0]

    # A cancelled order, which no customer's figures count.
    cancelled = place_order([(shirt, 5)], user=first)
    cancelled.set_status("Cancelled")
    shop.cancelled_orders.append(cancelled)

    # A staff member who shops too: not a customer.
    staff = factories.UserFactory(is_staff=True)
    shop.staff.append(staff)
    place_order([(mug, 1)], user=staff)

    # Guests: two orders by one email (typed two ways), one by another.
    shop.guest_orders = [
        place_order([(shirt, 1)], guest_email="Guest@Example.com"),
        place_order([(mug, 2)], guest_email=" guest@example.com "),
        place_order([(children[1], 1)], guest_email="nour@example.com"),
    ]

    # An account deleted since it ordered: its order keeps no user and no email.
    leaving = factories.UserFactory()
    order = place_order([(mug, 1)], user=leaving)
    leaving.delete()
    order.refresh_from_db()
    shop.deleted_account_orders.append(order)

    # A product deleted since it was ordered: the line keeps no product.
    gone = product("منتج محذوف", "10.00")
    order = place_order([(gone, 1), (mug, 1)], user=first)
    gone.delete()
    shop.deleted_product_orders.append(order)

    # A second currency: a product sold in US dollars.
    dollars = product("Imported lamp", "19.99", currency="USD")
    lighting = create_from_breadcrumbs("منزل > إضاءة")
    ProductCategory.objects.create(product=dollars, category=lighting)
    shop.categories.append(lighting)
    shop.usd_orders.append(place_order([(dollars, 2)], user=first))
    shop.products.append(dollars)

    # A real offer: 20% off everything (oscar.test.factories.create_offer), applied
    # to the basket by Oscar's Applicator, then placed; closed afterwards.
    offer = factories.create_offer(name="خصم ٢٠٪")
    shop.offer_orders.append(place_order([(shirt, 2), (mug, 1)], user=first, offers=True))
    shop.offer_orders.append(place_order([(mug, 3)], guest_email="nour@example.com", offers=True))
    offer.delete()

    shop.orders = list(Order.objects.order_by("pk"))
    return shop


@pytest.fixture
def shop(db):
    return build_shop()
