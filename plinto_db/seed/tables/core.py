"""Row generators for users, organizations, memberships, invitations and sessions.

Each generator yields COPY text chunks (tab-separated, `\\N` for NULL) in the column order of
its TableSpec, drawing only from its own random stream (World.rng(table)).
"""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.seed import binary
from plinto_db.seed.values import (
    DAY,
    FIRST_NAMES,
    HOUR,
    LAST_NAMES,
    LOCALES,
    NULL,
    TIMEZONES,
    USER_AGENT_MIX,
    USER_AGENTS,
    Mix,
    external_id,
    hex_ids,
    hex_strings,
    invitee_email,
    org_slug,
    token,
    token_table,
    user_email,
    username,
)
from plinto_db.seed.world import Chunk, TableSpec, World, chunk_bounds, timeline

USER_STATUS = Mix(
    [("active", 93), ("pending", 4), ("inactive", 1), ("suspended", 1), ("deleted", 1)]
)
MEMBER_ROLE = Mix([("admin", 10), ("member", 78), ("viewer", 10)])  # plus one owner per org
MEMBER_STATUS = Mix([("active", 95), ("inactive", 2), ("pending", 2), ("removed", 1)])
INVITATION_STATUS = Mix([("pending", 12), ("accepted", 75), ("expired", 9), ("revoked", 4)])
INVITATION_ROLE = Mix([("member", 80), ("admin", 12), ("viewer", 8)])
DEVICES = (
    "Chrome on Windows",
    "Safari on macOS",
    "Firefox on Linux",
    "Safari on iPhone",
    "Chrome on Android",
    "Chrome on macOS",
    "Edge on Windows",
    "Python SDK",
    "Node SDK",
    "Android app",
)
ORG_WORDS = (
    "Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Tyrell Cyberdyne Soylent Aperture "
    "Black Mesa Vandelay Prestige Oscorp Gringotts Monarch Dunder Sterling Pied Piper"
).split()
ORG_SUFFIXES = ("Inc", "Labs", "GmbH", "Systems", "Group", "Cloud", "Health", "Bank", "Studio")

SESSION_RECENT_SHARE = 0.30  # sessions created in the last 7 days (active unless revoked)
SESSION_WINDOW = 30 * DAY  # sessions older than this are purged
SESSION_TTL = 7 * DAY
INVITATION_TTL = 7 * DAY


def users(world: World) -> Iterator[Chunk]:
    rng = world.rng("users")
    clock, now, u = world.clock, world.now, world.sizes.users
    for start, n in chunk_bounds(u):
        statuses = USER_STATUS.draw(rng, n)
        hashes = hex_strings(rng, n, 54)
        secrets = hex_strings(rng, n, 32)
        rows = []
        for k in range(n):
            i = start + k
            number = i + 1
            created = world.user_created[i]
            verified_at = world.user_verified_at[i]
            status = statuses[k]
            if status == "active" and verified_at is None and rng.random() < 0.5:
                status = "pending"
            first = FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]
            last = LAST_NAMES[int(rng.random() * len(LAST_NAMES))]
            r = rng.random()
            if r < 0.10:
                metadata = f'{{"external_id": "{external_id(number)}", "provisioned_by": "scim"}}'
            elif r < 0.25:
                metadata = '{"theme": "dark", "onboarding_completed": true}'
            elif r < 0.40:
                metadata = '{"onboarding_completed": true}'
            else:
                metadata = "{}"
            mfa = rng.random() < 0.15
            signed_in = (
                NULL
                if status == "pending"
                else clock.text(now - int(rng.random() ** 3 * (now - created)))
            )
            phone = f"+1555{int(rng.random() * 10_000_000):07d}" if rng.random() < 0.3 else NULL
            rows.append(
                f"{world.user_ids[i]}\t{user_email(number)}\t{'f' if verified_at is None else 't'}"
                f"\t{username(number)}"
                f"\t{NULL if rng.random() < 0.08 else '$2b$12$' + hashes[k][:53]}"
                f"\t{first}\t{last}\t{first} {last}\t{phone}\t{'t' if phone != NULL else 'f'}"
                f"\t{TIMEZONES[int(rng.random() * len(TIMEZONES))]}"
                f"\t{LOCALES[int(rng.random() * len(LOCALES))]}\t{status}\t{metadata}"
                f"\t{'t' if mfa else 'f'}\t{secrets[k].upper() if mfa else NULL}"
                f"\t{'t' if rng.random() < 0.001 else 'f'}\t{clock.text(created)}"
                f"\t{clock.text(created + int(rng.random() * (now - created)))}"
                f"\t{signed_in}\t{clock.maybe(verified_at)}\n"
            )
        yield "".join(rows), n


