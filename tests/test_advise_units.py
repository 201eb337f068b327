"""advise's pure rooms: reading a query, the candidate rules, choosing and merging, the
canonical spelling doctor's rules compare, and the writers. No server."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.advise import choose
from plinto_db.advise.candidates import Candidate, candidates_for
from plinto_db.advise.model import AdviseRun, Proposal, Served
from plinto_db.advise.query import Key, table_uses
from plinto_db.advise.redundancy import (
    candidate_fact,
    canonical,
    comparable,
    existing_cover,
    proposal_covers,
)
from plinto_db.doctor.model import IndexFact, KeyFact, TableFact
from plinto_db.errors import UserError


def one_use(sql: str, columns=None):
    uses = table_uses(sql, columns)
    assert len(uses) == 1
    return uses[0]


def described(candidates) -> list[str]:
    return [c.describe() for c in candidates]


# --- reading the query ---------------------------------------------------------------------


def test_equalities_ranges_order_and_constants_are_read_per_table():
    use = one_use(
        "SELECT id, total FROM orders o WHERE o.customer_id = $1 AND status = 'open' "
        "AND created_at > $2 ORDER BY created_at DESC LIMIT 5"
    )
    assert [k.text for k in use.equalities] == ["customer_id", "status"]
    assert [k.text for k in use.ranges] == ["created_at"]
    assert [(k.text, k.descending) for k in use.order_by] == [("created_at", True)]
    assert [p for _, p in use.constants] == ["status = 'open'"]
    assert use.columns == {"id", "total", "customer_id", "status", "created_at"}


def test_select_star_and_updates_read_whole_rows():
    assert one_use("SELECT * FROM orders WHERE id = $1").columns is None
    assert one_use("UPDATE orders SET total = 0 WHERE id = $1").columns is None


def test_an_expression_compared_with_a_parameter_is_a_key_without_its_qualifier():
    use = one_use("SELECT id FROM users u WHERE lower(u.email) = lower($1)")
    assert use.equalities == [Key("lower(email)", None)]


def test_in_lists_any_and_between_are_read():
    use = one_use("SELECT 1 FROM t WHERE a IN (1, 2) AND b = ANY($1) AND c BETWEEN $2 AND $3")
    assert [k.text for k in use.equalities] == ["a", "b"]
    assert [k.text for k in use.ranges] == ["c"]


def test_an_or_gives_no_key():
    assert one_use("SELECT 1 FROM t WHERE a = $1 OR b = $2").equalities == []


def test_null_tests_and_boolean_columns_are_constant_predicates():
    use = one_use("SELECT 1 FROM t WHERE revoked_at IS NULL AND NOT archived AND active")
    assert [p for _, p in use.constants] == ["revoked_at IS NULL", "NOT archived", "active"]


def test_join_columns_are_equalities_of_both_sides_resolved_by_the_tables_columns():
    uses = table_uses(
        "SELECT count(*) FROM members m JOIN orgs o ON o.id = m.org_id "
        "WHERE user_id = $1 AND deleted_at IS NULL",
        {"members": frozenset({"org_id", "user_id"}), "orgs": frozenset({"id", "deleted_at"})},
    )
    members, orgs = uses
    assert [k.text for k in members.equalities] == ["org_id", "user_id"]
    assert [k.text for k in orgs.equalities] == ["id"]
    assert [p for _, p in orgs.constants] == ["deleted_at IS NULL"]


def test_containment_operators_are_read_for_a_gin_index():
    use = one_use("SELECT id FROM c WHERE meta @> $1::jsonb AND meta ? 'plan'")
    assert [k.text for k in use.containments] == ["meta"]
    assert [p for _, p in use.constants] == ["meta ? 'plan'"]


def test_what_cannot_be_parsed_or_is_not_a_query_gives_nothing():
    assert table_uses("SELEC 1") == []
    assert table_uses("CREATE TABLE x (a int)") == []
    assert table_uses("SELECT 1 UNION SELECT 2") == []


# --- the candidate rules --------------------------------------------------------------------


def test_equality_keys_come_first_most_distinct_first_then_the_range_key():
    use = one_use("SELECT * FROM o WHERE status = $1 AND customer_id = $2 AND created_at > $3")
    found = described(candidates_for(use, {"customer_id": 5000, "status": 3}))
    assert found[0] == "o (customer_id, status)"
    assert "o (customer_id, status, created_at)" in found
    assert "o (customer_id)" in found  # the narrow variant, for merging across queries


def test_order_by_after_equalities_and_one_direction_is_written_ascending():
    use = one_use("SELECT * FROM o WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 5")
    assert "o (customer_id, created_at)" in described(candidates_for(use))


def test_a_mixed_order_by_keeps_its_directions():
    use = one_use("SELECT * FROM o WHERE a = $1 ORDER BY b DESC, c LIMIT 5")
    assert "o (a, b DESC, c)" in described(candidates_for(use))


def test_a_small_constant_predicate_becomes_a_partial_index_and_leaves_the_keys():
    use = one_use("SELECT * FROM o WHERE status = 'pending' AND created_at < $1")
    with_small = described(candidates_for(use, small_predicates={"status = 'pending'"}))
    assert "o (created_at) WHERE status = 'pending'" in with_small
    assert not any("WHERE" in c for c in described(candidates_for(use)))


def test_include_makes_an_index_only_scan_possible_up_to_three_columns():
    use = one_use("SELECT created_at, total FROM o WHERE customer_id = $1")
    assert "o (customer_id) INCLUDE (created_at, total)" in described(candidates_for(use))
    wide = one_use("SELECT a, b, c, d FROM o WHERE customer_id = $1")
    assert not any("INCLUDE" in c for c in described(candidates_for(wide)))


def test_an_expression_key_is_written_in_parentheses():
    use = one_use("SELECT id FROM users WHERE lower(email) = $1")
    candidate = candidates_for(use)[0]
    assert candidate.create_sql("i") == "CREATE INDEX CONCURRENTLY i ON users ((lower(email)))"
    assert "expression" in candidate.rules


def test_containment_gives_gin_candidates_and_their_partial_form():
    use = one_use("SELECT id FROM c WHERE (meta -> 'k') @> $1 AND meta ? 'k'")
    found = described(candidates_for(use, small_predicates={"meta ? 'k'"}))
    assert "c USING gin ((meta -> 'k'))" in found
    assert "c USING gin ((meta -> 'k')) WHERE meta ? 'k'" in found


# --- choosing and merging --------------------------------------------------------------------


def cand(*keys: str, table: str = "o", where: str | None = None) -> Candidate:
    return Candidate(None, table, tuple(Key(k, k) for k in keys), where=where)


def test_a_candidate_serves_a_check_only_when_it_halves_its_cost_and_the_plan_uses_it():
    trials = [
        choose.Trial(0, "q", 40.0, True),  # 60 % cheaper: serves
        choose.Trial(1, "q", 60.0, True),  # 40 % cheaper: not enough
        choose.Trial(2, "q", 10.0, False),  # cheaper, but the plan does not use it
    ]
    assert choose.serving(trials, {"q": 100.0}, 0.5) == {0: {"q": 40.0}}


def test_greedy_prefers_the_index_that_serves_more_checks():
    candidates = [cand("a"), cand("a", "b"), cand("a", "c")]
    serves = {0: {"q1": 5.0, "q2": 5.0}, 1: {"q1": 4.0}, 2: {"q2": 4.0}}
    assert choose.greedy(serves, candidates, {}) == {0: {"q1", "q2"}}


def test_greedy_breaks_ties_by_size():
    candidates = [cand("a", "b"), cand("a")]
    chosen = choose.greedy({0: {"q": 5.0}, 1: {"q": 5.0}}, candidates, {0: 900, 1: 100})
    assert chosen == {1: {"q"}}


def test_merge_folds_a_covered_proposal_into_the_wider_one():
    merged = choose.merge({0: {"q1"}, 1: {"q2"}}, lambda wide, narrow: (wide, narrow) == (1, 0))
    assert merged == {1: {"q1", "q2"}}


# --- doctor's rules on candidates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "ours"),
    [
        ("lower((email)::text)", "lower(email)"),
        ("((status)::text = 'active'::text)", "status = 'active'"),
        ("(user_metadata ->> 'external_id'::text)", "user_metadata ->> 'external_id'"),
        ("(revoked_at IS NULL)", "revoked_at IS NULL"),
    ],
)
def test_the_servers_spelling_and_ours_are_one_canonical_text(server, ours):
    assert canonical(server) == canonical(ours)


TABLE = TableFact(1, "public", "o", "r", False, True, 0, {1: "id", 2: "a", 3: "b"})


def built(*attnums: int, unique: bool = False, predicate: str | None = None) -> IndexFact:
    keys = tuple(KeyFact(n, TABLE.columns[n], 1978, 100, 0, True) for n in attnums)
    fact = candidate_fact(cand("a"), TABLE, 500)
    assert fact is not None
    return comparable(
        IndexFact(**{**fact.__dict__, "keys": keys, "unique": unique, "predicate": predicate})
    )


def test_an_existing_wider_index_covers_a_candidate_and_a_narrower_one_does_not():
    fact = candidate_fact(cand("a"), TABLE, -1)
    assert existing_cover(fact, (built(2, 3),)) is not None
    wide = candidate_fact(cand("a", "b"), TABLE, -2)
    assert existing_cover(wide, (built(2),)) is None


def test_a_unique_index_on_the_leading_keys_covers_a_candidate():
    fact = candidate_fact(cand("a", "b"), TABLE, -1)
    assert existing_cover(fact, (built(2, unique=True),)) is not None


def test_a_different_predicate_is_not_covered():
    fact = candidate_fact(cand("a", where="b IS NULL"), TABLE, -1)
    assert existing_cover(fact, (built(2),)) is None
    assert existing_cover(fact, (built(2, predicate="(b IS NULL)"),)) is not None


def test_proposals_fold_by_prefix_not_by_another_column():
    a, ab, b = (
        candidate_fact(cand(*k), TABLE, -n) for n, k in enumerate([("a",), ("a", "b"), ("b",)], 1)
    )
    assert proposal_covers(ab, a)
    assert not proposal_covers(ab, b)


# --- writing ------------------------------------------------------------------------------------


def run_with(*proposals: Proposal) -> AdviseRun:
    return AdviseRun("PostgreSQL 18.0", "db", "HypoPG 1.4", "checks", 0.5, proposals=proposals)


def test_the_catalog_file_carries_evidence_and_refuses_a_hand_edit(tmp_path: Path):
    from plinto_db.advise.write import catalog_text, check_writable, write_catalog

    proposal = Proposal("adv_o_a", cand("a"), (Served("q1", 1000.0, 10.0),), 8192)
    run = run_with(proposal)
    target = tmp_path / "indexes" / "50_advised.sql"
    write_catalog(run, target, force=False)
    text = target.read_text()
    assert text == catalog_text(run)
    assert "-- serves: q1 (1,000 → 10, -99%)" in text
    assert "estimated size: 8.0 kB" in text
    assert "CREATE INDEX CONCURRENTLY adv_o_a ON o (a);" in text
    check_writable(target, force=False)  # untouched: advise may rewrite it
    target.write_text(text.replace("(a);", "(a, b);"))
    with pytest.raises(UserError, match="edited by hand since advise wrote it"):
        check_writable(target, force=False)
    check_writable(target, force=True)


def test_a_second_run_keeps_the_entries_of_the_first_and_adds_only_new_ones(tmp_path: Path):
    from plinto_db.advise.write import check_writable, write_catalog

    first = Proposal("adv_o_a", cand("a"), (Served("q1", 1000.0, 10.0),), 8192)
    second = Proposal("adv_o_b", cand("b"), (Served("q2", 500.0, 5.0),), 8192)
    target = tmp_path / "50_advised.sql"
    write_catalog(run_with(first), target, force=False)
    write_catalog(run_with(first, second), target, force=False)
    text = target.read_text()
    assert text.count("CREATE INDEX CONCURRENTLY adv_o_a ") == 1
    assert text.count("CREATE INDEX CONCURRENTLY adv_o_b ") == 1
    assert text.index("adv_o_a ON") < text.index("adv_o_b ON")
    check_writable(target, force=False)  # still advise's own: the hash covers both


def test_a_file_advise_did_not_write_is_never_replaced(tmp_path: Path):
    from plinto_db.advise.write import check_writable

    mine = tmp_path / "10_mine.sql"
    mine.write_text("CREATE INDEX CONCURRENTLY x ON o (a);\n")
    with pytest.raises(UserError, match="was not written by advise"):
        check_writable(mine, force=False)
    with pytest.raises(UserError, match="must end in .sql"):
        check_writable(tmp_path / "advised.txt", force=False)


def test_the_written_catalog_parses_as_the_catalog_apply_reads(tmp_path: Path):
    from plinto_db.advise.write import write_catalog
    from plinto_db.catalog.parse import parse_file

    gin = Candidate(None, "c", (Key("meta -> 'k'", None),), where="meta ? 'k'", method="gin")
    expression = Candidate(None, "u", (Key("lower(email)", None),))
    include = Candidate(None, "o", (Key("a", "a"), Key("b", "b", True)), ("c",))
    proposals = [
        Proposal(name, c, (Served("q", 10.0, 1.0),), None)
        for name, c in (("adv_gin", gin), ("adv_lower", expression), ("adv_incl", include))
    ]
    target = tmp_path / "50_advised.sql"
    write_catalog(run_with(*proposals), target, force=False)
    specs = parse_file(target)
    assert [s.name for s in specs] == ["adv_gin", "adv_lower", "adv_incl"]
    assert specs[0].method == "gin" and specs[0].where
    assert specs[2].include == ("c",)
