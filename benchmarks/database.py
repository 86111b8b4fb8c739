"""Seeding the example shop's tables in bulk SQL, and the facts the crawl checks against.

``seed_demo`` builds every row in Python with factory-boy; ``INSERT ... SELECT``
over ``generate_series`` has PostgreSQL write a million purchases and three million
items itself, in well under a minute. About 8% of the purchases are guest
checkouts, without a client: guests who come back type their email in varied
case, some with a stray space, and the customers feed serves one customer per
normalised email after the clients. Secondary indexes and foreign keys are dropped for the load and
rebuilt after it (one sort and one join each, instead of millions of updates
and deferred trigger checks), then ``VACUUM ANALYZE`` leaves the tables as
autovacuum would on a live shop: planned, and countable from the index alone.

The catalogue is seeded the same way: ``products`` products (a million for the
products feed's figures), each in one to three of ``categories`` categories (any
level of a tree exactly ``category_depth`` levels deep, some branches ending
sooner), with zero to three tags and one to three images (the main one 600 x 600);
some sold out, some inactive, some on sale, some of the shop's own brand. Ids
are assigned level by level (roots first), so a level's categories have
consecutive ids; :func:`category_levels` says how many on each.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from dataclasses import dataclass

import psycopg
from psycopg import sql

TABLES = (
    "shop_category",
    "shop_tag",
    "shop_product",
    "shop_product_categories",
    "shop_product_tags",
    "shop_productimage",
    "shop_client",
    "shop_purchase",
    "shop_purchaseitem",
)
STAFF_ACCOUNTS = 3  # client ids 1..3; they place the test purchases
PRODUCTS = 300
CATEGORIES = 40  # the products feed's benchmark asks for 10,000, six levels deep
CATEGORY_DEPTH = 4
#: Of a level's categories (but the deepest), the share with children; the others end
#: their branch early, whenever the level has more than one.
PARENT_SHARE = 0.75
GUEST_SHARE = 0.08  # of the published purchases: guest checkouts, without a client
GUEST_PURCHASES_EACH = 1.4  # guest numbers drawn per guest checkout: 1/1.4 as many guests

ARABIC_FIRST = [
    "محمد", "أحمد", "محمود", "مصطفى", "عمر", "علي", "يوسف", "خالد", "إبراهيم", "حسن",
    "فاطمة", "مريم", "نور", "سارة", "هدى", "ياسمين", "آية", "منى", "ليلى", "رنا",
]  # fmt: skip
ARABIC_LAST = [
    "السيد", "عبدالله", "حسن", "إبراهيم", "المصري", "الشريف", "منصور", "عثمان",
    "سالم", "النجار", "الحسيني", "الفاروق", "القحطاني", "العتيبي", "الشمري", "الزهراني",
]  # fmt: skip
LATIN_FIRST = [
    "Mohamed", "Ahmed", "Omar", "Youssef", "Karim", "Sara", "Nour", "Mariam",
    "Laila", "Hana", "John", "Emily", "Michael", "Sarah", "David", "Jessica",
]  # fmt: skip
LATIN_LAST = [
    "Hassan", "Ibrahim", "Mansour", "Salem", "Farouk", "Naguib",
    "Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson",
]  # fmt: skip
PRODUCT_KINDS = [
    "Abaya", "Galabeya", "Jeans", "Sneakers", "Scarf", "Backpack",
    "Earbuds", "Perfume", "Dates", "Lamp", "Cookware", "Pyjamas",
]  # fmt: skip
COLOURS = ["black", "white", "navy", "olive", "sand", "burgundy", "grey", "beige"]
BRANDS = [
    "Nile Cotton", "Desert Rose", "Cairo Craft", "Al Noor", "Zamzam Home",
    "Oasis Sport", "Siwa Naturals", "Luxor Leather", "Sinai Outdoor", "Delta Kids",
]  # fmt: skip
BLURBS = [
    "made to last, washes well.", "a customer favourite.", "new this season.",
    "ships within two days.", "comfortable all day.",
]  # fmt: skip
TAG_NAMES = [
    "new", "sale", "bestseller", "trending", "eid", "ramadan", "summer", "winter",
    "gift", "handmade", "organic", "cotton", "limited", "back to school", "local",
]  # fmt: skip
CATEGORY_NAMES = [
    "Women", "Men", "Kids", "Home", "Beauty", "Electronics", "Gifts", "Sports",
    "Clothing", "Shoes", "Accessories", "Bags", "Kitchen", "Decor", "Fragrance", "Audio",
    "Summer", "Winter", "Ramadan", "Eid", "Essentials", "Premium", "Cotton", "Linen",
]  # fmt: skip
#: Sizes of the images after a product's main one, which is 600 x 600.
IMAGE_WIDTHS = [600, 800, 600, 800, 1000]
IMAGE_HEIGHTS = [600, 800, 800, 600, 1000]

# A client's market is its id mod 50: 60% Egypt, 22% Saudi Arabia, 12% Emirates, 6% US.
MARKETS_SQL = """
CREATE TEMPORARY TABLE markets
    (lo, hi, code, legacy, alpha3, currency, tax_rate, included, prefix, digits, arabic)
