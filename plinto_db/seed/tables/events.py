"""Row generators for the history tables: activity_logs and audit_logs.

The history tables are written in order of created_at, by users who existed at the time,
weighted by how active each user is; organization ids follow the user's home organization,
so the Zipf-sized organizations hold most of the logs too.
"""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.seed import binary
from plinto_db.seed.values import (
    USER_AGENT_MIX,
    YEAR,
    Mix,
)
from plinto_db.seed.world import Chunk, TableSpec, World, chunk_bounds, timeline

HISTORY_POWER = 1 / 3  # activity grows with the user base (which grows ~ t^2): rows ~ t^3
ACTION = Mix(
    [
        ("signin", 45),
        ("signout", 30),
        ("mfa_verify", 15),
        ("signup", 2),
        ("password_reset", 2),
        ("password_change", 2),
        ("email_verified", 2),
        ("mfa_backup_code_used", 2),
    ]
)
ACTION_DETAILS = {
    "signin": (
        '{"method": "password"}',
        '{"method": "oauth", "provider": "google"}',
        '{"method": "magic_link"}',
        '{"method": "passkey"}',
    ),
    "signout": ("{}",),
    "mfa_verify": ('{"method": "totp"}', '{"method": "sms"}'),
}
AUDIT_EVENT = Mix(
    [
        ("login_success", 40),
        ("logout", 18),
        ("login_failed", 8),
        ("user_created", 4),
        ("access", 10),
        ("modification", 8),
        ("administration", 4),
        ("security", 4),
        ("compliance", 2),
        ("deletion", 2),
    ]
)
AUDIT_NAME = {
    "login_success": "auth.login.success",
    "logout": "auth.logout",
    "login_failed": "auth.login.failed",
    "user_created": "user.created",
    "access": "resource.read",
    "modification": "user.updated",
    "administration": "member.role_changed",
    "security": "mfa.enabled",
    "compliance": "export.requested",
    "deletion": "session.deleted",
}
COMPLIANCE_TAGS = Mix([("{}", 60), ("{soc2}", 25), ("{soc2,gdpr}", 10), ("{hipaa}", 5)])
AUDIT_SYSTEM_SHARE = 0.05  # audit rows without an organization


def _history_start(world: World) -> int:
    return world.user_created[0]


def activity_logs(world: World) -> Iterator[Chunk]:
    rng = world.rng("activity_logs")
    total = world.sizes.table_rows()["activity_logs"]
    users_b, ips = world.user_id_fields(), binary.texts(world.ips)
    agents = binary.texts(USER_AGENT_MIX.values)
    actions_b = {a: binary.text(a) for a in ACTION.values}
    details_b = {
        a: [binary.jsonb(d) for d in ACTION_DETAILS.get(a, ("{}",))] for a in ACTION.values
    }
    header, prefix, ts = binary.fields(7), binary.UUID_PREFIX, binary.timestamp_field
    shift = world.clock.base - binary.PG_EPOCH
    yield binary.SIGNATURE, 0
    for start, n in chunk_bounds(total):
        times, users = timeline(
            world, rng, start, n, total, _history_start(world), world.now, HISTORY_POWER
        )
        actions = ACTION.draw(rng, n)
        blob = rng.randbytes(16 * n)
        agent_ix = rng.choices(range(len(agents)), cum_weights=USER_AGENT_MIX.cum, k=n)
        out: list[bytes] = []
        put = out.append
        for k in range(n):
            user, action = users[k], actions[k]
            details = details_b[action]
            put(header)
            put(prefix)
            put(blob[16 * k : 16 * k + 16])
            put(users_b[user])
            put(actions_b[action])
            put(details[k % len(details)])
            put(ips[(user * 31 + (k & 1)) & 4095])
            put(agents[agent_ix[k]])
            put(ts(8, (times[k] + shift) * 1_000_000))
        yield b"".join(out), n
    yield binary.TRAILER, 0


def audit_logs(world: World) -> Iterator[Chunk]:
    rng = world.rng("audit_logs")
    total = world.sizes.table_rows()["audit_logs"]
    users_b, orgs_b, ips = world.user_id_fields(), world.org_id_fields(), binary.texts(world.ips)
    user_hex = binary.texts(world.user_ids)  # resource_id of user modifications and deletions
    homes = world.user_home
    agents = binary.texts(USER_AGENT_MIX.values)
    events_b = {e: binary.text(e) for e in AUDIT_EVENT.values}
    names_b = {e: binary.text(name) for e, name in AUDIT_NAME.items()}
    outcome = {
        e: binary.jsonb(f'{{"outcome": "{"failure" if e == "login_failed" else "success"}"}}')
        for e in AUDIT_EVENT.values
    }
    tags_b = {t: binary.text_array_literal(t) for t in COMPLIANCE_TAGS.values}
    resource_user = binary.text("user")
    header, prefix, ts = binary.fields(15), binary.UUID_PREFIX, binary.timestamp_field
    hash_prefix = b"\x00\x00\x00\x40"
    shift = world.clock.base - binary.PG_EPOCH
    retention = 7 * YEAR
    previous = binary.NULL
    yield binary.SIGNATURE, 0
    for start, n in chunk_bounds(total):
        times, users = timeline(
            world, rng, start, n, total, _history_start(world), world.now, HISTORY_POWER
        )
        events = AUDIT_EVENT.draw(rng, n)
        tags = COMPLIANCE_TAGS.draw(rng, n)
        hashes = rng.randbytes(32 * n).hex().encode()
        blob = rng.randbytes(16 * n)
        out: list[bytes] = []
        put = out.append
        random_ = rng.random
        for k in range(n):
            user, event, created = users[k], events[k], times[k]
            put(header)
            put(prefix)
            put(blob[16 * k : 16 * k + 16])
            if random_() < AUDIT_SYSTEM_SHARE:
                put(binary.NULL)
                put(binary.NULL if k & 1 else users_b[user])
            else:
                put(orgs_b[homes[user]])
                put(users_b[user])
            put(ips[(user * 31) & 4095])
            put(agents[k % len(agents)])
            put(events_b[event])
            put(names_b[event])
            if event in ("modification", "deletion"):
                put(resource_user)
                put(user_hex[user])
            else:
                put(binary.NULL)
                put(binary.NULL)
            put(outcome[event])
            put(previous)
            current = hash_prefix + hashes[64 * k : 64 * k + 64]
            put(current)
            previous = current
            put(tags_b[tags[k]])
            put(ts(8, (created + retention + shift) * 1_000_000))
            put(ts(8, (created + shift) * 1_000_000))
        yield b"".join(out), n
    yield binary.TRAILER, 0


TABLES = (
    TableSpec(
        "activity_logs",
        "id user_id action details ip_address user_agent created_at".split(),
        activity_logs,
        binary=True,
    ),
    TableSpec(
        "audit_logs",
        (
            "id organization_id user_id ip_address user_agent event_type event_name resource_type "
            "resource_id event_data previous_hash current_hash compliance_tags retention_until "
            "created_at"
        ).split(),
        audit_logs,
        binary=True,
    ),
)
