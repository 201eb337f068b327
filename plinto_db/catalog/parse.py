"""Reading an index catalog: CREATE INDEX statements in .sql files, parsed into frozen facts.

Nothing here connects to a database. Every error names `file:line` and what was expected.
A statement may be written with or without CONCURRENTLY and IF NOT EXISTS: the catalog
describes *what* index should exist; how it is built is the executor's business.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.pg.sqlfile import read_sql_text

# Words PostgreSQL reserves (cannot be a bare column/table/index name): these get quoted.
_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric
    system_user table tablesample then to trailing true union unique user using variadic verbose
    when where window with""".split()
)
MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names
_SIMPLE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_ident(name: str) -> str:
    """An identifier as PostgreSQL reads it back: bare when that is unambiguous, else quoted."""
    if _SIMPLE_IDENT.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class IndexKey:
    """One key (or INCLUDE) element: a column or an expression, with its modifiers."""

    expression: str  # a quoted column name, or the expression's SQL (without parentheses)
    column: str | None = None  # the column name when the key is a plain column
    opclass: str | None = None
    collation: str | None = None  # as written, quoted if it was quoted
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the ordering

    @property
    def is_expression(self) -> bool:
        return self.column is None

    def sql(self) -> str:
        text = self.expression if self.column is not None else f"({self.expression})"
        if self.collation:
            text += f" COLLATE {self.collation}"
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
            if self.nulls_first is False:
                text += " NULLS LAST"
        elif self.nulls_first:
            text += " NULLS FIRST"
        return text


