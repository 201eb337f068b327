"""The shared facts every seeded table refers to: users, organizations and memberships.

Built once, before any row is written, from its own random stream; the table generators then
draw from their own streams (see seed_tables_*.py), so each table's content depends only on the
seed, the sizes and this world, never on the order tables are generated in.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from plinto_db.seed.values import DAY, YEAR, Clock, hex_ids, ip_pool

USER_HISTORY_SECONDS = 3 * YEAR
ORG_ZIPF_EXPONENT = 1.0
MEMBERS_PER_USER = 1.3
USERS_PER_ORG = 30


@dataclass(frozen=True)
class Sizes:
    """Rows per table for U users and K history rows per user (docs/plinto-schema.md §5.2)."""

    users: int
    history_per_user: int

    @property
    def organizations(self) -> int:
        return max(1, round(self.users / USERS_PER_ORG))

    def table_rows(self) -> dict[str, int]:
        u, o = self.users, self.organizations
        events = 6 * u
        return {
            "users": u,
            "organizations": o,
            "organization_members": -1,  # decided by the membership draw (~1.3 U)
            "organization_invitations": round(0.6 * u),
            "sessions": 6 * u,
            "activity_logs": self.history_per_user * u,
            "audit_logs": self.history_per_user * u,
            "magic_links": round(0.5 * u),
            "password_resets": round(0.3 * u),
            "email_verifications": round(1.1 * u),
            "oauth_accounts": round(0.5 * u),
            "passkeys": round(0.2 * u),
            "webhook_endpoints": max(1, round(0.5 * o)),
            "webhook_events": events,
            "webhook_deliveries": round(0.4 * events),
            "scim_resources": round(0.15 * u),
            "policies": 2 * o,
        }


@dataclass
class World:
    """Users, organizations and memberships, plus pools shared by the generators."""

    seed: int
    sizes: Sizes
    clock: Clock
    user_ids: list[str] = field(default_factory=list)
    user_created: list[int] = field(default_factory=list)
    user_verified_at: list[int | None] = field(default_factory=list)  # None: email unverified
    user_home: list[int] = field(default_factory=list)  # the organization a user works in
    activity_pool: list[int] = field(default_factory=list)  # user indexes, repeated by activity
    pool_ends: list[int] = field(default_factory=list)  # pool entries of users 0..i
    org_ids: list[str] = field(default_factory=list)
    org_owner: list[int] = field(default_factory=list)
    org_created: list[int] = field(default_factory=list)
    org_cum_weights: list[float] = field(default_factory=list)
    org_members: list[list[int]] = field(default_factory=list)  # user indexes, owner first
    memberships: list[tuple[int, int, int]] = field(default_factory=list)  # (joined, org, user)
    ips: list[str] = field(default_factory=list)
    # Filled by the webhook generators for the deliveries that follow them.
    endpoints_by_org: dict[int, list[str]] = field(default_factory=dict)
    endpoint_ids: list[str] = field(default_factory=list)
    events: list[tuple[str, int, int, int]] = field(default_factory=list)  # id, type, org, secs
    _binary_ids: dict[str, list[bytes]] = field(default_factory=dict)

    @property
    def now(self) -> int:
        return self.clock.now

    def user_id_fields(self) -> list[bytes]:
        """users.id of each user as a binary COPY uuid field (built once)."""
        if "users" not in self._binary_ids:
            from plinto_db.seed.binary import uuids

            self._binary_ids["users"] = uuids(self.user_ids)
        return self._binary_ids["users"]

    def org_id_fields(self) -> list[bytes]:
        if "organizations" not in self._binary_ids:
            from plinto_db.seed.binary import uuids

            self._binary_ids["organizations"] = uuids(self.org_ids)
        return self._binary_ids["organizations"]

    def rng(self, table: str) -> random.Random:
        """The random stream of one table: independent of every other table's."""
        return random.Random(f"plinto-db-seed:{self.seed}:{table}")


def build_world(seed: int, sizes: Sizes, now: int) -> World:
    world = World(seed=seed, sizes=sizes, clock=Clock(now))
    rng = world.rng("world")
    _users(world, rng)
    _organizations(world, rng)
    _memberships(world, rng)
    world.ips = ip_pool(rng)
    world.pool_ends = pool_bounds(world)
    return world


