"""Names in `-- expect:` lines are read as PostgreSQL reads identifiers: a bare name is folded
to lower case, a double-quoted one is kept exactly (`""` is a quote inside it). Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.check.workload import parse_expectation
from plinto_db.errors import UserError


def expect(text: str):
    return parse_expectation(text, Path("checks/x.sql"), 3)


@pytest.mark.parametrize(
    ("written", "means", "shown"),
    [
        ("Shop.Customers", "shop.customers", "shop.customers"),
        ('"Shop"."Customers"', "Shop.Customers", '"Shop"."Customers"'),
        ('Shop."Customers"', "shop.Customers", 'shop."Customers"'),
        ('"my schema"."Order Lines"', "my schema.Order Lines", '"my schema"."Order Lines"'),
        ('"say ""hi"""', 'say "hi"', '"say ""hi"""'),
        ("USERS", "users", "users"),
        ('"user"', "user", '"user"'),  # a reserved word stays quoted
    ],
)
def test_a_bare_name_is_folded_to_lower_case_and_a_quoted_one_is_kept(written, means, shown):
    expectation = expect(f"index-on {written}")
    assert expectation.targets == (means,)
    assert expectation.written == (written,)
    assert expectation.describe() == f"index-on {shown}"


def test_any_of_reads_each_name_on_its_own():
    expectation = expect('any-of Orders_Pkey, "Orders_Email", sales.ORDERS_AT')
    assert expectation.targets == ("orders_pkey", "Orders_Email", "sales.orders_at")
    assert expectation.describe() == 'any-of orders_pkey, "Orders_Email", sales.orders_at'


@pytest.mark.parametrize("written", ["a.b.c", "a b", '""', "a.", ".a", "1a", '"open', "a-b"])
def test_what_is_not_a_name_is_refused_at_its_line(written):
    with pytest.raises(UserError) as info:
        expect(f"index {written}")
    assert info.value.message == f"checks/x.sql:3: {written!r} is not an index or table name"
