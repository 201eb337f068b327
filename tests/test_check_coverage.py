"""Verdicts and coverage decided in pure code, from facts (no database).

Plans and facts are the ones PostgreSQL 15 and 18 really produced (tests/data/plans/); the
checks are written for them. An index is proven only by a passing check whose plan uses it to
filter or to order; in forced mode only an index the check names (or one on the table an
`index-on` names).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_recorder import load, load_facts
from recorded_plans import MAJOR_IDS, MAJORS

from plinto_db.catalog.parse import load_catalog
from plinto_db.check.coverage import coverage
from plinto_db.check.decide import decide, names_from
from plinto_db.check.guard import tiny_tables
from plinto_db.check.judge import Verdict
from plinto_db.check.modes import Mode
from plinto_db.check.results import CoverageState, Explained
from plinto_db.check.workload import parse_check
from plinto_db.pg.facts import IndexFact, ServerFacts, TableFact

# facts only (no plan): what tiny_tables decides from
FACTS = ServerFacts(
    version=180000,
    indexes=(IndexFact("public", "t_a_idx", "t", False, None, True, None),),
    tables=(
        TableFact("public", "t", "r", 500, 50_000, True, None),
        TableFact("public", "small", "r", 2, 20, True, None),
    ),
)
CATALOG = (
    "CREATE INDEX t_a_idx ON t (a);\n"
    "CREATE INDEX t_b_idx ON t (b) WHERE b > 0;\n"
    "CREATE INDEX t_c_idx ON t (c);\n"
    "CREATE INDEX t_d_idx ON t (d);\n"
    "CREATE INDEX p_k_idx ON p (k);\n"
    "CREATE INDEX q_idx ON q (x);\n"
)


@pytest.fixture(params=MAJORS, ids=MAJOR_IDS)
def major(request: pytest.FixtureRequest) -> int:
    return request.param


def explained(
    major: int,
    name: str,
    expect: str,
    scenario: str | None,
    sql: str = "SELECT a FROM t",
    mode: Mode = Mode.NATURAL,
) -> Explained:
    check = parse_check(f"-- expect: {expect}\n{sql}\n", Path(f"{name}.sql"))
    doc = load(major, scenario)["plan"] if scenario else None
    return Explained(check, mode, doc, None if doc else "boom")


def catalog(tmp_path: Path):
    (tmp_path / "c.sql").write_text(CATALOG)
    return load_catalog(tmp_path / "c.sql")


def decided(major: int, *items: Explained):
    facts = load_facts(major)
    names = names_from(facts, {})
    return [decide(item, names, facts=facts) for item in items], names, facts


def test_decide_maps_partitions_and_reports_errors(major):
    (result, error), _, _ = decided(
        major,
        explained(major, "parts", "index p_k_idx", "partitions_every_index"),
        explained(major, "bad", "index t_a_idx", None),
    )
    assert result.verdict is Verdict.PASS and result.used == ("p_k_idx",)
    # the scan column names the partitions read, under their partitioned table
    assert result.scans == (
        "Bitmap Heap Scan on p_2024, p_2025 (2 partitions of p)",
        "Bitmap Index Scan on p_2024, p_2025 (2 partitions of p)",
        "Seq Scan on p_2026 (partition of p)",
    ), result.scans
    assert error.verdict is Verdict.ERROR and error.message == "boom"


def test_coverage_reasons(major, tmp_path: Path):
    specs = catalog(tmp_path)
    results, names, facts = decided(
        major,
        explained(major, "uses_a", "index t_a_idx", "initplan"),
        explained(major, "wants_c", "index t_c_idx", "initplan", "SELECT * FROM t WHERE c = 1"),
        explained(major, "seq_b", "index-on t", "natural_count", "SELECT * FROM t WHERE b = 1"),
    )
    present = {i.name for i in facts.indexes}
    got = {c.name: c for c in coverage(specs, results, names, present=present | {"t_d_idx"})}
    assert got["t_a_idx"].state is CoverageState.PROVEN
    assert got["t_a_idx"].proven_by == ("uses_a",)
    assert "a cheaper plan wins: wants_c expects it, the plan uses t_a_idx" in got["t_c_idx"].reason
    assert got["t_b_idx"].reason.startswith("a predicate the queries never imply (WHERE b > 0)")
    assert got["t_d_idx"].reason.startswith("no query uses it: no check on t")
    assert got["p_k_idx"].reason == "no query uses it: no check reads p"
    assert got["q_idx"].reason.startswith("not built in the database")
    assert all(c.state is CoverageState.UNPROVEN for n, c in got.items() if n != "t_a_idx")
    assert got["t_b_idx"].line == 2 and got["t_b_idx"].file.endswith("c.sql")


def test_generic_mode_failure_notes_a_partial_index(major):
    check = parse_check(
        "-- expect: index t_b_idx\n-- params: 1\nSELECT * FROM t WHERE b = $1\n", Path("g.sql")
    )
    facts = load_facts(major)
    plan = load(major, "natural_count")["plan"]  # a Seq Scan on t
    result = decide(Explained(check, Mode.GENERIC, plan), names_from(facts, {}), facts=facts)
    assert result.verdict is Verdict.FAIL
    assert any("is partial (WHERE (b > 0))" in note for note in result.notes)


def test_tiny_tables():
    small = parse_check("-- expect: index-on small\nSELECT 1\n", Path("s.sql"))
    big = parse_check("-- expect: index t_a_idx\nSELECT 1\n", Path("b.sql"))
    assert tiny_tables(small, FACTS) == (("small", 2),)
    assert tiny_tables(big, FACTS) == ()


def test_coverage_matches_a_schema_qualified_expectation(major, tmp_path):
    (tmp_path / "c.sql").write_text(
        "CREATE INDEX t_a_idx ON t (a);\nCREATE INDEX t_c_idx ON t (c);\n"
    )
    specs = load_catalog(tmp_path / "c.sql")
    results, names, _ = decided(
        major,
        explained(
            major, "x", "index public.t_c_idx", "initplan", "SELECT * FROM public.t WHERE c = 1"
        ),
    )
    got = {c.name: c for c in coverage(specs, results, names)}
    assert got["t_c_idx"].reason.startswith("a cheaper plan wins: ")
    assert "expects it, the plan uses t_a_idx" in got["t_c_idx"].reason


def test_an_index_read_whole_proves_nothing(major, tmp_path):
    """The planner's own full read passes `index-on` (noted) but proves no index."""
    specs = catalog(tmp_path)
    results, names, _ = decided(
        major, explained(major, "count", "index-on t", "forced_count", "SELECT count(*) FROM t")
    )
    assert results[0].verdict is Verdict.PASS
    assert any("no condition" in note for note in results[0].notes)
    got = {c.name: c for c in coverage(specs, results, names)}
    assert got["t_c_idx"].state is CoverageState.UNPROVEN
    assert got["t_c_idx"].reason == "read whole by count, with no condition and no order it needs"


