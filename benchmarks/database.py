"""Seeding the example shop's tables in bulk SQL, and the facts the crawl checks against.

``seed_demo`` builds every row in Python with factory-boy; ``INSERT ... SELECT``
over ``generate_series`` has PostgreSQL write a million purchases and three million
items itself, in well under a minute. Secondary indexes and foreign keys are dropped for the load and
rebuilt after it (one sort and one join each, instead of millions of updates
and deferred trigger checks), then ``VACUUM ANALYZE`` leaves the tables as
autovacuum would on a live shop: planned, and countable from the index alone.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import psycopg
from psycopg import sql

TABLES = ("shop_product", "shop_client", "shop_purchase", "shop_purchaseitem")
STAFF_ACCOUNTS = 3  # client ids 1..3; they place the test purchases
PRODUCTS = 300

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

PRODUCTS_SQL = """
INSERT INTO shop_product (id, name, price)
SELECT g, (%(kinds)s::text[])[1 + mod(g, cardinality(%(kinds)s::text[]))] || ', '
          || (%(colours)s::text[])[1 + mod(g / 7, cardinality(%(colours)s::text[]))],
       round((100 + random() * 4900)::numeric / 5) * 5
FROM generate_series(1, %(products)s) AS g
"""

CLIENTS_SQL = """
WITH draws AS (
    SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM generate_series(1, %(clients)s + %(staff)s) AS g
)
INSERT INTO shop_client
    (id, mail, first_name, family_name, mobile, sex, joined_on, language, is_staff_account)
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
       d.g <= %(staff)s
FROM draws AS d
JOIN markets AS m ON mod(d.g, 50) >= m.lo AND mod(d.g, 50) < m.hi
"""

# One to five items per purchase (three on average), in whole or fractional prices.
ITEMS_SQL = """
INSERT INTO shop_purchaseitem (purchase_id, product_id, qty, unit_price)
SELECT g, 1 + floor(random() * %(products)s)::bigint,
       CASE WHEN random() < 0.8 THEN 1 ELSE 2 + floor(random() * 3)::int END,
       CASE WHEN random() < 0.3 THEN round((20 + random() * 2000)::numeric)
            ELSE round((20 + random() * 2000)::numeric, 2) END
FROM generate_series(1, %(rows)s) AS g,
     generate_series(1, 1 + mod(abs(hashint4(g::int)::bigint), 5)) AS line
"""

# Ids follow time, as in a shop; a few staff test orders. Some clients buy often, most
# rarely: the frequent buyers are scattered over the ids (rank * a prime, mod clients), so
# no page of customers carries more purchases to aggregate than another.
PURCHASES_SQL = """
WITH goods AS (
    SELECT purchase_id, sum(qty * unit_price) AS amount
    FROM shop_purchaseitem GROUP BY purchase_id
),
draws AS (
    SELECT g, mod(g, %(test_step)s) = 0 AND g / %(test_step)s <= %(tests)s AS is_test,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6
    FROM generate_series(1, %(rows)s) AS g
),
buyers AS (
    SELECT d.*, CASE WHEN d.is_test THEN 1 + mod(d.g, %(staff)s)
                     ELSE %(staff)s + 1 + mod(
                         least(floor(%(clients)s * power(d.r1, 1.5)), %(clients)s - 1)::bigint
                         * %(scatter)s, %(clients)s)
                END AS client_id
    FROM draws AS d
)
INSERT INTO shop_purchase
    (id, client_id, placed_at, goods_total, tax, discount, grand_total, prices_include_tax,
     currency, ship_country, state, checkout_phone, checkout_email, is_test)
SELECT b.g, b.client_id,
       timestamptz '2020-01-01 08:00:00+00'
           + (b.g::float8 / %(rows)s * 1800 + b.r2 / 2) * interval '1 day',
       goods.amount, t.tax, t.discount,
       goods.amount - t.discount + CASE WHEN m.included THEN 0 ELSE t.tax END,
       m.included, m.currency,
       CASE WHEN b.r4 < 0.9 THEN m.code WHEN b.r4 < 0.95 THEN m.legacy ELSE m.alpha3 END,
       CASE WHEN b.r5 < 0.7 THEN 'paid' WHEN b.r5 < 0.82 THEN 'pending'
            WHEN b.r5 < 0.94 THEN 'cancelled' ELSE 'refunded' END,
       m.prefix || lpad(floor(b.r6 * 10 ^ m.digits)::bigint::text, m.digits, '0'),
       CASE WHEN b.is_test THEN 'staff' || b.client_id || '@shop.example'
            ELSE 'client' || b.client_id || '@example.com' END,
       b.is_test
FROM buyers AS b
JOIN goods ON goods.purchase_id = b.g
JOIN markets AS m ON mod(b.client_id, 50) >= m.lo AND mod(b.client_id, 50) < m.hi
CROSS JOIN LATERAL (
    SELECT CASE WHEN m.included THEN round(goods.amount * m.tax_rate / (1 + m.tax_rate), 2)
                ELSE round(goods.amount * m.tax_rate, 2) END AS tax,
           CASE WHEN b.r3 < 0.15 THEN round(goods.amount * 0.1) ELSE 0 END AS discount
) AS t
"""


@dataclass(frozen=True)
class Counts:
    orders: int  # published: not is_test
    customers: int  # published: not is_staff_account
    items: int


def migrate(env: dict[str, str], root) -> None:
    """The example project's migrations, under the benchmark's settings."""
    subprocess.run(
        [sys.executable, "example_project/manage.py", "migrate", "--verbosity", "0"],
        cwd=root,
        env=env,
        check=True,
    )


def counts(conn: psycopg.Connection) -> Counts:
    row = conn.execute(
        """SELECT (SELECT count(*) FROM shop_purchase WHERE NOT is_test),
                  (SELECT count(*) FROM shop_client WHERE NOT is_staff_account),
                  (SELECT count(*) FROM shop_purchaseitem)"""
    ).fetchone()
    return Counts(*row)


def seed(conn: psycopg.Connection, orders: int, customers: int) -> Counts:
    """Empty the shop's tables and fill them: ``orders`` published purchases, ``customers`` clients."""
    tests = max(3, orders // 1000)
    rows = orders + tests
    params = {
        "products": PRODUCTS,
        "staff": STAFF_ACCOUNTS,
        "scatter": 1_000_003 if customers % 1_000_003 else 999_983,  # coprime: a permutation
        "clients": customers,
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
        for statement in (PRODUCTS_SQL, CLIENTS_SQL, ITEMS_SQL, PURCHASES_SQL):
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


def page_end(conn: psycopg.Connection, per_page: int, page: int) -> int:
    """The id page ``page`` ends on, in the feed's order (0 before page 1)."""
    if page < 1:
        return 0
    row = conn.execute(
        "SELECT id FROM shop_purchase WHERE NOT is_test ORDER BY id OFFSET %s LIMIT 1",
        (page * per_page - 1,),
    ).fetchone()
    if row is None:
        raise ValueError(f"no page {page} at {per_page} per page")
    return row[0]


def server_version(conn: psycopg.Connection) -> str:
    return conn.execute("SHOW server_version").fetchone()[0]
