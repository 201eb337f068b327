"""Benchmark: `plinto-db lint` over a generated corpus of migrations (target: 1,000
statements in under 1 s).

The corpus mixes what migrations hold: plain .sql files (tables, concurrent and plain
indexes, constraints with and without NOT VALID, SET lock_timeout, a BEGIN ... COMMIT block,
one broken statement that sends the file through the statement-by-statement fallback) and
alembic revisions (op.create_table / create_index / add_column / alter_column, SQL in
op.execute strings, autocommit_block). Three figures, medians of interleaved runs:

- `lint()` in process: the use case alone (parsing, context, rules), modules already loaded;
- the CLI as a process: what a user or CI waits for (Python start, imports, output);
- the import floor: `python -c "import typer, pglast"`.

    python benchmarks/lint_bench.py                  # 1,000 statements, 15 runs
    python benchmarks/lint_bench.py --statements 5000 --runs 9
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compile_bytecode  # noqa: E402
from timing import interleaved, print_table, summary, wall  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# The real entry point, with `lint` registered on the way in if cli.py does not list it yet.
FLOOR = [sys.executable, "-c", "import typer, pglast"]

SQL_BLOCK = """-- migration {n}: accounts of tenant {n}
SET lock_timeout = '2s';
CREATE TABLE t{n}_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX t{n}_accounts_tenant ON t{n}_accounts (tenant_id);
ALTER TABLE users{n} ADD COLUMN nickname text;
ALTER TABLE users{n} ADD CONSTRAINT users{n}_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) NOT VALID;
ALTER TABLE users{n} VALIDATE CONSTRAINT users{n}_tenant_fk;
ALTER TABLE users{n} ADD CONSTRAINT users{n}_age CHECK (age >= 0); -- a finding
ALTER TABLE users{n} ALTER COLUMN email SET NOT NULL; -- plinto-db: ignore[setting-not-null]
SET lock_timeout = 0;
CREATE INDEX CONCURRENTLY users{n}_email ON users{n} (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users{n}_created ON users{n} (created_at); -- a finding
DROP INDEX CONCURRENTLY IF EXISTS users{n}_old;
"""  # 12 statements
BROKEN = "CREATE INDEX CONCURRENTLY broken ON users (email;\n"
REVISION = '''"""revision {n}

Revision ID: {n:04d}
"""

import sqlalchemy as sa
from alembic import op

revision = "{n:04d}"


def upgrade():
    op.execute("SET lock_timeout = '2s'")
    op.create_table("r{n}_items", sa.Column("id", sa.BigInteger, primary_key=True))
    op.create_index(op.f("ix_r{n}_items_id"), "r{n}_items", ["id"])
    op.add_column("users", sa.Column("r{n}", sa.Text(), server_default="x"))
    op.alter_column("users", "r{n}", nullable=False)  # a finding
    op.execute("ALTER TABLE users ADD CONSTRAINT r{n}_ck CHECK (r{n} <> \'\') NOT VALID")
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = 0")
        op.create_index("ix_users_r{n}", "users", ["r{n}"], postgresql_concurrently=True)


def downgrade():
    op.drop_index("ix_users_r{n}", table_name="users")  # a finding
    op.drop_column("users", "r{n}")  # a finding
'''  # 10 statements


def write_corpus(folder: Path, statements: int) -> int:
    """SQL files of 12 statements and revisions of 10, about 2:1 by statements."""
    written, n = 0, 0
    while written < statements:
        n += 1
        if n % 3:
            text = SQL_BLOCK.format(n=n) + (BROKEN if n == 1 else "")
            (folder / f"{n:04d}_migration.sql").write_text(text)
            written += 12
        else:
            (folder / f"{n:04d}_revision.py").write_text(REVISION.format(n=n))
            written += 10
    return n


def in_process(folder: Path) -> tuple[float, int, int]:
    from plinto_db.lint.run import LintRequest, lint

    start = time.perf_counter()
    outcome = lint(LintRequest(paths=(folder,)))
    return time.perf_counter() - start, outcome.statements, len(outcome.findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="plinto-lint-bench-") as tmp:
        folder = Path(tmp)
        files = write_corpus(folder, args.statements)
        _, statements, findings = in_process(folder)  # warm: imports, page cache
        print(f"corpus: {files} files, {statements} statements, {findings} findings")
        assert statements >= args.statements, statements
        cli = [sys.executable, "-m", "plinto_db", "lint", str(folder)]
        done = subprocess.run(cli, capture_output=True, text=True)
        assert done.returncode == 1, done.stderr  # the corpus has findings by design
        samples = interleaved(
            {
                "lint() in process": lambda: in_process(folder)[0],
                "plinto-db lint (a process)": lambda: _wall_expecting_findings(cli),
                "import floor (typer, pglast)": lambda: wall(FLOOR),
            },
            args.runs,
        )
    medians = summary(samples)
    print_table(medians, "lint() in process", args.runs)
    verdict = "met" if medians["plinto-db lint (a process)"] < 1.0 else "MISSED"
    print(f"target: {statements} statements in under 1 s, as a process: {verdict}")


def _wall_expecting_findings(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
