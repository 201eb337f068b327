"""Review of `check` as a CI engineer would use it on their own schema (not Plinto).

A non-public schema, mixed-case quoted identifiers, a partitioned table, sample values of
types the client cannot round-trip, forced-mode isolation outside the search_path, and an
unseeded database. Real PostgreSQL 15 and 18.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from test_verify import by_name, run

from plinto_db.check.planwalk import Verdict
from plinto_db.errors import UserError

SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app."Accounts" ("Id" bigint PRIMARY KEY, "Email" text NOT NULL, ext_id uuid NOT NULL,
  meta jsonb NOT NULL, tags int[] NOT NULL, created timestamptz NOT NULL, status text NOT NULL);
CREATE INDEX "Accounts_Email_idx" ON app."Accounts" ("Email");
CREATE INDEX accounts_ext_idx ON app."Accounts" (ext_id);
CREATE INDEX accounts_created_idx ON app."Accounts" (created);
CREATE INDEX accounts_active_idx ON app."Accounts" (created) WHERE status = 'active';
CREATE INDEX accounts_meta_idx ON app."Accounts" USING gin (meta);
CREATE INDEX accounts_tags_idx ON app."Accounts" USING gin (tags);
CREATE TABLE app.events (id bigint NOT NULL, account_id bigint NOT NULL, at date NOT NULL)
  PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_account_idx ON app.events (account_id);
"""

DATA = """
INSERT INTO app."Accounts" SELECT i, 'u' || i || '@x.io', md5(i::text)::uuid,
  jsonb_build_object('k', i % 100), ARRAY[i % 50, i % 7],
  timestamptz '2025-06-01' - i * interval '1 minute',
  CASE WHEN i % 10 = 0 THEN 'active' ELSE 'gone' END
FROM generate_series(1, 20000) i;
INSERT INTO app.events SELECT i, 1 + i % 20000, date '2024-01-01' + (i % 700)
FROM generate_series(1, 40000) i;
"""

CATALOG = """
CREATE INDEX CONCURRENTLY "Accounts_Email_idx" ON app."Accounts" ("Email");
CREATE INDEX CONCURRENTLY accounts_ext_idx ON app."Accounts" (ext_id);
CREATE INDEX CONCURRENTLY events_account_idx ON app.events (account_id);
"""


def build(dsn: str, *, data: bool = True) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        if data:
            conn.execute(DATA)
            conn.execute("VACUUM ANALYZE")


@pytest.fixture(scope="module")
def app_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build(dsn)
    yield dsn
    pg_server.drop_database(dsn)


def write_inputs(root: Path, checks: dict[str, str]) -> tuple[Path, Path]:
    checks_dir, indexes_dir = root / "checks", root / "indexes"
    checks_dir.mkdir(parents=True, exist_ok=True)
    indexes_dir.mkdir(parents=True, exist_ok=True)
    for name, text in checks.items():
        (checks_dir / f"{name}.sql").write_text(text)
    (indexes_dir / "app.sql").write_text(CATALOG)
    return checks_dir, indexes_dir


SAMPLED = {
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts" ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
    ),
    "by_jsonb": (
        "-- expect: index accounts_meta_idx\n"
        '-- sample: SELECT meta FROM app."Accounts" WHERE "Id" = 7\n'
        'SELECT "Id" FROM app."Accounts" WHERE meta @> $1;\n'
    ),
    "by_int_array": (
        "-- expect: index accounts_tags_idx\n"
        '-- sample: SELECT tags FROM app."Accounts" WHERE "Id" = 7\n'
        'SELECT "Id" FROM app."Accounts" WHERE tags @> $1;\n'
    ),
    "by_time_and_email": (
        '-- expect: any-of app."Accounts_Email_idx", accounts_created_idx\n'
        '-- sample: SELECT created, "Email" FROM app."Accounts" WHERE "Id" = 3\n'
        'SELECT "Id" FROM app."Accounts" WHERE created = $1 AND "Email" = $2;\n'
    ),
}


def test_sample_values_of_any_type_are_typed_literals(app_db, tmp_path):
    """jsonb and record values cannot be adapted back by the client: no internal error."""
    result = run(app_db, write_inputs(tmp_path, SAMPLED))
    results = by_name(result)
    assert not result.failed, [(r.check.name, r.message) for r in result.failed]
    explained = {r.check.name: r for r in result.results}
    assert results["by_jsonb"].used == ("accounts_meta_idx",)
    # the plan shows the sampled value with its type
    assert "::jsonb" in str(explained["by_jsonb"].plan)
    assert "'{7,0}'" in str(explained["by_int_array"].plan)


