"""doctor's drop candidates are judged together: running the whole offered list, statement by
statement as a DBA would paste it, leaves every foreign key with an index whose leading columns
are its columns. A partitioned index drops every index attached under it, so it is weighed
with the partitions' own indexes it would take away.

Real PostgreSQL 15 and 18, on a range-partitioned table with a list-partitioned partition and
a default partition, foreign keys declared per partition (as in the public sample schema the
issue was found on) and on a partitioned table.
"""

from __future__ import annotations

import psycopg
from doctor_support import doctor

PAYMENTS = """
CREATE SCHEMA pay;
CREATE TABLE pay.customer (id int PRIMARY KEY);
CREATE TABLE pay.payment (id int NOT NULL, customer_id int NOT NULL, paid date NOT NULL)
  PARTITION BY RANGE (paid);
CREATE TABLE pay.payment_2024 PARTITION OF pay.payment
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE pay.payment_2025 PARTITION OF pay.payment
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (customer_id);
CREATE TABLE pay.payment_2025_a PARTITION OF pay.payment_2025 FOR VALUES IN (1, 2);
CREATE TABLE pay.payment_2025_rest PARTITION OF pay.payment_2025 DEFAULT;
CREATE TABLE pay.payment_other PARTITION OF pay.payment DEFAULT;
"""
LEAVES = ("payment_2024", "payment_2025_a", "payment_2025_rest", "payment_other")
# one foreign key per leaf, as the sample schema declares them
LEAF_FOREIGN_KEYS = tuple(
    f"ALTER TABLE pay.{leaf} ADD FOREIGN KEY (customer_id) REFERENCES pay.customer"
    for leaf in LEAVES
)

# every foreign key on a table that holds rows (a leaf: PostgreSQL clones a partitioned
# table's foreign key onto each partition), and whether a valid index on that table has its
# columns leading
FK_SUPPORT = """
SELECT c.conname, c.conrelid::regclass::text,
       EXISTS (SELECT FROM pg_index x
               WHERE x.indrelid = c.conrelid AND x.indisvalid
                 AND x.indnkeyatts >= cardinality(c.conkey)
                 AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                 AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
JOIN pg_class t ON t.oid = c.conrelid
WHERE c.contype = 'f' AND n.nspname = 'pay' AND t.relkind = 'r'
ORDER BY 2, 1
"""


def _build(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PAYMENTS)
        for statement in statements:
            conn.execute(statement)


def _run_every_drop(dsn: str) -> list[str]:
    """The whole offered list, run one statement at a time (autocommit); the statements."""
    report = doctor(dsn, "redundant-index", "duplicate-index", "unused-index", schemas=("pay",))
    run = [candidate.statement for candidate in report.drops.candidates]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in run:
            conn.execute(statement)
    return run


def _unsupported(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(FK_SUPPORT).fetchall()
    assert rows, "the fixture has foreign keys"
    return [(name, table) for name, table, supported in rows if not supported]


def _kept(dsn: str) -> dict[str, str]:
    report = doctor(dsn, "redundant-index", "duplicate-index", "unused-index", schemas=("pay",))
    return {k.index.qualified_name: k.why for k in report.drops.kept}


def test_a_partitioned_index_and_the_partition_indexes_it_covers_are_not_offered_together(
    new_db,
):
    """Each leaf has its own (customer_id) index for its foreign key; the partitioned
    (customer_id, paid) index covers them through its attached indexes and is unused. Both
    sides were offered at once: running the list left four foreign keys without an index."""
    dsn = new_db("empty")
    _build(
        dsn,
        *LEAF_FOREIGN_KEYS,
        *(f"CREATE INDEX {leaf}_customer_idx ON pay.{leaf} (customer_id)" for leaf in LEAVES),
        "CREATE INDEX payment_customer_paid_idx ON pay.payment (customer_id, paid)",
    )
    kept = _kept(dsn)
    assert kept["pay.payment_customer_paid_idx"].startswith(
        "it covers pay.payment_2024_customer_idx, "
    ), kept
    run = _run_every_drop(dsn)
    assert sorted(run) == sorted(
        f"DROP INDEX CONCURRENTLY pay.{leaf}_customer_idx;" for leaf in LEAVES
    )
    assert _unsupported(dsn) == []


def test_a_partitioned_index_that_is_a_partitions_last_fk_support_is_kept(new_db):
    """No partition has an index of its own: the unused partitioned index is, on each leaf,
    the only support of that leaf's foreign key (a partitioned index supports each
    partition)."""
    dsn = new_db("empty")
    _build(
        dsn,
        *LEAF_FOREIGN_KEYS,
        "CREATE INDEX payment_customer_idx ON pay.payment (customer_id)",
    )
    kept = _kept(dsn)
    assert kept["pay.payment_customer_idx"].startswith(
        "it is the only index left that supports foreign key payment_2024_customer_id_fkey"
    ), kept
    assert _run_every_drop(dsn) == []
    assert _unsupported(dsn) == []


def test_a_foreign_key_declared_on_the_partitioned_table_keeps_its_support(new_db):
    """The foreign key is declared once, on pay.payment (PostgreSQL clones it onto each
    partition); a duplicate partitioned index may go, but not both."""
    dsn = new_db("empty")
    _build(
        dsn,
        "ALTER TABLE pay.payment ADD FOREIGN KEY (customer_id) REFERENCES pay.customer",
        "CREATE INDEX payment_customer_idx ON pay.payment (customer_id)",
        "CREATE INDEX payment_customer_copy ON pay.payment (customer_id)",
    )
    run = _run_every_drop(dsn)
    assert len(run) == 1 and run[0].startswith("DROP INDEX pay.payment_customer_"), run
    assert _unsupported(dsn) == []


def test_a_foreign_key_declared_on_the_partitioned_table_holds_on_each_partition(new_db):
    """The foreign key is declared on pay.payment, and each leaf's own unused index is what
    supports it there (no partitioned index): none of them may go."""
    dsn = new_db("empty")
    _build(
        dsn,
        "ALTER TABLE pay.payment ADD FOREIGN KEY (customer_id) REFERENCES pay.customer",
        *(f"CREATE INDEX {leaf}_customer_idx ON pay.{leaf} (customer_id)" for leaf in LEAVES),
    )
    kept = _kept(dsn)
    assert kept["pay.payment_2024_customer_idx"] == (
        "it is the only index left that supports foreign key payment_customer_id_fkey"
    ), kept
    assert _run_every_drop(dsn) == []
    assert _unsupported(dsn) == []