def organizations(world: World) -> Iterator[Chunk]:
    rng = world.rng("organizations")
    clock, now = world.clock, world.now
    o = world.sizes.organizations
    for start, n in chunk_bounds(o):
        rows = []
        for k in range(n):
            j = start + k
            number = j + 1
            size = len(world.org_members[j])
            plan = "enterprise" if size >= 200 else "pro" if size >= 25 else "free"
            if rng.random() < 0.1:
                plan = "pro" if plan == "free" else "free"
            name = (
                f"{ORG_WORDS[j % len(ORG_WORDS)]} "
                f"{ORG_SUFFIXES[(j // len(ORG_WORDS)) % len(ORG_SUFFIXES)]} {number}"
            )
            mfa = "true" if rng.random() < 0.3 else "false"
            sso = "true" if plan == "enterprise" or rng.random() < 0.05 else "false"
            owner = world.org_owner[j]
            created = world.org_created[j]
            rows.append(
                f"{world.org_ids[j]}\t{name}\t{org_slug(number)}\t"
                f"{NULL if rng.random() < 0.6 else 'Team workspace of ' + name}"
                f"\t{world.user_ids[owner]}"
                f'\t{{"mfa_required": {mfa}, "sso_enabled": {sso}, "session_ttl_hours": '
                f"{(8, 24, 168)[int(rng.random() * 3)]}}}"
                f'\t{{"industry": "{("saas", "fintech", "health", "retail")[j % 4]}"}}'
                f"\tbilling@{org_slug(number)}.example.com\t{plan}\t{clock.text(created)}"
                f"\t{clock.text(created + int(rng.random() * (now - created)))}\n"
            )
        yield "".join(rows), n


def organization_members(world: World) -> Iterator[Chunk]:
    rng = world.rng("organization_members")
    clock, now = world.clock, world.now
    memberships = world.memberships
    ids = hex_ids(rng, len(memberships))
    for start, n in chunk_bounds(len(memberships)):
        roles = MEMBER_ROLE.draw(rng, n)
        statuses = MEMBER_STATUS.draw(rng, n)
        rows = []
        for k in range(n):
            joined, org, user = memberships[start + k]
            owner = world.org_owner[org]
            if user == owner:
                role, status, invited_by = "owner", "active", NULL
            else:
                role, status = roles[k], statuses[k]
                invited_by = world.user_ids[owner] if rng.random() < 0.7 else NULL
            permissions = '["members:manage", "billing:read"]' if role == "admin" else "[]"
            joined_text = clock.text(joined)
            updated = clock.text(joined + int(rng.random() * (now - joined)))
            rows.append(
                f"{ids[start + k]}\t{world.org_ids[org]}\t{world.user_ids[user]}\t{role}"
                f"\t{status}\t{permissions}\t{invited_by}\t{joined_text}\t{joined_text}"
                f"\t{updated}\n"
            )
        yield "".join(rows), n


def organization_invitations(world: World) -> Iterator[Chunk]:
    rng = world.rng("organization_invitations")
    clock, now = world.clock, world.now
    total = world.sizes.table_rows()["organization_invitations"]
    ids = world.user_ids
    for start, n in chunk_bounds(total):
        orgs = rng.choices(range(world.sizes.organizations), cum_weights=world.org_cum_weights, k=n)
        statuses = INVITATION_STATUS.draw(rng, n)
        roles = INVITATION_ROLE.draw(rng, n)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            number = start + k + 1
            org, status = orgs[k], statuses[k]
            members = world.org_members[org]
            email, accepted_by, accepted_at, updated = invitee_email(number), NULL, NULL, NULL
            if status == "pending":
                created = now - int(rng.random() * (INVITATION_TTL - HOUR))
            else:
                created = now - INVITATION_TTL - int(rng.random() * 358 * DAY)
            if status == "accepted":
                user = members[int(rng.random() * len(members))]
                email, accepted_by = user_email(user + 1), ids[user]
                accepted_at = clock.text(created + int(rng.random() * 3 * DAY))
                updated = accepted_at
            elif status == "revoked":
                updated = clock.text(created + int(rng.random() * 5 * DAY))
            elif status == "expired":
                updated = clock.text(created + INVITATION_TTL + int(rng.random() * HOUR))
            rows.append(
                f"{uuids[k]}\t{world.org_ids[org]}\t{email}\t{roles[k]}\t[]"
                f"\t{token('invitation', number)}\t{ids[world.org_owner[org]]}\t{accepted_by}"
                f"\t{status}\t{accepted_at}\t{clock.text(created)}\t{updated}"
                f"\t{clock.text(created + INVITATION_TTL)}\n"
            )
        yield "".join(rows), n


