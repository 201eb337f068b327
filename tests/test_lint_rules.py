"""Each lint rule against its own fixtures: the bad file fires exactly that rule on the
expected lines; the good file (the fix the message asks for) is clean under every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.lint.rules import RULES
from plinto_db.lint.run import LintRequest, lint

FIXTURES = Path(__file__).parent / "data" / "lint"

# rule id -> {bad fixture: (line, column) of each finding}
BAD = {
    "require-concurrent-index-creation": {"bad.sql": [(2, 1)], "bad.py": [(14, 5)]},
    "require-concurrent-index-deletion": {"bad.sql": [(1, 1)]},
    "require-concurrent-reindex": {"bad.sql": [(3, 1)]},
    "concurrently-in-transaction": {
        "bad.sql": [(2, 1)],
        # outside autocommit_block(); two statements in one string; downgrade's op.execute
        "bad.py": [(14, 5), (18, 13), (19, 13), (25, 17)],
    },
    "concurrent-if-not-exists": {"bad.sql": [(1, 1)]},
    "concurrently-on-partitioned-table": {"bad.sql": [(3, 1), (6, 1)]},
    "concurrently-with-lock-timeout": {"bad.sql": [(3, 1)]},
    "require-index-name": {"bad.sql": [(1, 1)]},
    "require-lock-timeout": {"bad.sql": [(2, 1), (8, 1)], "bad.py": [(15, 5)]},
    "adding-foreign-key-constraint": {"bad.sql": [(2, 1)], "bad.py": [(15, 5)]},
    "adding-check-constraint": {"bad.sql": [(2, 1)]},
    "setting-not-null": {"bad.sql": [(2, 1)], "bad.py": [(16, 5)]},
    "changing-column-type": {"bad.sql": [(2, 1)]},
    "adding-volatile-default": {"bad.sql": [(2, 1), (3, 1)], "bad.py": [(16, 5)]},
    "parse-error": {"bad.sql": [(2, 56)]},
    "unreadable-file": {"bad.sql": [(1, 7)]},
}


def _findings(path: Path, only: tuple[str, ...] = ()):
    return lint(LintRequest(paths=(path,), only=only)).findings


def test_every_rule_has_a_bad_and_a_good_fixture():
    assert set(BAD) == {rule.id for rule in RULES}
    for rule in RULES:
        folder = FIXTURES / rule.id
        assert (folder / "bad.sql").is_file(), rule.id
        assert (folder / "good.sql").is_file(), rule.id


@pytest.mark.parametrize(
    ("rule", "fixture"),
    [(rule, name) for rule, files in BAD.items() for name in files],
)
def test_bad_fixture_fires_its_rule_on_the_expected_lines(rule: str, fixture: str):
    findings = _findings(FIXTURES / rule / fixture)
    assert [(f.rule, f.line, f.column) for f in findings] == [
        (rule, line, column) for line, column in BAD[rule][fixture]
    ]


@pytest.mark.parametrize("rule", sorted(BAD))
def test_good_fixtures_are_clean_under_every_rule(rule: str):
    good = sorted((FIXTURES / rule).glob("good.*"))
    assert good
    for path in good:
        assert _findings(path) == (), path


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_findings_carry_the_rule_severity(rule):
    findings = _findings(FIXTURES / rule.id / "bad.sql")
    assert {f.severity for f in findings} == {rule.severity}
