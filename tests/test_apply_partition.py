"""apply, status and drop on partitioned tables, against real servers (PG15 and PG18).

A catalog entry written the ordinary way on a partitioned parent is built as PostgreSQL
documents it: ON ONLY parent, a concurrent build (or the reuse of a matching index) per
partition, ATTACH; the parent ends valid, a re-run changes nothing.
"""

from __future__ import annotations

import json

import psycopg
import pytest

SCHEMA = """
CREATE SCHEMA shop;
CREATE TABLE shop.payment (id bigint, customer_id int, paid_on date, amount numeric)
    PARTITION BY RANGE (paid_on);
CREATE TABLE shop.payment_2024_01 PARTITION OF shop.payment
    FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE shop.payment_2024_02 PARTITION OF shop.payment
    FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE shop.payment_2024_03 PARTITION OF shop.payment
    FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') PARTITION BY HASH (id);
CREATE TABLE shop.payment_2024_03_h0 PARTITION OF shop.payment_2024_03
    FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE shop.payment_2024_03_h1 PARTITION OF shop.payment_2024_03
    FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE shop.payment_empty PARTITION OF shop.payment
    FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');
CREATE TABLE shop.payment_default PARTITION OF shop.payment DEFAULT;
INSERT INTO shop.payment
    SELECT g, g % 100, date '2024-01-01' + (g % 100), g FROM generate_series(1, 3000) g;
CREATE TABLE shop.region_sale (id int, region text, total int) PARTITION BY LIST (region);
CREATE TABLE shop.region_sale_eu PARTITION OF shop.region_sale FOR VALUES IN ('eu');
CREATE TABLE shop.region_sale_us PARTITION OF shop.region_sale FOR VALUES IN ('us');
INSERT INTO shop.region_sale SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g
    FROM generate_series(1, 1000) g;
"""

CATALOG = """\
CREATE INDEX CONCURRENTLY payment_customer ON shop.payment (customer_id);
CREATE INDEX CONCURRENTLY payment_paid ON shop.payment (paid_on, amount);
CREATE INDEX CONCURRENTLY region_sale_total ON shop.region_sale (total);
"""

INDEXES_SQL = """
SELECT c.relname, t.relname, pg_get_indexdef(c.oid), i.indisvalid,
       coalesce(p.relname, '')
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits h ON h.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = h.inhparent
WHERE n.nspname = 'shop'
ORDER BY 1
"""


def indexes(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(INDEXES_SQL).fetchall()


def make_shop(new_db, extra: str = "") -> str:
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA + extra)
    return dsn


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "catalog.sql"
    path.write_text(CATALOG)
    return path