def _session_times(
    world: World, rng, start: int, n: int, older: int, total: int
) -> tuple[list[int], list[int]]:
    """Creation times and users of one chunk of sessions, in order of created_at: two
    segments, [now-30d, now-7d) for the older rows, [now-7d, now) for the recent ones."""
    now = world.now
    times: list[int] = []
    people: list[int] = []
    first_old = min(n, max(0, older - start))
    if first_old:
        t, p = timeline(
            world, rng, start, first_old, older, now - SESSION_WINDOW, now - SESSION_TTL
        )
        times += t
        people += p
    if n - first_old:
        t, p = timeline(
            world,
            rng,
            start + first_old - older,
            n - first_old,
            total - older,
            now - SESSION_TTL + 60,
            now - 60,
        )
        times += t
        people += p
    return times, people


def sessions(world: World) -> Iterator[Chunk]:
    """active ~25%, expired ~60%, revoked ~15%, written in order of created_at (30-day window)."""
    rng = world.rng("sessions")
    clock, now = world.clock, world.now
    total = world.sizes.table_rows()["sessions"]
    older = total - round(SESSION_RECENT_SHARE * total)
    user_ids, ips = world.user_id_fields(), binary.texts(world.ips)
    access_jti, refresh_jti = token_table("access_jti"), token_table("refresh_jti")
    header, jti_prefix, ts = binary.fields(14), b"\x00\x00\x00\x20", binary.timestamp_field
    shift = clock.base - binary.PG_EPOCH
    agents_b, devices_b = binary.texts(USER_AGENTS), binary.texts(DEVICES)
    status_b = {s: binary.text(s) for s in ("active", "expired", "revoked")}
    yield binary.SIGNATURE, 0
    for start, n in chunk_bounds(total):
        times, people = _session_times(world, rng, start, n, older, total)
        agents = rng.choices(range(len(USER_AGENTS)), cum_weights=USER_AGENT_MIX.cum, k=n)
        blob = rng.randbytes(16 * n)
        access = access_jti.many(start + 1, n)
        refresh = refresh_jti.many(start + 1, n)
        out: list[bytes] = []
        put = out.append
        random_ = rng.random
        for k in range(n):
            created, user, agent = times[k], people[k], agents[k]
            recent = created > now - SESSION_TTL
            put(header)
            put(binary.UUID_PREFIX)
            put(blob[16 * k : 16 * k + 16])
            put(user_ids[user])
            put(jti_prefix + access[k].encode())
            put(jti_prefix + refresh[k].encode())
            put(ips[(user * 31 + (k & 1)) & 4095])
            put(agents_b[agent])
            put(devices_b[agent])
            if random_() < (1 / 6 if recent else 0.143):
                revoked_secs = created + int(
                    random_() * (min(created + SESSION_TTL, now) - created)
                )
                last = created + int(random_() * (revoked_secs - created))
                put(status_b["revoked"])
                put(binary.TRUE)
                revoked_at = ts(8, (revoked_secs + shift) * 1_000_000)
            else:
                last = created + int(random_() * (min(created + SESSION_TTL, now) - created))
                put(status_b["active" if recent else "expired"])
                put(binary.FALSE)
                revoked_at = binary.NULL
            last_b = ts(8, (last + shift) * 1_000_000)
            put(ts(8, (created + shift) * 1_000_000))
            put(ts(8, (created + SESSION_TTL + shift) * 1_000_000))
            put(last_b)
            put(last_b)
            put(revoked_at)
        yield b"".join(out), n
    yield binary.TRAILER, 0


TABLES = (
    TableSpec(
        "users",
        (
            "id email email_verified username password_hash first_name last_name display_name "
            "phone_number phone_verified timezone locale status user_metadata mfa_enabled "
            "mfa_secret is_admin created_at updated_at last_sign_in_at email_verified_at"
        ).split(),
        users,
    ),
    TableSpec(
        "organizations",
        (
            "id name slug description owner_id settings org_metadata billing_email billing_plan "
            "created_at updated_at"
        ).split(),
        organizations,
    ),
    TableSpec(
        "organization_members",
        (
            "id organization_id user_id role status permissions invited_by joined_at created_at "
            "updated_at"
        ).split(),
        organization_members,
    ),
    TableSpec(
        "organization_invitations",
        (
            "id organization_id email role permissions token invited_by accepted_by status "
            "accepted_at created_at updated_at expires_at"
        ).split(),
        organization_invitations,
    ),
    TableSpec(
        "sessions",
        (
            "id user_id access_token_jti refresh_token_jti ip_address user_agent device_name "
            "status revoked created_at expires_at last_active_at last_activity_at revoked_at"
        ).split(),
        sessions,
        binary=True,
    ),
)
