"""`plinto-db lint PATH...`: unsafe DDL in migrations, found before it runs."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.errors import ExitCode, UserError


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help=".sql files, alembic revisions (.py), or folders searched recursively.",
        show_default=False,
    ),
]
RuleOption = Annotated[
    list[str] | None,
    typer.Option("--rule", "--only", help="Run only this rule (repeatable).", show_default=False),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", "--disable", help="Do not run this rule (repeatable).", show_default=False
    ),
]
CatalogOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="A plinto-db index catalog (file or folder, repeatable): only the rules about "
        "what an index is apply, since `plinto-db apply` decides how it is built. "
        "./indexes and the bundled catalog always are.",
        show_default=False,
    ),
]
InTransactionOption = Annotated[
    bool,
    typer.Option(
        "--assume-in-transaction",
        help="Each .sql file runs inside one transaction (as flyway, golang-migrate, sqlx "
        "and most runners do; psql -f does not).",
    ),
]
ListRulesOption = Annotated[
    bool, typer.Option("--list-rules", help="List the rules with their severity and stop.")
]
LintFormatOption = Annotated[
    LintFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
]


def lint(
    paths: PathsArgument = None,
    rule: RuleOption = None,
    exclude: ExcludeOption = None,
    catalog: CatalogOption = None,
    assume_in_transaction: InTransactionOption = False,
    list_rules: ListRulesOption = False,
    fmt: LintFormatOption = LintFormat.text,
) -> None:
    """Find unsafe DDL in .sql migrations and alembic revisions before it runs.

    Prints `path:line:col: rule-id message` per finding. A suppression comment
    `-- plinto-db: ignore[rule-id]` (`#` in Python) silences one statement.
    Exit codes: 0 no findings; 1 findings; 2 bad input (no such path, unknown rule id).
    """
    from plinto_db.lint.run import LintRequest
    from plinto_db.lint.run import lint as run_lint
    from plinto_db.report import lint as render

    if list_rules:
        _list_rules(fmt)
        return
    if not paths:
        raise UserError("name the .sql files, alembic revisions or folders to lint")
    request = LintRequest(
        paths=tuple(paths),
        only=tuple(rule or ()),
        exclude=tuple(exclude or ()),
        catalogs=tuple(catalog or ()),
        assume_in_transaction=assume_in_transaction,
    )
    outcome = run_lint(request)
    if fmt == LintFormat.json:
        report.print_json(render.json_document(outcome))
    elif fmt == LintFormat.sarif:
        report.print_json(render.sarif_document(outcome))
    else:
        render.print_text(outcome)
    raise typer.Exit(int(outcome.exit_code))


def _list_rules(fmt: LintFormat) -> None:
    from plinto_db.lint.rules import RULES
    from plinto_db.report.lint import print_rules

    if fmt == LintFormat.text:
        print_rules(RULES)
    else:
        report.print_json(
            [{"id": r.id, "severity": str(r.severity), "summary": r.summary} for r in RULES]
        )
    raise typer.Exit(int(ExitCode.OK))


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
