"""A catalog apply cannot build as written is refused with `file:line`, before any DDL.

A file that is not UTF-8, an index name PostgreSQL would truncate, one name in two schemas
(both statements would resolve to one table), an unqualified table that is only found
outside the search_path.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from plinto_db.catalog.parse import load_catalog
from plinto_db.errors import UserError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_non_utf8_file_names_its_line(tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes(b"CREATE INDEX a ON t (x);\n-- caf\xe9\nCREATE INDEX b ON t (y);\n")
    with pytest.raises(UserError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}:2: not UTF-8 (byte 0xe9 at column 7)")


def test_index_name_longer_than_postgres_keeps_is_refused(tmp_path):
    long = "items_" + "x" * 60
    path = write(tmp_path, "a.sql", f"CREATE INDEX ok ON t (x);\nCREATE INDEX {long} ON t (y);\n")
    with pytest.raises(UserError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: index name '{long}' is 66 bytes"), message
    assert f"it would create '{long[:63]}'" in message
    (spec,) = load_catalog(write(tmp_path, "b.sql", f"CREATE INDEX {long[:63]} ON t (y);"))
    assert spec.name == long[:63]


def test_one_name_in_two_schemas_is_refused(tmp_path):
    path = write(
        tmp_path, "a.sql", "CREATE INDEX idx_x ON sa.t (x);\nCREATE INDEX idx_x ON sb.t (x);\n"
    )
    with pytest.raises(UserError, match=r"a\.sql:2: index 'idx_x' is defined twice"):
        load_catalog(path)


def test_unqualified_table_outside_the_search_path_is_named(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.items (id int, sku text)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("\nCREATE INDEX items_sku ON items (sku);\n")
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog))
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"plinto-db: error: {catalog}:2: "), last
    assert "table items does not exist in the search_path" in last
    assert "found app.items: qualify the table in the catalog" in last