def _users(world: World, rng: random.Random) -> None:
    u, now = world.sizes.users, world.now
    start = now - USER_HISTORY_SECONDS
    # Sign-ups accelerate: density grows linearly over time, so sqrt of a uniform rank.
    span = USER_HISTORY_SECONDS - DAY
    world.user_created = [start + int(span * math.sqrt((i + rng.random()) / u)) for i in range(u)]
    world.user_ids = hex_ids(rng, u)
    # ~10% unverified, mostly among the newest 5% of users.
    recent = u - max(1, u // 20)
    verified_at: list[int | None] = []
    for i, created in enumerate(world.user_created):
        unverified = rng.random() < (0.70 if i >= recent else 0.068)
        verified_at.append(None if unverified else min(now, created + int(rng.random() * 2 * DAY)))
    world.user_verified_at = verified_at
    pool: list[int] = []
    for i in range(u):
        weight = 1 + int(7 * rng.random() ** 3)  # a long tail of very active users
        pool.extend([i] * weight)
    world.activity_pool = pool


def _organizations(world: World, rng: random.Random) -> None:
    o = world.sizes.organizations
    weights = [1.0 / (j + 1) ** ORG_ZIPF_EXPONENT for j in range(o)]
    world.org_cum_weights = list(accumulate(weights))
    world.org_ids = hex_ids(rng, o)
    world.user_home = rng.choices(range(o), cum_weights=world.org_cum_weights, k=world.sizes.users)


def _memberships(world: World, rng: random.Random) -> None:
    u, o = world.sizes.users, world.sizes.organizations
    members: list[list[int]] = [[] for _ in range(o)]
    for user, org in enumerate(world.user_home):
        members[org].append(user)
    taken = {org * u + user for user, org in enumerate(world.user_home)}
    for org in range(o):
        if not members[org]:  # every organization has at least its owner
            user = rng.randrange(u)
            if org * u + user not in taken:
                taken.add(org * u + user)
                members[org].append(user)
    target = min(round(MEMBERS_PER_USER * u), u * o)
    attempts = 0
    while len(taken) < target and attempts < 20 * target:
        batch = target - len(taken)
        orgs = rng.choices(range(o), cum_weights=world.org_cum_weights, k=batch)
        for org in orgs:
            user = int(rng.random() * u)
            key = org * u + user
            if key not in taken:
                taken.add(key)
                members[org].append(user)
        attempts += batch
    world.org_members = members

    created = world.user_created
    now = world.now
    owners, org_created, memberships = [], [], []
    for org, people in enumerate(members):
        # The earliest user among the first few members founded the organization.
        owner = min(people[:5], key=lambda user: created[user])
        people.remove(owner)
        people.insert(0, owner)
        founded = created[owner] + int(rng.random() * min(30 * DAY, now - created[owner]))
        owners.append(owner)
        org_created.append(founded)
        memberships.append((founded, org, owner))
        for user in people[1:]:
            base = max(created[user], founded)
            memberships.append((base + int(rng.random() * min(60 * DAY, now - base)), org, user))
    memberships.sort()
    world.org_owner = owners
    world.org_created = org_created
    world.memberships = memberships


CHUNK_ROWS = 20_000  # rows per COPY chunk; part of the determinism contract (do not tune per run)

Chunk = tuple[str | bytes, int]  # COPY data (text, or binary) of some rows, and how many


@dataclass(frozen=True)
class TableSpec:
    """How to fill one table: its COPY column list and a generator of text chunks."""

    name: str
    columns: Sequence[str]
    generate: Callable[[World], Iterator[Chunk]]
    binary: bool = False  # the generator yields COPY binary data (signature and trailer too)
    # the exact row count, known once the tables before it are generated (None: the Sizes
    # estimate is exact)
    rows: Callable[[World], int] | None = None


def chunk_bounds(total: int) -> Iterator[tuple[int, int]]:
    """(first row index, rows) for each chunk of a table of `total` rows."""
    for start in range(0, total, CHUNK_ROWS):
        yield start, min(CHUNK_ROWS, total - start)


def pool_bounds(world: World) -> list[int]:
    """For user index i: how many activity-pool entries belong to users 0..i (pool is sorted)."""
    bounds = [0] * world.sizes.users
    for position, user in enumerate(world.activity_pool):
        bounds[user] = position + 1
    return bounds


def timeline(
    world: World,
    rng: random.Random,
    first: int,
    n: int,
    total: int,
    start: int,
    end: int,
    power: float = 1.0,
) -> tuple[list[int], list[int]]:
    """Times and acting users for rows first..first+n-1 of a time-ordered history.

    Row k of `total` happens at start + (end - start) * (k / total) ** power (so rows are
    written in time order, as an application would), by a user who already existed then,
    drawn with the user's activity weight.
    """
    created, pool, ends = world.user_created, world.activity_pool, world.pool_ends
    start = max(start, created[0])
    span = max(0, end - start)
    random_ = rng.random
    times = [
        start + int(span * ((k + random_()) / total) ** power) for k in range(first, first + n)
    ]
    users = [pool[int(random_() * ends[bisect_right(created, t) - 1])] for t in times]
    return times, users
