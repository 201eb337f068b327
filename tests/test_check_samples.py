"""Parameter values from `sample:` queries: any type, typed literals, and NULLs named.

Real PostgreSQL 15 and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

import json

from check_helpers import by_name, failures, run, write_inputs

from plinto_db.check.judge import Verdict

SAMPLED = {
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts" ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
    ),
    "by_jsonb": (
        "-- expect: index accounts_meta_idx\n"
        '-- sample: SELECT meta FROM app."Accounts" WHERE "Id" = 7\n'
        'SELECT "Id" FROM app."Accounts" WHERE meta @> $1;\n'
    ),
    "by_int_array": (
        "-- expect: index accounts_tags_idx\n"
        '-- sample: SELECT tags FROM app."Accounts" WHERE "Id" = 7\n'
        'SELECT "Id" FROM app."Accounts" WHERE tags @> $1;\n'
    ),
    "by_time_and_email": (
        '-- expect: any-of app."Accounts_Email_idx", accounts_created_idx\n'
        '-- sample: SELECT created, "Email" FROM app."Accounts" WHERE "Id" = 3\n'
        'SELECT "Id" FROM app."Accounts" WHERE created = $1 AND "Email" = $2;\n'
    ),
}


def test_sample_values_of_any_type_are_typed_literals(app_db, tmp_path):
    """jsonb and record values cannot be adapted back by the client: no internal error."""
    result = run(app_db, write_inputs(tmp_path, SAMPLED))
    results = by_name(result)
    assert not result.failed, failures(result)
    explained = {r.check.name: r for r in result.results}
    assert results["by_jsonb"].used == ("accounts_meta_idx",)
    # the plan shows the sampled value with its type
    assert "::jsonb" in json.dumps(explained["by_jsonb"].plan)
    assert "'{7,0}'" in json.dumps(explained["by_int_array"].plan)


def test_a_null_sample_value_is_named(app_db, tmp_path):
    checks = {
        "null_uuid": (
            "-- expect: index accounts_ext_idx\n-- sample: SELECT NULL::uuid\n"
            'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path, checks)))["null_uuid"]
    assert result.verdict is Verdict.FAIL
    assert "gave NULL for $1" in result.message
