"""factory-boy factories for believable demo data.

Asking Faker for a value per row is slow (tens of microseconds a call), so
Faker fills small pools once (a few hundred names per locale) and the factories
pick from them with :mod:`random`. Seed both with :func:`seed` for repeatable data.

Each client belongs to a market (Egypt, Saudi Arabia, the Emirates, the US):
it decides a client's phone number and, for their purchases, the currency, the
destination country and the sales tax. A guest (a checkout without an account)
belongs to a market too, and is told apart by the email typed at checkout only,
in whatever case and with whatever spaces it was typed (:func:`typed_email`).

The catalogue is a tree of categories four levels deep (:func:`tree_levels`,
:func:`tree_parents`); each product sits in one to three of them, at any level,
with up to three tags and one to three images, the main one 600 x 600.
"""

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.random import reseed_random
from faker import Faker
from faker.decode import unidecode

from shop.currencies import EGP_PER_UNIT
from shop.models import Category, Client, Product, ProductImage, Purchase, PurchaseItem

CENT = Decimal("0.01")
POOL_SIZE = 500
#: Faker locales for names. Faker has no Arabic names for ar_EG (it falls back
#: to English ones); ar_AA holds the common Arabic names.
ARABIC, ENGLISH = "ar_AA", "en_US"
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com")


@dataclass(frozen=True)
class Market:
    country: str  # ISO 3166-1 alpha-2, as the shop stores most rows
    legacy_countries: tuple[str, ...]  # how older rows spell the same country
    currency: str
    tax_rate: Decimal
    prices_include_tax: bool
    phone_prefixes: tuple[str, ...]
    phone_digits: int  # digits after the prefix
    arabic_share: float  # how many of its clients use the shop in Arabic


MARKETS = {
    "EG": Market("EG", ("Egypt", "EGY"), "EGP", Decimal("0.14"), True,
                 ("010", "011", "012", "015"), 8, 0.85),
    "SA": Market("SA", ("Saudi Arabia", "SAU"), "SAR", Decimal("0.15"), True,
                 ("+966 50", "+966 55", "+966 56"), 7, 0.75),
    "AE": Market("AE", ("United Arab Emirates", "ARE"), "AED", Decimal("0.05"), True,
                 ("+971 50", "+971 52", "+971 55"), 7, 0.45),
    "US": Market("US", ("United States", "USA"), "USD", Decimal("0.0725"), False,
                 ("+1 212", "+1 646", "+1 415"), 7, 0.05),
}  # fmt: skip
MARKET_WEIGHTS = {"EG": 60, "SA": 22, "AE": 12, "US": 6}

STATE_WEIGHTS = {"paid": 70, "pending": 12, "cancelled": 12, "refunded": 6}

PRODUCT_KINDS = (
    ("Cotton T-shirt", 250, 600), ("Galabeya", 400, 1500), ("Abaya", 900, 3500),
    ("Linen shirt", 500, 1400), ("Jeans", 700, 2200), ("Sneakers", 1200, 5000),
    ("Leather sandals", 450, 1600), ("Prayer mat", 200, 900), ("Oud perfume", 600, 4500),
    ("Dates gift box", 150, 800), ("Arabic coffee set", 350, 1800), ("Scarf", 150, 650),
    ("Backpack", 600, 2500), ("Wireless earbuds", 900, 4200), ("Phone case", 100, 450),
    ("Desk lamp", 300, 1300), ("Cookware set", 1500, 6000), ("Kids pyjamas", 250, 700),
)  # fmt: skip
PRODUCT_COLOURS = ("black", "white", "navy", "olive", "sand", "burgundy", "grey", "beige")
#: Blank is the shop's own label: the products feed serves the store's name instead.
BRANDS = ("Nile Cotton", "Desert Rose", "Cairo Craft", "Al Noor", "Zamzam Home",
          "Oasis Sport", "Siwa Naturals", "Luxor Leather", "Sinai Outdoor", "Delta Kids")  # fmt: skip
OWN_BRAND_SHARE = 0.3
PRODUCT_BLURBS = ("made to last, washes well.", "a customer favourite.",
                  "new this season.", "ships within two days.", "comfortable all day.")  # fmt: skip