ON COMMIT DROP AS
VALUES (0, 30, 'EG', 'Egypt', 'EGY', 'EGP', 0.14, true, '010', 8, 0.85),
       (30, 41, 'SA', 'Saudi Arabia', 'SAU', 'SAR', 0.15, true, '+966 5', 8, 0.75),
       (41, 47, 'AE', 'United Arab Emirates', 'ARE', 'AED', 0.05, true, '+971 5', 8, 0.45),
       (47, 50, 'US', 'United States', 'USA', 'USD', 0.0725, false, '+1 212 ', 7, 0.05)
"""

# Ids follow time (created_at); one product in five on sale, 10-50% off; about one in
# seven sold out, one in twelve inactive, three in ten of the shop's own brand (blank).
# A product's sku from its id, as ``seed_demo`` numbers them: SKU-00042, SKU-1000000.
PRODUCTS_SQL = """
INSERT INTO shop_product
    (id, sku, name, slug, description, brand, price, compare_at_price, stock, is_active,
     created_at, updated_on)
SELECT g, sku, name, lower(replace(replace(name, ',', ''), ' ', '-')) || '-' || lower(sku),
       '<p>' || name || ': ' || (%(blurbs)s::text[])[1 + mod(g / 3, %(n_blurbs)s)] || '</p>',
       CASE WHEN r2 < 0.3 THEN '' ELSE (%(brands)s::text[])[1 + floor(r3 * %(n_brands)s)::int] END,
       price,
       CASE WHEN r4 < 0.2 THEN round(price * (1.1 + r5 * 0.4) / 5) * 5 END,
       CASE WHEN r6 < 0.15 THEN 0 ELSE 1 + floor(r5 * 250)::int END,
       r7 >= 0.08,
       timestamptz '2019-01-01 08:00:00+00' + (g::float8 / %(products)s * 1800) * interval '1 day',
       timestamptz '2019-01-01 08:00:00+00'
           + (g::float8 / %(products)s * 1800 + r5 * 90) * interval '1 day'
FROM (
    SELECT g, 'SKU-' || CASE WHEN g < 100000 THEN lpad(g::text, 5, '0') ELSE g::text END AS sku,
           (%(kinds)s::text[])[1 + mod(g, cardinality(%(kinds)s::text[]))] || ', '
              || (%(colours)s::text[])[1 + mod(g / 7, cardinality(%(colours)s::text[]))] AS name,
           round((100 + random() * 4900)::numeric / 5) * 5 AS price,
           random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
           random() AS r7
    FROM generate_series(1, %(products)s) AS g
) AS drawn
"""

# The levels of the tree: ids lo..hi, their parents drawn from the first ``fertile``
# ids of the level above (from parent_lo): the others end their branch there.
LEVELS_SQL = """
CREATE TEMPORARY TABLE category_levels (depth, lo, hi, parent_lo, fertile) ON COMMIT DROP AS
SELECT * FROM unnest(%(depths)s::int[], %(los)s::int[], %(his)s::int[], %(parent_los)s::int[],
                     %(fertiles)s::int[])
