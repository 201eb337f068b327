"""Reading an index predicate structurally, from its pg_node_tree text (pg_index.indpred).

The text is PostgreSQL's nodeToString output: `{NODE :field value ...}`, lists `( ... )`,
and plain tokens. Doctor only needs the predicate's top-level AND terms and, for each, which
column it tests: `col IS NOT NULL`, `col = constant`, a boolean column, `NOT col`, `col IS
TRUE/FALSE`, `col IS NULL`. Anything else is left alone. Pure: no server, no psycopg.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_TOKEN = re.compile(r"[{}()]|(?:\\.|[^\s{}()\\])+")

Node = dict[str, Any]


class TermKind(StrEnum):
    NOT_NULL = "not_null"  # col IS NOT NULL
    PINNED = "pinned"  # col = constant, col, NOT col, col IS TRUE/FALSE, col IS NULL
    OTHER = "other"


@dataclass(frozen=True)
class Term:
    kind: TermKind
    attnum: int | None  # the table column the term tests, when it tests one


def parse(text: str) -> Any:
    """The tree as nested dicts (nodes, with "_" = the node name), lists and str tokens."""
    tokens = _TOKEN.findall(text)
    value, end = _value(tokens, 0)
    if end != len(tokens):
        raise ValueError(f"unexpected {tokens[end]!r} after the node tree")
    return value


def _value(tokens: list[str], at: int) -> tuple[Any, int]:
    token = tokens[at]
    if token == "{":
        return _node(tokens, at + 1)
    if token == "(":
        items: list[Any] = []
        at += 1
        while tokens[at] != ")":
            item, at = _value(tokens, at)
            items.append(item)
        return items, at + 1
    return token, at + 1


def _node(tokens: list[str], at: int) -> tuple[Node, int]:
    node: Node = {"_": tokens[at]}
    at += 1
    while tokens[at] != "}":
        field = tokens[at]
        if not field.startswith(":"):
            raise ValueError(f"expected a :field in {node['_']}, got {field!r}")
        at += 1
        values: list[Any] = []
        while tokens[at] != "}" and not tokens[at].startswith(":"):
            value, at = _value(tokens, at)
            values.append(value)
        node[field[1:]] = values[0] if len(values) == 1 else values
    return node, at + 1


def conjuncts(tree: Any) -> tuple[Any, ...]:
    """The top-level AND terms of a predicate (an implicit-AND list is accepted too)."""
    if isinstance(tree, list):
        return tuple(term for item in tree for term in conjuncts(item))
    if isinstance(tree, dict) and tree.get("_") == "BOOLEXPR" and tree.get("boolop") == "and":
        return tuple(term for arg in _list(tree.get("args")) for term in conjuncts(arg))
    return (tree,)


def column(node: Any) -> int | None:
    """The table column a node reads (through binary-compatible casts), else None."""
    while isinstance(node, dict) and node.get("_") == "RELABELTYPE":
        node = node.get("arg")
    if isinstance(node, dict) and node.get("_") == "VAR" and node.get("varlevelsup") == "0":
        attnum = int(node.get("varattno", "0"))
        return attnum if attnum > 0 else None
    return None


def classify(term: Any, equality_operators: frozenset[int]) -> Term:
    if not isinstance(term, dict):
        return Term(TermKind.OTHER, None)
    name = term.get("_")
    if name == "NULLTEST" and term.get("argisrow") != "true":
        attnum = column(term.get("arg"))
        if attnum is not None:
            kind = TermKind.NOT_NULL if term.get("nulltesttype") == "1" else TermKind.PINNED
            return Term(kind, attnum)
    elif name == "VAR":
        if column(term) is not None:
            return Term(TermKind.PINNED, column(term))  # a boolean column: col = true
    elif name == "BOOLEXPR" and term.get("boolop") == "not":
        args = _list(term.get("args"))
        if len(args) == 1 and column(args[0]) is not None:
            return Term(TermKind.PINNED, column(args[0]))
    elif name == "BOOLEANTEST" and term.get("booltesttype") in ("0", "2"):  # IS TRUE, IS FALSE
        if column(term.get("arg")) is not None:
            return Term(TermKind.PINNED, column(term.get("arg")))
    elif name == "OPEXPR" and int(term.get("opno", "0")) in equality_operators:
        attnum = _column_equals_constant(_list(term.get("args")))
        if attnum is not None:
            return Term(TermKind.PINNED, attnum)
    return Term(TermKind.OTHER, None)


def terms(tree_text: str | None, equality_operators: frozenset[int]) -> tuple[Term, ...]:
    """The classified top-level terms of a predicate; () for a full index."""
    if not tree_text:
        return ()
    return tuple(classify(term, equality_operators) for term in conjuncts(parse(tree_text)))


def _column_equals_constant(args: list[Any]) -> int | None:
    if len(args) != 2:
        return None
    for left, right in (args, args[::-1]):
        attnum = column(left)
        if (
            attnum is not None
            and isinstance(right, dict)
            and right.get("_") == "CONST"
            and right.get("constisnull") == "false"
        ):
            return attnum
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value in (None, "<>") else [value]