TAG_NAMES = ("new", "sale", "bestseller", "trending", "eid", "ramadan", "summer", "winter",
             "gift", "handmade", "organic", "cotton", "limited", "back to school", "local")  # fmt: skip

#: Category names by level, roots first; a name may recur under other parents.
CATEGORY_NAMES = (
    ("Women", "Men", "Kids", "Home", "Beauty", "Electronics", "Gifts", "Sports"),
    ("Clothing", "Shoes", "Accessories", "Bags", "Kitchen", "Decor", "Fragrance",
     "Audio", "Phones", "Outdoor", "Modest wear", "Nightwear"),
    ("New arrivals", "Best sellers", "Summer", "Winter", "Ramadan", "Eid", "Essentials",
     "Premium", "Everyday", "Occasion"),
    ("Cotton", "Linen", "Leather", "Wool", "Silk", "Denim", "Under 500 EGP",
     "Under 1000 EGP", "Handmade", "Imported", "Local brands", "Eco"),
)  # fmt: skip
CATEGORY_DEPTH = len(CATEGORY_NAMES)
#: How the categories split over the levels: few roots, ever more shelves below.
LEVEL_WEIGHTS = (1, 2, 3, 4)
#: Of a level's categories, the share with children of their own; the others end
#: their branch early (a shallower branch), whenever the level has more than one.
PARENT_SHARE = 0.75
MAIN_IMAGE = (600, 600)  # the products document asks for a 600 x 600 main image
OTHER_IMAGE_SIZES = ((600, 600), (800, 800), (600, 800), (800, 600), (1000, 1000))


_faker_seed: int | None = None


def seed(value: int) -> None:
    """Make the next data repeatable: seeds :mod:`random`, factory-boy and the pools."""
    global _faker_seed
    random.seed(value)
    reseed_random(value)
    _faker_seed = value
    pools.cache_clear()


@cache
def pools() -> dict[str, dict[str, list[str]]]:
    """First names by sex and family names, per locale, drawn from Faker once."""
    result = {}
    for locale in (ARABIC, ENGLISH):
        fake = Faker(locale)
        if _faker_seed is not None:
            fake.seed_instance(_faker_seed)
        # Faker's Arabic family names include tribes ("بنو عبس"): one-word names only.
        family_names = (fake.last_name() for _ in range(4 * POOL_SIZE))
        result[locale] = {
            "M": [fake.first_name_male() for _ in range(POOL_SIZE)],
            "F": [fake.first_name_female() for _ in range(POOL_SIZE)],
            "last": [name for name in family_names if name.isalpha()][:POOL_SIZE],
        }
    return result


@cache
def latin(name: str) -> str:
    """A name as an e-mail address spells it: Arabic transliterated, letters only."""
    return "".join(char for char in unidecode(name).lower() if char.isascii() and char.isalnum())


def email_address(first_name: str, family_name: str, number: int | str) -> str:
    first, family = latin(first_name) or "client", latin(family_name)
    user = random.choice((f"{first}.{family}", f"{first}{family}", f"{first[0]}{family}", first))
    return f"{user}{number}@{random.choice(EMAIL_DOMAINS)}"


def typed_email(address: str, *, varied: bool = False) -> str:
    """``address`` as a guest may type it at checkout: mostly as is, else (or when
    ``varied``) capitalised, shouted or with stray spaces (`` Guest@Example.com``)."""
    style = 0.5 + random.random() / 2 if varied else random.random()
    if style < 0.5:
        return address
    user, _, domain = address.partition("@")
    if style < 0.7:
        return f"{user.capitalize()}@{domain.capitalize()}"
    if style < 0.8:
        return address.upper()
    if style < 0.9:
        return f" {user.capitalize()}@{domain}"
    return f"{address}  "


def pick(weights: dict[str, int]) -> str:
    return random.choices(tuple(weights), weights=tuple(weights.values()))[0]


def random_market() -> str:
    return pick(MARKET_WEIGHTS)


