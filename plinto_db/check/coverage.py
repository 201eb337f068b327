"""Which catalog indexes the checks prove, and for the others the closest reason why not.

Pure code on results decided earlier (decide.py); nothing here connects to a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from plinto_db.check.advice import BUILD_ADVICE
from plinto_db.check.display import shown
from plinto_db.check.judge import Verdict, filtering_predicate, on_table
from plinto_db.check.names import Names, QName
from plinto_db.check.results import CheckResult, CoverageState, IndexCoverage
from plinto_db.pg.identifiers import quote_ident


def coverage(
    catalog: Sequence[Any],
    results: Sequence[CheckResult],
    names: Names,
    *,
    present: set[str] | None = None,
    skipped: Mapping[str, str] | None = None,
    advice: Mapping[str, str] | None = None,
) -> tuple[IndexCoverage, ...]:
    """Each catalog index: proven by a passing check's plan, or unproven with the closest reason.

    `present`: index names the server has (built, or created hypothetically); None = all.
    `skipped`: why HypoPG could not simulate an index; `advice`: how to build one that is
    not built (advice.build_advice), when it is not `plinto-db apply`.
    """
    why_not_built = {**(advice or {}), **(skipped or {})}
    return tuple(_cover(spec, results, names, present, why_not_built) for spec in catalog)


def _cover(
    spec: Any,
    results: Sequence[CheckResult],
    names: Names,
    present: set[str] | None,
    skipped: Mapping[str, str],
) -> IndexCoverage:
    name, table = spec.name, spec.table
    target = _qualified(spec, names)

    def make(state: CoverageState, reason: str, by: tuple[str, ...] = ()) -> IndexCoverage:
        return IndexCoverage(
            name, table, state, reason, by, str(spec.file), spec.line, schema=target[0]
        )

    if present is not None and name not in present:
        why = skipped.get(name) or BUILD_ADVICE
        return make(CoverageState.UNPROVEN, f"not built in the database ({why})")
    proven = tuple(
        r.check.name
        for r in results
        if r.verdict is Verdict.PASS and any(_same(q, target) for q in r.proves)
    )
    if proven:
        return make(CoverageState.PROVEN, f"used by {', '.join(proven)}", proven)
    return make(CoverageState.UNPROVEN, _unproven_reason(spec, (target[0], table), results))


def _unproven_reason(spec: Any, table: QName, results: Sequence[CheckResult]) -> str:
    """The closest reason why no passing check proves the index."""
    name = spec.name
    passing = [r for r in results if r.verdict is Verdict.PASS and name in r.used]
    serving = [r for r in passing if any(q[1] == name for q in r.serving)]
    if serving:  # forced mode: filtered or ordered with it, but the check does not name it
        return (
            f"used by {serving[0].check.name} in forced mode, which proves only the indexes a "
            "check names (name it in an expectation, or check in natural mode)"
        )
    if passing:
        return f"read whole by {passing[0].check.name}, with no condition and no order it needs"
    failing = tuple(r.check.name for r in results if name in r.used)
    if failing:
        return f"used only by failing checks: {', '.join(failing)}"
    expecting = [  # an expectation may name it schema-qualified (`app.users_email_idx`)
        r for r in results if name in {bare for _, bare in r.check.indexes()}
    ]
    if expecting and all(r.verdict is Verdict.ERROR for r in expecting):
        checks = ", ".join(r.check.name for r in expecting)
        return f"the checks that expect it could not be explained: {checks}"
    expecting = [r for r in expecting if r.verdict is not Verdict.ERROR]
    if expecting:
        first = expecting[0]
        chosen = _chosen_on(first, table)
        return f"a cheaper plan wins: {first.check.name} expects it, the plan uses {chosen}"
    touching = [r for r in results if any(on_table(n, table) for n in r.nodes)]
    if touching:
        return _touching_reason(spec, table, touching)
    return f"no query uses it: no check reads {shown(*table)}"


def _touching_reason(spec: Any, table: QName, touching: Sequence[CheckResult]) -> str:
    others = sorted({i for r in touching for i in _chosen_on_list(r, table)})
    used = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
    checks = ", ".join(r.check.name for r in touching[:3]) + (", ..." if len(touching) > 3 else "")
    leading = spec.keys[0].column if getattr(spec, "keys", None) else None
    on = f"{shown(*table)} ({checks})"
    if leading and not any(_mentions(r.check.sql, leading) for r in touching):
        return f"no query uses it: no check on {on} filters or sorts by {quote_ident(leading)}"
    if filtering_predicate(spec.where):
        return (
            f"a predicate the queries never imply (WHERE {spec.where}): "
            f"checks on {on} use {used or 'a sequential scan'}"
        )
    return f"a cheaper index wins: checks on {on} use {used or 'a sequential scan'}"


def _qualified(spec: Any, names: Names) -> QName:
    """A catalog index lives in its table's schema: as written, else where the table resolves."""
    if spec.schema:
        return (spec.schema, spec.name)
    return (names.qualify((None, spec.table))[0], spec.name)


def _same(proved: QName, target: QName) -> bool:
    return proved[1] == target[1] and (
        proved[0] is None or target[0] is None or proved[0] == target[0]
    )


def _mentions(sql: str, column: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(column)}(?![\w$])", sql, re.IGNORECASE) is not None


def _chosen_on_list(result: CheckResult, table: QName) -> list[str]:
    return [
        shown(n.schema, n.index) if n.index else "a sequential scan"
        for n in result.nodes
        if on_table(n, table) and (n.uses_index or n.is_seqscan)
    ]


def _chosen_on(result: CheckResult, table: QName) -> str:
    chosen = _chosen_on_list(result, table)
    return ", ".join(dict.fromkeys(chosen)) if chosen else "no scan of " + shown(*table)
