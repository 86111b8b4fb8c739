"""factory-boy factories for the test shops."""

from datetime import timezone
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from tests.testapp.models import (
    Account,
    Address,
    Basket,
    BasketLine,
    Gadget,
    GadgetPicture,
    Item,
    Label,
    Member,
    Order,
    OrderDiscount,
    OrderLine,
    Section,
)


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Faker("numerify", text="010########")
    gender_code = factory.Iterator(["m", "f", "x", ""])
    created = factory.Faker(
        "date_time_between", start_date="-3y", end_date="-1d", tzinfo=timezone.utc
    )


class BasketFactory(DjangoModelFactory):
    class Meta:
        model = Basket

    member = factory.SubFactory(MemberFactory)
    created = factory.Faker(
        "date_time_between", start_date="-1y", end_date="-1d", tzinfo=timezone.utc
    )
    subtotal = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
    tax = Decimal("0.00")
    discount = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal + (o.tax or 0) - o.discount)
    currency = "EGP"
    country = "EG"
    status = "paid"
    phone = factory.Faker("numerify", text="011########")
    locale = "ar"
    email = factory.LazyAttribute(lambda o: o.member.email)


class BasketLineFactory(DjangoModelFactory):
    class Meta:
        model = BasketLine

    basket = factory.SubFactory(BasketFactory)
    sku = factory.Sequence(lambda n: 1000 + n)
    quantity = factory.Faker("pyint", min_value=1, max_value=5)
    unit_price = factory.Faker("pydecimal", left_digits=3, right_digits=2, positive=True)


# ---------------------------------------------------------------------------
# The Oscar-like shop: accounts, addresses, items, orders, lines, discounts.
#
#   OrderFactory()                        an account's order (a new account)
#   OrderFactory(guest=True)              a guest checkout: no account, guest_email set
#   OrderFactory(guest=True, guest_email=" Guest@Example.com")   a guest, as typed
#   OrderFactory(account_deleted=True)    an account's order, the account deleted since
#   OrderLineFactory(item_deleted=True)   a line whose catalogue item was deleted since
#   order_with_lines(lines=2, discounts=2)  an order with its lines and discounts, totals settled

TAX_RATE = Decimal("0.20")
CENT = Decimal("0.01")


def excl_tax(amount: Decimal) -> Decimal:
    return (amount / (1 + TAX_RATE)).quantize(CENT)


class AccountFactory(DjangoModelFactory):
    """An account; ``AccountFactory(default_address=True)`` adds a default shipping address."""

    class Meta:
        model = Account
        skip_postgeneration_save = True  # the hooks save what they change

    class Params:
        default_address = factory.Trait(
            address=factory.RelatedFactory(
                "tests.factories.AddressFactory",
                factory_related_name="account",
                is_default_shipping=True,
            )
        )

    email = factory.Sequence(lambda n: f"account{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_joined = factory.Faker(
        "date_time_between", start_date="-3y", end_date="-1y", tzinfo=timezone.utc
    )
    is_staff = False


class AddressFactory(DjangoModelFactory):
    """An address; an account's carries its holder's name."""

    class Meta:
        model = Address

    account = None
    first_name = factory.Maybe(
        "account",
        yes_declaration=factory.SelfAttribute("account.first_name"),
        no_declaration=factory.Faker("first_name"),
    )
    last_name = factory.Maybe(
        "account",
        yes_declaration=factory.SelfAttribute("account.last_name"),
        no_declaration=factory.Faker("last_name"),
    )
    phone_number = factory.Faker("numerify", text="+20 10 #### ####")
    country = "EG"
    is_default_shipping = False


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    title = factory.Sequence(lambda n: f"Item {n}")
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, min_value=1, max_value=999)


class OrderFactory(DjangoModelFactory):
    """An order shipped to an address of its account's (a guest's own address for a guest).

    Totals are set on their own; :func:`order_with_lines` makes them add up.
    """

    class Meta:
        model = Order
        skip_postgeneration_save = True  # the hooks save what they change

    class Params:
        # A guest checkout: no account, an email typed at checkout.
        guest = factory.Trait(
            account=None,
            guest_email=factory.Sequence(lambda n: f"guest{n}@example.com"),
        )

    account = factory.SubFactory(AccountFactory)
    guest_email = ""
    number = factory.Sequence(lambda n: f"{100000 + n}")
    placed = factory.Faker(
        "date_time_between", start_date="-1y", end_date="-1d", tzinfo=timezone.utc
    )
    currency = "GBP"
    total_incl_tax = factory.Faker(
        "pydecimal", left_digits=4, right_digits=2, min_value=10, max_value=5000
    )
    total_excl_tax = factory.LazyAttribute(lambda o: excl_tax(o.total_incl_tax))
    shipping_incl_tax = Decimal("0.00")
    status = Order.COMPLETE
    shipping_address = factory.SubFactory(
        AddressFactory, account=factory.SelfAttribute("..account")
    )
    shipping_phone = factory.LazyAttribute(
        lambda o: o.shipping_address.phone_number if o.shipping_address else ""
    )

    @factory.post_generation
    def account_deleted(obj, create, extracted, **kwargs):
        """``OrderFactory(account_deleted=True)``: the account is deleted once the order is
        placed; the order stays, with ``account`` NULL (and ``guest_email`` as given, blank
        by default, as Oscar leaves it on an account's order)."""
        if create and extracted and obj.account is not None:
            obj.account.delete()
            obj.refresh_from_db()


