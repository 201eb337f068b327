"""Judging plans PostgreSQL really produced (tests/data/plans/, see plan_recorder.py), in pure
tests: the plan, the recording server's naming, and the verdict on a check written for it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from plan_recorder import load, load_facts, recorded_majors

from plinto_db.check.decide import names_from
from plinto_db.check.judge import judge
from plinto_db.check.names import Names, resolve
from plinto_db.check.planwalk import walk
from plinto_db.check.workload import parse_check

MAJORS = recorded_majors()
MAJOR_IDS = [f"pg{m}" for m in MAJORS]
FORCED_FULL_READ = "with no condition (the planner was forced off a sequential scan)"


def plan(major: int, scenario: str):
    return load(major, scenario)["plan"]


def names(major: int, search_path: tuple[str, ...] | None = None) -> Names:
    facts = load_facts(major)
    if search_path is not None:
        facts = replace(facts, search_path=search_path)
    return names_from(facts, {})


def check(*expect: str, sql: str = "SELECT 1"):
    header = "".join(f"-- expect: {e}\n" for e in expect)
    return parse_check(header + sql + "\n", Path("t.sql"))


def verdict_of(major: int, scenario: str, *expect: str, forced=False, search_path=None):
    """Judge a recorded plan with the statement it was recorded for."""
    doc = load(major, scenario)
    n = names(major, search_path)
    return judge(
        check(*expect, sql=doc["sql"]), resolve(walk(doc["plan"]), n), forced=forced, names=n
    )
