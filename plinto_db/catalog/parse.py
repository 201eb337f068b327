"""Reading an index catalog: CREATE INDEX statements in .sql files, parsed into frozen facts.

Nothing here connects to a database. Every error names `file:line` and what was expected.
A statement may be written with or without CONCURRENTLY and IF NOT EXISTS: the catalog
describes *what* index should exist; how it is built is the executor's business.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from plinto_db.catalog.source import source_parts, without_nulls_distinct
from plinto_db.catalog.spec import IndexKey, IndexSpec
from plinto_db.errors import UserError
from plinto_db.pg.grammar import grammar_error
from plinto_db.pg.identifiers import MAX_IDENTIFIER_BYTES, quote_ident, truncated
from plinto_db.pg.sqlfile import read_sql_text


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
    on_only: list[str] = []
    for file in files:
        for spec in parse_file(file, on_only):
            first = seen.get(spec.name)
            if first is not None:  # --only, status and the plan know an index by its name
                raise UserError(
                    f"{spec.location}: index {spec.name!r} is defined twice "
                    f"(first at {first.location}); catalog index names must be unique, "
                    "even on tables in different schemas"
                )
            seen[spec.name] = spec
            specs.append(spec)
    if on_only:
        raise UserError("; ".join(on_only))
    if not specs:
        raise UserError(f"{path}: no CREATE INDEX statements found")
    return tuple(specs)


def parse_file(file: Path, on_only: list[str] | None = None) -> list[IndexSpec]:
    """The file's indexes. A statement written `ON ONLY` is refused; with `on_only`, its
    refusal is collected there (every such statement is named in one run) and it is left
    out."""
    text = read_sql_text(file)
    specs = []
    for sql, line, column, through in split_statements(text, file):
        refusal = on_only_refusal(sql, f"{file}:{line}")
        if refusal is None:
            specs.append(parse_statement(sql, file, line, column, through))
        elif on_only is None:
            raise UserError(refusal)
        else:
            on_only.append(refusal)
    return specs


def on_only_refusal(text: str, where_at: str) -> str | None:
    """`CREATE INDEX ... ON ONLY parent` describes one step of building a partitioned index,
    not the index: the catalog names the index, apply plans the steps (P1)."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        kinds = [t.token_type for t in Postgres().tokenize(text)]
    except TokenError:
        return None
    if kinds[:1] != [TokenType.CREATE] or TokenType.INDEX not in kinds[:4]:
        return None
    pairs = zip(kinds, kinds[1:], strict=False)
    if (TokenType.ON, TokenType.ONLY) not in pairs:
        return None
    return (
        f"{where_at}: ON ONLY is not written in a catalog: write the ordinary form "
        "(CREATE INDEX CONCURRENTLY name ON parent (...)); on a partitioned table apply "
        "creates the ON ONLY parent index, builds each partition's index and attaches it"
    )