def test_a_null_sample_value_is_named(app_db, tmp_path):
    checks = {
        "null_uuid": (
            "-- expect: index accounts_ext_idx\n-- sample: SELECT NULL::uuid\n"
            'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path, checks)))["null_uuid"]
    assert result.verdict is Verdict.FAIL
    assert "gave NULL for $1" in result.message


def test_forced_mode_hides_a_competitor_outside_the_search_path(app_db, tmp_path):
    checks = {
        "created_active": (
            "-- expect: index accounts_created_idx\n"
            'SELECT "Id" FROM app."Accounts" WHERE created > \'2025-05-30\' '
            "AND status = 'active';\n"
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path, checks), mode="forced"))
    found = result["created_active"]
    assert found.verdict is Verdict.PASS, found.message
    assert any("hid accounts_active_idx" in note for note in found.notes), found.notes
    with psycopg.connect(app_db) as conn:  # the hidden index is back
        row = conn.execute("SELECT to_regclass('app.accounts_active_idx')").fetchone()
        assert row[0] is not None


PARTITIONED = {
    "events_of_account": (
        "-- expect: index events_account_idx\n-- params: 42\n"
        "SELECT * FROM app.events WHERE account_id = $1;\n"
    )
}


def test_natural_mode_refuses_an_unanalyzed_partitioned_table(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build(dsn, data=False)
        inputs = write_inputs(tmp_path, PARTITIONED)
        with pytest.raises(UserError, match="never analyzed: events"):
            run(dsn, inputs)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        with pytest.raises(UserError, match="every checked table is tiny"):
            run(dsn, inputs)
        result = run(dsn, inputs, mode="forced")
        assert not result.failed, [(r.check.name, r.message) for r in result.failed]
    finally:
        pg_server.drop_database(dsn)


def test_an_empty_partition_made_ahead_does_not_block_natural_mode(app_db, tmp_path):
    with psycopg.connect(app_db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS app.events_2026 PARTITION OF app.events "
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )
    try:
        result = run(app_db, write_inputs(tmp_path, PARTITIONED))
        assert not result.failed, [(r.check.name, r.message) for r in result.failed]
        assert result.results[0].mode.value == "natural"
    finally:
        with psycopg.connect(app_db, autocommit=True) as conn:
            conn.execute("DROP TABLE app.events_2026")


def test_coverage_of_an_index_whose_checks_errored(app_db, tmp_path):
    checks = {
        "broken": (
            "-- expect: index accounts_ext_idx\n"
            'SELEC "Id" FROM app."Accounts" WHERE ext_id = gen_random_uuid()\n'
        )
    }
    result = run(app_db, write_inputs(tmp_path, checks))
    assert by_name(result)["broken"].verdict is Verdict.ERROR
    coverage = {c.name: c for c in result.coverage}
    reason = coverage["accounts_ext_idx"].reason
    assert "could not be explained: broken" in reason
    assert "cheaper" not in reason


def test_an_unwritable_junit_path_is_refused_before_running(run_cli, app_db, tmp_path):
    inputs = write_inputs(tmp_path, {"by_uuid": SAMPLED["by_uuid"]})
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in (blocker / "x.xml", tmp_path):
        done = run_cli(
            "check", "--dsn", app_db, "--checks", str(inputs[0]), "--indexes", str(inputs[1]),
            "--junit", str(target),
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""  # refused before running anything
        assert "--junit" in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_own_checks_never_pair_with_the_bundled_catalog(run_cli, app_db, tmp_path):
    """--checks without --indexes: ./indexes if there is one, else no catalog (not Plinto's)."""
    checks_dir, _ = write_inputs(tmp_path / "in", {"by_uuid": SAMPLED["by_uuid"]})
    work = tmp_path / "work"
    work.mkdir()
    args = ("check", "--dsn", app_db, "--checks", str(checks_dir), "--format", "json")
    done = run_cli(*args, cwd=work)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"] == [] and report["indexes_dir"] is None
    assert any("no index catalog" in note for note in report["notes"])
    done = run_cli(*args, "--require-coverage", cwd=work)
    assert done.returncode == 2
    assert "--require-coverage needs an index catalog" in done.stderr
    assert done.stdout == ""
    # a catalog in the working directory is picked up
    (work / "indexes").mkdir()
    (work / "indexes" / "app.sql").write_text(CATALOG)
    done = run_cli(*args, cwd=work)
    report = json.loads(done.stdout)
    assert {c["index"] for c in report["coverage"]} == {
        "Accounts_Email_idx",
        "accounts_ext_idx",
        "events_account_idx",
    }


def test_a_capitalised_directive_is_not_silently_description(tmp_path):
    from plinto_db.check.workload import parse_check

    text = "-- expect: index a_idx\n-- Expect: index b_idx\nSELECT 1\n"
    with pytest.raises(UserError, match=r"x\.sql:2: header directive 'Expect' must be lower"):
        parse_check(text, tmp_path / "x.sql")
    # prose with a colon stays description
    check = parse_check("-- Admin: x\n-- Source: y\n-- expect: index a_idx\nSELECT 1\n", tmp_path)
    assert check.description == "Admin: x Source: y"


def test_a_trailing_comment_is_not_a_second_statement(tmp_path):
    from plinto_db.check.workload import parse_check

    ok = parse_check("-- expect: index a_idx\nSELECT 1; -- trailing\n/* two */\n", tmp_path)
    assert ok.sql == "SELECT 1"
    with pytest.raises(UserError, match=r"x\.sql:2: one statement per check file"):
        parse_check(
            "-- expect: index a_idx\nSELECT 1; -- x\n\n  /* y */ SELECT 2;\n", tmp_path / "x.sql"
        )


def test_an_error_points_at_the_statement_or_the_sample(run_cli, app_db, tmp_path):
    checks = {
        "a_syntax": '-- about\n-- expect: index accounts_ext_idx\nSELEC "Id" FROM app."Accounts"\n',
        "b_sample": (
            "-- expect: index accounts_ext_idx\n-- sample: SELECT 1, 2\n"
            'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1\n'
        ),
    }
    checks_dir, indexes_dir = write_inputs(tmp_path, checks)
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        "--format", "json", env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = {r["check"]: r["line"] for r in json.loads(done.stdout)["results"]}
    assert lines == {"a_syntax": 3, "b_sample": 2}
    assert "::error file=" in done.stderr and "a_syntax.sql,line=3," in done.stderr
    assert "Traceback" not in done.stderr


def test_a_server_that_goes_away_mid_run_is_exit_2(run_cli, app_db, tmp_path):
    import threading
    import time

    slow = (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts", pg_sleep(1) ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1\n'
    )
    checks_dir, indexes_dir = write_inputs(tmp_path, {f"s{i}": slow for i in range(4)})
    killed: list[int] = []

    def terminate() -> None:
        deadline = time.monotonic() + 20
        with psycopg.connect(app_db, autocommit=True) as conn:
            while not killed and time.monotonic() < deadline:
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'plinto-db check' AND query LIKE '%pg_sleep%'"
                ).fetchall()
                killed.extend(1 for row in rows if row[0])
                time.sleep(0.1)

    killer = threading.Thread(target=terminate)
    killer.start()
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir)
    )
    killer.join()
    assert killed
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "lost the connection" in done.stderr and "during the run" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize(
    "option", [("--statement-timeout", "-5"), ("--lock-timeout", "99999999999")]
)
def test_out_of_range_timeouts_are_bad_input(run_cli, app_db, tmp_path, option):
    checks_dir, indexes_dir = write_inputs(tmp_path, {"by_uuid": SAMPLED["by_uuid"]})
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        *option,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{option[0]} {option[1]}: give milliseconds" in done.stderr
    assert "internal error" not in done.stderr