def phone_number(market: Market) -> str:
    """A mobile number written the way people type them in a checkout form."""
    prefix = random.choice(market.phone_prefixes)
    digits = "".join(random.choices(string.digits, k=market.phone_digits))
    if market.country != "EG":
        return f"{prefix} {digits[:3]} {digits[3:]}"
    # Egyptians write the same number many ways; the adapters normalise them.
    local = prefix + digits
    style = random.random()
    if style < 0.55:
        return local  # 01001234567
    if style < 0.75:
        return f"{local[:4]} {local[4:7]} {local[7:]}"  # 0100 123 4567
    if style < 0.9:
        return f"{local[:4]}-{local[4:7]}-{local[7:]}"  # 0100-123-4567
    return f"+20 {local[1:4]} {local[4:7]} {local[7:]}"  # +20 100 123 4567


def moment_between(start: datetime, end: datetime) -> datetime:
    return start + (end - start) * random.random()


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def now() -> datetime:
    return timezone.now()


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    class Params:
        kind = factory.LazyFunction(lambda: random.choice(PRODUCT_KINDS))

    # The sequence number keeps skus unique (Product.sku is unique).
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.LazyAttribute(lambda o: f"{o.kind[0]}, {random.choice(PRODUCT_COLOURS)}")
    price = factory.LazyAttribute(lambda o: Decimal(random.randrange(o.kind[1], o.kind[2] + 1, 5)))
    slug = factory.LazyAttribute(lambda o: slugify(f"{o.name} {o.sku}"))
    description = factory.LazyAttribute(
        lambda o: f"<p>{o.name}: {random.choice(PRODUCT_BLURBS)}</p>"
    )
    brand = factory.LazyFunction(
        lambda: "" if random.random() < OWN_BRAND_SHARE else random.choice(BRANDS)
    )
    compare_at_price = factory.LazyAttribute(lambda o: sale_price(o.price))
    # One product in six is sold out; one in twelve is no longer on sale at all.
    stock = factory.LazyFunction(lambda: 0 if random.random() < 0.15 else random.randint(1, 250))
    is_active = factory.LazyFunction(lambda: random.random() >= 0.08)
    created_at = factory.LazyFunction(lambda: now() - timedelta(days=3 * 365) * random.random())


def tree_levels(count: int, depth: int = CATEGORY_DEPTH) -> list[int]:
    """How many of ``count`` categories go on each of ``depth`` levels: at least one
    each (so one branch is ``depth`` deep), the rest by :data:`LEVEL_WEIGHTS`."""
    if count < depth:
        raise ValueError(f"A tree {depth} levels deep needs at least {depth} categories.")
    weights = LEVEL_WEIGHTS[:depth]
    sizes = [1 + int((count - depth) * weight / sum(weights)) for weight in weights]
    sizes[-1] += count - sum(sizes)  # what rounding left over goes to the leaves
    return sizes


