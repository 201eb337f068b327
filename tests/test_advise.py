"""`plinto-db advise` on real servers: each candidate rule, costed with HypoPG on PostgreSQL 15
and with trial builds on 18 (no HypoPG there); nothing to add; a table too small to matter;
the refusals; and the loop `advise --write` -> `apply` -> `check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from plinto_db.advise.model import AdviseRun
from plinto_db.advise.run import AdviseRequest, run_advise

SHOP = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL, meta jsonb NOT NULL, bio text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL, total numeric NOT NULL, note text NOT NULL);
CREATE TABLE tiny (id int PRIMARY KEY, code text NOT NULL);
CREATE TABLE labels (id int PRIMARY KEY, body text NOT NULL);
CREATE INDEX labels_body_idx ON labels (body);
INSERT INTO customers SELECT i, 'User' || i || '@Example.com',
  CASE WHEN i % 20 = 0 THEN 'blocked' ELSE 'active' END,
  timestamptz '2025-01-01' + i * interval '1 minute',
  jsonb_build_object('plan', CASE WHEN i % 1000 = 0 THEN 'gold' ELSE 'free' END),
  repeat('b', 150)
FROM generate_series(1, 20000) i;
INSERT INTO orders SELECT i, CASE WHEN i % 10 = 0 THEN 7 ELSE 1 + i % 20000 END,
  CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 5 = 0 THEN 'cancelled' ELSE 'shipped' END,
  timestamptz '2025-01-01' + i * interval '1 minute', (i % 1000) / 10.0, repeat('n', 200)
FROM generate_series(1, 60000) i;
INSERT INTO tiny SELECT i, 'c' || i FROM generate_series(1, 5) i;
INSERT INTO labels SELECT i, 'l' || i FROM generate_series(1, 5) i;
"""

CATALOG = "CREATE INDEX CONCURRENTLY labels_body_idx ON labels (body);\n"

# one check per rule; each fails today (or reads its table sequentially)
RULE_CHECKS = {
    # equality first, then the ORDER BY key: customer 7 has 6,000 orders, a sort would cost
    "order_history": "-- expect: index-on orders\n-- params: 7\n"
    "SELECT id, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10;\n",
    # equality, then a range: served by the same index as order_history (merged)
    "order_recent": "-- expect: index-on orders\n-- params: 42, '2025-01-10'\n"
    "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2;\n",
    # a constant predicate keeping 2 % of the rows: a partial index
    "pending_old": "-- expect: no-seqscan orders\n-- params: '2025-01-20'\n"
    "SELECT * FROM orders WHERE status = 'pending' AND created_at < $1;\n",
    # a tenth of the rows, two columns read: only an index-only scan halves the cost
    "range_totals": "-- expect: no-seqscan orders\n-- params: 100, 2100\n"
    "SELECT created_at, total FROM orders WHERE customer_id BETWEEN $1 AND $2;\n",
    # an expression: a plain index on email cannot serve it
    "signin": "-- expect: index-on customers\n-- params: 'user7@example.com'\n"
    "SELECT id FROM customers WHERE lower(email) = lower($1);\n",
    # jsonb containment: a GIN index (a trial build: HypoPG cannot simulate GIN)
    "gold": '-- expect: no-seqscan customers\n-- params: \'{"plan": "gold"}\'\n'
    "SELECT id FROM customers WHERE meta @> $1::jsonb;\n",
}
NOTHING_CHECKS = {
    "by_id": "-- expect: index orders_pkey\n-- params: 7\nSELECT * FROM orders WHERE id = $1;\n",
    # a table of one page: a sequential scan is right, whatever the check says
    "tiny_code": "-- expect: seqscan tiny\n-- params: 'c2'\nSELECT * FROM tiny WHERE code = $1;\n",
}


def build_shop(server) -> str:
    dsn = server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SHOP)
        conn.execute("SET synchronous_commit = on")  # the visibility map, for index-only scans
        conn.execute("VACUUM (FREEZE, ANALYZE)")
    return dsn


