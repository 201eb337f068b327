"""bench's pure parts, without a server: percentiles, verdicts, option parsing, the pgbench
script and output, the write statements, the report's Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.bench.markdown import render
from plinto_db.bench.model import Phase, QueryPhase, Timing, Verdict, WriteTarget
from plinto_db.bench.pgbench import parse_output, script_for, usable_values
from plinto_db.bench.stats import compare, format_ms, format_ratio, percentile, summarize
from plinto_db.bench.writes import (
    Column,
    WriteSetupError,
    choose_update_column,
    insert_statement,
    update_statement,
)
from plinto_db.check.workload import parse_check
from plinto_db.commands.bench_request import (
    BenchOptions,
    parse_only,
    parse_phases,
    parse_write_tables,
    write_options,
)
from plinto_db.errors import UserError

BOTH = (Phase.BEFORE, Phase.AFTER)
CATALOG = {"idx_sessions_user_id", "idx_sessions_access_token_jti"}


def timed(p50: float) -> Timing:
    return Timing(p50, p50, p50, p50, p50, 1000 / p50, 10, 2, 0.01)


def phase(p50: float, indexes=(), seq=(), buffers=10, error=None, skipped=False) -> QueryPhase:
    if error:
        return QueryPhase(error=error, skipped=skipped)
    tables = tuple((name, "sessions") for name in indexes)
    return QueryPhase(
        timing=timed(p50),
        buffers=buffers,
        indexes=tuple(indexes),
        index_tables=tables,
        seq_tables=tuple(seq),
        plan="Seq Scan on sessions" if seq else "",
    )


def test_percentile_is_nearest_rank():
    sample = [1.0, 2.0, 3.0, 4.0]
    assert percentile(sample, 50) == 2.0
    assert percentile(sample, 75) == 3.0
    assert percentile(sample, 99) == 4.0
    assert percentile(list(range(1, 101)), 95) == 95
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_gives_ms_and_qps_from_ns_and_wall():
    timing = summarize([3_000_000, 1_000_000, 2_000_000], 0.5, warmup=4)
    assert (timing.p50_ms, timing.max_ms, timing.iterations, timing.warmup) == (2.0, 3.0, 3, 4)
    assert timing.qps == pytest.approx(6.0)
    assert timing.mean_ms == pytest.approx(2.0)


def test_a_catalog_index_replacing_a_seq_scan_is_helped_with_its_speedup():
    row = compare(
        "q",
        "",
        BOTH,
        phase(50, seq=["sessions"], buffers=12000),
        phase(0.05, ["idx_sessions_user_id"], buffers=7),
        CATALOG,
    )
    assert row.verdict is Verdict.HELPED
    assert row.speedup_p50 == pytest.approx(1000)
    assert row.buffers_ratio == pytest.approx(12000 / 7)
    assert "instead of a sequential scan of sessions" in row.reason


def test_the_same_index_in_both_phases_says_so_and_keeps_the_measured_ratio():
    row = compare(
        "q",
        "",
        BOTH,
        phase(0.05, ["ix_sessions_access_token_jti"]),
        phase(0.04, ["ix_sessions_access_token_jti"]),
        CATALOG,
    )
    assert row.verdict is Verdict.SAME_INDEX
    assert row.reason == "same index before and after: ix_sessions_access_token_jti"
    assert row.speedup_p50 == pytest.approx(1.25)


def test_a_catalog_index_taking_over_from_a_base_index_is_replaced_not_helped():
    row = compare(
        "q",
        "",
        BOTH,
        phase(0.05, ["ix_sessions_access_token_jti"]),
        phase(0.05, ["idx_sessions_access_token_jti"]),
        CATALOG,
    )
    assert row.verdict is Verdict.REPLACED
    assert "instead of ix_sessions_access_token_jti" in row.reason


def test_an_after_plan_without_a_catalog_index_is_not_helped():
    row = compare("q", "", BOTH, phase(5, seq=["policies"]), phase(5, seq=["policies"]), CATALOG)
    assert row.verdict is Verdict.NOT_HELPED
    assert row.reason.startswith("no catalog index in the after plan")


def test_a_failed_phase_has_no_speedup():
    row = compare(
        "q",
        "",
        BOTH,
        phase(50, seq=["sessions"]),
        phase(0, error="EXECUTE: statement timeout"),
        CATALOG,
    )
    assert row.verdict is Verdict.FAILED
    assert row.speedup_p50 is None and row.buffers_ratio is None
    assert row.reason == "after: EXECUTE: statement timeout"


def test_one_phase_alone_measures_no_speedup():
    row = compare("q", "", (Phase.AFTER,), None, phase(0.05, ["idx_sessions_user_id"]), CATALOG)
    assert row.verdict is Verdict.NOT_MEASURED
    assert row.speedup_p50 is None


def test_a_check_without_values_is_skipped_not_failed():
    missing = phase(0, error="skipped: no params", skipped=True)
    row = compare("q", "", BOTH, missing, missing, CATALOG)
    assert row.verdict is Verdict.SKIPPED


def test_ratios_and_times_read_at_a_glance():
    assert format_ratio(2040.8) == "2,041×"
    assert format_ratio(1.04) == "1.04×"
    assert format_ratio(None) == "–"
    assert format_ms(0.0206) == "21 µs"
    assert format_ms(54.4) == "54.40 ms"


def test_phases_parse_in_the_order_given_and_refuse_others():
    assert parse_phases("before,after") == (Phase.BEFORE, Phase.AFTER)
    assert parse_phases(" after ") == (Phase.AFTER,)
    with pytest.raises(UserError, match="--phases 'during'"):
        parse_phases("during")
    with pytest.raises(UserError, match="empty"):
        parse_phases(",")


def test_a_phase_given_twice_is_refused_not_silently_run_once():
    for text, twice in (("before,before", "before"), ("after, before,AFTER", "after")):
        with pytest.raises(UserError) as refused:
            parse_phases(text)
        assert refused.value.message == (
            f"--phases {text!r}: {twice} is given twice; each phase runs once "
            "(run bench again to repeat it)"
        )
    assert parse_phases("after,before") == (Phase.AFTER, Phase.BEFORE)


def test_write_tables_parse_with_optional_columns_and_none():
    assert parse_write_tables("sessions,activity_logs:created_at") == (
        WriteTarget("sessions"),
        WriteTarget("activity_logs", "created_at"),
    )
    assert parse_write_tables("none") == ()
    assert parse_write_tables(" NONE ") == ()
    with pytest.raises(UserError, match="TABLE:COLUMN"):
        parse_write_tables("sessions:")
    assert parse_only(("03*,25*", "09*")) == ("03*", "25*", "09*")


def test_write_tables_split_at_commas_and_colons_outside_double_quotes_only():
    assert parse_write_tables('"a,b"."c:d"') == (WriteTarget('"a,b"."c:d"'),)
    assert parse_write_tables(' "Shop"."A:B" : "Moved At" , x."y""z":Created_At') == (
        WriteTarget('"Shop"."A:B"', "Moved At"),
        WriteTarget('x."y""z"', "created_at"),
    )
    assert parse_write_tables('t:"a:""b"""') == (WriteTarget("t", 'a:"b"'),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a:b:c", "--write-tables: expected TABLE or TABLE:COLUMN, got 'a:b:c'"),
        ("sessions,,x", "--write-tables: expected TABLE or TABLE:COLUMN, got ''"),
        (':"c"', """--write-tables: expected TABLE or TABLE:COLUMN, got ':"c"'"""),
        ('"Shop"."A,B', """--write-tables: unterminated quoted name in '"Shop"."A,B'"""),
    ],
)
def test_a_write_tables_entry_that_is_not_table_or_table_colon_column_is_one_line(text, message):
    with pytest.raises(UserError) as refused:
        parse_write_tables(text)
    assert refused.value.message == message


