"""Row generators for the token tables, OAuth accounts and passkeys (one user each)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from plinto_db.seed.values import (
    DAY,
    HOUR,
    MINUTE,
    NULL,
    Mix,
    hex_ids,
    hex_strings,
    provider_user_id,
    token,
    user_email,
)
from plinto_db.seed.world import Chunk, TableSpec, World, chunk_bounds

PROVIDERS = Mix([("google", 60), ("github", 25), ("microsoft", 10), ("apple", 5)])
TOKEN_PREFIX = {"google": "ya29.", "github": "gho_", "microsoft": "EwB", "apple": "a"}
PASSKEY_NAMES = ("MacBook Touch ID", "iPhone", "YubiKey 5", "Windows Hello", "Pixel", "1Password")
REDIRECTS = ("https://app.example.com/", "https://app.example.com/dashboard", NULL, NULL)


def _lifetime_times(world: World, rng: random.Random, users: list[int]) -> list[int]:
    """A moment in each user's lifetime (between sign-up and now)."""
    created, now, random_ = world.user_created, world.now, rng.random
    return [created[u] + int(random_() * (now - created[u])) for u in users]


def _token_rows(
    world: World,
    kind: str,
    total: int,
    ttl: int,
    used_share: float,
    live_share: float,
    extra: str = "",
) -> Iterator[Chunk]:
    """magic_links / password_resets: used ≈ used_share; a few unused ones still live."""
    rng = world.rng(kind)
    clock, now, ids = world.clock, world.now, world.user_ids
    for start, n in chunk_bounds(total):
        users = rng.choices(world.activity_pool, k=n)
        times = _lifetime_times(world, rng, users)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            created = times[k]
            r = rng.random()
            if r < used_share:
                used, used_at = "t", clock.text(created + int(rng.random() * ttl * 0.8))
            else:
                used, used_at = "f", NULL
                if r < used_share + live_share * (1 - used_share):
                    created = now - int(rng.random() * ttl * 0.9)
            redirect = f"\t{REDIRECTS[k & 3]}" if extra else ""
            rows.append(
                f"{uuids[k]}\t{ids[users[k]]}\t{token(kind, start + k + 1)}{redirect}\t{used}"
                f"\t{used_at}\t{clock.text(created)}\t{clock.text(created + ttl)}\n"
            )
        yield "".join(rows), n


def magic_links(world: World) -> Iterator[Chunk]:
    total = world.sizes.table_rows()["magic_links"]
    return _token_rows(world, "magic_link", total, 15 * MINUTE, 0.90, 0.2, extra="redirect")


def password_resets(world: World) -> Iterator[Chunk]:
    total = world.sizes.table_rows()["password_resets"]
    return _token_rows(world, "password_reset", total, HOUR, 0.60, 0.1)


def email_verifications(world: World) -> Iterator[Chunk]:
    """One row per user (verified iff the user is), then re-sent/changed-email rows."""
    rng = world.rng("email_verification")
    clock, now, ids, u = world.clock, world.now, world.user_ids, world.sizes.users
    total = world.sizes.table_rows()["email_verifications"]
    ttl = 2 * DAY
    for start, n in chunk_bounds(total):
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            i = start + k
            if i < u:
                user, created, verified_secs = i, world.user_created[i], world.user_verified_at[i]
            else:
                user = int(rng.random() * u)
                created = world.user_created[user]
                created += int(rng.random() * (now - created))
                verified_secs = (
                    min(now, created + int(rng.random() * ttl)) if rng.random() < 0.6 else None
                )
            rows.append(
                f"{uuids[k]}\t{ids[user]}\t{token('email_verification', i + 1)}"
                f"\t{user_email(user + 1)}\t{'f' if verified_secs is None else 't'}"
                f"\t{clock.maybe(verified_secs)}\t{clock.text(created)}"
                f"\t{clock.text(created + ttl)}\n"
            )
        yield "".join(rows), n


def oauth_accounts(world: World) -> Iterator[Chunk]:
    rng = world.rng("oauth_accounts")
    clock, now, ids, u = world.clock, world.now, world.user_ids, world.sizes.users
    total = world.sizes.table_rows()["oauth_accounts"]
    for start, n in chunk_bounds(total):
        users = [int(rng.random() * u) for _ in range(n)]
        times = _lifetime_times(world, rng, users)
        providers = PROVIDERS.draw(rng, n)
        secrets = hex_strings(rng, n, 40)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            number, user, provider, created = start + k + 1, users[k], providers[k], times[k]
            refresh = f"1//{secrets[k][::-1]}" if rng.random() < 0.5 else NULL
            expires = created + HOUR if rng.random() < 0.9 else now + int(rng.random() * HOUR)
            rows.append(
                f"{uuids[k]}\t{ids[user]}\t{provider}\t{provider_user_id(number)}"
                f"\t{user_email(user + 1)}\t{TOKEN_PREFIX[provider]}{secrets[k]}\t{refresh}"
                f"\t{clock.text(expires)}"
                f'\t{{"login": "user{user + 1}", "verified_email": true}}'
                f"\t{clock.text(created)}\t{clock.text(created)}\n"
            )
        yield "".join(rows), n


def passkeys(world: World) -> Iterator[Chunk]:
    rng = world.rng("passkeys")
    clock, ids, u = world.clock, world.user_ids, world.sizes.users
    total = world.sizes.table_rows()["passkeys"]
    for start, n in chunk_bounds(total):
        users = [int(rng.random() * u) for _ in range(n)]
        times = _lifetime_times(world, rng, users)
        keys = hex_strings(rng, n, 128)
        uuids = hex_ids(rng, n)
        rows = []
        for k in range(n):
            number, created = start + k + 1, times[k]
            last_used = (
                clock.text(created + int(rng.random() * (world.now - created)))
                if rng.random() < 0.85
                else NULL
            )
            rows.append(
                f"{uuids[k]}\t{ids[users[k]]}\t{token('credential', number)}"
                f"\tpQECAyYgASFYI{keys[k]}"
                f"\t{int(rng.random() * 500)}\t{PASSKEY_NAMES[int(rng.random() * 6)]}"
                f"\t{'platform' if rng.random() < 0.7 else 'cross-platform'}"
                f"\t{clock.text(created)}\t{last_used}\n"
            )
        yield "".join(rows), n


TABLES = (
    TableSpec(
        "magic_links",
        "id user_id token redirect_url used used_at created_at expires_at".split(),
        magic_links,
    ),
    TableSpec(
        "password_resets",
        "id user_id token used used_at created_at expires_at".split(),
        password_resets,
    ),
    TableSpec(
        "email_verifications",
        "id user_id token email verified verified_at created_at expires_at".split(),
        email_verifications,
    ),
    TableSpec(
        "oauth_accounts",
        (
            "id user_id provider provider_user_id provider_email access_token refresh_token "
            "token_expires_at provider_data created_at updated_at"
        ).split(),
        oauth_accounts,
    ),
    TableSpec(
        "passkeys",
        (
            "id user_id credential_id public_key sign_count name authenticator_attachment "
            "created_at last_used_at"
        ).split(),
        passkeys,
    ),
)
