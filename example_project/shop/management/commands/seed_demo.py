"""``manage.py seed_demo``: fill the shop with believable categories, products, clients and purchases.

Objects are built in memory with factory-boy (``Factory.build``) and written
with ``bulk_create``, a batch at a time, in one transaction: 100,000 purchases
take well under a minute on SQLite.

Purchase ids follow time, as in a real shop: the k-th purchase is placed later
than the one before, by a client who had joined by then (some clients buy
often, many once, some never), or by a guest, without an account.

The rows a shop's feed must cope with are there too: guests who come back
typing their email differently (`` Guest@Example.com``), clients who deleted
their account after buying (their purchases stay, without a client) and
products deleted from the catalogue after being bought (their items stay, with
the sku they copied). ``--customers`` and ``--products`` count what is left;
the deleted ones come on top.

The catalogue is a tree of ``--categories`` categories exactly four levels deep
(some branches stop sooner); each product sits in one to three of them, at any
level, with up to three tags and one to three images (the main one 600 x 600).
Some products are sold out, some inactive, some on sale, some of the shop's
own brand (a blank brand).

Each run adds to what is there, and says so: another tree, more products,
clients and purchases (tags are shared by name). ``--reset`` replaces it instead.
Either way it ends with the totals the feeds now serve.

Progress goes to stderr: a bar on a terminal, plain lines elsewhere, nothing
with ``--quiet``. A database that cannot be reached is one line, not a traceback.
"""

import bisect
import itertools
import math
import random
import time
from collections import Counter, defaultdict
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Lower, Trim

from convertedin_feed.feeds import get_feed
from convertedin_feed.tools.database import reachable_database
from convertedin_feed.tools.progress import Progress
from shop import factories
from shop.models import Category, Client, Product, ProductImage, Purchase, PurchaseItem, Tag

#: Where the example shop's database is set, for the one line a failure to connect gets.
DATABASE_HINT = "is the server running, and is DATABASE_URL right?"

STAFF_ACCOUNTS = 3
#: Of the published purchases, the share bought by guests, without an account.
GUEST_SHARE = 0.08
#: The chance that a guest checkout is by a guest who bought before.
RETURNING_GUEST = 0.3
#: Clients and products deleted after buying and being bought: one in a hundred, at least one.
DELETED_SHARE = 0.01


