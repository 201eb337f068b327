"""pg/identifiers.name_parts reads a dotted name as PostgreSQL does (pure, no server)."""

from __future__ import annotations

import pytest

from plinto_db.pg.identifiers import name_parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Customers", ("customers",)),
        ("Shop.Customers", ("shop", "customers")),
        ('"Shop"."Customers"', ("Shop", "Customers")),
        ('"Shop".Customers', ("Shop", "customers")),
        ('"a|b"', ("a|b",)),
        ('"my.schema"."idx.v2"', ("my.schema", "idx.v2")),
        ('"say ""hi"""', ('say "hi"',)),
        ("ÄBC", ("Äbc",)),  # only ASCII letters fold, as PostgreSQL does
        ("a.b.c", ("a", "b", "c")),
        ("X" * 70, ("x" * 63,)),  # cut to 63 bytes, as PostgreSQL cuts identifiers
        ('"' + "é" * 40 + '"', ("é" * 31,)),  # never inside a UTF-8 character
    ],
)
def test_names_read_as_postgresql_reads_them(text, parts):
    assert name_parts(text) == parts


@pytest.mark.parametrize("text", ["", "Order Lines", "a.", ".a", '""', '"open', "1abc", "a..b"])
def test_what_is_not_a_name(text):
    assert name_parts(text) is None
