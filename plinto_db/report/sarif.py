"""SARIF 2.1.0 logs, the shape GitHub code scanning reads: one run, the tool's rules, results.

Shared by the commands that emit SARIF (doctor; lint writes the same shape). A result points
at a file (`physical`: path and line) and/or at a named object (`logical`: a database object
such as `schema.table.index`, which has no file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from plinto_db import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = ("none", "note", "warning", "error")


@dataclass(frozen=True)
class SarifRule:
    id: str
    summary: str
    level: str
    help: str = ""


@dataclass(frozen=True)
class SarifResult:
    rule: str
    level: str
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    logical: tuple[tuple[str, str], ...] = ()  # (fully qualified name, kind)


def artifact_uri(path: str) -> str:
    """A relative path stays relative (code scanning resolves it from the checkout)."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return "file://" + quote(posix.as_posix())
    return quote(posix.as_posix())


def sarif_log(tool: str, rules: Sequence[SarifRule], results: Sequence[SarifResult]) -> dict:
    index = {rule.id: i for i, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(result, index) for result in results],
            }
        ],
    }


def _rule(rule: SarifRule) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _level(rule.level)},
    }
    if rule.help:
        document["help"] = {"text": rule.help}
    return document


def _result(result: SarifResult, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if result.path is not None:
        region: dict[str, Any] = {"startLine": result.line or 1}
        if result.column is not None:
            region["startColumn"] = result.column
        location["physicalLocation"] = {
            "artifactLocation": {"uri": artifact_uri(result.path)},
            "region": region,
        }
    if result.logical:
        location["logicalLocations"] = [
            {"fullyQualifiedName": name, "kind": kind} for name, kind in result.logical
        ]
    return {
        "ruleId": result.rule,
        "ruleIndex": index[result.rule],
        "level": _level(result.level),
        "message": {"text": result.message},
        "locations": [location] if location else [],
    }


def _level(level: str) -> str:
    """Severity names map onto SARIF's levels (info is a note)."""
    level = {"info": "note"}.get(level, level)
    if level not in LEVELS:
        raise ValueError(f"not a SARIF level: {level!r}")
    return level