def tree_parents(parents: list[Category], children: int) -> list[Category]:
    """A parent for each of ``children`` categories, of ``parents`` (the level above).

    Only :data:`PARENT_SHARE` of the parents get children (each of those one at
    least), so some branches stop short of the deepest level."""
    fertile = random.sample(parents, max(1, min(children, round(len(parents) * PARENT_SHARE))))
    if len(parents) > 1 and len(fertile) == len(parents):
        fertile.pop()  # one branch at least ends on this level
    chosen = fertile + random.choices(fertile, k=children - len(fertile))
    random.shuffle(chosen)
    return chosen


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category on ``level`` (0 for a root) under ``parent``; built level by level."""

    class Meta:
        model = Category

    class Params:
        level = 0

    parent = None
    name = factory.LazyAttribute(lambda o: random.choice(CATEGORY_NAMES[o.level]))
    # The sequence number keeps slugs apart (names recur under other parents).
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.name)}-{n}")
    description = factory.LazyAttribute(
        lambda o: f"{o.name} in {o.parent.name}." if o.parent else f"Everything {o.name.lower()}."
    )
    is_visible = factory.LazyFunction(lambda: random.random() >= 0.1)
    # A shelf opens after the one it sits on.
    created_at = factory.LazyAttribute(
        lambda o: moment_between(
            o.parent.created_at if o.parent else now() - timedelta(days=4 * 365),
            now() - timedelta(days=30),
        )
    )


def product_images(product: Product) -> list[ProductImage]:
    """One to three unsaved images of ``product``; the main one (position 0) 600 x 600."""
    sizes = [MAIN_IMAGE, *random.choices(OTHER_IMAGE_SIZES, k=random.randint(0, 2))]
    return [
        ProductImage(
            product=product,
            file=f"products/{product.slug}-{position + 1}.jpg",
            width=width,
            height=height,
            position=position,
        )
        for position, (width, height) in enumerate(sizes)
    ]


def sale_price(price: Decimal) -> Decimal | None:
    """One product in five is on sale: its price before it, 10 to 50% higher."""
    if random.random() >= 0.2:
        return None
    return Decimal(round(price * Decimal(random.randint(110, 150)) / 100 / 5) * 5)


class ClientFactory(factory.django.DjangoModelFactory):
    """A client; ``market`` ("EG", "SA", "AE", "US") picks the phone and language."""

    class Meta:
        model = Client

    class Params:
        market = factory.LazyFunction(random_market)
        locale = factory.LazyAttribute(
            lambda o: ARABIC if random.random() < MARKETS[o.market].arabic_share else ENGLISH
        )
        # Names follow a sex even where the client did not say it (sex = "").
        name_sex = factory.LazyFunction(lambda: random.choice("MF"))

    first_name = factory.LazyAttribute(lambda o: random.choice(pools()[o.locale][o.name_sex]))
    family_name = factory.LazyAttribute(lambda o: random.choice(pools()[o.locale]["last"]))
    # The sequence number keeps addresses unique (Client.mail is unique).
    mail = factory.LazyAttributeSequence(lambda o, n: email_address(o.first_name, o.family_name, n))
    # About one client in five gave no mobile, and one in five no sex.
    mobile = factory.LazyAttribute(
        lambda o: phone_number(MARKETS[o.market]) if random.random() >= 0.2 else ""
    )
    sex = factory.LazyAttribute(lambda o: o.name_sex if random.random() >= 0.2 else "")
    joined_on = factory.LazyFunction(lambda: now() - timedelta(days=3 * 365) * random.random())
    language = factory.LazyAttribute(lambda o: "ar" if o.locale == ARABIC else "en")
    is_staff_account = False


class StaffClientFactory(ClientFactory):
    """The shop's own staff: they place test orders; the feeds leave them out."""

    class Params:
        market = "EG"
        locale = ENGLISH

    mail = factory.Sequence(lambda n: f"staff{n}@example-shop.test")
    is_staff_account = True


@dataclass(frozen=True)
class GuestBuyer:
    """Someone who buys without an account: all the shop knows is what they type."""

    market: str
    first_name: str
    last_name: str
    email: str  # as a guest types it the first time; later checkouts vary it
    phone: str


def guest_buyer(number: int, market: str | None = None) -> GuestBuyer:
    """The ``number``-th guest; the number keeps guests' addresses apart from clients'."""
    market = market or random_market()
    locale = ARABIC if random.random() < MARKETS[market].arabic_share else ENGLISH
    first_name = random.choice(pools()[locale][random.choice("MF")])
    last_name = random.choice(pools()[locale]["last"])
    return GuestBuyer(
        market=market,
        first_name=first_name,
        last_name=last_name,
        email=email_address(first_name, last_name, f"g{number}"),
        phone=phone_number(MARKETS[market]),
    )