@pytest.mark.parametrize("text", ["", "  "])
def test_an_empty_write_tables_is_refused_pointing_at_none(text):
    with pytest.raises(UserError) as refused:
        write_options(BenchOptions(write_tables=text))
    assert refused.value.message == (
        "--write-tables is empty: name the tables, or give none to skip the write cost"
    )
    assert write_options(BenchOptions(write_tables="none")) is None


def test_only_write_tables_the_user_named_are_refused_when_missing():
    default = write_options(BenchOptions())
    assert default is not None and not default.named
    assert default.targets == (WriteTarget("sessions"), WriteTarget("activity_logs"))
    named = write_options(BenchOptions(write_tables="sessions,activity_logs", write_rows=7))
    assert named is not None and named.named and named.rows == 7
    assert named.targets == default.targets
    assert write_options(BenchOptions(write_tables="none")) is None


def check(sql: str, params: str) -> object:
    text = f"-- expect: index-on sessions\n-- params: {params}\n{sql}\n"
    return parse_check(text, Path("q.sql"))


def test_pgbench_script_turns_parameters_into_variables_outside_quotes():
    item = check("SELECT * FROM t\nWHERE a = $1 AND b = '$2' AND c::text = $2", "1, 2")
    assert script_for(item) == "SELECT * FROM t WHERE a = :p1 AND b = '$2' AND c::text = :p2;\n"


