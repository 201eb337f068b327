"""docs/fleet.md's examples are what a fleet command prints: each error line of a bad
targets file is produced here by a file written so that it fails that way (no server
needed: the file is refused before anything connects), and the JSON document of a real run
(a reachable database and an unreachable one) has the keys the page shows."""

from __future__ import annotations

import json
import re

import pytest
from test_docs_examples import example

# each error line shown in docs/fleet.md -> a targets file that makes it
BAD_FILES = {
    "duplicate target name": (
        '[[target]]\nname = "eu-1"\ndsn = "host=a"\n\n'
        '[[target]]\nname = "eu-2"\ndsn = "host=b"\n\n'
        '[[target]]\nname = "eu-1"\ndsn = "host=c"\n'
    ),
    "unknown key 'tgas'": '[[target]]\nname = "eu-1"\ndsn = "host=a"\ntgas = ["eu"]\n',
    "environment variable EU2_DSN is not set": (
        '[[target]]\nname = "eu-1"\ndsn = "host=a"\n\n'
        '[[target]]\nname = "eu-2"\ndsn_env = "EU2_DSN"\n'
    ),
    "not valid TOML": '[[target]]\nname = "eu-1"\ndsn "host=a"\n',
}


def shown_lines() -> list[str]:
    block = example("fleet.md", "duplicate target name")
    return [line for line in block.splitlines() if line.startswith("plinto-db: error:")]


def test_every_error_line_of_fleet_md_has_a_case_here():
    shown = shown_lines()
    assert len(shown) == len(BAD_FILES)
    assert all(any(key in line for key in BAD_FILES) for line in shown)


@pytest.mark.parametrize("line", shown_lines(), ids=lambda line: line[30:60])
def test_fleet_md_error_line_is_what_the_command_prints(run_cli, tmp_path, line):
    text = next(text for key, text in BAD_FILES.items() if key in line)
    (tmp_path / "fleet.toml").write_text(text)
    done = run_cli("status", "--targets", "fleet.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [line]


def keys(text: str) -> set[str]:
    return set(re.findall(r'"(\w+)":', text))


def test_fleet_json_has_the_keys_shown(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    (tmp_path / "fleet.toml").write_text(
        f'[[target]]\nname = "eu-1"\ndsn = "{dsn}"\n\n'
        '[[target]]\nname = "staging"\ndsn = "host=/nonexistent/socket dbname=plinto"\n'
    )
    done = run_cli("history", "--targets", "fleet.toml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    real = json.loads(done.stdout)
    shown = example("fleet.md", '"not_touched"')
    ok, error = real["targets"]
    first = re.search(r'\{"name": "eu-1".*?"check": \{.*?\}\}', shown, re.DOTALL).group(0)
    nested = re.sub(r'"result": \{.*?\},\n|"check": \{.*?\}\}', "", first, flags=re.DOTALL)
    assert set(ok) == keys(nested) | {"result", "check"}
    assert ok["state"] == "ok" and ok["result"]["command"] == "history" and ok["check"] is None
    assert (error["state"], error["exit_code"], error["result"]) == ("error", 2, None)
    summary = re.search(r'"summary": \{(.*?)\}', shown, re.DOTALL).group(1)
    assert set(real["summary"]) == keys(summary)
    assert set(real) == {"command", "targets", "summary"}
