"""doctor's pure rooms, without a server: reading predicates, comparing index definitions,
choosing drop candidates, the bloat estimate, the statistics window, choosing checks, and
the JSON and SARIF shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plinto_db.doctor import candidates, compare, nodetree, registry
from plinto_db.doctor.checks import index_bloat
from plinto_db.doctor.model import (
    BtreeSize,
    Facts,
    Finding,
    ForeignKeyFact,
    IndexFact,
    KeyFact,
    Severity,
    StatsWindow,
)
from plinto_db.doctor.run import CheckOutcome, DoctorReport
from plinto_db.errors import UserError
from plinto_db.report import doctor as render
from plinto_db.report.sarif import SarifResult, SarifRule, sarif_log

# pg_index.indpred as PostgreSQL 15 and 18 print `(b)::text = 'x' AND c = true` (varchar b)
PG15_TREE = (
    "{BOOLEXPR :boolop and :args ({OPEXPR :opno 98 :opfuncid 67 :opresulttype 16 :opretset "
    "false :opcollid 0 :inputcollid 100 :args ({RELABELTYPE :arg {VAR :varno 1 :varattno 2 "
    ":vartype 1043 :vartypmod 14 :varcollid 100 :varlevelsup 0 :varnosyn 1 :varattnosyn 2 "
    ":location 34} :resulttype 25 :resulttypmod -1 :resultcollid 100 :relabelformat 2 "
    ":location -1} {CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 "
    ":constbyval false :constisnull false :location 38 :constvalue 5 [ 20 0 0 0 120 ]}) "
    ":location 36} {OPEXPR :opno 91 :opfuncid 60 :opresulttype 16 :opretset false :opcollid 0 "
    ":inputcollid 0 :args ({VAR :varno 1 :varattno 3 :vartype 16 :vartypmod -1 :varcollid 0 "
    ":varlevelsup 0 :varnosyn 1 :varattnosyn 3 :location 46} {CONST :consttype 16 "
    ":consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false "
    ":location 50 :constvalue 1 [ 1 0 0 0 0 0 0 0 ]}) :location 48}) :location -1}"
)
PG18_NOT_NULL = (
    "{NULLTEST :arg {VAR :varno 1 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 "
    ":varnullingrels (b) :varlevelsup 0 :varreturningtype 0 :varnosyn 1 :varattnosyn 1 "
    ":location -1} :nulltesttype 1 :argisrow false :location -1}"
)
EQUALITY = frozenset({91, 96, 98})


def var(attnum: int, levels: int = 0) -> str:
    return f"{{VAR :varno 1 :varattno {attnum} :vartype 16 :varlevelsup {levels} :location -1}}"


def test_predicate_terms_read_from_the_node_tree_of_either_version():
    assert nodetree.terms(PG15_TREE, EQUALITY) == (
        nodetree.Term(nodetree.TermKind.PINNED, 2),
        nodetree.Term(nodetree.TermKind.PINNED, 3),
    )
    assert nodetree.terms(PG18_NOT_NULL, EQUALITY) == (
        nodetree.Term(nodetree.TermKind.NOT_NULL, 1),
    )
    assert nodetree.terms(None, EQUALITY) == ()


@pytest.mark.parametrize(
    "tree",
    [
        var(4),  # WHERE flag
        f"{{BOOLEXPR :boolop not :args ({var(4)}) :location -1}}",  # WHERE NOT flag
        f"{{BOOLEANTEST :arg {var(4)} :booltesttype 2 :location -1}}",  # IS FALSE
        f"{{NULLTEST :arg {var(4)} :nulltesttype 0 :argisrow false :location -1}}",  # IS NULL
    ],
)
def test_boolean_and_null_tests_pin_their_column(tree):
    assert nodetree.terms(tree, EQUALITY) == (nodetree.Term(nodetree.TermKind.PINNED, 4),)


@pytest.mark.parametrize(
    "tree",
    [
        # a = 1 OR b IS NOT NULL: no top-level term tests one column
        f"{{BOOLEXPR :boolop or :args ({var(1)} {var(2)}) :location -1}}",
        # a > 3: not an equality operator
        f"{{OPEXPR :opno 521 :args ({var(1)} {{CONST :constisnull false}}) :location -1}}",
        # a = NULL
        f"{{OPEXPR :opno 96 :args ({var(1)} {{CONST :constisnull true}}) :location -1}}",
        # an outer query's column
        var(1, levels=1),
        # IS NOT TRUE
        f"{{BOOLEANTEST :arg {var(4)} :booltesttype 1 :location -1}}",
    ],
)
def test_terms_that_do_not_pin_or_test_one_column_are_other(tree):
    assert [t.kind for t in nodetree.terms(tree, EQUALITY)] == [nodetree.TermKind.OTHER]


def test_a_malformed_node_tree_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        nodetree.parse("{VAR :varno 1} }")
    with pytest.raises(ValueError):
        nodetree.parse("{VAR varno 1}")


def key(attnum: int, option: int = 0, *, opclass: int = 1978, text: str = "") -> KeyFact:
    return KeyFact(attnum, text or f"c{attnum}", opclass, 0, option)


def index(name: str, *keys: KeyFact, oid: int = 0, **fields) -> IndexFact:
    values = dict(
        oid=oid or abs(hash(name)) % 100000 + 20000,
        schema="public",
        name=name,
        table_oid=1,
        table_schema="public",
        table="t",
        method="btree",
        relkind="i",
        keys=keys,
        include=(),
        include_names=(),
        predicate=None,
        predicate_tree=None,
        unique=False,
        primary=False,
        valid=True,
        ready=True,
        replica_identity=False,
        nulls_not_distinct=False,
        constraint=None,
        referenced_by=(),
        parent=None,
        size=8192,
        scans=0,
        last_scan=None,
        definition="",
    )
    values.update(fields)
    return IndexFact(**values)


def test_a_prefix_covers_in_the_same_or_the_fully_reversed_order_only():
    wide = index("wide", key(1), key(2, option=3), key(3))
    assert compare.covers(wide, index("same", key(1), key(2, option=3)))
    assert compare.covers(wide, index("reversed", key(1, option=3), key(2)))
    assert not compare.covers(wide, index("mixed", key(1), key(2)))
    assert not compare.covers(wide, index("other_opclass", key(1, opclass=3126)))
    assert not compare.covers(wide, index("partial", key(1), predicate="(c1 > 0)"))
    assert not compare.covers(replace(wide, method="hash"), index("h", key(1)))
    assert not compare.covers(wide, index("include", key(1), include=(9,)))
    assert compare.covers(wide, index("include_key", key(1), include=(3,)))


def test_same_definition_compares_everything_but_the_include_order():
    a = index("a", key(1), include=(2, 3))
    assert compare.same_definition(a, index("b", key(1), include=(3, 2)))
    assert not compare.same_definition(a, index("c", key(1), include=(2, 3), unique=True))
    assert not compare.same_definition(a, index("d", key(1, option=1), include=(2, 3)))
    assert not compare.same_definition(a, index("e", key(1), include=(2, 3), predicate="x"))


def test_duplicate_index_groups_identical_definitions_per_table_keeping_the_oldest():
    from plinto_db.doctor.checks import duplicate_index

    old, twin, late = (index(n, key(1), oid=o) for n, o in (("old", 1), ("twin", 2), ("late", 3)))
    other_table = index("elsewhere", key(1), oid=4, table_oid=2)
    different = index("desc", key(1, option=1), oid=5)
    facts = Facts(version=180000, indexes=(late, other_table, twin, different, old))
    found = duplicate_index.find(facts)
    assert sorted((f.index.name, f.covered_by.name) for f in found) == [
        ("late", "old"),
        ("twin", "old"),
    ]


def test_a_unique_cover_needs_a_full_unique_btree_leading_as_a_set():
    unique = index("u", key(1), key(2), unique=True)
    assert compare.unique_cover(unique, index("x", key(2), key(1), key(3)))
    assert not compare.unique_cover(unique, index("y", key(1), key(3)))
    assert not compare.unique_cover(
        replace(unique, predicate="(c1 > 0)"), index("z", key(1), key(2))
    )
    assert not compare.unique_cover(unique, index("g", key(1), key(2), method="gin"))


def test_a_foreign_key_is_covered_by_leading_columns_or_a_not_null_partial_index():
    fk = ForeignKeyFact("fk", 1, (2,), "public.p", "a")
    assert compare.fk_covered_by(fk, index("i", key(2), key(5)))
    assert not compare.fk_covered_by(fk, index("j", key(5), key(2)))
    not_null = PG18_NOT_NULL.replace(":varattno 1 ", ":varattno 2 ")
    assert compare.fk_covered_by(fk, index("k", key(2), predicate_tree=not_null))
    assert not compare.fk_covered_by(fk, index("l", key(2), predicate_tree=var(4)))
    assert not compare.fk_covered_by(fk, index("m", key(2), valid=False))


def finding(check: str, subject: IndexFact, cover: IndexFact | None = None) -> Finding:
    return Finding(check, Severity.WARNING, (subject.location,), "", "public.t", subject, cover)


def plan(findings, facts):
    return candidates.plan(
        findings,
        facts,
        covered=registry.COVERED_REASONS,
        standalone=registry.STANDALONE_REASONS,
    )


def test_drop_candidates_never_include_an_index_that_backs_a_constraint_or_is_referenced():
    pkey = index("pkey", key(1), unique=True, primary=True, constraint="p")
    referenced = index("ref", key(2), unique=True, referenced_by=("other_fk",))
    identity = index("ident", key(3), replica_identity=True)
    facts = Facts(version=180000, indexes=(pkey, referenced, identity))
    drops = plan([finding("unused-index", i) for i in (pkey, referenced, identity)], facts)
    assert drops.candidates == ()
    assert {k.index.name for k in drops.kept} == {"pkey", "ref", "ident"}


def test_the_only_index_left_for_a_foreign_key_is_kept():
    narrow = index("narrow", key(2))
    wide = index("wide", key(2), key(3))
    facts = Facts(
        version=180000,
        indexes=(narrow, wide),
        foreign_keys=(ForeignKeyFact("t_fk", 1, (2,), "public.p", "a"),),
    )
    drops = plan([finding("redundant-index", narrow, wide), finding("unused-index", wide)], facts)
    assert [c.index.name for c in drops.candidates] == ["narrow"]
    (kept,) = drops.kept
    assert kept.index.name == "wide" and "covers public.narrow" in kept.why

    drops = plan([finding("unused-index", narrow), finding("unused-index", wide)], facts)
    assert len(drops.candidates) == 1
    assert "only index left that supports foreign key t_fk" in drops.kept[0].why


def test_a_chain_of_prefixes_drops_the_narrow_ones_and_keeps_the_widest():
    a, ab, abc = (
        index("a", key(1)),
        index("ab", key(1), key(2)),
        index("abc", key(1), key(2), key(3)),
    )
    facts = Facts(version=180000, indexes=(a, ab, abc))
    drops = plan([finding("redundant-index", a, abc), finding("redundant-index", ab, abc)], facts)
    assert {c.index.name: c.covered_by.name for c in drops.candidates} == {"a": "abc", "ab": "abc"}
    assert drops.reclaimable == 2 * 8192
    assert all(
        c.statement == f"DROP INDEX CONCURRENTLY public.{c.index.name};" for c in drops.candidates
    )


def test_a_unique_index_is_a_candidate_only_when_another_unique_key_implies_it():
    unique = index("u", key(1), key(2), unique=True)
    facts = Facts(version=180000, indexes=(unique,))
    assert plan([finding("unproven-index", unique)], facts).candidates == ()
    cover = index("u1", key(1), unique=True, constraint="u")
    drops = plan(
        [finding("duplicates-unique-key", unique, cover)], replace(facts, indexes=(unique, cover))
    )
    assert [c.index.name for c in drops.candidates] == ["u"]


def test_a_partitioned_index_is_dropped_without_concurrently():
    parted = index("parted_a", key(1), relkind="I")
    drops = plan([finding("unused-index", parted)], Facts(version=180000, indexes=(parted,)))
    assert drops.candidates[0].statement == "DROP INDEX public.parted_a;"


def size(tuples: float, pages: int, width: float = 4.0, stats: int = 1) -> BtreeSize:
    return BtreeSize(1, tuples, pages, 8192, 90, width, False, stats, 1)


def test_the_btree_estimate_counts_aligned_entries_per_page_at_the_fillfactor():
    # an int4 entry: 8 header + 8 aligned data + 4 line pointer = 20 bytes; 366 per page at 90 %
    assert index_bloat.expected_pages(size(366_000, 0)) == 1001
    assert index_bloat.estimate(size(366_000, 2002)) == (1001 * 8192, 0.5)
    assert index_bloat.estimate(size(366_000, 900)) == (0, 0.0)  # deduplicated: never negative
    assert index_bloat.expected_pages(size(-1, 10)) is None  # never vacuumed or analyzed
    assert index_bloat.expected_pages(size(1000, 10, stats=0)) is None  # no pg_stats


def test_the_statistics_window_is_enough_only_after_the_minimum_age():
    now = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
    window = StatsWindow(since=now - timedelta(days=6.5), reset=True, now=now, min_age_days=7)
    assert not window.enough
    assert window.describe().startswith("statistics cover 6.5 days, since 2026-01-02 00:00 UTC")
    assert "(the last statistics reset)" in window.describe()
    assert replace(window, min_age_days=6).enough
    assert "never reset" in replace(window, reset=False).describe()


def test_unknown_check_ids_are_bad_input_naming_the_known_ones():
    with pytest.raises(UserError, match=r"--only nope: unknown check; known: invalid-index, "):
        registry.select(["nope"])
    with pytest.raises(UserError, match="--exclude"):
        registry.select(exclude=["invalid-index,bogus"])
    with pytest.raises(UserError, match="no check left"):
        registry.select(["invalid-index"], ["invalid-index"])
    assert [c.id for c in registry.select(["redundant-index, invalid-index"])] == [
        "invalid-index",
        "redundant-index",
    ]


def test_every_check_has_a_unique_id_a_fix_and_a_fixture_of_its_own():
    from doctor_support import FIXTURES

    ids = [c.id for c in registry.CHECKS]
    assert len(ids) == len(set(ids))
    for check in registry.CHECKS:
        assert check.fix and check.title
        assert (FIXTURES / check.id / "bad.sql").is_file(), check.id
        assert (FIXTURES / check.id / "good.sql").is_file(), check.id


def sample_report() -> DoctorReport:
    subject = index("t_a", key(1), size=16384)
    cover = index("t_ab", key(1), key(2))
    redundant = Finding(
        "redundant-index", Severity.WARNING, (subject.location, cover.location), "msg",
        "public.t", subject, cover,
    )  # fmt: skip
    table = Finding("table-without-pk", Severity.INFO, ("public.t",), "no key", "public.t")
    facts = Facts(version=180000, indexes=(subject, cover))
    outcomes = (
        CheckOutcome(registry.by_id("redundant-index"), True, "", (redundant,)),
        CheckOutcome(registry.by_id("table-without-pk"), True, "", (table,)),
        CheckOutcome(registry.by_id("unused-index"), False, "statistics cover 0.0 days"),
    )
    return DoctorReport(
        server="PostgreSQL 18.0",
        target="here",
        schemas=(),
        outcomes=outcomes,
        drops=plan([redundant], facts),
        tables=(),
        stats=None,
        workload=None,
        locations={("", "t_a"): ("indexes/t.sql", 3)},
    )


def test_the_json_document_has_findings_and_drop_candidates_with_their_sizes():
    document = render.json_document(sample_report())
    first = document["findings"][0]
    assert {"check", "severity", "objects", "message"} <= set(first)
    assert first["objects"] == ["public.t.t_a", "public.t.t_ab"]
    assert first["location"] == {"file": "indexes/t.sql", "line": 3}
    (candidate,) = document["drop_candidates"]
    assert candidate == {
        "index": "public.t_a",
        "table": "public.t",
        "size_bytes": 16384,
        "reasons": ["redundant-index"],
        "covered_by": "public.t_ab",
        "covered_by_size_bytes": 8192,
        "statement": "DROP INDEX CONCURRENTLY public.t_a;",
    }
    assert document["reclaimable_bytes"] == 16384
    assert document["summary"] == {"error": 0, "warning": 1, "info": 1}
    assert document["checks"][2]["status"] == "skipped"


def test_sarif_results_name_the_database_object_and_the_catalog_file_when_known():
    log = render.sarif_document(sample_report())
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "redundant-index",
        "table-without-pk",
        "unused-index",
    ]
    index_result, table_result = run["results"]
    (location,) = index_result["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "indexes/t.sql"
    assert location["physicalLocation"]["region"]["startLine"] == 3
    assert location["logicalLocations"][0] == {
        "fullyQualifiedName": "public.t.t_a",
        "kind": "index",
    }
    assert table_result["level"] == "note"  # info
    assert "physicalLocation" not in table_result["locations"][0]


def test_sarif_refuses_a_level_it_does_not_know():
    with pytest.raises(ValueError):
        sarif_log("x", [SarifRule("r", "s", "fatal")], [])
    log = sarif_log("x", [SarifRule("r", "s", "error")], [SarifResult("r", "error", "m")])
    assert log["runs"][0]["results"][0]["locations"] == []