class OrderLineFactory(DjangoModelFactory):
    """A line selling a catalogue item at its price; ``item_deleted=True`` deletes the item
    afterwards (the line keeps ``partner_sku`` and ``title``, ``item`` becomes NULL)."""

    class Meta:
        model = OrderLine
        skip_postgeneration_save = True  # the hooks save what they change

    order = factory.SubFactory(OrderFactory)
    item = factory.SubFactory(ItemFactory)
    partner_sku = factory.Sequence(lambda n: f"PSKU-{n:05d}")
    title = factory.LazyAttribute(lambda o: o.item.title if o.item else "A deleted item")
    quantity = factory.Faker("pyint", min_value=1, max_value=3)
    unit_price_incl_tax = factory.LazyAttribute(lambda o: o.item.price if o.item else Decimal(10))
    unit_price_excl_tax = factory.LazyAttribute(lambda o: excl_tax(o.unit_price_incl_tax))
    line_price_incl_tax = factory.LazyAttribute(lambda o: o.unit_price_incl_tax * o.quantity)
    line_price_excl_tax = factory.LazyAttribute(lambda o: o.unit_price_excl_tax * o.quantity)

    @factory.post_generation
    def item_deleted(obj, create, extracted, **kwargs):
        if create and extracted and obj.item is not None:
            obj.item.delete()
            obj.refresh_from_db()


class OrderDiscountFactory(DjangoModelFactory):
    class Meta:
        model = OrderDiscount

    order = factory.SubFactory(OrderFactory)
    offer_name = factory.Sequence(lambda n: f"Offer {n}")
    amount = Decimal("5.00")


def settle(order: Order) -> Order:
    """Make ``order``'s totals add up from its lines and discounts (saved)."""
    lines = list(order.lines.all())
    discounts = sum((discount.amount for discount in order.discounts.all()), Decimal(0))
    goods = sum((line.line_price_incl_tax for line in lines), Decimal(0))
    order.total_incl_tax = goods - discounts + order.shipping_incl_tax
    order.total_excl_tax = excl_tax(order.total_incl_tax)
    order.save(update_fields=["total_incl_tax", "total_excl_tax"])
    return order


def order_with_lines(
    lines: int = 2, discounts: int = 2, *, line_kwargs=None, discount_kwargs=None, **order_kwargs
) -> Order:
    """An order with ``lines`` lines and ``discounts`` discounts, totals settled.

    The default, two lines and two discounts, is the case where summing lines and
    discounts in one joined query counts each line twice and each discount twice.
    ``order_kwargs`` go to :class:`OrderFactory` (``guest=True``, ``account=...``).
    """
    order = OrderFactory(**order_kwargs)
    OrderLineFactory.create_batch(lines, order=order, **(line_kwargs or {}))
    OrderDiscountFactory.create_batch(discounts, order=order, **(discount_kwargs or {}))
    return settle(order)


# ---------------------------------------------------------------------------
# The catalogue: sections nested to any depth, gadgets, labels and pictures.
#
#   SectionFactory()                      a root section
#   SectionFactory(parent=section)        a subsection
#   GadgetFactory(sections=[a, b], labels=[x])   a gadget filed under a and b, labelled x
#   GadgetPictureFactory(gadget=gadget)   a picture of it, ``gadgets/picture-<n>.jpg``


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    parent = None
    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    blurb = factory.Faker("sentence")
    is_visible = True
    opened = factory.Faker(
        "date_time_between", start_date="-3y", end_date="-1d", tzinfo=timezone.utc
    )


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label-{n}")


class GadgetFactory(DjangoModelFactory):
    """A gadget; ``sections=[...]`` and ``labels=[...]`` file and label it."""

    class Meta:
        model = Gadget
        skip_postgeneration_save = True  # the hooks save what they change

    title = factory.Sequence(lambda n: f"Gadget {n}")
    slug = factory.Sequence(lambda n: f"gadget-{n}")
    body = factory.Faker("paragraph")
    brand = factory.Faker("company")
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, min_value=1, max_value=999)
    was_price = None
    stock = factory.Faker("pyint", min_value=0, max_value=50)
    listed = True
    listed_on = factory.Faker(
        "date_time_between", start_date="-2y", end_date="-1d", tzinfo=timezone.utc
    )

    @factory.post_generation
    def sections(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.sections.set(extracted)

    @factory.post_generation
    def labels(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.labels.set(extracted)


class GadgetPictureFactory(DjangoModelFactory):
    class Meta:
        model = GadgetPicture

    gadget = factory.SubFactory(GadgetFactory)
    file = factory.Sequence(lambda n: f"gadgets/picture-{n}.jpg")
    width = 800
    height = 600
    position = factory.Sequence(lambda n: n)
