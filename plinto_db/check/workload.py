"""The workload: one representative query per `.sql` file, with a header saying what must hold.

A check file is plain SQL with `$1`-style parameters. Its leading comment lines form the
header; a header line `-- key: value` is a directive, any other comment line is description:

    -- Sign-in: look up an active user by email.
    -- expect: any-of idx_users_email_status, ix_users_email
    -- params: 'user1@example.com'
    SELECT * FROM users WHERE email = $1 AND status = 'active';

Directives: `expect:` (repeatable; every one must hold), `params:` (SQL literals or
expressions, one per parameter, comma separated), `sample:` (a query whose first row gives the
parameter values, so the planner sees real selectivity), `source:` (free text: where the real
query lives). A directive's value may continue on following lines that start with `--` and
at least two spaces. Nothing here connects to a database: `check`, `bench` and the companion
API all read the workload through `load_workload`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from plinto_db.check.sqltext import param_count, split_params, strip_statement
from plinto_db.errors import UserError
from plinto_db.pg.facts import QName
from plinto_db.pg.identifiers import name_parts, quote_ident
from plinto_db.pg.sqlfile import read_sql_text

__all__ = [
    "Check",
    "ExpectKind",
    "Expectation",
    "load_check",
    "load_workload",
    "param_count",
    "parse_check",
    "parse_expectation",
    "split_params",
]


class ExpectKind(StrEnum):
    INDEX = "index"
    ANY_OF = "any-of"
    INDEX_ON = "index-on"
    NO_SEQSCAN = "no-seqscan"
    SEQSCAN = "seqscan"  # a known gap: documents that the plan reads the table sequentially


@dataclass(frozen=True)
class Expectation:
    kind: ExpectKind
    # index names (index, any-of) or one table name (index-on, no-seqscan), as PostgreSQL reads
    # them (`Shop.Users` is shop.users, `"Shop".users` is Shop.users, each part cut to 63
    # bytes): (schema, name), schema None when the header does not qualify the name
    names: tuple[QName, ...]
    line: int
    written: tuple[str, ...]  # each target as the header wrote it
    shown: tuple[str, ...]  # each target quoted where PostgreSQL needs quotes

    @property
    def targets(self) -> tuple[str, ...]:
        """Each name unquoted, `schema.name` when qualified (what JSON shows)."""
        return tuple(f"{schema}.{name}" if schema else name for schema, name in self.names)

    def describe(self) -> str:
        return f"{self.kind.value} {', '.join(self.shown)}"

    @property
    def names_indexes(self) -> bool:
        return self.kind in (ExpectKind.INDEX, ExpectKind.ANY_OF)


@dataclass(frozen=True)
class Check:
    name: str  # the file name without .sql
    file: Path
    sql: str  # the statement, without its trailing semicolon
    sql_line: int  # line of the statement's first line in the file
    expectations: tuple[Expectation, ...]
    param_count: int  # highest $n in the statement
    params: tuple[str, ...] | None  # SQL expressions, one per parameter
    params_line: int | None
    sample: str | None  # a query whose first row supplies the parameters
    sample_line: int | None
    description: str
    source: str | None

    @property
    def line(self) -> int:
        """Where a finding about the check as a whole points: its first expectation."""
        return self.expectations[0].line if self.expectations else self.sql_line

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def has_values(self) -> bool:
        return self.param_count == 0 or self.params is not None or self.sample is not None

    def describe_expected(self) -> str:
        return "; ".join(e.describe() for e in self.expectations)

    def tables(self) -> tuple[QName, ...]:
        return tuple(e.names[0] for e in self.expectations if not e.names_indexes and e.names)

    def indexes(self) -> tuple[QName, ...]:
        return tuple(n for e in self.expectations if e.names_indexes for n in e.names)

    def index_names(self) -> tuple[str, ...]:
        """The indexes as JSON shows them (`schema.name` when qualified)."""
        return tuple(n for e in self.expectations if e.names_indexes for n in e.targets)


DIRECTIVES = ("expect", "params", "sample", "source")
_DIRECTIVE = re.compile(r"^--\s*([a-z][a-z_-]*)\s*:\s?(.*)$")
_ANY_CASE_DIRECTIVE = re.compile(r"^--\s*([A-Za-z][A-Za-z_-]*)\s*:\s?(.*)$")
# capitalised keys that can only be a directive (`-- Source: ...` may well be prose)
_SHOUTED = {"expect", "expects", "params", "sample"}
# `-- expect index foo`: a directive that lost its colon, not prose
_NO_COLON = re.compile(
    r"^--\s*expect\s+(?:index|any-of|index-on|no-seqscan|seqscan)\s+\S", re.IGNORECASE
)
_CONTINUATION = re.compile(r"^--\s{2,}(\S.*)$")


def load_workload(path: Path) -> tuple[Check, ...]:
    """Every check under `path` (a folder of .sql files, or one file), in file-name order."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.sql") if p.is_file())
        if not files:
            raise UserError(f"{path}: no .sql check files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise UserError(f"{path}: no such file or folder")
    checks = tuple(load_check(f) for f in files)
    seen: dict[str, Path] = {}
    for check in checks:
        if check.name in seen:
            raise UserError(f"{check.file}:1: check name {check.name!r} repeats {seen[check.name]}")
        seen[check.name] = check.file
    return checks


def load_check(file: Path) -> Check:
    text = read_sql_text(file)
    return parse_check(text, file)


def parse_check(text: str, file: Path) -> Check:
    lines = text.splitlines()
    header: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("--"):
            break
        header.append((index + 1, stripped))
        index += 1
    if index == len(lines):
        raise UserError(f"{file}:{len(lines) or 1}: no SQL statement after the header")
    sql_line = index + 1
    statement = strip_statement("\n".join(lines[index:]), file, sql_line)

    directives, description = _read_header(header, file)
    expectations = tuple(
        parse_expectation(value, file, line) for key, value, line in directives if key == "expect"
    )
    if not expectations:
        raise UserError(
            f"{file}:1: no `-- expect:` line (forms: index NAME | any-of NAME, NAME | "
            "index-on TABLE | no-seqscan TABLE | seqscan TABLE)"
        )
    params, params_line = _single(directives, "params", file)
    sample, sample_line = _single(directives, "sample", file)
    source, _ = _single(directives, "source", file)
    count = param_count(statement)
    param_values: tuple[str, ...] | None = None
    if params is not None and sample is not None:
        raise UserError(f"{file}:{sample_line}: give either `params:` or `sample:`, not both")
    if (params is not None or sample is not None) and count == 0:
        line = params_line or sample_line
        raise UserError(f"{file}:{line}: parameter values given, but the query has no $1")
    if params is not None:
        assert params_line is not None
        param_values = split_params(params, file, params_line)
        if len(param_values) != count:
            raise UserError(
                f"{file}:{params_line}: {len(param_values)} parameter value(s) for a query "
                f"that uses {count} ($1..${count})"
            )
    if sample is not None and not sample.strip():
        raise UserError(f"{file}:{sample_line}: empty `sample:` query")
    return Check(
        name=file.stem,
        file=file,
        sql=statement,
        sql_line=sql_line,
        expectations=expectations,
        param_count=count,
        params=param_values,
        params_line=params_line,
        sample=sample.strip().rstrip(";").strip() if sample is not None else None,
        sample_line=sample_line,
        description=" ".join(description).strip(),
        source=source,
    )


def _read_header(
    header: list[tuple[int, str]], file: Path
) -> tuple[list[tuple[str, str, int]], list[str]]:
    directives: list[tuple[str, str, int]] = []
    description: list[str] = []
    continuing = False  # the previous header line was a directive (or its continuation)
    for line_no, text in header:
        if not text or text == "--":
            continuing = False
            continue
        match = _DIRECTIVE.match(text)
        if match and match.group(1) in DIRECTIVES:
            directives.append((match.group(1), match.group(2).strip(), line_no))
            continuing = True
            continue
        continuation = _CONTINUATION.match(text)
        if continuation and continuing:
            key, value, first = directives[-1]
            directives[-1] = (key, f"{value} {continuation.group(1).strip()}", first)
            continue
        continuing = False
        if not match and _NO_COLON.match(text):
            raise UserError(
                f"{file}:{line_no}: `expect` without a colon (write `-- expect: ...`), "
                "or it would be read as description"
            )
        loud = _ANY_CASE_DIRECTIVE.match(text)
        if not match and loud and loud.group(1).lower() in _SHOUTED:
            raise UserError(
                f"{file}:{line_no}: header directive {loud.group(1)!r} must be lower case "
                f"(`{loud.group(1).lower()}:`), or it would be read as description"
            )
        if match and ("-" in match.group(1) or match.group(1) in _NEAR_MISSES):
            raise UserError(
                f"{file}:{line_no}: unknown header directive {match.group(1)!r} "
                f"(known: {', '.join(DIRECTIVES)})"
            )
        description.append(text.lstrip("-").strip())
    return directives, description


# lower-case keys that look like a mistyped directive rather than prose ("Note: ..." stays prose)
_NEAR_MISSES = {
    "expects",
    "expected",
    "expectation",
    "expect_index",
    "param",
    "parameters",
    "samples",
    "index",
    "mode",
    "modes",
}


def _single(
    directives: list[tuple[str, str, int]], key: str, file: Path
) -> tuple[str | None, int | None]:
    found = [(value, line) for k, value, line in directives if k == key]
    if len(found) > 1:
        raise UserError(f"{file}:{found[1][1]}: `{key}:` given twice (first on line {found[0][1]})")
    return found[0] if found else (None, None)


def parse_expectation(value: str, file: Path, line: int) -> Expectation:
    """`index NAME`, `any-of NAME, NAME`, `index-on TABLE`, `no-seqscan TABLE`, `seqscan TABLE`."""
    kind_text, _, rest = value.strip().partition(" ")
    try:
        kind = ExpectKind(kind_text.strip().lower())
    except ValueError:
        raise UserError(
            f"{file}:{line}: unknown expectation {kind_text!r} (forms: index NAME | "
            "any-of NAME, NAME | index-on TABLE | no-seqscan TABLE | seqscan TABLE)"
        ) from None
    targets = tuple(t.strip() for t in rest.split(",")) if rest.strip() else ()
    if not targets or any(not t for t in targets):
        raise UserError(f"{file}:{line}: `{kind.value}` needs a name after it")
    names = []
    for target in targets:
        parts = _identifier_parts(target)
        if parts is None:
            raise UserError(f"{file}:{line}: {target!r} is not an index or table name")
        names.append(parts)
    if kind is not ExpectKind.ANY_OF and len(targets) > 1:
        hint = " (use any-of for alternatives)" if kind is ExpectKind.INDEX else ""
        raise UserError(f"{file}:{line}: `{kind.value}` takes exactly one name{hint}")
    if kind is ExpectKind.ANY_OF and len(targets) < 2:
        raise UserError(f"{file}:{line}: `any-of` needs at least two names (or use `index`)")
    return Expectation(
        kind=kind,
        names=tuple(
            (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0]) for parts in names
        ),
        line=line,
        written=targets,
        shown=tuple(".".join(quote_ident(part) for part in parts) for parts in names),
    )


def _identifier_parts(text: str) -> tuple[str, ...] | None:
    """`name` or `schema.name` as PostgreSQL reads it; None when `text` is not such a name."""
    parts = name_parts(text)
    return parts if parts and len(parts) <= 2 else None