"""

# A category opens after the one it sits on; one in ten is hidden.
CATEGORIES_SQL = """
INSERT INTO shop_category (id, parent_id, name, slug, description, is_visible, created_at)
SELECT g, parent_id, name, lower(replace(name, ' ', '-')) || '-' || g,
       CASE WHEN parent_id IS NULL THEN 'Everything ' || lower(name) || '.'
            ELSE name || ', level ' || depth || '.' END,
       mod(g, 10) <> 0,
       timestamptz '2018-01-01 08:00:00+00' + (depth * 60 + random() * 30) * interval '1 day'
FROM (
    SELECT g, l.depth,
           CASE WHEN l.depth > 1 THEN l.parent_lo + mod(abs(hashint4(g)::bigint), l.fertile) END
               AS parent_id,
           (%(category_names)s::text[])[1 + mod(g, %(n_category_names)s)] AS name
    FROM category_levels AS l, generate_series(l.lo, l.hi) AS g
) AS categories
"""

TAGS_SQL = """
INSERT INTO shop_tag (id, name)
SELECT n, name FROM unnest(%(tags)s::text[]) WITH ORDINALITY AS t(name, n)
"""

# One to three categories per product, any level, never the same twice (strides of a
# third of the categories); zero to three tags (strides of a third of the tags).
PRODUCT_CATEGORIES_SQL = """
INSERT INTO shop_product_categories (product_id, category_id)
SELECT g, 1 + mod(abs(hashint4(g::int)::bigint) + k * greatest(1, %(categories)s / 3), %(categories)s)
FROM generate_series(1, %(products)s) AS g,
     generate_series(1, least(%(categories)s, 1 + mod(abs(hashint4(g::int + 1)::bigint), 3))) AS k
"""
PRODUCT_TAGS_SQL = """
INSERT INTO shop_product_tags (product_id, tag_id)
SELECT g, 1 + mod(abs(hashint4(g::int + 2)::bigint) + k * (%(n_tags)s / 3), %(n_tags)s)
FROM generate_series(1, %(products)s) AS g,
     generate_series(1, mod(abs(hashint4(g::int + 3)::bigint), 4)) AS k
"""

# One to three images per product, the main one (position 0) 600 x 600.
IMAGES_SQL = """
INSERT INTO shop_productimage (product_id, file, width, height, position)
SELECT g, 'products/sku-' || g || '-' || (p + 1) || '.jpg',
       CASE WHEN p = 0 THEN 600 ELSE (%(widths)s::int[])[1 + mod(g + p, %(n_sizes)s)] END,
       CASE WHEN p = 0 THEN 600 ELSE (%(heights)s::int[])[1 + mod(g + p, %(n_sizes)s)] END,
       p
FROM generate_series(1, %(products)s) AS g,
     generate_series(0, mod(abs(hashint4(g::int + 4)::bigint), 3)) AS p
"""

CLIENTS_SQL = """
WITH draws AS (
    SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM generate_series(1, %(clients)s + %(staff)s) AS g
)
INSERT INTO shop_client
    (id, mail, first_name, family_name, mobile, sex, joined_on, language, is_staff_account,
     updated_on)
SELECT d.g,
       CASE WHEN d.g <= %(staff)s THEN 'staff' || d.g || '@shop.example'
            ELSE 'client' || d.g || '@example.com' END,
       CASE WHEN d.r1 < m.arabic THEN (%(ar_first)s::text[])[1 + floor(d.r2 * %(n_ar_first)s)::int]
            ELSE (%(en_first)s::text[])[1 + floor(d.r2 * %(n_en_first)s)::int] END,
       CASE WHEN d.r1 < m.arabic THEN (%(ar_last)s::text[])[1 + floor(d.r3 * %(n_ar_last)s)::int]
            ELSE (%(en_last)s::text[])[1 + floor(d.r3 * %(n_en_last)s)::int] END,
       CASE WHEN d.r4 < 0.2 THEN ''
            ELSE m.prefix || lpad(floor(d.r5 * 10 ^ m.digits)::bigint::text, m.digits, '0') END,
       CASE WHEN d.r5 < 0.4 THEN 'M' WHEN d.r5 < 0.8 THEN 'F' ELSE '' END,
       timestamptz '2019-01-01 08:00:00+00'
           + (d.g::float8 / (%(clients)s + %(staff)s) * 1800) * interval '1 day',
       CASE WHEN d.r1 < m.arabic THEN 'ar' ELSE 'en' END,
       d.g <= %(staff)s,
       timestamptz '2019-01-01 08:00:00+00'
           + (d.g::float8 / (%(clients)s + %(staff)s) * 1800 + d.r3 * 30) * interval '1 day'
