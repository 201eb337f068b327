"""--table and --only read names as PostgreSQL does (apply, drop, status as processes on a
real server): an unquoted name folds to lower case, a quoted one keeps its case, an
unqualified table resolves through the search_path (the first schema holding it wins), and a
name that matches nothing is refused in one line, exit 2, with the spelling that exists."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

CATALOG = """\
CREATE INDEX "Idx Email" ON "Shop"."Customers" (email);
CREATE INDEX idx_select ON "Shop"."Customers" (status);
CREATE INDEX idx_lower_email ON shop.customers (lower(email));
CREATE INDEX "Orders_Id" ON "Shop"."Orders" (id);
CREATE INDEX idx_public_customers ON public.customers (email);
"""
MIXED = {"Idx Email", "idx_select"}  # the indexes on "Shop"."Customers"
LOWER = {"idx_lower_email"}  # the index on shop.customers


@pytest.fixture
def shop(new_db, tmp_path):
    """ "Shop"."Customers" beside shop.customers (neither schema on the search_path), a
    mixed-case "Shop"."Orders" with no lower-case twin, and public.customers."""
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in (
            'CREATE SCHEMA "Shop"',
            "CREATE SCHEMA shop",
            'CREATE TABLE "Shop"."Customers" (email text, status text)',
            "CREATE TABLE shop.customers (email text)",
            'CREATE TABLE "Shop"."Orders" (id int)',
            "CREATE TABLE public.customers (email text)",
        ):
            conn.execute(statement)
    catalog = tmp_path / "shop.sql"
    catalog.write_text(CATALOG)
    return dsn, catalog


def search_path(dsn: str, path: str) -> None:
    """The database's search_path for every later session (each command is a new one)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET search_path = {}").format(
                sql.Identifier(name), sql.SQL(path)
            )
        )


def planned(run_cli, shop, *args) -> set[str]:
    dsn, catalog = shop
    proc = run_cli(
        "apply", "--dsn", dsn, "--indexes", str(catalog), "--dry-run", "--format", "json", *args
    )
    assert proc.returncode == 0, proc.stderr
    return {a["name"] for a in json.loads(proc.stdout)["actions"]}


def refused(run_cli, shop, command, *args) -> str:
    """The one-line refusal of a command (exit 2, nothing on stdout; JSON keeps the
    connection note off stderr)."""
    dsn, catalog = shop
    extra = ("--dry-run",) if command == "apply" else ("--yes",) if command == "drop" else ()
    proc = run_cli(
        command, "--dsn", dsn, "--indexes", str(catalog), "--format", "json", *extra, *args
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("plinto-db: error: "), proc.stderr
    return lines[0]


def test_unquoted_mixed_case_table_means_the_lower_case_table(run_cli, shop):
    assert planned(run_cli, shop, "--table", "Shop.Customers") == LOWER
    assert planned(run_cli, shop, "--table", "shop.customers") == LOWER
    assert planned(run_cli, shop, "--table", "SHOP.customers") == LOWER
    assert planned(run_cli, shop, "--table", '"shop".customers') == LOWER


def test_quoted_table_keeps_its_case(run_cli, shop):
    assert planned(run_cli, shop, "--table", '"Shop"."Customers"') == MIXED
    assert planned(run_cli, shop, "--table", '"Shop"."Orders"') == {"Orders_Id"}
    both = planned(run_cli, shop, "--table", '"Shop"."Customers"', "--table", "shop.customers")
    assert both == MIXED | LOWER


def test_drop_and_status_select_only_the_named_table(run_cli, shop):
    dsn, catalog = shop
    assert run_cli("apply", "--dsn", dsn, "--indexes", str(catalog)).returncode == 0
    proc = run_cli(
        "drop", "--dsn", dsn, "--indexes", str(catalog), "--table", "Shop.Customers",
        input="n\n",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "about to DROP INDEX CONCURRENTLY 1 index(es): idx_lower_email\n" in proc.stderr
    status = run_cli(
        "status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json",
        "--table", '"Shop"."Customers"',
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["indexes"]
    assert {r["name"] for r in rows} == MIXED
    assert {r["table"] for r in rows} == {'"Shop"."Customers"'}


def test_unqualified_table_resolves_through_the_search_path(run_cli, shop):
    dsn, _ = shop
    search_path(dsn, 'shop, "Shop", public')
    # `Customers` is customers: shop comes first; "Shop" only has "Customers"
    assert planned(run_cli, shop, "--table", "Customers") == LOWER
    assert planned(run_cli, shop, "--table", '"Customers"') == MIXED
    search_path(dsn, "public, shop")
    assert planned(run_cli, shop, "--table", "customers") == {"idx_public_customers"}


def test_unqualified_table_outside_the_search_path_is_refused(run_cli, shop):
    dsn, _ = shop
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA elsewhere")
    search_path(dsn, "elsewhere")
    line = refused(run_cli, shop, "apply", "--table", "Customers")
    assert "--table Customers: no table customers in the search_path (elsewhere)" in line
    assert line.endswith('(did you mean "Shop"."Customers", public.customers or shop.customers?)')


@pytest.mark.parametrize("command", ["apply", "drop", "status"])
def test_only_the_other_case_exists_is_refused_with_a_did_you_mean(run_cli, shop, command):
    line = refused(run_cli, shop, command, "--table", "Shop.Orders")
    assert line == (
        "plinto-db: error: --table Shop.Orders: no table shop.orders "
        '(did you mean "Shop"."Orders"?)'
    )


def test_a_table_with_no_catalog_index_is_refused_even_beside_one_that_has(run_cli, shop):
    line = refused(run_cli, shop, "apply", "--table", "shop.customers", "--table", "nosuch")
    assert line == "plinto-db: error: --table nosuch: no catalog index on nosuch"
    line = refused(run_cli, shop, "status", "--table", "nosuch.customers")
    assert (
        line == "plinto-db: error: --table nosuch.customers: no catalog index on nosuch.customers"
    )


def test_a_qualified_table_that_does_not_exist_is_refused_by_the_server(run_cli, shop):
    # an unqualified catalog statement may be on public.orders until the server says
    dsn, catalog = shop
    catalog.write_text(CATALOG + 'CREATE INDEX "Orders_Id_Too" ON "Orders" (id);\n')
    search_path(dsn, '"Shop", public')
    line = refused(run_cli, shop, "drop", "--table", "public.Orders")
    assert line == "plinto-db: error: --table public.Orders: no table public.orders"


def test_only_index_names_fold_like_postgresql(run_cli, shop):
    assert planned(run_cli, shop, "--only", '"Idx Email"') == {"Idx Email"}
    assert planned(run_cli, shop, "--only", "IDX_SELECT") == {"idx_select"}
    assert planned(run_cli, shop, "--only", '"Orders_Id"') == {"Orders_Id"}
    line = refused(run_cli, shop, "apply", "--only", "Orders_Id")
    assert line == (
        'plinto-db: error: --only Orders_Id: not in the catalog (did you mean "Orders_Id"?)'
    )
    line = refused(run_cli, shop, "status", "--only", "Idx Email")
    assert 'did you mean "Idx Email"?' in line
    line = refused(run_cli, shop, "drop", "--only", '"IDX_SELECT"')
    assert line.endswith("(did you mean idx_select?)")
