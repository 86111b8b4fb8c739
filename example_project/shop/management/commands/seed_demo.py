"""``manage.py seed_demo``: fill the shop with believable clients, products and purchases.

Objects are built in memory with factory-boy (``Factory.build``) and written
with ``bulk_create``, a batch at a time, in one transaction: 100,000 purchases
take well under a minute on SQLite.

Purchase ids follow time, as in a real shop: the k-th purchase is placed later
than the one before, by a client who had joined by then (some clients buy
often, many once, some never).
"""

import bisect
import itertools
import math
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max

from shop import factories
from shop.models import Client, Product, Purchase, PurchaseItem

STAFF_ACCOUNTS = 3


class Command(BaseCommand):
    help = "Fill the example shop with demo clients, products and purchases."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=500, help="clients (default 500)")
        parser.add_argument("--orders", type=int, default=2000, help="purchases (default 2000)")
        parser.add_argument("--products", type=int, default=300, help="products (default 300)")
        parser.add_argument("--seed", type=int, help="random seed, for repeatable data")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per bulk insert")

    def handle(self, *args, customers, orders, products, seed, batch_size, **options):
        if min(customers, orders, batch_size) < 0 or products < 5 or batch_size < 1:
            raise CommandError("Counts can't be negative; at least 5 products; batch size >= 1.")
        if orders and not customers:
            raise CommandError("Purchases need clients: give --customers.")
        if seed is not None:
            factories.seed(seed)
        self.batch_size = batch_size
        started = time.perf_counter()
        with transaction.atomic():
            # Client.mail is unique and built from the factory's sequence.
            factories.ClientFactory.reset_sequence(
                (Client.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
            )
            catalogue = self.create_products(products)
            staff, clients, markets = self.create_clients(customers)
            counts = self.create_purchases(orders, staff, clients, markets, catalogue)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {elapsed:.1f}s: {len(catalogue):,} products, "
                f"{len(clients):,} clients (+{len(staff)} staff accounts), "
                f"{counts['purchases']:,} purchases ({counts['paid']:,} paid; "
                f"+{counts['test']} test purchases), {counts['items']:,} purchase items."
            )
        )
        self.stdout.write(
            "The feeds leave out staff accounts and test purchases: "
            f"{len(clients):,} customers, {counts['purchases']:,} orders."
        )

    def create_products(self, count):
        return Product.objects.bulk_create(
            factories.ProductFactory.build_batch(count), batch_size=self.batch_size
        )

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
        if not count:
            return dict(counts, test=0)
        total = count + counts["test"]
        tests = set(random.sample(range(total), counts["test"]))
        joined = [client.joined_on for client in clients]
        # Some clients come back often, many once or never.
        loyalty = [random.paretovariate(1.5) for _ in clients]
        cumulative = list(itertools.accumulate(loyalty))
        opened, span = joined[0], factories.now() - joined[0]

        for first in range(0, total, self.batch_size):
            purchases, items = [], []
            for position in range(first, min(first + self.batch_size, total)):
                # Orders grow with the client base: the k-th of n falls at sqrt(k/n).
                placed_at = opened + span * math.sqrt((position + random.random()) / total)
                if position in tests:
                    purchase, lines = factories.build_purchase(
                        random.choice(staff), "EG", catalogue, placed_at=placed_at, is_test=True
                    )
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
                purchases.append(purchase)
                items.extend(lines)
            Purchase.objects.bulk_create(purchases)
            PurchaseItem.objects.bulk_create(items)
            counts["items"] += len(items)
        return counts