FROM draws AS d
JOIN markets AS m ON mod(d.g, 50) >= m.lo AND mod(d.g, 50) < m.hi
"""

# One to five items per purchase (three on average), in whole or fractional prices,
# each with its product's sku (the subquery draws the product once per item).
ITEMS_SQL = """
INSERT INTO shop_purchaseitem (purchase_id, product_id, sku, qty, unit_price)
SELECT purchase_id, product_id,
       'SKU-' || CASE WHEN product_id < 100000 THEN lpad(product_id::text, 5, '0')
                      ELSE product_id::text END,
       qty, unit_price
FROM (
    SELECT g AS purchase_id, 1 + floor(random() * %(products)s)::bigint AS product_id,
           CASE WHEN random() < 0.8 THEN 1 ELSE 2 + floor(random() * 3)::int END AS qty,
           CASE WHEN random() < 0.3 THEN round((20 + random() * 2000)::numeric)
                ELSE round((20 + random() * 2000)::numeric, 2) END AS unit_price
    FROM generate_series(1, %(rows)s) AS g,
         generate_series(1, 1 + mod(abs(hashint4(g::int)::bigint), 5)) AS line
) AS items
"""

# Ids follow time, as in a shop; a few staff test orders. Some clients buy often, most
# rarely: the frequent buyers are scattered over the ids (rank * a prime, mod clients), so
# no page of customers carries more purchases to aggregate than another. A guest checkout
# has no client; its guest number (low numbers come back most) decides the guest's name,
# phone and market, and its email, typed in varied case, some with a stray space. Billing
# names are the client's.
PURCHASES_SQL = """
WITH goods AS (
    SELECT purchase_id, sum(qty * unit_price) AS amount
    FROM shop_purchaseitem GROUP BY purchase_id
),
draws AS (
    SELECT g, mod(g, %(test_step)s) = 0 AND g / %(test_step)s <= %(tests)s AS is_test,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6, random() AS r7, random() AS r8, random() AS r9
    FROM generate_series(1, %(rows)s) AS g
),
buyers AS (
    SELECT d.*, CASE WHEN d.is_test THEN 1 + mod(d.g, %(staff)s)
                     ELSE %(staff)s + 1 + mod(
                         least(floor(%(clients)s * power(d.r1, 1.5)), %(clients)s - 1)::bigint
                         * %(scatter)s, %(clients)s)
                END AS client_id,
                NOT d.is_test AND d.r7 < %(guest_share)s AS is_guest,
                1 + floor(%(guest_numbers)s * power(d.r8, 2))::int AS guest_no
    FROM draws AS d
)
INSERT INTO shop_purchase
    (id, client_id, placed_at, goods_total, tax, discount, grand_total, prices_include_tax,
     currency, ship_country, state, billing_first_name, billing_last_name, checkout_phone,
     checkout_email, is_test, updated_on)