def apply(run_cli, dsn, catalog, *extra: str):
    result = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_range_list_hash_sub_default_and_empty_partitions_end_valid_and_rerun_is_no_ddl(
    new_db, run_cli, catalog
):
    dsn = make_shop(new_db)
    first = apply(run_cli, dsn, catalog, "--jobs", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    doc = json.loads(first.stdout)
    assert doc["converged"] is True
    sql = [s for a in doc["actions"] for s in a["sql"]]
    assert "CREATE INDEX payment_customer ON ONLY shop.payment USING btree (customer_id)" in sql
    assert any(s.startswith("CREATE INDEX payment_2024_03_payment_customer ON ONLY") for s in sql)
    assert (
        "ALTER INDEX shop.payment_2024_03_payment_customer ATTACH PARTITION "
        "shop.payment_2024_03_h0_payment_customer"
    ) in sql
    found = indexes(dsn)
    parents = {row[0]: row for row in found if row[1] in ("payment", "region_sale")}
    assert all(row[3] for row in parents.values()), parents  # every parent index valid
    by_table = {}
    for name, table, _, valid, parent in found:
        by_table.setdefault(table, []).append((name, valid, parent))
    # the default and the empty partition got theirs; the leaves of the sub-partitioned one
    # are attached to its own index, which is attached to the top one
    assert ("payment_default_payment_customer", True, "payment_customer") in by_table[
        "payment_default"
    ]
    assert ("payment_empty_payment_paid", True, "payment_paid") in by_table["payment_empty"]
    assert ("payment_2024_03_h1_payment_paid", True, "payment_2024_03_payment_paid") in (
        by_table["payment_2024_03_h1"]
    )
    again = apply(run_cli, dsn, catalog)
    assert again.returncode == 0
    redo = json.loads(again.stdout)
    assert redo["converged"] is True
    assert [a for a in redo["actions"] if a["sql"]] == []  # converged: no DDL


def test_matching_index_on_a_partition_is_attached_not_built_and_a_different_one_is_left(
    new_db, run_cli, catalog
):
    extra = """
    CREATE INDEX mine ON shop.payment_2024_01 (customer_id);
    CREATE INDEX other ON shop.payment_2024_02 (customer_id) WHERE amount > 0;
    """
    dsn = make_shop(new_db, extra)
    plan = apply(run_cli, dsn, catalog, "--dry-run")
    sql = [s for a in json.loads(plan.stdout)["actions"] for s in a["sql"]]
    assert "ALTER INDEX shop.payment_customer ATTACH PARTITION shop.mine" in sql
    assert not any("ON shop.payment_2024_01 USING btree (customer_id)" in s for s in sql)
    assert any(
        s.startswith("CREATE INDEX CONCURRENTLY payment_2024_02_payment_customer") for s in sql
    )
    result = apply(run_cli, dsn, catalog)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {row[0]: row for row in indexes(dsn)}
    assert rows["mine"][4] == "payment_customer"
    assert rows["other"][4] == ""  # another definition: not attached, left alone
    assert rows["payment_2024_02_payment_customer"][4] == "payment_customer"


def test_dry_run_prints_every_step_as_psql_runs_it(new_db, run_cli, catalog, tmp_path):
    dsn = make_shop(new_db)
    plan = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    script = tmp_path / "plan.sql"
    script.write_text(plan.stdout.replace("CONCURRENTLY ", "CONCURRENTLY "))
    # psql runs the printed plan as it is, and the result is what apply converges to
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in plan.stdout.split(";\n"):
            body = "\n".join(
                line for line in statement.splitlines() if not line.startswith("--")
            ).strip()
            if body:
                conn.execute(body)
    after = apply(run_cli, dsn, catalog)
    assert json.loads(after.stdout)["converged"] is True
    assert [a for a in json.loads(after.stdout)["actions"] if a["sql"]] == []


def test_status_counts_partitions_and_sums_their_size(new_db, run_cli, catalog):
    dsn = make_shop(new_db)
    with psycopg.connect(dsn, autocommit=True) as conn:  # half done by hand: ON ONLY + one
        conn.execute("CREATE INDEX payment_customer ON ONLY shop.payment (customer_id)")
        conn.execute("CREATE INDEX p1 ON shop.payment_2024_01 (customer_id)")
        conn.execute("ALTER INDEX shop.payment_customer ATTACH PARTITION shop.p1")
    status = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert status.returncode in (0, 1), status.stderr
    rows = {r["name"]: r for r in json.loads(status.stdout)["indexes"]}
    assert rows["payment_customer"]["state"] == "building"
    assert rows["payment_customer"]["partitions"] == {"attached": 1, "total": 6}
    assert rows["payment_paid"]["state"] == "missing"
    text = run_cli("status", "--dsn", dsn, "--indexes", str(catalog))
    assert "building: 1 of 6 partitions" in text.stdout
    assert apply(run_cli, dsn, catalog).returncode == 0
    rows = {
        r["name"]: r
        for r in json.loads(
            run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json").stdout
        )["indexes"]
    }
    with psycopg.connect(dsn) as conn:
        total = conn.execute(
            "SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits h "
            "JOIN pg_class c ON c.oid = h.inhrelid WHERE c.relkind = 'i' AND h.inhparent IN "
            "(SELECT oid FROM pg_class WHERE relname IN ('payment_customer', "
            "'payment_2024_03_payment_customer'))"
        ).fetchone()[0]
    assert rows["payment_customer"]["state"] == "valid"
    assert rows["payment_customer"]["size_bytes"] == total > 0


def test_partition_created_after_apply_gets_the_index_and_nothing_is_to_do(
    new_db, run_cli, catalog
):
    dsn = make_shop(new_db)
    assert apply(run_cli, dsn, catalog).returncode == 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE shop.payment_2025_01 PARTITION OF shop.payment "
            "FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')"
        )
    status = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert status.returncode == 0, status.stdout
    again = apply(run_cli, dsn, catalog)
    assert [a for a in json.loads(again.stdout)["actions"] if a["sql"]] == []


def test_unique_without_the_partition_key_and_on_only_are_refused_before_anything_runs(
    new_db, run_cli, tmp_path
):
    dsn = make_shop(new_db)
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "CREATE UNIQUE INDEX payment_id ON shop.payment (id);\n"
        "CREATE UNIQUE INDEX sale_id ON shop.region_sale (id);\n"
        "CREATE UNIQUE INDEX payment_id_paid ON shop.payment (id, paid_on);\n"
    )
    result = run_cli("apply", "--dsn", dsn, "--indexes", str(bad))
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, result.stderr
    assert f"{bad}:1: index 'payment_id'" in lines[0] and "paid_on" in lines[0]
    assert f"{bad}:2: index 'sale_id'" in lines[0] and "region" in lines[0]
    assert "payment_id_paid" not in lines[0]
    assert indexes(dsn) == []  # nothing half-applied
    only = tmp_path / "only.sql"
    only.write_text(
        "CREATE INDEX a ON ONLY shop.payment (id);\nCREATE INDEX b ON ONLY shop.payment (amount);\n"
    )
    result = run_cli("apply", "--dsn", dsn, "--indexes", str(only))
    assert result.returncode == 2
    assert f"{only}:1: ON ONLY is not written in a catalog" in result.stderr
    assert f"{only}:2:" in result.stderr
    assert "CREATE INDEX CONCURRENTLY name ON parent" in result.stderr


