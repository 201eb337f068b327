"""Rendering a lint outcome: text lines, a JSON document, or a SARIF 2.1.0 log."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from plinto_db import __version__, report
from plinto_db.lint.model import Rule, Severity
from plinto_db.lint.run import LintOutcome

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


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
    scope = f"{_plural(len(outcome.files), 'file')}, {_plural(outcome.statements, 'statement')}"
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
    index = {rule.id: i for i, rule in enumerate(outcome.rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "plinto-db lint",
                        "version": __version__,
                        "rules": [_sarif_rule(rule) for rule in outcome.rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [
                    {
                        "ruleId": f.rule,
                        "ruleIndex": index[f.rule],
                        "level": str(f.severity),
                        "message": {"text": f.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": artifact_uri(f.path)},
                                    "region": {"startLine": f.line, "startColumn": f.column},
                                }
                            }
                        ],
                    }
                    for f in outcome.findings
                ],
            }
        ],
    }


def artifact_uri(path: str) -> str:
    """A relative path stays relative (code scanning resolves it from the checkout)."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return "file://" + quote(posix.as_posix())
    return quote(posix.as_posix())


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": str(rule.severity)},
    }


def rules_table(rules: tuple[Rule, ...]) -> str:
    width = max(len(r.id) for r in rules)
    return "\n".join(f"{r.id:<{width}}  {r.severity!s:<7}  {r.summary}" for r in rules)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"