SELECT b.g, CASE WHEN b.is_guest THEN NULL ELSE b.client_id END,
       timestamptz '2020-01-01 08:00:00+00'
           + (b.g::float8 / %(rows)s * 1800 + b.r2 / 2) * interval '1 day',
       goods.amount, t.tax, t.discount,
       goods.amount - t.discount + CASE WHEN m.included THEN 0 ELSE t.tax END,
       m.included, m.currency,
       CASE WHEN b.r4 < 0.9 THEN m.code WHEN b.r4 < 0.95 THEN m.legacy ELSE m.alpha3 END,
       CASE WHEN b.r5 < 0.7 THEN 'paid' WHEN b.r5 < 0.82 THEN 'pending'
            WHEN b.r5 < 0.94 THEN 'cancelled' ELSE 'refunded' END,
       CASE WHEN NOT b.is_guest THEN c.first_name
            WHEN mod(h.h, 10) < 6 THEN (%(ar_first)s::text[])[1 + mod(h.h / 10, %(n_ar_first)s)::int]
            ELSE (%(en_first)s::text[])[1 + mod(h.h / 10, %(n_en_first)s)::int] END,
       CASE WHEN NOT b.is_guest THEN c.family_name
            WHEN mod(h.h, 10) < 6 THEN (%(ar_last)s::text[])[1 + mod(h.h / 1000, %(n_ar_last)s)::int]
            ELSE (%(en_last)s::text[])[1 + mod(h.h / 1000, %(n_en_last)s)::int] END,
       m.prefix || lpad(CASE WHEN b.is_guest THEN mod(h.h, (10 ^ m.digits)::bigint)
                             ELSE floor(b.r6 * 10 ^ m.digits)::bigint END::text, m.digits, '0'),
       CASE WHEN b.is_test THEN 'staff' || b.client_id || '@shop.example'
            WHEN NOT b.is_guest THEN 'client' || b.client_id || '@example.com'
            WHEN b.r9 < 0.6 THEN 'guest' || b.guest_no || '@example.com'
            WHEN b.r9 < 0.8 THEN 'Guest' || b.guest_no || '@Example.com'
            WHEN b.r9 < 0.9 THEN ' guest' || b.guest_no || '@example.com'
            ELSE 'GUEST' || b.guest_no || '@EXAMPLE.COM' END,
       b.is_test,
       timestamptz '2020-01-01 08:00:00+00'
           + (b.g::float8 / %(rows)s * 1800 + b.r2 / 2 + b.r6 * 3) * interval '1 day'
FROM buyers AS b
JOIN goods ON goods.purchase_id = b.g
JOIN shop_client AS c ON c.id = b.client_id
CROSS JOIN LATERAL (SELECT abs(hashint4(b.guest_no)::bigint) AS h) AS h
JOIN markets AS m
    ON mod(CASE WHEN b.is_guest THEN b.guest_no ELSE b.client_id END, 50) >= m.lo
    AND mod(CASE WHEN b.is_guest THEN b.guest_no ELSE b.client_id END, 50) < m.hi