def split_statements(text: str, file: Path) -> list[tuple[str, int, int, str]]:
    """(statement text, line and column of its first token, and its text through its `;`)
    for each ;-separated statement."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError as exc:
        raise _syntax_error(text, file, 1, 1, fallback=f"cannot read SQL: {exc}") from None
    statements: list[tuple[str, int, int, str]] = []
    current: list = []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                first, last = current[0], current[-1]
                column = first.start - text.rfind("\n", 0, first.start)
                end = token.end + 1 if token is not None else last.end + 1
                statement = text[first.start : last.end + 1]
                statements.append((statement, first.line, column, text[first.start : end]))
            current = []
        else:
            current.append(token)
    return statements


def parse_statement(
    text: str, file: Path, line: int, column: int = 1, through: str | None = None
) -> IndexSpec:
    """One CREATE INDEX statement (its first token at `line`:`column` of `file`; `through`:
    its text through its `;`, where a syntax error is placed)."""
    from sqlglot import exp

    where_at = f"{file}:{line}"
    source = text
    tree = _parse_create_index(text, file, line, column, through or text + ";")
    text, nulls_not_distinct = without_nulls_distinct(text)
    index = tree.this
    name = _index_name(index.this, where_at)
    table_node = index.args.get("table")
    if not isinstance(table_node, exp.Table) or table_node.args.get("catalog"):
        raise UserError(f"{where_at}: expected ON [schema.]table, found: {_snippet(text)}")
    params = index.args.get("params")
    columns = params.args.get("columns") if params else None
    if not columns:
        raise UserError(f"{where_at}: index {name!r} has no key columns")
    keys, where = _keys_and_predicate(text, params, where_at)
    using = params.args.get("using")
    tablespace = params.args.get("tablespace")
    schema_node = table_node.args.get("db")
    return IndexSpec(
        name=name,
        schema=_ident(schema_node) if schema_node is not None else None,
        table=_ident(table_node.this),
        unique=bool(tree.args.get("unique")),
        method=(using.name if using is not None else "btree").lower(),
        keys=keys,
        where=where,
        file=file,
        line=line,
        include=tuple(_include_name(n, where_at) for n in (params.args.get("include") or [])),
        with_options=tuple(
            (prop.this.name.lower(), prop.args["value"].sql(dialect="postgres"))
            for prop in (params.args.get("with_storage") or [])
            if isinstance(prop, exp.Property)
        ),
        tablespace=_ident(tablespace) if tablespace is not None else None,
        source=source,
        nulls_not_distinct=nulls_not_distinct,
    )


def _parse_create_index(text: str, file: Path, line: int, column: int, through: str):
    """sqlglot's tree of a CREATE INDEX statement; anything else is a UserError. A syntax
    error is judged on `through`, the text with its `;`: "near ;", not "at end of input"."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    where_at = f"{file}:{line}"
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        tree = sqlglot.parse_one(without_nulls_distinct(text)[0], read="postgres")
    except ParseError:
        unsupported = f"unsupported CREATE INDEX syntax: {_snippet(text)}"
        raise _syntax_error(through, file, line, column, fallback=unsupported) from None
    if isinstance(tree, exp.Command):
        head = " ".join(text.split()[:3]).upper()
        if head.startswith("CREATE") and " INDEX" in f" {head}":
            raise UserError(f"{where_at}: unsupported CREATE INDEX syntax: {_snippet(text)}")
    is_index = isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "INDEX"
    if not is_index or not isinstance(tree.this, exp.Index):
        raise UserError(f"{where_at}: expected CREATE INDEX, found: {_snippet(text)}")
    return tree


def _index_name(node, where_at: str) -> str:
    from sqlglot import exp

    if not isinstance(node, exp.Identifier) or not node.this:
        raise UserError(
            f"{where_at}: the index has no name; the catalog needs an explicit name "
            "to know whether it exists"
        )
    name = _ident(node)
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        kept = truncated(name)
        raise UserError(
            f"{where_at}: index name {name!r} is {len(name.encode())} bytes; PostgreSQL keeps "
            f"only {MAX_IDENTIFIER_BYTES} (it would create {kept!r}, which the catalog would "
            "never find): use a name of at most 63 bytes"
        )
    return name


def _keys_and_predicate(
    text: str, params, where_at: str
) -> tuple[tuple[IndexKey, ...], str | None]:
    """The keys and the WHERE predicate, expressions kept as written.

    sqlglot's rendering is not always the same SQL for PostgreSQL (date_part(...) becomes
    EXTRACT(...), strpos(...) becomes POSITION(...), 'day' becomes 'DAY'), and an index
    expression that is not the one the queries use is never chosen by the planner.
    """
    keys = tuple(_key(node, where_at) for node in params.args.get("columns"))
    where_node = params.args.get("where")
    where = where_node.this.sql(dialect="postgres") if where_node is not None else None
    key_texts, where_text = source_parts(text)
    if len(key_texts) == len(keys):
        keys = tuple(
            replace(key, expression=written) if key.is_expression and written else key
            for key, written in zip(keys, key_texts, strict=True)
        )
    if where is not None and where_text:
        where = where_text
    return keys, where


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


def _syntax_error(text: str, file: Path, line: int, column: int, *, fallback: str) -> UserError:
    """PostgreSQL's own words and position for a statement sqlglot could not read (`text`
    starts at `line`:`column` of `file`); `fallback` where PostgreSQL's grammar accepts it."""
    error = grammar_error(text)
    if error is None:
        return UserError(f"{file}:{line}: {fallback}")
    before = text[: error.offset]
    at_line = line + before.count("\n")
    at_column = (column if "\n" not in before else 1) + len(before.rsplit("\n", 1)[-1])
    return UserError(f"{file}:{at_line}:{at_column}: {error.message}")