@dataclass(frozen=True)
class IndexSpec:
    """One index the catalog asks for."""

    name: str
    schema: str | None
    table: str
    unique: bool
    method: str
    keys: tuple[IndexKey, ...]
    where: str | None
    file: Path
    line: int
    include: tuple[str, ...] = ()
    with_options: tuple[tuple[str, str], ...] = ()
    tablespace: str | None = None
    source: str = field(default="", compare=False)  # the statement as written
    nulls_not_distinct: bool = False  # UNIQUE ... NULLS NOT DISTINCT (PostgreSQL 15+)

    @property
    def qualified_table(self) -> str:
        table = quote_ident(self.table)
        return f"{quote_ident(self.schema)}.{table}" if self.schema else table

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def has_expression(self) -> bool:
        return any(key.is_expression for key in self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        """Plain columns named by keys and INCLUDE (expressions are checked by the server)."""
        named = [key.column for key in self.keys if key.column is not None]
        return tuple(dict.fromkeys([*named, *self.include]))

    def create_sql(
        self,
        concurrently: bool = True,
        *,
        name: str | None = None,
        table: str | None = None,
        tablespace: bool | None = None,
    ) -> str:
        """One CREATE INDEX statement (never IF NOT EXISTS: existence is decided by the planner).

        `name` and `table` (already quoted/qualified) override the catalog's, for temporary
        builds and for normalising the definition on a scratch table. The catalog's
        TABLESPACE is written when `tablespace` is true (default: only without a `table`
        override, as a scratch table's index goes to the default tablespace).
        """
        parts = ["CREATE"]
        if self.unique:
            parts.append("UNIQUE")
        parts.append("INDEX")
        if concurrently:
            parts.append("CONCURRENTLY")
        parts.append(quote_ident(name or self.name))
        parts.append("ON")
        parts.append(table or self.qualified_table)
        parts.append(f"USING {self.method}")
        text = " ".join(parts) + " (" + ", ".join(key.sql() for key in self.keys) + ")"
        if self.include:
            text += " INCLUDE (" + ", ".join(quote_ident(c) for c in self.include) + ")"
        if self.nulls_not_distinct:
            text += " NULLS NOT DISTINCT"
        if self.with_options:
            text += " WITH (" + ", ".join(f"{k} = {v}" for k, v in self.with_options) + ")"
        if tablespace is None:
            tablespace = table is None
        if self.tablespace and tablespace:
            text += f" TABLESPACE {quote_ident(self.tablespace)}"
        if self.where:
            text += f" WHERE {self.where}"
        return text

    def renamed(self, name: str) -> IndexSpec:
        return replace(self, name=name)


def load_catalog(path: Path) -> tuple[IndexSpec, ...]:
    """Every CREATE INDEX statement in `path` (a folder of .sql files, or one .sql file).

    Files are read in name order. Raises UserError("file:line: ...") on the first problem:
    unreadable file, unparseable SQL, a statement that is not CREATE INDEX, an unnamed index,
    a name used twice, an empty catalog.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".sql" and p.is_file())
        if not files:
            raise UserError(f"{path}: no .sql files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise UserError(f"{path}: no such file or folder")

    specs: list[IndexSpec] = []
    seen: dict[str, IndexSpec] = {}
    for file in files:
        for spec in parse_file(file):
            first = seen.get(spec.name)
            if first is not None:  # --only, status and the plan know an index by its name
                raise UserError(
                    f"{spec.location}: index {spec.name!r} is defined twice "
                    f"(first at {first.location}); catalog index names must be unique, "
                    "even on tables in different schemas"
                )
            seen[spec.name] = spec
            specs.append(spec)
    if not specs:
        raise UserError(f"{path}: no CREATE INDEX statements found")
    return tuple(specs)


def parse_file(file: Path) -> list[IndexSpec]:
    text = read_sql_text(file)
    return [parse_statement(sql, file, line) for sql, line in split_statements(text, file)]


def split_statements(text: str, file: Path) -> list[tuple[str, int]]:
    """(statement text, line of its first token) for each ;-separated statement."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError as exc:
        raise UserError(f"{file}:{_error_line(text, str(exc))}: cannot read SQL: {exc}") from None
    statements: list[tuple[str, int]] = []
    current: list = []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                first, last = current[0], current[-1]
                statements.append((text[first.start : last.end + 1], first.line))
            current = []
        else:
            current.append(token)
    return statements


def parse_statement(text: str, file: Path, line: int) -> IndexSpec:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    where_at = f"{file}:{line}"
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    source = text
    text, nulls_not_distinct = _without_nulls_distinct(text)
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except ParseError as exc:
        errors = exc.errors or [{}]
        err_line = line + max(int(errors[0].get("line") or 1) - 1, 0)
        desc = errors[0].get("description") or str(exc).splitlines()[0]
        raise UserError(f"{file}:{err_line}: cannot parse SQL: {desc}") from None

    if isinstance(tree, exp.Command):
        head = " ".join(text.split()[:3]).upper()
        if head.startswith("CREATE") and " INDEX" in f" {head}":
            raise UserError(f"{where_at}: unsupported CREATE INDEX syntax: {_snippet(text)}")
        raise UserError(f"{where_at}: expected CREATE INDEX, found: {_snippet(text)}")
    if not isinstance(tree, exp.Create) or str(tree.args.get("kind", "")).upper() != "INDEX":
        raise UserError(f"{where_at}: expected CREATE INDEX, found: {_snippet(text)}")

    index = tree.this
    if not isinstance(index, exp.Index):
        raise UserError(f"{where_at}: expected CREATE INDEX, found: {_snippet(text)}")
    name_node = index.this
    if not isinstance(name_node, exp.Identifier) or not name_node.this:
        raise UserError(
            f"{where_at}: the index has no name; the catalog needs an explicit name "
            "to know whether it exists"
        )
    name = _ident(name_node)
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        kept = name.encode()[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
        raise UserError(
            f"{where_at}: index name {name!r} is {len(name.encode())} bytes; PostgreSQL keeps "
            f"only {MAX_IDENTIFIER_BYTES} (it would create {kept!r}, which the catalog would "
            "never find): use a name of at most 63 bytes"
        )
    table_node = index.args.get("table")
    if not isinstance(table_node, exp.Table) or table_node.args.get("catalog"):
        raise UserError(f"{where_at}: expected ON [schema.]table, found: {_snippet(text)}")
    params = index.args.get("params")
    columns = params.args.get("columns") if params else None
    if not columns:
        raise UserError(f"{where_at}: index {_ident(name_node)!r} has no key columns")

    keys = tuple(_key(node, where_at) for node in columns)
    include = tuple(_include_name(node, where_at) for node in (params.args.get("include") or []))
    where_node = params.args.get("where")
    where = where_node.this.sql(dialect="postgres") if where_node is not None else None
    # Expressions and the predicate are kept as written: sqlglot's rendering is not always
    # the same SQL for PostgreSQL (date_part(...) becomes EXTRACT(...), strpos(...) becomes
    # POSITION(...), 'day' becomes 'DAY'), and an index expression that is not the one the
    # queries use is never chosen by the planner.
    key_texts, where_text = _source_parts(text)
    if len(key_texts) == len(keys):
        keys = tuple(
            replace(key, expression=written) if key.is_expression and written else key
            for key, written in zip(keys, key_texts, strict=True)
        )
    if where is not None and where_text:
        where = where_text
    using = params.args.get("using")
    method = (using.name if using is not None else "btree").lower()
    with_options = tuple(
        (prop.this.name.lower(), prop.args["value"].sql(dialect="postgres"))
        for prop in (params.args.get("with_storage") or [])
        if isinstance(prop, exp.Property)
    )
    tablespace = params.args.get("tablespace")
    schema_node = table_node.args.get("db")
    return IndexSpec(
        name=_ident(name_node),
        schema=_ident(schema_node) if schema_node is not None else None,
        table=_ident(table_node.this),
        unique=bool(tree.args.get("unique")),
        method=method,
        keys=keys,
        where=where,
        file=file,
        line=line,
        include=include,
        with_options=with_options,
        tablespace=_ident(tablespace) if tablespace is not None else None,
        source=source,
        nulls_not_distinct=nulls_not_distinct,
    )


def _without_nulls_distinct(text: str) -> tuple[str, bool]:
    """Take `NULLS [NOT] DISTINCT` (after the key list, PostgreSQL 15+) out of the
    statement, which sqlglot cannot parse: (the rest, whether it was NOT DISTINCT)."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError:
        return text, False
    depth = 0
    for i, token in enumerate(tokens):
        kind = token.token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth or token.text.upper() != "NULLS" or i == 0:
            continue
        if tokens[i - 1].token_type != TokenType.R_PAREN:
            continue  # `NULLS FIRST` inside a key is at depth 1 anyway; be strict here
        rest = [t.token_type for t in tokens[i + 1 : i + 3]]
        if rest[:2] == [TokenType.NOT, TokenType.DISTINCT]:
            end = tokens[i + 2].end
            return text[: token.start] + " " * (end + 1 - token.start) + text[end + 1 :], True
        if rest[:1] == [TokenType.DISTINCT]:
            end = tokens[i + 1].end
            return text[: token.start] + " " * (end + 1 - token.start) + text[end + 1 :], False
    return text, False


def _source_parts(text: str) -> tuple[list[str | None], str | None]:
    """The source text of each key's expression (None when it cannot be told) and of the
    WHERE predicate, found by tokens so string literals and comments stay intact."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError:
        return [], None
    opening, closing = TokenType.L_PAREN, TokenType.R_PAREN
    pos = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.ON), None)
    if pos is None:
        return [], None
    start = next((i for i in range(pos, len(tokens)) if tokens[i].token_type == opening), None)
    if start is None:
        return [], None
    elements: list[list] = [[]]
    depth = 0
    end = None
    for i in range(start, len(tokens)):
        kind = tokens[i].token_type
        if kind == opening:
            depth += 1
            if depth == 1:
                continue
        elif kind == closing:
            depth -= 1
            if depth == 0:
                end = i
                break
        elif kind == TokenType.COMMA and depth == 1:
            elements.append([])
            continue
        elements[-1].append(tokens[i])
    if end is None:
        return [], None
    keys = [_expression_text(text, element) for element in elements]
    where = None
    depth = 0
    for i in range(end + 1, len(tokens)):
        kind = tokens[i].token_type
        depth += (kind == opening) - (kind == closing)
        if depth == 0 and kind == TokenType.WHERE and i + 1 < len(tokens):
            where = text[tokens[i + 1].start : tokens[-1].end + 1].strip()
            break
    return keys, where


