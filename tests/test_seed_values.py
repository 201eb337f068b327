"""Seed building blocks without a server: key schemes, the clock, sizes and the shared world."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from plinto_db.seed.run import TABLE_NAMES, table_specs
from plinto_db.seed.values import (
    Clock,
    Mix,
    hex_ids,
    org_slug,
    provider_user_id,
    token,
    user_email,
)
from plinto_db.seed.world import CHUNK_ROWS, Sizes, build_world, chunk_bounds

ANCHOR = 1_780_000_000  # 2026-05-28 20:26:40 UTC


@pytest.mark.parametrize("kind", ["access_jti", "refresh_jti", "magic_link", "scim", "secret"])
def test_tokens_are_32_hex_digits_and_unique_per_kind(kind):
    values = [token(kind, n) for n in range(1, 100_001)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", v) for v in values[:1000])
    assert len(set(values)) == len(values)


def test_token_kinds_differ_and_are_stable():
    assert token("access_jti", 1) != token("refresh_jti", 1)
    assert token("magic_link", 7) == token("magic_link", 7)
    assert len({provider_user_id(n) for n in range(1, 50_001)}) == 50_000
    assert user_email(12) == "user12@example.com"
    assert org_slug(3) == "org-3"


def test_clock_renders_the_same_instant_as_datetime():
    clock = Clock(ANCHOR)
    rng = random.Random(1)
    for _ in range(500):
        absolute = ANCHOR + rng.randrange(-5 * 365 * 86400, 7 * 365 * 86400)
        text = clock.text(absolute - clock.base)
        expected = dt.datetime.fromtimestamp(absolute, dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00")
        assert text == expected
    assert clock.text(clock.now).startswith("2026-05-28 20:26:40")


def test_hex_ids_are_uuid_spellings_and_deterministic():
    first = hex_ids(random.Random(5), 1000)
    assert first == hex_ids(random.Random(5), 1000)
    assert first != hex_ids(random.Random(6), 1000)
    assert len(set(first)) == 1000 and all(len(v) == 32 for v in first)


def test_mix_draws_follow_the_weights():
    mix = Mix([("a", 90), ("b", 10)])
    draws = mix.draw(random.Random(3), 20_000)
    assert 0.88 < draws.count("a") / len(draws) < 0.92


def test_sizes_follow_the_spec_ratios():
    rows = Sizes(users=50_000, history_per_user=16).table_rows()
    assert rows["organizations"] == 1667
    assert rows["sessions"] == 300_000
    assert rows["activity_logs"] == rows["audit_logs"] == 800_000
    assert rows["webhook_deliveries"] == 120_000
    assert rows["policies"] == 2 * 1667
    assert Sizes(users=1, history_per_user=0).organizations == 1


def test_table_specs_cover_the_17_tables_in_foreign_key_order():
    assert tuple(spec.name for spec in table_specs()) == TABLE_NAMES
    assert len(TABLE_NAMES) == 17
    order = {name: i for i, name in enumerate(TABLE_NAMES)}
    assert order["users"] < order["organizations"] < order["organization_members"]
    assert order["webhook_endpoints"] < order["webhook_deliveries"]
    assert order["webhook_events"] < order["webhook_deliveries"]


def test_chunks_cover_every_row_once():
    bounds = list(chunk_bounds(2 * CHUNK_ROWS + 7))
    assert bounds == [(0, CHUNK_ROWS), (CHUNK_ROWS, CHUNK_ROWS), (2 * CHUNK_ROWS, 7)]


def test_world_memberships_are_unique_zipf_sized_and_owned():
    world = build_world(42, Sizes(users=3000, history_per_user=4), ANCHOR)
    pairs = [(org, user) for _, org, user in world.memberships]
    assert len(pairs) == len(set(pairs))
    assert abs(len(pairs) / 3000 - 1.3) < 0.02
    sizes = sorted((len(m) for m in world.org_members), reverse=True)
    assert min(sizes) >= 1
    top_tenth = sum(sizes[: max(1, len(sizes) // 10)])
    assert top_tenth / sum(sizes) > 0.30
    for org, members in enumerate(world.org_members):
        assert members[0] == world.org_owner[org]
    created = world.user_created
    assert created == sorted(created) and created[-1] < world.now


def test_world_and_rows_are_deterministic_per_seed():
    def first_chunks(seed: int) -> list[str]:
        world = build_world(seed, Sizes(users=200, history_per_user=2), ANCHOR)
        return [next(data for data, rows in spec.generate(world) if rows) for spec in table_specs()]

    assert first_chunks(7) == first_chunks(7)
    assert first_chunks(7) != first_chunks(8)


def test_the_progress_total_is_exact_once_each_table_is_recounted():
    """The bar's total is the rows the load writes: no 2,608,600 of 2,608,335."""
    from plinto_db.report.seed import SeedProgress
    from plinto_db.seed.run import expected_rows

    sizes = Sizes(users=2000, history_per_user=4)
    world = build_world(7, sizes, 1_700_000_000)
    bar = SeedProgress(False)
    bar.expect(expected_rows(sizes, world))
    written = 0
    for spec in table_specs():
        if spec.rows is not None:
            bar.recount(spec.name, spec.rows(world))
        rows = sum(n for _, n in spec.generate(world))
        assert rows == bar.expected[spec.name], spec.name
        written += rows
    assert written == bar.total