class PurchaseFactory(factory.django.DjangoModelFactory):
    """A purchase of ``client`` in its ``market``, or of a ``guest`` (a :class:`GuestBuyer`,
    no client). Totals start at zero: call :func:`settle` once its items are built,
    as :func:`build_purchase` does."""

    class Meta:
        model = Purchase

    class Params:
        market = factory.LazyAttribute(lambda o: o.guest.market if o.guest else random_market())
        guest = None

    client = factory.Maybe(
        "guest",
        yes_declaration=None,
        no_declaration=factory.SubFactory(ClientFactory, market=factory.SelfAttribute("..market")),
    )
    placed_at = factory.LazyAttribute(
        lambda o: moment_between(
            o.client.joined_on if o.client else now() - timedelta(days=365), now()
        )
    )
    grand_total = Decimal(0)
    goods_total = Decimal(0)
    tax = Decimal(0)
    discount = Decimal(0)
    prices_include_tax = factory.LazyAttribute(lambda o: MARKETS[o.market].prices_include_tax)
    currency = factory.LazyAttribute(lambda o: MARKETS[o.market].currency)
    # Mostly ISO codes; one row in ten is older and spells the country out.
    ship_country = factory.LazyAttribute(
        lambda o: (
            MARKETS[o.market].country
            if random.random() >= 0.1
            else random.choice(MARKETS[o.market].legacy_countries)
        )
    )
    state = factory.LazyFunction(lambda: pick(STATE_WEIGHTS))
    # A checkout asks for a name, a phone and an email; most clients give their account's.
    billing_first_name = factory.LazyAttribute(
        lambda o: o.client.first_name if o.client else o.guest.first_name
    )
    billing_last_name = factory.LazyAttribute(
        lambda o: o.client.family_name if o.client else o.guest.last_name
    )
    checkout_phone = factory.LazyAttribute(
        lambda o: (
            (o.client.mobile if o.client else o.guest.phone) or phone_number(MARKETS[o.market])
        )
    )
    checkout_email = factory.LazyAttribute(
        lambda o: (
            typed_email(o.guest.email)
            if not o.client
            else o.client.mail
            if random.random() >= 0.1
            else email_address(o.client.first_name, o.client.family_name, random.randrange(100))
        )
    )
    is_test = False


class PurchaseItemFactory(factory.django.DjangoModelFactory):
    """A line; ``unit_price`` is the product's price in the purchase's currency."""

    class Meta:
        model = PurchaseItem

    purchase = factory.SubFactory(PurchaseFactory)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda o: o.product.sku)  # kept if the product is deleted
    qty = factory.LazyFunction(lambda: random.choices((1, 2, 3, 4), weights=(70, 20, 7, 3))[0])
    unit_price = factory.LazyAttribute(lambda o: in_currency(o.product.price, o.purchase.currency))


def in_currency(egp_price: Decimal, currency: str) -> Decimal:
    """Prices are set in EGP; other markets see them converted, ending in .99."""
    if currency == "EGP":
        return egp_price
    return (egp_price / EGP_PER_UNIT[currency]).quantize(Decimal(1)) - CENT


def settle(purchase: Purchase, items: list[PurchaseItem], market: Market) -> Purchase:
    """Make a purchase's totals add up from its items.

    ``goods_total`` is the sum of the lines. Where prices include tax (EG, SA, AE)
    ``tax`` is the part of it that is tax and ``grand_total = goods_total -
    discount``; elsewhere tax is added: ``grand_total = goods_total + tax - discount``.
    """
    goods = sum((item.unit_price * item.qty for item in items), Decimal(0))
    if market.prices_include_tax:
        tax = money(goods * market.tax_rate / (1 + market.tax_rate))
    else:
        tax = money(goods * market.tax_rate)
    # One purchase in five used a 5-20% coupon.
    percent = random.choice((5, 10, 15, 20)) if random.random() < 0.2 else 0
    purchase.goods_total = money(goods)
    purchase.tax = tax
    purchase.discount = money(goods * percent / 100)
    purchase.grand_total = purchase.goods_total - purchase.discount
    if not market.prices_include_tax:
        purchase.grand_total += tax
    return purchase


def build_purchase(
    client: Client | GuestBuyer, market: str, products: list[Product], **fields
) -> tuple:
    """An unsaved purchase of ``client`` (or a guest's) with 1 to 5 unsaved items, totals settled."""
    if isinstance(client, GuestBuyer):
        purchase = PurchaseFactory.build(guest=client, market=market, **fields)
    else:
        purchase = PurchaseFactory.build(client=client, market=market, **fields)
    items = [
        PurchaseItemFactory.build(purchase=purchase, product=product, sku=product.sku)
        for product in random.sample(products, random.randint(1, 5))
    ]
    return settle(purchase, items, MARKETS[market]), items