def test_unique_with_the_partition_key_builds_unique_partition_indexes(new_db, run_cli, tmp_path):
    dsn = make_shop(new_db)
    good = tmp_path / "good.sql"
    good.write_text("CREATE UNIQUE INDEX payment_id_paid ON shop.payment (id, paid_on);\n")
    assert apply(run_cli, dsn, good).returncode == 0
    rows = {row[0]: row for row in indexes(dsn)}
    assert rows["payment_id_paid"][3] is True
    assert "UNIQUE" in rows["payment_2024_01_payment_id_paid"][2]


def test_foreign_table_partition_is_skipped_for_non_unique_and_refused_for_unique(
    new_db, run_cli, tmp_path
):
    extra = """
    CREATE FOREIGN DATA WRAPPER plinto_dummy;
    CREATE SERVER plinto_remote FOREIGN DATA WRAPPER plinto_dummy;
    CREATE FOREIGN TABLE shop.payment_remote PARTITION OF shop.payment
        FOR VALUES FROM ('2031-01-01') TO ('2031-02-01') SERVER plinto_remote;
    """
    dsn = make_shop(new_db, extra)
    unique = tmp_path / "u.sql"
    unique.write_text("CREATE UNIQUE INDEX payment_id_paid ON shop.payment (id, paid_on);\n")
    refused = run_cli("apply", "--dsn", dsn, "--indexes", str(unique))
    assert refused.returncode == 2
    assert "foreign table (shop.payment_remote)" in refused.stderr
    plain = tmp_path / "p.sql"
    plain.write_text("CREATE INDEX payment_amount ON shop.payment (amount);\n")
    done = apply(run_cli, dsn, plain)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row[0]: row for row in indexes(dsn)}
    assert rows["payment_amount"][3] is True  # valid although one partition has no index
    assert not any(row[1] == "payment_remote" for row in rows.values())


def test_drop_drops_a_partitioned_index_with_a_plain_drop_and_status_does_not_refuse(
    new_db, run_cli, catalog
):
    dsn = make_shop(new_db)
    assert apply(run_cli, dsn, catalog).returncode == 0
    dropped = run_cli("drop", "--dsn", dsn, "--indexes", str(catalog), "--yes", "--format", "json")
    assert dropped.returncode == 0, dropped.stderr
    sql = [s for a in json.loads(dropped.stdout)["actions"] for s in a["sql"]]
    assert "DROP INDEX IF EXISTS shop.payment_customer" in sql
    assert indexes(dsn) == []


def test_attached_partition_index_with_another_definition_is_drift(new_db, run_cli, catalog):
    dsn = make_shop(new_db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE INDEX payment_customer ON ONLY shop.payment (customer_id)")
        conn.execute(
            "CREATE INDEX odd ON shop.payment_2024_01 (customer_id) WITH (fillfactor = 50)"
        )
        conn.execute("ALTER INDEX shop.payment_customer ATTACH PARTITION shop.odd")
    # the resumed build ends with a valid parent, but one partition is not as in the catalog
    assert apply(run_cli, dsn, catalog).returncode == 1
    assert apply(run_cli, dsn, catalog).returncode == 3  # then: drift, refused
    status = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    rows = {r["name"]: r for r in json.loads(status.stdout)["indexes"]}
    assert rows["payment_customer"]["state"] == "drifted"
    assert "shop.odd" in rows["payment_customer"]["detail"]
    assert "storage parameters differ" in rows["payment_customer"]["detail"]


def test_history_records_partition_steps_under_their_catalog_index_and_hints_at_limit(
    new_db, run_cli, catalog
):
    dsn = make_shop(new_db)
    assert apply(run_cli, dsn, catalog).returncode == 0
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT index_name, table_name, detail FROM plinto_db.apply_ledger ORDER BY id"
        ).fetchall()
    names = {row[0] for row in rows}
    assert names == {"payment_customer", "payment_paid", "region_sale_total"}
    leaf = [r for r in rows if r[1] == "shop.payment_default" and r[0] == "payment_customer"]
    assert leaf and "partition index payment_default_payment_customer" in leaf[0][2]
    history = run_cli("history", "--dsn", dsn, "--limit", "3")
    assert "3 entries from 1 run(s)" in history.stdout
    assert "--limit N shows more" in history.stdout
