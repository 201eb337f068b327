"""Verdicts and coverage decided in pure code, from facts (no database)."""

from __future__ import annotations

from pathlib import Path

from plinto_db.catalog.parse import load_catalog
from plinto_db.check.coverage import coverage
from plinto_db.check.decide import decide, names_from
from plinto_db.check.guard import tiny_tables
from plinto_db.check.judge import Verdict
from plinto_db.check.modes import Mode
from plinto_db.check.results import CoverageState, Explained
from plinto_db.check.workload import parse_check
from plinto_db.pg.facts import IndexFact, ServerFacts, TableFact

FACTS = ServerFacts(
    version=180000,
    indexes=(
        IndexFact("public", "t_a_idx", "t", False, None, True, None),
        IndexFact("public", "t_b_idx", "t", True, "(b > 0)", True, None),
        IndexFact("public", "t_c_idx", "t", False, None, True, None),
        IndexFact("public", "p1_k_idx", "p1", False, None, True, "p_k_idx"),
        IndexFact("public", "p_k_idx", "p", False, None, True, None),
    ),
    tables=(
        TableFact("public", "t", "r", 500, 50_000, True, None),
        TableFact("public", "small", "r", 2, 20, True, None),
        TableFact("public", "p", "p", 0, -1, False, None),
        TableFact("public", "p1", "r", 300, 9_000, True, "p"),
    ),
)


def scan(index: str | None, relation: str) -> dict:
    node = {"Node Type": "Index Scan" if index else "Seq Scan", "Relation Name": relation}
    if index:
        node["Index Name"] = index
    return node


def explained(name: str, expect: str, plan: dict | None, sql: str = "SELECT a FROM t") -> Explained:
    check = parse_check(f"-- expect: {expect}\n{sql}\n", Path(f"{name}.sql"))
    doc = [{"Plan": plan}] if plan else None
    return Explained(check, Mode.NATURAL, doc, None if plan else "boom")


def catalog(tmp_path: Path):
    (tmp_path / "c.sql").write_text(
        "CREATE INDEX t_a_idx ON t (a);\n"
        "CREATE INDEX t_b_idx ON t (b) WHERE b > 0;\n"
        "CREATE INDEX t_c_idx ON t (c);\n"
        "CREATE INDEX t_d_idx ON t (d);\n"
        "CREATE INDEX p_k_idx ON p (k);\n"
        "CREATE INDEX q_idx ON q (x);\n"
    )
    return load_catalog(tmp_path / "c.sql")


def test_decide_maps_partitions_and_reports_errors():
    names = names_from(FACTS, {})
    result = decide(explained("parts", "index p_k_idx", scan("p1_k_idx", "p1")), names, facts=FACTS)
    assert result.verdict is Verdict.PASS and result.used == ("p_k_idx",)
    assert result.scans == ("Index Scan on p",)
    error = decide(explained("bad", "index t_a_idx", None), names, facts=FACTS)
    assert error.verdict is Verdict.ERROR and error.message == "boom"


def test_coverage_reasons(tmp_path: Path):
    specs = catalog(tmp_path)
    names = names_from(FACTS, {})
    present = {i.name for i in FACTS.indexes}
    results = [
        decide(explained("uses_a", "index t_a_idx", scan("t_a_idx", "t")), names, facts=FACTS),
        decide(
            explained(
                "wants_c", "index t_c_idx", scan("t_a_idx", "t"), "SELECT * FROM t WHERE c = 1"
            ),
            names,
            facts=FACTS,
        ),
        decide(
            explained("seq_b", "index-on t", scan(None, "t"), "SELECT * FROM t WHERE b = 1"),
            names,
            facts=FACTS,
        ),
    ]
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


def test_generic_mode_failure_notes_a_partial_index():
    check = parse_check(
        "-- expect: index t_b_idx\n-- params: 1\nSELECT * FROM t WHERE b = $1\n", Path("g.sql")
    )
    result = decide(
        Explained(check, Mode.GENERIC, [{"Plan": scan(None, "t")}]),
        names_from(FACTS, {}),
        facts=FACTS,
    )
    assert result.verdict is Verdict.FAIL
    assert any("is partial (WHERE (b > 0))" in note for note in result.notes)


def test_tiny_tables():
    small = parse_check("-- expect: index-on small\nSELECT 1\n", Path("s.sql"))
    big = parse_check("-- expect: index t_a_idx\nSELECT 1\n", Path("b.sql"))
    assert tiny_tables(small, FACTS) == (("small", 2),)
    assert tiny_tables(big, FACTS) == ()


def test_coverage_matches_a_schema_qualified_expectation(tmp_path):
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
