"""Cheap, deterministic building blocks for seed rows: COPY text values, ids, times, keys.

Everything here is hot-path code: values are precomputed once and looked up per row, so that
generating a row costs a few list lookups and one f-string. The key schemes (emails, slugs,
tokens, jti values, provider ids) are pure functions of a row number, so a benchmark can compute
a value that exists without querying the database (README: "Values you can compute").
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from itertools import accumulate

NULL = "\\N"
DAY = 86_400
HOUR = 3_600
MINUTE = 60
YEAR = 365 * DAY

_M64 = (1 << 64) - 1
# Per-kind constants of the key tables (the halves of a key are n -> n * A + B mod 2**64).
_KEY_SALTS: dict[str, tuple[int, int, int, int]] = {
    "access_jti": (0x9E3779B97F4A7C15, 0x243F6A8885A308D3, 0xC2B2AE3D27D4EB4F, 0x13198A2E03707344),
    "refresh_jti": (0xBF58476D1CE4E5B9, 0xA4093822299F31D0, 0x94D049BB133111EB, 0x082EFA98EC4E6C89),
    "invitation": (0xD6E8FEB86659FD93, 0x452821E638D01377, 0xFF51AFD7ED558CCD, 0xBE5466CF34E90C6C),
    "magic_link": (0xC4CEB9FE1A85EC53, 0xC0AC29B7C97C50DD, 0x2545F4914F6CDD1D, 0x3F84D5B5B5470917),
    "password_reset": (
        0x5851F42D4C957F2D,
        0x9216D5D98979FB1B,
        0x14057B7EF767814F,
        0xD1310BA698DFB5AC,
    ),
    "email_verification": (
        0x27BB2EE687B0B0FD,
        0x2FFD72DBD01ADFB7,
        0x9E3779B97F4A7C55,
        0xB8E1AFED6A267E96,
    ),
    "credential": (0xDA942042E4DD58B5, 0xBA7C9045F12C7F99, 0x61C8864680B583EB, 0x24A19947B3916CF7),
    "scim": (0xF1357AEA2E62A9C5, 0x0801F2E2858EFC16, 0xAEF17502108EF2D9, 0x636920D871574E69),
    "secret": (0x880355F21E6D1B6B, 0xA458FEA3F4933D7E, 0xD7B8B4F2C14A3E9B, 0x0D95748F728EB658),
}

USER_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "acme.test",
    "globex.test",
    "initech.test",
    "umbrella.test",
    "hooli.test",
    "stark.test",
    "wayne.test",
    "mail.test",
    "inbox.test",
)


# ---------------------------------------------------------------------------------------------
# Key schemes: pure functions of a 1-based row number (README: "Values you can compute").


class _TokenTable:
    """token(kind, n) from three small lookup tables (small tables stay in the CPU cache).

    n -> m = n * ODD mod 2**30 is a bijection; the key is A[m >> 20] + B[(m >> 10) & 1023]
    + C[m & 1023] with 1,024 distinct fixed-width hex strings per table: 11 + 11 + 10 digits.
    """

    MULTIPLIER = 0x2545F491  # odd, so multiplication permutes the integers mod 2**30
    MASK = (1 << 30) - 1

    def __init__(self, a: int, b: int, c: int, d: int):
        self.a = [f"{(i * a + b) & _M64:016x}"[:11] for i in range(1024)]
        self.b = [f"{(i * c + d) & _M64:016x}"[:11] for i in range(1024)]
        self.c = [f"{(i * a + d) & _M64:016x}"[:10] for i in range(1024)]
        for part in (self.a, self.b, self.c):
            for i in range(1024):  # keep the entries of a table distinct (never triggers so far)
                while part.index(part[i]) != i:
                    part[i] = f"{int(part[i], 16) ^ 1:0{len(part[i])}x}"

    def __call__(self, n: int) -> str:
        m = (n * self.MULTIPLIER) & self.MASK
        return self.a[m >> 20] + self.b[(m >> 10) & 1023] + self.c[m & 1023]

    def many(self, first: int, count: int) -> list[str]:
        """token(first), token(first + 1), ... token(first + count - 1)."""
        a, b, c, mult, mask = self.a, self.b, self.c, self.MULTIPLIER, self.MASK
        ms = [(n * mult) & mask for n in range(first, first + count)]
        return [a[m >> 20] + b[(m >> 10) & 1023] + c[m & 1023] for m in ms]


_token_tables: dict[str, _TokenTable] = {}


def token_table(kind: str) -> _TokenTable:
    table = _token_tables.get(kind)
    if table is None:
        table = _token_tables[kind] = _TokenTable(*_KEY_SALTS[kind])
    return table


def token(kind: str, n: int) -> str:
    """The n-th (1-based) key of a kind: 32 lowercase hex digits, unique per kind for n < 2**30."""
    return token_table(kind)(n)


def user_email(n: int) -> str:
    """Email of user number n (1-based, users numbered in order of created_at)."""
    return f"user{n}@{USER_DOMAINS[n % len(USER_DOMAINS)]}"


def username(n: int) -> str:
    return f"user{n}"


def org_slug(n: int) -> str:
    """Slug of organization number n (1-based; organization 1 is the largest)."""
    return f"org-{n}"


def invitee_email(n: int) -> str:
    """Email of invitation n when it was sent to someone who is not (yet) a user."""
    return f"invitee{n}@{USER_DOMAINS[n % len(USER_DOMAINS)]}"


def provider_user_id(n: int) -> str:
    """provider_user_id of oauth_accounts row n: unique over all providers."""
    return f"{(n * 0x9E3779B97F4A7C15 + 7) & _M64:020d}"


def external_id(n: int) -> str:
    """user_metadata.external_id of user n (set on about 10% of users)."""
    return f"ext-{n:08d}"


# ---------------------------------------------------------------------------------------------
# COPY text rendering helpers.


class Clock:
    """Times as small integers, rendered as timestamptz text with three small-table lookups.

    Generators work in seconds since `base` (midnight UTC six years before the anchor), which
    keeps the arithmetic in CPython's fast small-int range; `now` is the anchor in those units.
    """

    def __init__(self, anchor: int, *, past_days: int = 6 * 365, future_days: int = 8 * 365):
        first_day = anchor // DAY - past_days
        self.base = first_day * DAY
        self.now = anchor - self.base
        epoch = dt.date(1970, 1, 1)
        self.days = [
            (epoch + dt.timedelta(days=first_day + k)).isoformat() + " "
            for k in range(past_days + future_days + 1)
        ]
        self.minutes = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
        self.seconds = [f"{s:02d}+00" for s in range(60)]

    def text(self, seconds: int) -> str:
        return (
            self.days[seconds // DAY]
            + self.minutes[seconds % DAY // 60]
            + self.seconds[seconds % 60]
        )

    def texts(self, seconds: Sequence[int]) -> list[str]:
        days, minutes, secs = self.days, self.minutes, self.seconds
        return [days[s // DAY] + minutes[s % DAY // 60] + secs[s % 60] for s in seconds]

    def maybe(self, seconds: int | None) -> str:
        return NULL if seconds is None else self.text(seconds)


def hex_ids(rng: random.Random, n: int) -> list[str]:
    """n random uuids as 32 hex digits (PostgreSQL accepts that spelling), one bulk draw."""
    if n <= 0:
        return []
    blob = rng.randbytes(16 * n).hex()
    return [blob[k : k + 32] for k in range(0, 32 * n, 32)]


def hex_strings(rng: random.Random, n: int, width: int) -> list[str]:
    """n random lowercase hex strings of an even width, one bulk draw."""
    if n <= 0:
        return []
    blob = rng.randbytes(width // 2 * n).hex()
    return [blob[k : k + width] for k in range(0, width * n, width)]


class Mix:
    """A categorical distribution: values with weights, drawn in bulk."""

    def __init__(self, weighted: Sequence[tuple[str, float]]):
        self.values = [v for v, _ in weighted]
        self.cum = list(accumulate(w for _, w in weighted))

    def draw(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.values, cum_weights=self.cum, k=n)


def ip_pool(rng: random.Random, size: int = 4096) -> list[str]:
    return [
        f"{rng.choice((10, 52, 81, 100, 172, 185, 203))}.{rng.randrange(256)}."
        f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(size)
    ]


USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 Edg/124.0",
    "plinto-sdk-python/1.4.2",
    "plinto-sdk-js/2.1.0 node/20.12",
    "okhttp/4.12.0",
)
USER_AGENT_MIX = Mix(
    [(ua, w) for ua, w in zip(USER_AGENTS, (30, 18, 6, 14, 10, 8, 6, 3, 3, 2), strict=True)]
)

FIRST_NAMES = (
    "Ada Alan Grace Linus Barbara Ken Dennis Margaret Edsger Donald Frances John Radia Leslie "
    "Niklaus Tim Guido Bjarne Anders Sophie Yukihiro Rasmus Larry Brian Katherine Hedy Karen "
    "Shafi Silvio Whitfield Martin Jim Joan Adele Lynn Mary Alice Bob Carol Dave Erin Frank "
    "Heidi Ivan Judy Mallory Oscar Peggy Trent Victor Wendy"
).split()
LAST_NAMES = (
    "Lovelace Turing Hopper Torvalds Liskov Thompson Ritchie Hamilton Dijkstra Knuth Allen "
    "Backus Perlman Lamport Wirth Berners-Lee Rossum Stroustrup Hejlsberg Wilson Matsumoto "
    "Lerdorf Wall Kernighan Johnson Lamarr Jones Goldwasser Micali Diffie Hellman Gray "
    "Clarke Goldberg Conway Shaw Smith Garcia Muller Rossi Novak Kowalski Silva Tanaka Kim"
).split()
TIMEZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Mexico_City",
)
LOCALES = ("en", "en-US", "en-GB", "de", "es", "es-MX", "fr", "ja", "pt-BR", "hi")
