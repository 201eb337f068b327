"""Rendering a lint outcome: text lines, a JSON document, or a SARIF 2.1.0 log."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from plinto_db import report
from plinto_db.lint.model import Rule, Severity
from plinto_db.lint.run import LintOutcome
from plinto_db.report.layout import Column, Table, print_table
from plinto_db.report.sarif import SarifResult, SarifRule, sarif_log


def print_text(outcome: LintOutcome) -> None:
    """`path:line:col: rule-id message` on stdout; the summary and notes on stderr."""
    sys.stdout.writelines(
        f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message}\n" for f in outcome.findings
    )
    sys.stdout.flush()
    for where in outcome.not_literal:
        report.note(
            f"{where.path}:{where.line}:{where.column}: op.execute() of SQL that is not a "
            "literal: not linted"
        )
    report.note(summary_line(outcome))


def summary_line(outcome: LintOutcome) -> str:
    catalog = sum(1 for f in outcome.files if f.kind == "catalog")
    files = _plural(len(outcome.files), "file") + (
        f" ({catalog} as the index catalog)" if catalog else ""
    )
    scope = f"{files}, {_plural(outcome.statements, 'statement')}"
    if not outcome.findings:
        return f"lint: no findings in {scope}"
    counts = Counter(f.severity for f in outcome.findings)
    parts = [_plural(counts[s], str(s)) for s in Severity if counts[s]]
    return f"lint: {_plural(len(outcome.findings), 'finding')} ({', '.join(parts)}) in {scope}"


def json_document(outcome: LintOutcome) -> dict[str, Any]:
    counts = Counter(f.severity for f in outcome.findings)
    return {
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "rule": f.rule,
                "severity": str(f.severity),
                "message": f.message,
            }
            for f in outcome.findings
        ],
        "files": len(outcome.files),
        "catalog_files": sum(1 for f in outcome.files if f.kind == "catalog"),
        "statements": outcome.statements,
        "summary": {
            "findings": len(outcome.findings),
            "errors": counts[Severity.error],
            "warnings": counts[Severity.warning],
            "by_rule": dict(sorted(Counter(f.rule for f in outcome.findings).items())),
        },
        "not_linted": [
            {"path": w.path, "line": w.line, "column": w.column, "reason": "not a literal"}
            for w in outcome.not_literal
        ],
        "rules": [r.id for r in outcome.rules],
    }


def sarif_document(outcome: LintOutcome) -> dict[str, Any]:
    rules = [SarifRule(r.id, r.summary, str(r.severity)) for r in outcome.rules]
    results = [
        SarifResult(f.rule, str(f.severity), f.message, f.path, f.line, f.column)
        for f in outcome.findings
    ]
    return sarif_log("plinto-db lint", rules, results)


RULE_COLUMNS = (
    Column("rule", name=True),
    Column("severity", brief=True),
    Column("summary", wrap=True),
)


def print_rules(rules: tuple[Rule, ...]) -> None:
    """The rules as a table that fits the terminal (the summaries wrap)."""
    table = Table(RULE_COLUMNS)
    for rule in rules:
        table.add(rule.id, str(rule.severity), rule.summary)
    print_table(table)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"