@pytest.fixture(scope="module")
def shop_db(pg_server) -> Iterator[str]:
    dsn = build_shop(pg_server)
    yield dsn
    pg_server.drop_database(dsn)


def write_inputs(root: Path, checks: dict[str, str]) -> tuple[Path, Path]:
    checks_dir, indexes_dir = root / "checks", root / "indexes"
    checks_dir.mkdir(parents=True)
    indexes_dir.mkdir(parents=True)
    for name, text in checks.items():
        (checks_dir / f"{name}.sql").write_text(text)
    (indexes_dir / "10_labels.sql").write_text(CATALOG)
    return checks_dir, indexes_dir


def has_hypopg(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        query = "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
        return conn.execute(query).fetchone() is not None


def costing(dsn: str) -> list[str]:
    """HypoPG where the server has it (PostgreSQL 15 here); trial builds where not (18)."""
    return [] if has_hypopg(dsn) else ["--trial-builds"]


@pytest.fixture(scope="module")
def rules_run(shop_db, tmp_path_factory) -> AdviseRun:
    checks_dir, indexes_dir = write_inputs(tmp_path_factory.mktemp("rules"), RULE_CHECKS)
    # trial builds too: HypoPG costs the btree candidates, trial builds the GIN one (on 18: all)
    request = AdviseRequest(shop_db, checks_dir, indexes_dir, trial_builds=True)
    return run_advise(request)


def proposal_for(run: AdviseRun, check: str):
    found = [p for p in run.proposals if check in {s.check for s in p.serves}]
    assert found, f"{check}: not served ({[t for t in run.targets if t.check == check]})"
    return found[0]


def test_costing_uses_hypopg_where_the_server_has_it_and_trial_builds_where_not(rules_run, shop_db):
    if has_hypopg(shop_db):
        assert rules_run.method.startswith("HypoPG")
        assert "trial builds for what it cannot simulate" in rules_run.method
    else:
        assert rules_run.method.startswith("trial builds")


def test_equality_then_order_by(rules_run):
    keys = proposal_for(rules_run, "order_history").candidate.keys
    assert [k.text for k in keys][:2] == ["customer_id", "created_at"]


def test_one_index_serves_the_queries_its_leading_columns_allow(rules_run):
    assert proposal_for(rules_run, "order_history") is proposal_for(rules_run, "order_recent")
    names = [p.name for p in rules_run.proposals]
    assert len(names) == len(set(names))


def test_a_constant_predicate_on_a_small_fraction_gives_a_partial_index(rules_run):
    candidate = proposal_for(rules_run, "pending_old").candidate
    assert candidate.where == "status = 'pending'"
    assert [k.text for k in candidate.keys] == ["created_at"]


def test_include_columns_give_an_index_only_scan(rules_run):
    candidate = proposal_for(rules_run, "range_totals").candidate
    covered = {k.column for k in candidate.keys} | set(candidate.include)
    assert {"created_at", "total"} <= covered
    assert candidate.include


def test_an_expression_comparison_gives_an_expression_index(rules_run):
    candidate = proposal_for(rules_run, "signin").candidate
    assert [k.text for k in candidate.keys] == ["lower(email)"]


def test_containment_gives_a_gin_index_by_trial_build(rules_run):
    candidate = proposal_for(rules_run, "gold").candidate
    assert candidate.method == "gin"


def test_every_kept_index_at_least_halves_the_cost_of_what_it_serves(rules_run):
    for proposal in rules_run.proposals:
        for served in proposal.serves:
            assert served.after <= served.before * 0.5, (proposal.name, served)


def test_advise_never_leaves_anything_built(rules_run, shop_db):
    with psycopg.connect(shop_db) as conn:
        names = [r[0] for r in conn.execute("SELECT indexname FROM pg_indexes").fetchall()]
        extensions = [r[0] for r in conn.execute("SELECT extname FROM pg_extension").fetchall()]
    assert not [n for n in names if n.startswith(("adv_", "plinto_advise"))]
    assert "hypopg" not in extensions


def test_nothing_to_add_exits_0_and_says_so(shop_db, run_cli, tmp_path):
    checks_dir, indexes_dir = write_inputs(tmp_path, NOTHING_CHECKS)
    result = run_cli(
        "advise", "--dsn", shop_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        *costing(shop_db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "nothing to add" in result.stdout
    assert "skipped:\n  tiny_code: its tables are too small to matter" in result.stdout


def test_without_hypopg_it_asks_for_trial_builds(shop_db, run_cli, tmp_path):
    if has_hypopg(shop_db):
        pytest.skip("this server has HypoPG: the refusal is for servers without it (PG18 here)")
    checks_dir, indexes_dir = write_inputs(tmp_path, NOTHING_CHECKS)
    result = run_cli(
        "advise", "--dsn", shop_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir)
    )
    assert result.returncode == 2
    assert "pass --trial-builds" in result.stderr
    assert "Traceback" not in result.stderr


def test_trial_builds_are_refused_while_other_sessions_work(shop_db, run_cli, tmp_path):
    checks_dir, indexes_dir = write_inputs(tmp_path, {"gold": RULE_CHECKS["gold"]})
    args = ["advise", "--dsn", shop_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir)]
    with psycopg.connect(shop_db, application_name="someone else"):
        refused = run_cli(*args, "--trial-builds")
        allowed = run_cli(*args, "--trial-builds", "--allow-activity", "--format", "json")
    assert refused.returncode == 2
    assert "blocks writes to its table" in refused.stderr
    assert "--allow-activity" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert "someone else" in allowed.stdout  # the note says who was there


def test_bad_options_are_one_line_before_anything_connects(run_cli, tmp_path):
    result = run_cli("advise", "--dsn", "host=/nonexistent", "--min-gain", "1.5")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("give a fraction between 0 and 1 (0.5: halve the cost)")
    mine = tmp_path / "10_mine.sql"
    mine.write_text(CATALOG)
    result = run_cli("advise", "--dsn", "host=/nonexistent", "--write", str(mine))
    assert result.returncode == 2
    assert "was not written by advise" in result.stderr


# --- the loop --------------------------------------------------------------------------------


def advise_write(run_cli, dsn: str, checks_dir: Path, indexes_dir: Path) -> Path:
    written = indexes_dir / "50_advised.sql"
    result = run_cli(
        "advise", "--dsn", dsn, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        "--write", str(written), "--trial-builds",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return written


def apply_catalog(run_cli, dsn: str, indexes_dir: Path) -> None:
    result = run_cli("apply", "--dsn", dsn, "--indexes", str(indexes_dir))
    assert result.returncode == 0, result.stdout + result.stderr


def check_passes(run_cli, dsn: str, checks_dir: Path, indexes_dir: Path) -> str:
    result = run_cli(
        "check", "--dsn", dsn, "--checks", str(checks_dir), "--indexes", str(indexes_dir)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_loop_advise_write_apply_check(pg_server, run_cli, tmp_path):
    dsn = build_shop(pg_server)
    try:
        checks_dir, indexes_dir = write_inputs(tmp_path, RULE_CHECKS)
        # hand-written checks here; from a captured workload: tests/test_capture_advise_loop.py
        written = advise_write(run_cli, dsn, checks_dir, indexes_dir)
        text = written.read_text()
        assert "-- serves: order_history" in text
        signin = (checks_dir / "signin.sql").read_text()
        assert "-- expect: index adv_customers_lower_email" in signin
        apply_catalog(run_cli, dsn, indexes_dir)
        check_passes(run_cli, dsn, checks_dir, indexes_dir)
        # again: everything it proposed is built, so nothing to add, and the file stays
        again = run_cli(
            "advise", "--dsn", dsn, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
            "--write", str(written), "--trial-builds",
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "nothing to add" in again.stdout
        assert written.read_text() == text
    finally:
        pg_server.drop_database(dsn)
