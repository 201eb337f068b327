"""The examples in docs/ are what the commands print: each is run here as written (a real
process, a real server) and compared line by line, `…` standing for an elided part. JSON
examples: the keys of every object shown are the keys the command writes, and the figures a
seed fixes are the figures. (docs/serve.md and bench's HTTP runs are covered by their own
tests; the illustrative timings in the examples are not compared.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"

# the migration behind docs/lint.md's opening example (its findings name lines 2 and 3)
ORDERS_MIGRATION = """\
-- 0042: orders by customer
CREATE INDEX orders_customer_idx ON orders (customer_id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
  FOREIGN KEY (customer_id) REFERENCES customers (id);
"""


def example(page: str, containing: str) -> str:
    """The fenced block of docs/<page> that contains `containing`."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", (DOCS / page).read_text(), re.DOTALL)
    found = [block for block in blocks if containing in block]
    assert len(found) == 1, f"docs/{page}: {len(found)} examples contain {containing!r}"
    return found[0]


def assert_lines_shown(shown: list[str], printed: str) -> None:
    """Every line shown appears in what was printed, in order; `…` stands for any text."""
    lines = printed.splitlines()
    at = 0
    for line in shown:
        pattern = re.compile(".*?".join(re.escape(part) for part in line.split("…")) + "$")
        while at < len(lines) and not pattern.match(lines[at]):
            at += 1
        assert at < len(lines), f"not printed: {line!r}\n--- printed\n{printed}"
        at += 1


def assert_same_keys(shown: Any, real: Any, where: str = "") -> None:
    """The objects shown have the real objects' keys, recursively (a list: its first item)."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), where
        assert set(shown) == set(real), (
            f"{where or 'top'}: shown {sorted(shown)}, real {sorted(real)}"
        )
        for key, value in shown.items():
            if key != "rows" and key != "timings" and key != "by_rule" and key != "details":
                assert_same_keys(value, real[key], f"{where}.{key}")
    elif isinstance(shown, list) and shown and isinstance(shown[0], dict):
        assert isinstance(real, list) and real, f"{where}: no item to compare"
        assert_same_keys(shown[0], real[0], f"{where}[0]")


def test_lint_opening_example_is_what_lint_prints(run_cli, tmp_path):
    block = example("lint.md", "$ plinto-db lint migrations/")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0042_orders.sql").write_text(ORDERS_MIGRATION)
    done = run_cli("lint", "migrations/", cwd=tmp_path)
    lines = block.strip().splitlines()
    assert lines[-2:] == ["$ echo $?", str(done.returncode)]
    shown = [line for line in lines[1:-2]]
    assert done.stdout.splitlines() + done.stderr.splitlines() == shown


def test_lint_json_example_has_the_real_keys(run_cli, tmp_path):
    shown = json.loads(example("lint.md", '"findings": ['))
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0042_orders.sql").write_text(ORDERS_MIGRATION)
    real = json.loads(run_cli("lint", "--format", "json", "migrations/", cwd=tmp_path).stdout)
    real["not_linted"] = [{"path": "", "line": 0, "column": 0, "reason": ""}]  # none here
    assert_same_keys(shown, real)


def test_migrate_seed_and_doctor_examples_are_what_the_commands_print(new_db, run_cli):
    dsn = new_db("empty")
    migrated = run_cli("migrate", "--dsn", dsn, env={"COLUMNS": "400"})
    assert migrated.returncode == 0, migrated.stderr
    shown = example("connecting.md", "migrated: base -> 0002").strip().splitlines()
    assert_lines_shown([line.strip() for line in shown], "\n".join(
        line.strip() for line in migrated.stdout.splitlines()
    ))  # fmt: skip

    command = example("seed.md", "--format json").strip().splitlines()[-1]
    args = command.removeprefix("$ plinto-db ").split()
    seeded = run_cli(*args, "--dsn", dsn)
    assert seeded.returncode == 0, seeded.stderr
    real, shown = json.loads(seeded.stdout), json.loads(example("seed.md", '"total_rows"'))
    assert_same_keys(shown, real)
    for key in ("users", "seed", "history_per_user", "total_rows"):
        assert real[key] == shown[key], key
    assert {k: real["rows"][k] for k in shown["rows"] if k != "..."} == {
        k: v for k, v in shown["rows"].items() if k != "..."
    }

    doctor = run_cli("doctor", "--format", "json", "--dsn", dsn)
    assert doctor.returncode == 0, doctor.stderr
    real = json.loads(doctor.stdout)
    assert_same_keys(json.loads(example("doctor.md", '"drop_candidates"')), real)
    assert real["workload"]["proven"] + real["workload"]["unproven"] == 45
