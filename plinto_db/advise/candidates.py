"""Candidate indexes for one table a query reads: pure, from its TableUse.

The rules (docs/advise.md says why):
- equality keys first, the most selective (most distinct values) first, then one range key
  or the ORDER BY keys (a btree gives the order after equality keys, so no sort);
- a partial index when the query states a constant predicate (`status = 'retrying'`,
  `revoked_at IS NULL`) that selects a small fraction of the rows: the predicate moves from
  the keys to the WHERE, and the index holds only those rows;
- INCLUDE the other columns the query reads (at most MAX_INCLUDE) so an index-only scan can
  answer it without the heap;
- an expression key where the query compares an expression (`lower(email) = $1`,
  `user_metadata ->> 'external_id' = $1`): a plain column index cannot serve that;
- narrower variants too (each equality key alone, Dexter's single-column try), so costing
  can prefer the smallest index that does the job and merging can share one across queries.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plinto_db.advise.query import Key, TableUse
from plinto_db.pg.identifiers import quote_ident

MAX_INCLUDE = 3  # more than this and the index is a second copy of the table
MAX_KEYS = 4


@dataclass(frozen=True)
class Candidate:
    schema: str | None
    table: str
    keys: tuple[Key, ...]
    include: tuple[str, ...] = ()
    where: str | None = None
    rules: tuple[str, ...] = field(default=(), compare=False)
    method: str = "btree"

    @property
    def qualified_table(self) -> str:
        table = quote_ident(self.table)
        return f"{quote_ident(self.schema)}.{table}" if self.schema else table

    @property
    def identity(self) -> tuple:
        """What makes two candidates the same index."""
        keys = tuple((k.text, k.descending) for k in self.keys)
        include = tuple(sorted(self.include))
        return (self.schema, self.table, self.method, keys, include, self.where)

    def key_sql(self) -> str:
        parts = []
        for key in self.keys:
            text = key.text if key.column is not None else f"({key.text})"
            parts.append(text + (" DESC" if key.descending else ""))
        return ", ".join(parts)

    def create_sql(self, name: str, *, concurrently: bool = True) -> str:
        text = "CREATE INDEX " + ("CONCURRENTLY " if concurrently else "")
        text += f"{quote_ident(name)} ON {self.qualified_table}"
        text += (f" USING {self.method}" if self.method != "btree" else "") + f" ({self.key_sql()})"
        if self.include:
            text += " INCLUDE (" + ", ".join(quote_ident(c) for c in self.include) + ")"
        if self.where:
            text += f" WHERE {self.where}"
        return text

    def describe(self) -> str:
        return self.create_sql("…", concurrently=False).split(" ON ", 1)[1]

    def spec(self, name: str, file: Path, line: int = 0):
        """The catalog's IndexSpec for it (what apply reads back from the written file)."""
        from plinto_db.catalog.spec import IndexKey, IndexSpec

        keys = tuple(
            IndexKey(expression=k.text, column=k.column, descending=k.descending) for k in self.keys
        )
        return IndexSpec(
            name=name,
            schema=self.schema,
            table=self.table,
            unique=False,
            method=self.method,
            keys=keys,
            where=self.where,
            file=file,
            line=line,
            include=self.include,
        )


def candidates_for(
    use: TableUse,
    distinct: Mapping[str, float] | None = None,
    small_predicates: Collection[str] = (),
) -> tuple[Candidate, ...]:
    """Every candidate the rules give for one table of one query, best guesses first.

    `distinct`: a key's estimated number of distinct values (pg_stats); `small_predicates`:
    the constant predicates (as TableUse.constants writes them) that select a small fraction.
    """
    distinct = distinct or {}
    equal = sorted(use.equalities, key=lambda k: -distinct.get(k.text, 0.0))
    tails: list[tuple[Key, ...]] = [()]
    if use.ranges:
        tails.append((use.ranges[0],))
    order = tuple(k for k in use.order_by if k.text not in {e.text for e in equal})
    if order:
        tails.append(order)
    bases: list[tuple[Key, ...]] = [tuple(equal)] if equal else [()]
    if len(equal) > 1:
        bases += [(key,) for key in equal]
    found: dict[tuple, Candidate] = {}
    for base in bases:
        for tail in tails:
            keys = _keys(base, tail)
            if keys:
                _add(found, Candidate(use.schema, use.table, keys, rules=_rules(keys, tail)))
    for candidate in list(found.values()):
        for key, predicate in use.constants:
            if predicate in small_predicates:
                _add(found, _partial(candidate, key, predicate))
    if (
        not found and not use.containments
    ):  # nothing to key on but a small constant predicate: index its rows
        for key, predicate in use.constants:
            if predicate in small_predicates and key.column is not None:
                _add(found, Candidate(use.schema, use.table, (key,), (), predicate, ("partial",)))
    if use.columns is not None:
        for candidate in list(found.values()):
            _add(found, _covering(candidate, use.columns))
    for candidate in _inverted(use, small_predicates):
        _add(found, candidate)
    return tuple(c for c in found.values() if c is not None)


def _inverted(use: TableUse, small_predicates: Collection[str]) -> list[Candidate]:
    """A GIN index for `@>`/`?` on a jsonb or array column (or expression), and its partial
    form when the query also states a small constant predicate (`meta ? 'external_id'`)."""
    found = []
    for key in use.containments:
        gin = Candidate(use.schema, use.table, (key,), rules=("containment",), method="gin")
        found.append(gin)
        for other, predicate in use.constants:
            if predicate in small_predicates and other.text != key.text:
                rules = ("containment", "partial")
                found.append(Candidate(use.schema, use.table, (key,), (), predicate, rules, "gin"))
    return found


def _keys(base: tuple[Key, ...], tail: tuple[Key, ...]) -> tuple[Key, ...]:
    seen: dict[str, Key] = {}
    for key in (*base, *tail):
        seen.setdefault(key.text, key)
    keys = tuple(seen.values())[:MAX_KEYS]
    # all keys one direction: a btree reads backwards, so only a mixed ORDER BY needs DESC
    if keys and all(k.descending for k in tail) and tail:
        keys = tuple(Key(k.text, k.column, False) for k in keys)
    return keys


def _rules(keys: tuple[Key, ...], tail: tuple[Key, ...]) -> tuple[str, ...]:
    rules = ["equality"] if len(keys) > len(tail) else []
    if tail:
        rules.append("order" if len(tail) > 1 or tail[0].descending else "range")
    if any(k.is_expression for k in keys):
        rules.append("expression")
    return tuple(rules)


def _partial(candidate: Candidate, key: Key, predicate: str) -> Candidate | None:
    if candidate.where is not None:
        return None
    # `status = 'active'` in the WHERE: every row has that value, so status is no key
    keys = tuple(k for k in candidate.keys if not (k.text == key.text and " = " in predicate))
    if not keys:
        return None
    rules = (*candidate.rules, "partial")
    return Candidate(
        candidate.schema, candidate.table, keys, (), predicate, rules, candidate.method
    )


def _covering(candidate: Candidate, columns: set[str]) -> Candidate | None:
    keyed = {k.column for k in candidate.keys if k.column is not None}
    extra = tuple(sorted(c for c in columns if c not in keyed))
    if not extra or len(extra) > MAX_INCLUDE or candidate.method != "btree":
        return None
    rules = (*candidate.rules, "include")
    return Candidate(
        candidate.schema, candidate.table, candidate.keys, extra, candidate.where, rules
    )


def _add(found: dict[tuple, Candidate], candidate: Candidate | None) -> None:
    if candidate is not None and candidate.identity not in found:
        found[candidate.identity] = candidate