def test_pgbench_cannot_take_null_or_newlines():
    assert "NULL" in usable_values(("a", None))
    assert "newline" in usable_values(("a\nb",))
    assert usable_values(("a", "b")) is None


def test_pgbench_output_is_parsed_for_latency_tps_and_count():
    out = (
        "number of transactions actually processed: 87685\n"
        "latency average = 0.034 ms\n"
        "initial connection time = 5.084 ms\n"
        "tps = 29277.148098 (without initial connection time)\n"
    )
    assert parse_output(out) == (0.034, 29277.148098, 87685)
    assert parse_output("pgbench: error") == (None, None, None)


SESSIONS = [
    Column("id", "uuid", "U", "uuid", False, False),
    Column("user_id", "uuid", "U", "uuid", False, True),
    Column("access_token_jti", "character varying(255)", "S", "varchar", False, False),
    Column("status", "character varying(20)", "S", "varchar", False, False),
    Column("created_at", "timestamp with time zone", "D", "timestamptz", False, False),
    Column("expires_at", "timestamp with time zone", "D", "timestamptz", False, False),
]


def test_inserted_copies_get_fresh_values_for_every_unique_index():
    unique = [("sessions_pkey", ["id"]), ("ix_jti", ["access_token_jti"])]
    text = insert_statement("sessions", SESSIONS, unique)
    assert "gen_random_uuid()," in text  # the primary key
    assert """(gen_random_uuid()::text || coalesce(s."access_token_jti"::text, ''))""" in text
    assert 's."user_id"' in text  # a foreign key keeps its (valid) value
    assert text.endswith("FROM (SELECT * FROM sessions LIMIT $1) AS s")


def test_a_unique_index_made_only_of_foreign_keys_cannot_be_copied():
    with pytest.raises(WriteSetupError, match="uq_pair"):
        insert_statement("sessions", SESSIONS, [("uq_pair", ["user_id"])])


def test_the_update_moves_the_first_column_the_catalog_indexes():
    column = choose_update_column(SESSIONS, {"id"}, ["user_id", "status", "expires_at"], None)
    assert column.name == "expires_at"  # user_id is a foreign key, status is text
    assert update_statement("sessions", column) == (
        """UPDATE sessions SET "expires_at" = "expires_at" + interval '1 second' """
        "WHERE ctid = ANY ($1::tid[])"
    )
    with pytest.raises(WriteSetupError, match="status"):
        choose_update_column(SESSIONS, {"id"}, [], "status")