class Command(BaseCommand):
    help = "Fill the example shop with demo categories, products, clients and purchases."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=500, help="clients, besides deleted ones (default 500)"
        )
        parser.add_argument("--orders", type=int, default=2000, help="purchases (default 2000)")
        parser.add_argument(
            "--products", type=int, default=300, help="products, besides deleted ones (default 300)"
        )
        parser.add_argument(
            "--categories",
            type=int,
            default=40,
            help=f"categories, a tree {factories.CATEGORY_DEPTH} levels deep (default 40)",
        )
        parser.add_argument("--seed", type=int, help="random seed, for repeatable data")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per bulk insert")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo data first, so the shop holds exactly what this run seeds",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress")

    def handle(self, *args, **options):
        with reachable_database(hint=DATABASE_HINT):
            self.seed(**options)

    def seed(self, *, customers, orders, products, categories, seed, batch_size, **options):
        if min(customers, orders, batch_size) < 0 or products < 5 or batch_size < 1:
            raise CommandError("Counts can't be negative; at least 5 products; batch size >= 1.")
        if categories < factories.CATEGORY_DEPTH:
            raise CommandError(
                f"At least {factories.CATEGORY_DEPTH} categories: "
                f"the tree is {factories.CATEGORY_DEPTH} levels deep."
            )
        if orders and not customers:
            raise CommandError("Purchases need clients: give --customers.")
        if seed is not None:
            factories.seed(seed)
        self.batch_size = batch_size
        self.quiet = options["quiet"]
        if options["reset"]:
            self.stdout.write(f"Deleted the demo data: {reset():,} rows.")
        elif Client.objects.exists() or Product.objects.exists():
            self.stdout.write(
                "The shop has data already: this run adds to it (--reset replaces it)."
            )
        deleted_clients = max(1, round(customers * DELETED_SHARE)) if orders else 0
        deleted_products = max(1, round(products * DELETED_SHARE)) if orders else 0
        started = time.perf_counter()
        with transaction.atomic():
            # Client.mail and Product.sku are unique and built from the factories' sequences.
            factories.ClientFactory.reset_sequence(
                (Client.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
            )
            factories.ProductFactory.reset_sequence(next_sku_number())
            factories.CategoryFactory.reset_sequence(
                (Category.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
            )
            last_purchase = Purchase.objects.aggregate(last=Max("pk"))["last"] or 0
            shelves = self.create_categories(categories)
            catalogue = self.create_products(products + deleted_products)
            catalogue_counts = self.file_products(catalogue, shelves)
            staff, clients, markets = self.create_clients(customers + deleted_clients)
            counts = self.create_purchases(orders, staff, clients, markets, catalogue)
            self.clients, self.catalogue = clients, catalogue
            counts.update(self.delete_some(deleted_clients, deleted_products))
            # One guest customer per normalised email of a purchase without a client.
            counts["guest_customers"] = (
                Purchase.objects.filter(pk__gt=last_purchase, client__isnull=True, is_test=False)
                .values(email=Lower(Trim("checkout_email")))
                .distinct()
                .count()
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {elapsed:.1f}s: {categories:,} categories "
                f"({' / '.join(f'{size:,}' for size in factories.tree_levels(categories))} "
                f"by level), {products:,} products (+{deleted_products} deleted "
                f"since: {plural(counts['orphan_items'], 'purchase item')} keep only the sku), "
                f"{customers:,} clients (+{len(staff)} staff accounts; +{deleted_clients} deleted "
                f"since: {plural(counts['orphan_purchases'], 'purchase')} kept without a client), "
                f"{counts['purchases']:,} purchases ({counts['paid']:,} paid; "
                f"{plural(counts['guest_purchases'], 'guest checkout')} by "
                f"{plural(counts['guests'], 'guest')}; +{counts['test']} test purchases), "
                f"{counts['items']:,} purchase items."
            )
        )
        self.stdout.write(
            f"The catalogue: {catalogue_counts['images']:,} product images, "
            f"{catalogue_counts['placements']:,} product-category links, "
            f"{catalogue_counts['taggings']:,} product tags (of {catalogue_counts['tags']} tags)."
        )
        served = feed_totals()
        self.stdout.write(
            "The feeds now serve (staff accounts and test purchases left out, a customer "
            "for each guest's email): "
            + ", ".join(f"{count:,} {name}" for name, count in served.items())
            + "."
        )

    def create_products(self, count):
        return Product.objects.bulk_create(
            factories.ProductFactory.build_batch(count), batch_size=self.batch_size
        )

    def create_categories(self, count):
        """A tree ``count`` categories large, four levels deep, saved a level at a time
        (children need their parent's id); every category, roots first."""
        created: list[Category] = []
        above: list[Category] = []
        for level, size in enumerate(factories.tree_levels(count)):
            parents = factories.tree_parents(above, size) if above else [None] * size
            above = Category.objects.bulk_create(
                [factories.CategoryFactory.build(level=level, parent=p) for p in parents],
                batch_size=self.batch_size,
            )
            created += above
        return created

    def file_products(self, catalogue, shelves):
        """Each product on one to three of ``shelves`` (any level), with up to three tags
        and one to three images."""
        tags = ensure_tags(factories.TAG_NAMES)
        placements, taggings, images = [], [], []
        Placement, Tagging = Product.categories.through, Product.tags.through
        for product in catalogue:
            for category in random.sample(shelves, min(len(shelves), random.randint(1, 3))):
                placements.append(Placement(product_id=product.pk, category_id=category.pk))
            for tag in random.sample(tags, random.randint(0, 3)):
                taggings.append(Tagging(product_id=product.pk, tag_id=tag.pk))
            images += factories.product_images(product)
        Placement.objects.bulk_create(placements, batch_size=self.batch_size)
        Tagging.objects.bulk_create(taggings, batch_size=self.batch_size)
        ProductImage.objects.bulk_create(images, batch_size=self.batch_size)
        return {
            "placements": len(placements),
            "taggings": len(taggings),
            "images": len(images),
            "tags": len(tags),
        }

    def create_clients(self, count):
        markets = [factories.random_market() for _ in range(count)]
        clients = [factories.ClientFactory.build(market=market) for market in markets]
        # Ids follow sign-up time: sort by it, markets alongside.
        order = sorted(range(count), key=lambda index: clients[index].joined_on)
        clients = [clients[index] for index in order]
        markets = [markets[index] for index in order]
        opened = clients[0].joined_on if clients else factories.now()
        staff = factories.StaffClientFactory.build_batch(
            STAFF_ACCOUNTS, joined_on=opened - timedelta(days=30)
        )
        Client.objects.bulk_create(staff + clients, batch_size=self.batch_size)
        return staff, clients, markets

    def create_purchases(self, count, staff, clients, markets, catalogue):
        counts = {"purchases": count, "paid": 0, "test": max(3, count // 1000), "items": 0}
        counts.update(guest_purchases=0, guests=0)
        # Who bought what: the purchases of each client, the items of each product.
        self.bought_by, self.bought = Counter(), Counter()
        #: The products of each purchase: a deleted product never takes a purchase's last.
        self.baskets: list[set[int]] = []
        if not count:
            return dict(counts, test=0)
        total = count + counts["test"]
        tests = set(random.sample(range(total), counts["test"]))
        guest_checkouts = set(
            random.sample(
                [position for position in range(total) if position not in tests],
                round(count * GUEST_SHARE),
            )
        )
        guests: list[factories.GuestBuyer] = []
        # Guests' addresses are numbered apart from earlier seeds' guests.
        first_guest = Purchase.objects.filter(client__isnull=True).count() + 1
        joined = [client.joined_on for client in clients]
        # Some clients come back often, many once or never.
        loyalty = [random.paretovariate(1.5) for _ in clients]
        cumulative = list(itertools.accumulate(loyalty))
        opened, span = joined[0], factories.now() - joined[0]

        progress = Progress(self.stderr, "purchases", total=total, unit="rows", quiet=self.quiet)
        for first in range(0, total, self.batch_size):
            purchases, items = [], []
            for position in range(first, min(first + self.batch_size, total)):
                # Orders grow with the client base: the k-th of n falls at sqrt(k/n).
                placed_at = opened + span * math.sqrt((position + random.random()) / total)
                if position in tests:
                    purchase, lines = factories.build_purchase(
                        random.choice(staff), "EG", catalogue, placed_at=placed_at, is_test=True
                    )
                elif position in guest_checkouts:
                    # A guest comes back now and then. The second guest checkout
                    # always does, typing the address differently: even a small
                    # demo has a guest with two purchases.
                    second = counts["guest_purchases"] == 1
                    if guests and (second or random.random() < RETURNING_GUEST):
                        guest = random.choice(guests)
                    else:
                        guest = factories.guest_buyer(first_guest + len(guests))
                        guests.append(guest)
                    email = factories.typed_email(guest.email, varied=second)
                    purchase, lines = factories.build_purchase(
                        guest, guest.market, catalogue, placed_at=placed_at, checkout_email=email
                    )
                    counts["guest_purchases"] += 1
                    counts["paid"] += purchase.state == Purchase.State.PAID
                else:
                    joined_by_then = max(1, bisect.bisect_right(joined, placed_at))
                    index = bisect.bisect_right(
                        cumulative, random.random() * cumulative[joined_by_then - 1]
                    )
                    index = min(index, joined_by_then - 1)
                    purchase, lines = factories.build_purchase(
                        clients[index], markets[index], catalogue, placed_at=placed_at
                    )
                    counts["paid"] += purchase.state == Purchase.State.PAID
                    self.bought_by[clients[index].pk] += 1
                purchases.append(purchase)
                items.extend(lines)
                self.bought.update(line.product_id for line in lines)
                self.baskets.append({line.product_id for line in lines})
            Purchase.objects.bulk_create(purchases)
            PurchaseItem.objects.bulk_create(items)
            counts["items"] += len(items)
            progress.update(len(purchases))
        progress.close()
        counts["guests"] = len(guests)
        return counts

    def delete_some(self, clients, products):
        """Delete ``clients`` clients who bought and ``products`` products that were bought
        (of this seed's; others too when too few were), as a live shop's data has them."""
        client_ids = pick_deleted(self.bought_by, [client.pk for client in self.clients], clients)
        product_ids = pick_deleted(
            self.bought, [product.pk for product in self.catalogue], products, self.baskets
        )
        Client.objects.filter(pk__in=client_ids).delete()  # purchases: client set to NULL
        Product.objects.filter(pk__in=product_ids).delete()  # items: product set to NULL
        return {
            "orphan_purchases": sum(self.bought_by[pk] for pk in client_ids),
            "orphan_items": sum(self.bought[pk] for pk in product_ids),
        }


def reset() -> int:
    """Delete every row of the demo's models, children first; how many were deleted."""
    deleted = 0
    for model in (
        PurchaseItem,
        Purchase,
        ProductImage,
        Product.tags.through,
        Product.categories.through,
        Product,
        Category,  # its subcategories with it
        Tag,
        Client,
    ):
        deleted += model.objects.all().delete()[0]
    return deleted


def feed_totals() -> dict[str, int]:
    """The records each paged feed serves now, as its adapter sees them (guests included)."""
    totals = {}
    for name in ("categories", "products", "customers", "orders"):
        adapter = get_feed(name).get_adapter()
        totals[name] = sum(queryset.count() for _, queryset in adapter.sources())
    return totals


def pick_deleted(bought: Counter, ids: list[int], count: int, baskets=()) -> list[int]:
    """``count`` of ``ids`` at random, those ``bought`` counts first; none that would take
    the last of the items of one of ``baskets`` (sets of ids), as a purchase without items
    is no order a shop serves."""
    left = [len(basket) for basket in baskets]
    holding = defaultdict(list)
    for index, basket in enumerate(baskets):
        for pk in basket:
            holding[pk].append(index)
    chosen = []
    for pk in random.sample(sorted(bought), len(bought)):
        if len(chosen) == count:
            break
        if all(left[index] > 1 for index in holding[pk]):
            for index in holding[pk]:
                left[index] -= 1
            chosen.append(pk)
    others = [pk for pk in ids if pk not in bought]
    return chosen + random.sample(others, min(count - len(chosen), len(others)))


def ensure_tags(names) -> list[Tag]:
    """The tags of these names, created when missing (a tag's name is unique)."""
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=name) for name in names if name not in existing])
    return list(Tag.objects.filter(name__in=names).order_by("pk"))


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def next_sku_number() -> int:
    """Where the product sku sequence goes on: past every product, and past every
    sku a deleted product's items kept (ids are never reused, the sequence may be)."""
    numbers = [Product.objects.aggregate(last=Max("pk"))["last"] or 0]
    orphan_skus = PurchaseItem.objects.filter(product__isnull=True).values_list("sku", flat=True)
    for sku in orphan_skus.distinct():
        prefix, _, number = sku.partition("-")
        if prefix == "SKU" and number.isdigit():
            numbers.append(int(number))
    return max(numbers) + 1
