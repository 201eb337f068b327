"""`plinto-db seed --seed N` from the command line, as a real process on a real server: the
same seed gives the same data, byte for byte, in every table; another seed other data in
every table; and the command's data is the library's for that seed.

Seeded times are relative to the start of the current UTC hour, so the three seeds must run
within one hour: when the hour turns between them (seen from before and after), they run
again; the next three cannot straddle another turn."""

from __future__ import annotations

import pytest
from test_seed import _fingerprint  # md5 of every row, per table

from plinto_db.seed.run import TABLE_NAMES, run_seed, seed_anchor

SIZE = ("--users", "200", "--history-per-user", "2")


def _seed_within_one_hour(run_cli, seeds: dict[str, int]) -> int:
    """Seed each database with its seed through the CLI; the hour anchor they all used."""
    for _ in range(2):
        anchor = seed_anchor()
        for dsn, seed in seeds.items():
            done = run_cli("seed", *SIZE, "--seed", str(seed), "--reset", "--dsn", dsn)
            assert done.returncode == 0, done.stderr
        if seed_anchor() == anchor:
            return anchor
    pytest.fail("the hour turned twice while seeding three small databases")


def test_seed_option_same_seed_same_data_other_seed_other_data(new_db, run_cli):
    first, second, third, library = (new_db("schema") for _ in range(4))
    anchor = _seed_within_one_hour(run_cli, {first: 7, second: 7, third: 8})
    run_seed(library, users=200, history_per_user=2, seed=7, now=anchor)
    same = _fingerprint(first)
    assert None not in same.values()  # every table has rows
    assert _fingerprint(second) == same
    assert _fingerprint(library) == same  # --seed 7 is the library's seed 7
    other = _fingerprint(third)
    assert [t for t in TABLE_NAMES if other[t] == same[t]] == []
