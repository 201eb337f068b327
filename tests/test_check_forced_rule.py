"""Forced mode: reading an index is not using it (issue 9), judged on plans PostgreSQL 15 and 18
really produced with `enable_seqscan = off` (tests/data/plans/), without a database.

An index counts as used only by a node with an index condition on it (or a partial index's
predicate), or one that delivers an order the query needs. A full read is "full scan of INDEX
with no condition (the planner was forced off a sequential scan)": it fails `index`, `any-of`,
`index-on` and `no-seqscan`, and is the known gap `seqscan` documents. In natural mode the
same read is the planner's own choice: a use, noted.
"""

from __future__ import annotations

import pytest
from recorded_plans import FORCED_FULL_READ, MAJOR_IDS, MAJORS, verdict_of

from plinto_db.check.judge import Verdict, filtering_predicate


@pytest.fixture(params=MAJORS, ids=MAJOR_IDS)
def major(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.mark.parametrize(
    ("scenario", "expectation"),
    [
        ("forced_like_full_index", "index t_email_idx"),  # LIKE '%x5%': no btree can serve it
        ("forced_like_full_index", "any-of t_email_idx, t_pkey"),
        ("forced_count", "index t_c_idx"),  # count(*): any index, read whole
        ("forced_limit_no_order", "index t_email_idx"),  # a LIMIT without ORDER BY
        ("forced_limit_index_only", "index t_a_idx"),  # the same, an Index Only Scan
        ("forced_sort_above", "index t_email_idx"),  # a Sort above: its order is not used
        ("forced_sort_above_index_only", "index t_a_idx"),
    ],
)
def test_a_full_index_read_in_forced_mode_fails_the_index_it_reads(major, scenario, expectation):
    got, judgements = verdict_of(major, scenario, expectation, forced=True)
    assert got is Verdict.FAIL
    assert judgements[0].reason.startswith("full scan of t_")
    assert judgements[0].reason.endswith(FORCED_FULL_READ)


@pytest.mark.parametrize(
    ("scenario", "expectation", "reason"),
    [
        ("forced_count", "index-on t", "full scan of t_c_idx " + FORCED_FULL_READ),
        ("forced_count", "no-seqscan t", "full scan of t_c_idx " + FORCED_FULL_READ),
        ("forced_like_full_index", "index-on t", "full scan of t_email_idx " + FORCED_FULL_READ),
    ],
)
def test_a_full_index_read_in_forced_mode_is_the_sequential_scan_it_replaced(
    major, scenario, expectation, reason
):
    got, judgements = verdict_of(major, scenario, expectation, forced=True)
    assert got is Verdict.FAIL
    assert judgements[0].reason == reason


@pytest.mark.parametrize(
    "scenario", ["forced_count", "forced_like_full_index", "forced_sort_above", "forced_no_index"]
)
def test_a_known_gap_stays_a_gap_under_a_full_index_read(major, scenario):
    """seqscan TABLE: the same rule (no filtering or ordering index on the table) decides it."""
    table = "u" if scenario == "forced_no_index" else "t"
    got, judgements = verdict_of(major, scenario, f"seqscan {table}", forced=True)
    assert got is Verdict.PASS, judgements[0].reason
    assert judgements[0].reason.startswith("known gap")


@pytest.mark.parametrize(
    ("scenario", "expectation"),
    [
        ("index_cond", "index t_email_idx"),  # a condition
        ("forced_partial", "index t_active_idx"),  # a partial index's predicate
        ("forced_order", "index t_created_idx"),  # ORDER BY, no Sort above
        ("forced_order_limit", "index t_created_idx"),  # ORDER BY ... LIMIT
        ("forced_merge_join", "index t_pkey"),  # the order a merge join reads
        ("forced_merge_join", "index u_t_idx"),
        ("forced_group", "index t_a_idx"),  # a sorted GROUP BY
        ("forced_order_limit", "index-on t"),
        ("forced_order", "no-seqscan t"),
    ],
)
def test_an_index_that_filters_or_orders_is_used_in_forced_mode(major, scenario, expectation):
    got, judgements = verdict_of(major, scenario, expectation, forced=True)
    assert got is Verdict.PASS, judgements[0].reason


@pytest.mark.parametrize("scenario", ["forced_order", "forced_merge_join", "forced_partial"])
def test_an_index_that_serves_is_not_a_known_gap(major, scenario):
    got, judgements = verdict_of(major, scenario, "seqscan t", forced=True)
    assert got is Verdict.FAIL
    assert "the plan changed" in judgements[0].reason


def test_a_full_index_read_the_planner_chose_is_a_use_with_a_note(major):
    """Natural mode: the same plan shape, chosen by the planner itself, passes and says so."""
    got, judgements = verdict_of(major, "forced_like_full_index", "index t_email_idx")
    assert got is Verdict.PASS
    assert judgements[0].notes == (
        "t_email_idx: full scan with no condition (the planner chose it over reading the table)",
    )
    got, judgements = verdict_of(major, "forced_count", "index-on t")
    assert got is Verdict.PASS and "no condition" in judgements[0].notes[0]
    # and a use that filters carries no note
    assert verdict_of(major, "index_cond", "index t_email_idx")[1][0].notes == ()


@pytest.mark.parametrize(
    ("predicate", "filters"),
    [
        ("(user_metadata IS NOT NULL)", False),  # implied by any strict operator on the column
        ("((a IS NOT NULL) AND (b IS NOT NULL))", False),
        ("(status = 'active'::text)", True),
        ("(b > 0)", True),
        ("((status = 'active'::text) AND (x IS NOT NULL))", True),
        (None, False),
    ],
)
def test_a_partial_predicate_filters_unless_it_is_only_not_null(predicate, filters):
    assert filtering_predicate(predicate) is filters


def test_a_partial_index_read_whole_filters_only_when_its_predicate_does(major):
    """t_active_idx (WHERE status = 'active') filters; forced_partial reads it whole."""
    assert verdict_of(major, "forced_partial", "index t_active_idx", forced=True)[0] is (
        Verdict.PASS
    )