def _expression_text(text: str, element: list) -> str | None:
    """`(expr) opclass DESC` -> `expr`; `f(x) DESC` -> `f(x)`; None without parentheses."""
    from sqlglot.tokens import TokenType

    first = next((i for i, t in enumerate(element) if t.token_type == TokenType.L_PAREN), None)
    if first is None:
        return None
    depth = 0
    for i in range(first, len(element)):
        kind = element[i].token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth == 0:
            if first == 0:
                if i == 1:
                    return None
                return text[element[1].start : element[i - 1].end + 1].strip()
            return text[element[0].start : element[i].end + 1].strip()
    return None


def _key(node, where_at: str) -> IndexKey:
    from sqlglot import exp

    ordered = node if isinstance(node, exp.Ordered) else None
    inner = node.this if ordered is not None else node
    opclass = None
    collation = None
    if isinstance(inner, exp.Opclass):
        opclass = inner.expression.sql(dialect="postgres")
        inner = inner.this
    if isinstance(inner, exp.Collate):
        collation = inner.expression.sql(dialect="postgres")
        inner = inner.this
    descending = bool(ordered.args.get("desc")) if ordered is not None else False
    nulls_first = ordered.args.get("nulls_first") if ordered is not None else None
    # store only a deviation from the default (ASC NULLS LAST, DESC NULLS FIRST)
    nulls = None if nulls_first is None or bool(nulls_first) == descending else bool(nulls_first)
    if isinstance(inner, exp.Column) and not inner.table:
        column = _ident(inner.this)
        return IndexKey(quote_ident(column), column, opclass, collation, descending, nulls)
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Column) and not inner.table:
        column = _ident(inner.this)
        return IndexKey(quote_ident(column), column, opclass, collation, descending, nulls)
    if inner is None:
        raise UserError(f"{where_at}: cannot read an index key")
    return IndexKey(inner.sql(dialect="postgres"), None, opclass, collation, descending, nulls)


def _include_name(node, where_at: str) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Identifier):
        return _ident(node)
    if isinstance(node, exp.Column) and not node.table:
        return _ident(node.this)
    raise UserError(f"{where_at}: INCLUDE accepts column names only")


def _ident(node) -> str:
    """The name PostgreSQL stores: unquoted identifiers fold to lower case."""
    text = node.this if hasattr(node, "this") else str(node)
    return text if node.args.get("quoted") else text.lower()


def _snippet(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _error_line(text: str, message: str) -> int:
    match = re.search(r"[Ll]ine:? (\d+)", message)
    return int(match.group(1)) if match else 1