def test_the_markdown_report_explains_rows_and_says_pgbench_is_missing():
    doc = {
        "started_at": "2025-01-01T00:00:00+00:00",
        "seconds": 12.0,
        "server": {"version": "18.6", "embedded": True, "settings": {"jit": "on"}},
        "machine": {"cores": 2, "memory_bytes": 2**31},
        "rows": {"sessions": 1200},
        "options": {"iterations": 20, "warmup": 2, "max_seconds_per_query": 1.0},
        "phases": [{"name": "before", "status": "done", "seconds": 1.0, "catalog": "dropped 0"}],
        "catalog": {"indexes": 45, "found_valid": [], "restored": True},
        "queries": [
            {
                "check": "25_sessions_list_mine",
                "before": {"p50_ms": 5.0, "buffers": 150},
                "after": {"p50_ms": 0.05, "buffers": 7, "p99_ms": 0.2},
                "speedup_p50": 100.0,
                "buffers_ratio": 21.4,
                "verdict": "helped",
                "reason": "idx_sessions_user_id instead of a sequential scan of sessions",
            }
        ],
        "writes": [],
        "catalog_size": [],
        "http": None,
        "pgbench": {"error": "pgbench not found"},
    }
    text = render(doc, ["queries.png"])
    assert "| 25_sessions_list_mine | 5.00 ms | 50 µs | 100× |" in text
    assert "pgbench not found" in text
    assert "![queries.png](queries.png)" in text
    assert "never production" in text


def test_the_demo_recognises_data_seeded_for_the_same_users_only():
    from plinto_db.bench.demo import matching_sizes
    from plinto_db.seed.world import Sizes

    counts = {t: n for t, n in Sizes(2000, 16).table_rows().items() if n >= 0}
    counts["organization_members"] = 2611  # drawn
    counts["webhook_deliveries"] += 40  # drawn around 0.4 per event
    assert matching_sizes(counts, 2000)
    assert not matching_sizes(counts, 3000)
    assert not matching_sizes({**counts, "sessions": 0}, 2000)  # truncated since
    assert not matching_sizes({t: 0 for t in counts}, 2000)


def test_http_phases_are_joined_per_endpoint_and_a_failed_phase_has_no_numbers():
    from plinto_db.bench.document import _http
    from plinto_db.bench.model import PhaseOutcome, PhaseStatus

    path = "/flow/session-validation"

    def run(rps: float) -> dict:
        figures = {"requests": 10, "failures": 0, "rps": rps, "failures_by_status": []}
        return {"endpoint": path, "endpoints": {path: figures}, "aggregated": figures}

    def http(rps: float, **extra) -> dict:
        return {"mix": None, "isolated": [run(rps)], "scenario": None, "bugs": [], **extra}

    before = PhaseOutcome(
        Phase.BEFORE, PhaseStatus.DONE, 1.0, "dropped 0", http=http(100.0, limits=["closed loop"])
    )
    after = PhaseOutcome(Phase.AFTER, PhaseStatus.DONE, 1.0, "built 45", http=http(400.0))
    joined = _http((before, after), load={"users": 50})
    (row,) = joined["isolated"]
    assert (row["before"]["rps"], row["after"]["rps"], row["rps_ratio"]) == (100.0, 400.0, 4.0)
    assert joined["limits"] == ["closed loop"] and joined["errors"] == {}
    failed = PhaseOutcome(Phase.AFTER, PhaseStatus.DONE, 1.0, "built 45", http_error="no API")
    joined = _http((before, failed), load={"users": 50})
    assert joined["errors"] == {"after": "no API"}
    assert joined["isolated"][0]["after"] is None and joined["isolated"][0]["rps_ratio"] is None
    assert _http((before, after), load=None) is None