CROSS JOIN LATERAL (
    SELECT CASE WHEN m.included THEN round(goods.amount * m.tax_rate / (1 + m.tax_rate), 2)
                ELSE round(goods.amount * m.tax_rate, 2) END AS tax,
           CASE WHEN b.r3 < 0.15 THEN round(goods.amount * 0.1) ELSE 0 END AS discount
) AS t
"""


@dataclass(frozen=True)
class Counts:
    orders: int  # published: not is_test
    customers: int  # the customers feed's: clients and guests
    items: int
    clients: int  # published: not is_staff_account
    guests: int  # one per normalised email of the published purchases without a client
    guest_purchases: int
    products: int = 0  # the products feed's: every product, inactive ones too
    categories: int = 0
    root_categories: int = 0  # the categories feed's records, each with its subtree
    category_depth: int = 0  # levels of the tree, roots included
    images: int = 0


def category_levels(count: int, depth: int) -> list[int]:
    """How many of ``count`` categories sit on each of ``depth`` levels, roots first:
    about ``count ** (1 / depth)`` roots, each level a constant factor larger than
    the one above, at least one category on each (10,000 over six levels: 5, 22, 94,
    409, 1,774, 7,696)."""
    if depth < 1 or count < depth:
        raise ValueError(f"A tree {depth} levels deep needs at least {depth} categories.")
    roots = max(1, round(count ** (1 / depth)))
    low, high = 1.0, float(count)
    for _ in range(100):  # the factor whose levels add up to count
        factor = (low + high) / 2
        if roots * sum(factor**level for level in range(depth)) < count:
            low = factor
        else:
            high = factor
    sizes = [max(1, round(roots * low**level)) for level in range(depth)]
    sizes[-1] += count - sum(sizes)
    while sizes[-1] < 1:  # rounding gave the upper levels too many
        upper = max(range(depth - 1), key=lambda level: sizes[level])
        sizes[upper] -= 1
        sizes[-1] += 1
    return sizes


def _level_params(count: int, depth: int) -> dict[str, list[int]]:
    """The ``category_levels`` table of :data:`LEVELS_SQL`: ids level by level."""
    sizes = category_levels(count, depth)
    his = list(itertools.accumulate(sizes))
    los = [hi - size + 1 for hi, size in zip(his, sizes, strict=True)]
    fertiles = [1]  # the roots have no parents
    for above in sizes[:-1]:
        fertile = max(1, math.ceil(above * PARENT_SHARE))
        fertiles.append(fertile - 1 if fertile == above > 1 else fertile)
    return {
        "depths": list(range(1, depth + 1)),
        "los": los,
        "his": his,
        "parent_los": [0, *los[:-1]],
        "fertiles": fertiles,
    }


def migrate(env: dict[str, str], root) -> None:
    """The example project's migrations, under the benchmark's settings."""
    subprocess.run(
        [sys.executable, "example_project/manage.py", "migrate", "--verbosity", "0"],
        cwd=root,
        env=env,
        check=True,
    )


def counts(conn: psycopg.Connection) -> Counts:
    orders, clients, items, guests, guest_purchases = conn.execute(
        """SELECT (SELECT count(*) FROM shop_purchase WHERE NOT is_test),
                  (SELECT count(*) FROM shop_client WHERE NOT is_staff_account),
                  (SELECT count(*) FROM shop_purchaseitem),
                  (SELECT count(DISTINCT lower(trim(checkout_email))) FROM shop_purchase
                   WHERE client_id IS NULL AND NOT is_test),
                  (SELECT count(*) FROM shop_purchase WHERE client_id IS NULL AND NOT is_test)"""
    ).fetchone()
    products, categories, roots, depth, images = conn.execute(
        """WITH RECURSIVE tree(id, depth) AS (
               SELECT id, 1 FROM shop_category WHERE parent_id IS NULL
               UNION ALL
               SELECT c.id, tree.depth + 1 FROM shop_category AS c JOIN tree ON c.parent_id = tree.id
           )
           SELECT (SELECT count(*) FROM shop_product),
                  (SELECT count(*) FROM shop_category),
                  (SELECT count(*) FROM shop_category WHERE parent_id IS NULL),
                  (SELECT coalesce(max(depth), 0) FROM tree),
                  (SELECT count(*) FROM shop_productimage)"""
    ).fetchone()
    return Counts(
        orders,
        clients + guests,
        items,
        clients,
        guests,
        guest_purchases,
        products=products,
        categories=categories,
        root_categories=roots,
        category_depth=depth,
        images=images,
    )


def seed(
    conn: psycopg.Connection,
    orders: int,
    customers: int,
    *,
    products: int = PRODUCTS,
    categories: int = CATEGORIES,
    category_depth: int = CATEGORY_DEPTH,
) -> Counts:
    """Empty the shop's tables and fill them: ``orders`` published purchases (about 8%
    by guests), ``customers`` clients (the customers feed serves the guests too),
    ``products`` products in ``categories`` categories, a tree ``category_depth``
    levels deep. Every purchase item names one of the products."""
    if products < 1:
        raise ValueError("Purchases need products: at least 1.")
    tests = max(3, orders // 1000)
    rows = orders + tests
    params = {
        **_level_params(categories, category_depth),
        "categories": categories,
        "category_names": CATEGORY_NAMES,
        "n_category_names": len(CATEGORY_NAMES),
        "tags": TAG_NAMES,
        "n_tags": len(TAG_NAMES),
        "brands": BRANDS,
        "n_brands": len(BRANDS),
        "blurbs": BLURBS,
        "n_blurbs": len(BLURBS),
        "widths": IMAGE_WIDTHS,
        "heights": IMAGE_HEIGHTS,
        "n_sizes": len(IMAGE_WIDTHS),
        "products": products,
        "staff": STAFF_ACCOUNTS,
        "scatter": 1_000_003 if customers % 1_000_003 else 999_983,  # coprime: a permutation
        "clients": customers,
        "guest_share": GUEST_SHARE,
        "guest_numbers": max(1, round(orders * GUEST_SHARE / GUEST_PURCHASES_EACH)),
        "rows": rows,
        "tests": tests,
        "test_step": rows // tests,
        "kinds": PRODUCT_KINDS,
        "colours": COLOURS,
        "ar_first": ARABIC_FIRST,
        "n_ar_first": len(ARABIC_FIRST),
        "ar_last": ARABIC_LAST,
        "n_ar_last": len(ARABIC_LAST),
        "en_first": LATIN_FIRST,
        "n_en_first": len(LATIN_FIRST),
        "en_last": LATIN_LAST,
        "n_en_last": len(LATIN_LAST),
    }
    with conn.transaction():
        conn.execute("SET LOCAL work_mem = '256MB'")
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute("SELECT setseed(0.5)")
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(map(sql.Identifier, TABLES))
            )
        )
        rebuild = _drop_secondary(conn)
        conn.execute(MARKETS_SQL)
        conn.execute(LEVELS_SQL, params)
        for statement in (
            CATEGORIES_SQL,
            TAGS_SQL,
            PRODUCTS_SQL,
            PRODUCT_CATEGORIES_SQL,
            PRODUCT_TAGS_SQL,
            IMAGES_SQL,
            CLIENTS_SQL,
            ITEMS_SQL,
            PURCHASES_SQL,
        ):
            conn.execute(statement, params)
        for statement in rebuild:
            conn.execute(statement)
        for table in TABLES:
            conn.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) FROM {}").format(
                    sql.Identifier(table)
                ),
                (table,),
            )
    conn.execute("VACUUM ANALYZE")
    return counts(conn)


def _drop_secondary(conn: psycopg.Connection) -> list[sql.Composable]:
    """Drop foreign keys, unique constraints and plain indexes; return what rebuilds them."""
    tables = list(TABLES)
    constraints = conn.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
           FROM pg_constraint
           WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
           ORDER BY contype DESC""",  # unique before foreign keys, which may lean on them
        (tables,),
    ).fetchall()
    indexes = conn.execute(
        """SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
           FROM pg_index
           WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS (
               SELECT 1 FROM pg_constraint AS c
               WHERE c.conindid = indexrelid AND c.contype IN ('p', 'u', 'x'))""",
        (tables,),
    ).fetchall()
    for table, name, _definition, _kind in reversed(constraints):
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
    for name, _definition in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
    rebuild: list[sql.Composable] = [sql.SQL(definition) for _name, definition in indexes]
    rebuild += [
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
        )
        for table, name, definition, _kind in constraints
    ]
    return rebuild


#: Each paged feed's records, by id: the orders feed's purchases, the products
#: feed's products (inactive ones too, unpublished), the categories feed's roots.
FEED_IDS = {
    "orders": "SELECT id FROM shop_purchase WHERE NOT is_test ORDER BY id OFFSET %s LIMIT 1",
    "products": "SELECT id FROM shop_product ORDER BY id OFFSET %s LIMIT 1",
    "categories": "SELECT id FROM shop_category WHERE parent_id IS NULL ORDER BY id OFFSET %s LIMIT 1",
}


def page_end(conn: psycopg.Connection, per_page: int, page: int, feed: str = "orders") -> int:
    """The id page ``page`` of ``feed`` ends on, in the feed's order (0 before page 1)."""
    if page < 1:
        return 0
    row = conn.execute(FEED_IDS[feed], (page * per_page - 1,)).fetchone()
    if row is None:
        raise ValueError(f"no page {page} at {per_page} per page")
    return row[0]


def server_version(conn: psycopg.Connection) -> str:
    return conn.execute("SHOW server_version").fetchone()[0]