def test_forced_mode_proves_only_the_indexes_a_check_names(major, tmp_path):
    """bitmap_and_or uses t_a_idx, t_b_idx and t_c_idx, each with a condition."""
    specs = catalog(tmp_path)
    sql = load(major, "bitmap_and_or")["sql"]
    forced, names, _ = decided(
        major, explained(major, "f", "index t_a_idx", "bitmap_and_or", sql, Mode.FORCED)
    )
    got = {c.name: c for c in coverage(specs, forced, names)}
    assert got["t_a_idx"].state is CoverageState.PROVEN
    for name in ("t_b_idx", "t_c_idx"):
        assert got[name].state is CoverageState.UNPROVEN
        assert got[name].reason.startswith("used by f in forced mode, which proves only")
    # index-on names the table: every index on it that filters is proven
    on_table, names, _ = decided(
        major, explained(major, "g", "index-on t", "bitmap_and_or", sql, Mode.FORCED)
    )
    got = {c.name: c for c in coverage(specs, on_table, names)}
    assert {n for n, c in got.items() if c.state is CoverageState.PROVEN} == {
        "t_a_idx", "t_b_idx", "t_c_idx",
    }  # fmt: skip
    # natural mode: every index the plan filters with is proven, by every check that does
    natural, names, _ = decided(
        major,
        explained(major, "n1", "index t_a_idx", "bitmap_and_or", sql),
        explained(major, "n2", "index-on t", "bitmap_and_or", sql),
    )
    got = {c.name: c for c in coverage(specs, natural, names)}
    assert got["t_c_idx"].proven_by == ("n1", "n2")


def test_a_forced_full_read_of_a_named_index_fails_and_proves_nothing(major, tmp_path):
    specs = catalog(tmp_path)
    sql = load(major, "forced_count")["sql"]
    results, names, _ = decided(
        major, explained(major, "c", "index t_c_idx", "forced_count", sql, Mode.FORCED)
    )
    assert results[0].verdict is Verdict.FAIL
    got = {c.name: c for c in coverage(specs, results, names)}
    assert got["t_c_idx"].reason == "used only by failing checks: c"