def test_a_schema_qualified_index_name_must_be_in_that_schema(app_db, tmp_path):
    wrong = {"x": "-- expect: index public.accounts_ext_idx\nSELECT 1\n"}
    with pytest.raises(UserError, match=r"x\.sql:1: unknown index 'public\.accounts_ext_idx'"):
        run(app_db, write_inputs(tmp_path / "a", wrong))
    right = {
        "x": (
            "-- expect: index app.accounts_ext_idx\n"
            "SELECT 1 FROM app.\"Accounts\" WHERE ext_id = '00000000-0000-0000-0000-000000000001'\n"
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path / "b", right)))["x"]
    assert result.verdict is Verdict.PASS, result.message


def test_a_check_file_with_a_bom_and_crlf_line_ends(tmp_path):
    from plinto_db.check.workload import load_check

    file = tmp_path / "x.sql"
    file.write_bytes(b"\xef\xbb\xbf-- expect: index a_idx\r\n-- params: 1\r\nSELECT $1::int;\r\n")
    check = load_check(file)
    assert check.expectations[0].targets == ("a_idx",)
    assert check.params == ("1",) and check.sql == "SELECT $1::int"


def test_forced_mode_hides_a_competing_partitioned_index(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build(dsn, data=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE INDEX events_account_at_idx ON app.events (account_id, at)")
        checks = {
            "account_since": (
                "-- expect: index events_account_idx\n"
                "SELECT * FROM app.events WHERE account_id = 42 AND at > '2024-05-01'\n"
            )
        }
        result = by_name(run(dsn, write_inputs(tmp_path, checks), mode="forced"))["account_since"]
        assert result.verdict is Verdict.PASS, result.message
        assert result.used == ("events_account_idx",)
        assert any("hid events_account_at_idx" in note for note in result.notes), result.notes
        with psycopg.connect(dsn) as conn:  # rolled back: every partition keeps its index
            count = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%(account_id, at)'"
            ).fetchone()[0]
            assert count == 3
    finally:
        pg_server.drop_database(dsn)


def test_coverage_matches_a_schema_qualified_expectation(tmp_path):
    from plinto_db.catalog.parse import load_catalog
    from plinto_db.check.coverage import coverage, decide, names_from
    from plinto_db.check.explain import Explained, Mode
    from plinto_db.check.workload import parse_check
    from plinto_db.pg.facts import IndexFact, ServerFacts, TableFact

    facts = ServerFacts(
        version=180000,
        indexes=(
            IndexFact("app", "t_a_idx", "t", False, None, True, None),
            IndexFact("app", "t_c_idx", "t", False, None, True, None),
        ),
        tables=(TableFact("app", "t", "r", 500, 50_000, True, None),),
    )
    (tmp_path / "c.sql").write_text(
        "CREATE INDEX t_a_idx ON app.t (a);\nCREATE INDEX t_c_idx ON app.t (c);\n"
    )
    specs = load_catalog(tmp_path / "c.sql")
    check = parse_check("-- expect: index app.t_c_idx\nSELECT * FROM app.t WHERE c = 1\n", tmp_path)
    plan = [{"Plan": {"Node Type": "Index Scan", "Relation Name": "t", "Index Name": "t_a_idx"}}]
    names = names_from(facts, {})
    result = decide(Explained(check, Mode.NATURAL, plan), names, facts=facts)
    got = {c.name: c for c in coverage(specs, [result], names)}
    assert got["t_c_idx"].reason.startswith("a cheaper plan wins: ")
    assert "expects it, the plan uses t_a_idx" in got["t_c_idx"].reason


def test_an_expect_line_without_its_colon_is_refused(tmp_path):
    from plinto_db.check.workload import parse_check

    text = "-- expect: index a_idx\n-- expect index b_idx\nSELECT 1\n"
    with pytest.raises(UserError, match=r"x\.sql:2: `expect` without a colon"):
        parse_check(text, tmp_path / "x.sql")
    prose = "-- We expect index use to matter here.\n-- expect: index a_idx\nSELECT 1\n"
    assert parse_check(prose, tmp_path / "y.sql").description.startswith("We expect")


def test_forced_mode_hides_a_partitions_own_competing_index(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build(dsn, data=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE INDEX events_2024_own_idx ON app.events_2024 (account_id, at)")
        checks = {
            "account_in_may": (
                "-- expect: index events_account_idx\n"
                "SELECT * FROM app.events WHERE account_id = 42 "
                "AND at > '2024-05-01' AND at < '2024-06-01'\n"
            )
        }
        result = by_name(run(dsn, write_inputs(tmp_path, checks), mode="forced"))["account_in_may"]
        assert result.verdict is Verdict.PASS, result.message
        assert any("hid events_2024_own_idx" in note for note in result.notes), result.notes
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT to_regclass('app.events_2024_own_idx')").fetchone()
            assert row[0] is not None
    finally:
        pg_server.drop_database(dsn)


def test_a_check_file_that_is_not_utf8_names_its_line(tmp_path):
    from plinto_db.check.workload import load_check

    file = tmp_path / "x.sql"
    file.write_bytes(b"-- expect: index a_idx\nSELECT 'caf\xe9'\n")
    with pytest.raises(UserError, match=r"x\.sql:2: not UTF-8 \(byte 0xe9 at column 12\)"):
        load_check(file)


def test_an_expectation_may_name_a_partitions_own_index_name(app_db, tmp_path):
    """EXPLAIN shows the partition's index name (events_2024_account_id_idx): naming it works."""
    checks = {
        "early_2024": (
            "-- expect: index events_2024_account_id_idx\n"
            "SELECT * FROM app.events WHERE account_id = 42 AND at < '2024-06-01'\n"
        )
    }
    inputs = write_inputs(tmp_path, checks)
    for mode in ("natural", "forced"):
        result = by_name(run(app_db, inputs, mode=mode))["early_2024"]
        assert result.verdict is Verdict.PASS, (mode, result.message)
        assert result.used == ("events_account_idx",)
        assert not any("hid" in note for note in result.notes), result.notes


def test_an_expectation_may_name_a_partition_table(app_db, tmp_path):
    checks = {
        "index_on_partition": (
            "-- expect: index-on app.events_2024\n"
            "SELECT * FROM app.events WHERE account_id = 42 AND at < '2024-06-01'\n"
        ),
        "seq_on_partition": (
            "-- expect: no-seqscan events_2024\nSELECT * FROM app.events WHERE at < '2024-06-01'\n"
        ),
    }
    results = by_name(run(app_db, write_inputs(tmp_path, checks)))
    assert results["index_on_partition"].verdict is Verdict.PASS
    # the partition is read sequentially: a false pass before
    seq = results["seq_on_partition"]
    assert seq.verdict is Verdict.FAIL and "sequential scan of events_2024" in seq.message
