"""docs/serve.md's examples, run: every `curl` answers 200 (a check's with rows), its shown
output is what the API answers, and the JSON shown has the keys a real answer has."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_app import Served, serve

DOC = Path(__file__).resolve().parent.parent / "docs" / "serve.md"
CURL = re.compile(r"^\$ curl (?:-s )?'?localhost:8000(?P<path>/[^' ]*)'?(?P<rest>.*)$")


def curl_examples() -> list[tuple[str, str, str | None]]:
    """(path, what follows the URL, the next line when it is output) of each `$ curl`."""
    lines = DOC.read_text().splitlines()
    found = []
    for index, line in enumerate(lines):
        match = CURL.match(line.strip())
        if match:
            after = lines[index + 1].strip() if index + 1 < len(lines) else ""
            output = None if after.startswith(("$", "```")) or not after else after
            found.append((match["path"], match["rest"].strip(), output))
    return found


def json_examples() -> list[dict]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    return [json.loads(block.replace("…", "null").replace(", null}", "}")) for block in blocks]


@pytest.fixture(scope="module")
def api(seeded_db: str) -> Iterator[Served]:
    served = serve(seeded_db)
    yield served
    served.stop()


def test_the_page_has_curl_examples_to_run():
    paths = [path for path, _, _ in curl_examples()]
    assert "/q/01_users_signin_by_email?p1=user3%40acme.test" in paths
    assert len(paths) >= 3


@pytest.mark.parametrize(("path", "rest", "output"), curl_examples())
def test_every_curl_of_the_page_answers_as_shown(api: Served, path: str, rest: str, output):
    answer = api.get(path)
    assert answer.status == 200, answer.body
    document = answer.json()
    if path.startswith("/q/"):
        assert document["rows"], f"{path} answers no rows"
        if "one row" in rest:
            assert len(document["rows"]) == 1
    if rest.startswith("| jq "):
        field = rest.removeprefix("| jq .").split()[0]
        assert json.dumps(document[field]) == output


def _answer(api: Served, shown: dict) -> dict:
    if "rows" in shown and "user_id" in shown["rows"][0]:  # a session
        return api.get("/q/03_sessions_validate_fast").json()
    if "rows" in shown:
        return api.get("/q/01_users_signin_by_email?p1=user3%40acme.test").json()
    if "pool" in shown:
        return api.get("/health").json()
    raise AssertionError(f"a JSON example no test knows how to fetch: {shown}")


def test_every_json_example_has_the_keys_of_a_real_answer(api: Served):
    for shown in json_examples():
        real = _answer(api, shown)
        assert set(shown) == set(real)
        for key, value in shown.items():
            if isinstance(value, dict):
                assert set(value) == set(real[key]), key
        if "withheld" in shown:
            assert shown["withheld"] == real["withheld"]
            assert shown["rows"][0]["email"] == real["rows"][0]["email"]
