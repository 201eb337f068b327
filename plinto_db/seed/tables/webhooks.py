"""Row generators for organization-level integrations: webhooks, SCIM and policies.

Webhook events cover the last 30 days and follow the acting user's home organization; only
events of organizations that have an endpoint get deliveries, to one of that organization's
endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.seed import binary
from plinto_db.seed.values import DAY, NULL, Mix, hex_ids, org_slug, token, user_email
from plinto_db.seed.world import Chunk, TableSpec, World, chunk_bounds, timeline

EVENT_TYPE = Mix(
    [
        ("user.signed_in", 70),
        ("user.signed_out", 10),
        ("user.updated", 6),
        ("user.created", 4),
        ("invitation.created", 3),
        ("invitation.accepted", 2),
        ("organization.updated", 2),
        ("payment.success", 1.5),
        ("subscription.updated", 1),
        ("payment.failed", 0.5),
    ]
)
ENDPOINT_EVENTS = (
    "{user.created,user.updated,user.deleted}",
    "{user.signed_in,user.signed_out}",
    "{user.created,user.signed_in,user.signed_out,user.updated,user.deleted}",
    "{organization.created,organization.updated,organization.deleted}",
    "{invitation.created,invitation.accepted}",
    "{payment.success,payment.failed,subscription.created,subscription.updated,"
    "subscription.cancelled}",
)
DELIVERY_STATUS = Mix([("delivered", 96), ("failed", 2), ("retrying", 1), ("pending", 1)])
WEBHOOK_WINDOW = 30 * DAY
DELIVERIES_PER_EVENT = 0.4


def webhook_endpoints(world: World) -> Iterator[Chunk]:
    rng = world.rng("webhook_endpoints")
    clock, now = world.clock, world.now
    total = world.sizes.table_rows()["webhook_endpoints"]
    orgs = rng.choices(range(world.sizes.organizations), cum_weights=world.org_cum_weights, k=total)
    ids = hex_ids(rng, total)
    world.endpoint_ids = ids
    world.endpoints_by_org = {}
    for org, endpoint in zip(orgs, ids, strict=True):
        world.endpoints_by_org.setdefault(org, []).append(endpoint)
    for start, n in chunk_bounds(total):
        rows = []
        for k in range(n):
            number, org = start + k + 1, orgs[start + k]
            created = world.org_created[org]
            created += int(rng.random() * (now - created))
            active = rng.random() < 0.8
            owner = world.user_ids[world.org_owner[org]] if rng.random() < 0.8 else NULL
            successes = int(rng.random() * 5000)
            rows.append(
                f"{ids[start + k]}\t{owner}\t{world.org_ids[org]}"
                f"\thttps://hooks.{org_slug(org + 1)}.example.com/plinto/{number}"
                f"\twhsec_{token('secret', number)}"
                f"\t{ENDPOINT_EVENTS[number % len(ENDPOINT_EVENTS)]}"
                f"\t{'t' if active else 'f'}\t{NULL}\t{NULL}\t3\t60\t{successes}"
                f"\t{int(rng.random() * 50)}"
                f"\t{clock.text(now - int(rng.random() * DAY)) if successes else NULL}\t{NULL}"
                f"\t{clock.text(created)}\t{clock.text(created)}\n"
            )
        yield "".join(rows), n


def webhook_events(world: World) -> Iterator[Chunk]:
    """The last 30 days of events; picks which of them get deliveries (~0.4 per event)."""
    rng = world.rng("webhook_events")
    now = world.now
    total = world.sizes.table_rows()["webhook_events"]
    hooked = world.endpoints_by_org
    pool = world.activity_pool
    eligible = sum(1 for user in pool if world.user_home[user] in hooked) / len(pool)
    per_event = DELIVERIES_PER_EVENT / max(eligible * 0.95, 1e-9)
    world.events = []
    homes = world.user_home
    users_b, orgs_b = world.user_id_fields(), world.org_id_fields()
    data_b = [
        binary.jsonb(f'{{"user_id": "{user_id}", "email": "{user_email(i + 1)}"}}')
        for i, user_id in enumerate(world.user_ids)
    ]
    types_b = {t: binary.text(t) for t in EVENT_TYPE.values}
    header, prefix, ts = binary.fields(6), binary.UUID_PREFIX, binary.timestamp_field
    shift = world.clock.base - binary.PG_EPOCH
    yield binary.SIGNATURE, 0
    for start, n in chunk_bounds(total):
        times, users = timeline(world, rng, start, n, total, now - WEBHOOK_WINDOW, now)
        types = EVENT_TYPE.draw(rng, n)
        blob = rng.randbytes(16 * n)
        out: list[bytes] = []
        put = out.append
        random_ = rng.random
        for k in range(n):
            user, kind, created = users[k], types[k], times[k]
            home = homes[user]
            system = random_() < 0.05
            put(header)
            put(prefix)
            put(blob[16 * k : 16 * k + 16])
            put(types_b[kind])
            put(data_b[user])
            put(users_b[user])
            put(binary.NULL if system else orgs_b[home])
            put(ts(8, (created + shift) * 1_000_000))
            if not system and home in hooked:
                copies = int(per_event) + (random_() < per_event % 1)
                if copies:
                    event_id = blob[16 * k : 16 * k + 16].hex()
                    for _ in range(copies):
                        world.events.append((event_id, kind, home, created))
        yield b"".join(out), n
    yield binary.TRAILER, 0


def webhook_deliveries(world: World) -> Iterator[Chunk]:
    rng = world.rng("webhook_deliveries")
    clock, now = world.clock, world.now
    events = world.events
    for start, n in chunk_bounds(len(events)):
        statuses = DELIVERY_STATUS.draw(rng, n)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            event_id, kind, org, created = events[start + k]
            endpoints = world.endpoints_by_org[org]
            endpoint = endpoints[int(rng.random() * len(endpoints))]
            status = statuses[k]
            sent = created + 1 + int(rng.random() * 5)
            delivered_at = next_retry = error = NULL
            if status == "delivered":
                attempts, response = (1 if rng.random() < 0.9 else 2), "200"
                delivered_at = clock.text(sent)
            elif status == "failed":
                attempts, response, error = 3, "500", "endpoint returned HTTP 500 three times"
            elif status == "retrying":
                attempts, response, error = 1, "503", "endpoint returned HTTP 503"
                next_retry = clock.text(now + int(rng.random() * 3600))
            else:
                attempts, response = 0, NULL
            rows.append(
                f"{uuids[k]}\t{endpoint}\t{event_id}\t{kind}\t{status}\t{attempts}"
                f'\t{{"type": "{kind}"}}\t{response}\t{clock.text(created)}\t{delivered_at}'
                f"\t{next_retry}\t{error}\t{clock.text(created)}\n"
            )
        yield "".join(rows), n
    world.events = []


def scim_resources(world: World) -> Iterator[Chunk]:
    """~10% of organizations (the larger ones more likely) provision users through SCIM."""
    rng = world.rng("scim_resources")
    clock, now = world.clock, world.now
    o = world.sizes.organizations
    total = world.sizes.table_rows()["scim_resources"]
    wanted = max(1, round(0.1 * o))
    chosen: list[int] = []
    for org in rng.choices(range(o), cum_weights=world.org_cum_weights, k=20 * wanted):
        if org not in chosen:
            chosen.append(org)
            if len(chosen) == wanted:
                break
    sizes = [len(world.org_members[org]) for org in chosen]
    weight = sum(sizes)
    plan = [
        org
        for org, size in zip(chosen, sizes, strict=True)
        for _ in range(max(1, size * total // weight))
    ]
    while len(plan) < total:
        plan.append(chosen[len(plan) % len(chosen)])
    plan = plan[:total]
    plan.sort()
    seen: dict[int, int] = {}
    for start, n in chunk_bounds(total):
        uuids = hex_ids(rng, 2 * n)
        rows = []
        for k in range(n):
            org = plan[start + k]
            position = seen[org] = seen.get(org, -1) + 1
            members = world.org_members[org]
            scim = token("scim", start + k + 1)
            scim = f"{scim[:8]}-{scim[8:12]}-{scim[12:16]}-{scim[16:20]}-{scim[20:]}"
            if rng.random() < 0.95:
                kind, user = "User", members[position % len(members)]
                internal = world.user_ids[user]
                attributes = f'{{"userName": "{user_email(user + 1)}", "active": true}}'
            else:
                kind, internal = "Group", uuids[n + k]
                attributes = f'{{"displayName": "group-{position}"}}'
            created = world.org_created[org] + int(rng.random() * (now - world.org_created[org]))
            status = "synced" if rng.random() < 0.97 else "error"
            rows.append(
                f"{uuids[k]}\t{world.org_ids[org]}\t{scim}\t{kind}\t{internal}"
                f"\t{clock.text(created + int(rng.random() * (now - created)))}\t{status}"
                f"\t{attributes}\t{clock.text(created)}\t{clock.text(created)}\n"
            )
        yield "".join(rows), n


POLICY_TARGET = Mix([("role", 45), ("user", 25), ("organization", 20), ("resource", 10)])


def policies(world: World) -> Iterator[Chunk]:
    rng = world.rng("policies")
    clock, now = world.clock, world.now
    total = world.sizes.table_rows()["policies"]
    for start, n in chunk_bounds(total):
        targets = POLICY_TARGET.draw(rng, n)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            number = start + k + 1
            org = (start + k) // 2
            org_id = world.org_ids[org]
            target = targets[k]
            if target == "user":
                members = world.org_members[org]
                target_id = world.user_ids[members[int(rng.random() * len(members))]]
            elif target == "role":
                target_id = ("admin", "member", "viewer")[int(rng.random() * 3)]
            elif target == "organization":
                target_id = org_id
            else:
                target_id = f"documents/{number}"
            attributes = (
                f'{{"department": "{("eng", "sales", "ops")[k % 3]}", "clearance": {k % 4}}}'
                if rng.random() < 0.3
                else NULL
            )
            created = world.org_created[org] + int(rng.random() * (now - world.org_created[org]))
            rows.append(
                f"{uuids[k]}\t{org_id}\t{org_id}\tpolicy-{number}\t{NULL}\t1"
                f'\t{{"allow_mfa_bypass": false}}\t{"deny" if rng.random() < 0.15 else "allow"}'
                f"\t{int(rng.random() * 100)}\t{'t' if rng.random() < 0.9 else 'f'}\t{target}"
                f"\t{target_id}\tapi\t/orgs/{org_slug(org + 1)}/*"
                f'\t["read", "write"]\t{{"mfa": true}}\t{attributes}\t{clock.text(created)}'
                f"\t{clock.text(created)}\n"
            )
        yield "".join(rows), n


TABLES = (
    TableSpec(
        "webhook_endpoints",
        (
            "id user_id organization_id url secret events is_active description headers "
            "max_retries retry_delay success_count failure_count last_success_at last_failure_at "
            "created_at updated_at"
        ).split(),
        webhook_endpoints,
    ),
    TableSpec(
        "webhook_events",
        "id type data user_id organization_id created_at".split(),
        webhook_events,
        binary=True,
    ),
    TableSpec(
        "webhook_deliveries",
        (
            "id endpoint_id event_id event_type status attempts request_body response_status "
            "scheduled_at delivered_at next_retry_at error_message created_at"
        ).split(),
        webhook_deliveries,
        rows=lambda world: len(world.events),  # drawn while webhook_events is generated
    ),
    TableSpec(
        "scim_resources",
        (
            "id organization_id scim_id resource_type internal_id last_synced_at sync_status "
            "raw_attributes created_at updated_at"
        ).split(),
        scim_resources,
    ),
    TableSpec(
        "policies",
        (
            "id tenant_id organization_id name description version rules effect priority enabled "
            "target_type target_id resource_type resource_pattern actions conditions attributes "
            "created_at updated_at"
        ).split(),
        policies,
    ),
)
