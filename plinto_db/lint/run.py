"""The lint use case: a LintRequest in, a LintOutcome out. Nothing here prints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from plinto_db.errors import ExitCode, UserError
from plinto_db.lint.context import RawStatement, with_context
from plinto_db.lint.model import Finding, Rule
from plinto_db.lint.rules import BY_ID, select
from plinto_db.lint.sources import SourceFile, discover, load


@dataclass(frozen=True)
class LintRequest:
    paths: tuple[Path, ...]
    only: tuple[str, ...] = ()  # rule ids to run (default: all)
    exclude: tuple[str, ...] = ()  # rule ids not to run
    catalogs: tuple[Path, ...] = ()  # more plinto-db index catalogs (see sources.py)
    assume_in_transaction: bool = False  # each .sql file runs inside one transaction


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int


@dataclass(frozen=True)
class LintedFile:
    path: str
    kind: str  # "sql", "catalog" or "alembic"
    statements: int


@dataclass(frozen=True)
class LintOutcome:
    findings: tuple[Finding, ...]  # sorted by path, line, column
    rules: tuple[Rule, ...]  # the rules that ran
    files: tuple[LintedFile, ...]
    not_literal: tuple[Location, ...]  # op.execute() arguments that are not literals: unlinted

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.files)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FAILED if self.findings else ExitCode.OK


def lint(request: LintRequest) -> LintOutcome:
    rules = select(request.only, request.exclude)
    findings: list[Finding] = []
    files: list[LintedFile] = []
    not_literal: list[Location] = []
    for source in discover(request.paths, request.catalogs):
        loaded = load(source, BY_ID.keys(), request.assume_in_transaction)
        if loaded.kind == "skipped":
            continue
        selected = {r.id for r in rules}
        findings += [
            Finding(source.display, i.line, i.column, i.rule, BY_ID[i.rule].severity, i.message)
            for i in loaded.issues
            if i.rule in selected
        ]
        active = tuple(r for r in rules if r.catalog or not source.catalog)
        count = 0
        for unit in loaded.units:
            for finding in _check(source, unit, active):
                findings.append(finding)
            count += len(unit)
        kind = "catalog" if source.catalog else loaded.kind
        files.append(LintedFile(source.display, kind, count))
        not_literal += [Location(source.display, line, col) for line, col in loaded.not_literal]
    if not files:
        given = ", ".join(str(p) for p in request.paths)
        raise UserError(f"{given}: no .sql files or alembic revisions to lint")
    # one alembic call can emit the same statement twice (alter_column: TYPE and SET NOT NULL)
    unique = sorted(set(findings))
    return LintOutcome(tuple(unique), rules, tuple(files), tuple(not_literal))


def _check(
    source: SourceFile, unit: list[RawStatement], rules: tuple[Rule, ...]
) -> Iterator[Finding]:
    for statement, suppressed in with_context(unit):
        for rule in rules:
            if rule.id in suppressed:
                continue
            for message in rule.check(statement):
                yield Finding(
                    source.display,
                    statement.line,
                    statement.column,
                    rule.id,
                    rule.severity,
                    message,
                )
