"""Plinto's flows: the check queries combined as the Plinto API combines them.

The only room of the API that knows Plinto's tables (DESIGN: the API's flows may). Reads reuse
the workload's SQL by check name; the only SQL written here is what no check holds: the rows a
sign-in inserts, and the start-up queries that sample keys for the flows to draw from. A flow
whose checks are not all in the workload (a user's own --checks) is simply absent.

Each request draws its key at random from the sample (or takes it from the query string), so a
flow reads different rows on every request, as an API does. Sign-in's inserts run in a
transaction that is rolled back: nothing is kept.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plinto_db.api.database import Database, QueryError, rolled_back
from plinto_db.api.encode import fields, record
from plinto_db.api.endpoints import BadParameter, Endpoint, FlowKeys, text_value


class Flow(StrEnum):
    SIGN_IN = "sign-in"
    SESSION_VALIDATION = "session-validation"
    MY_SESSIONS = "my-sessions"
    ORG_DASHBOARD = "org-dashboard"
    WEBHOOK_RETRY_SWEEP = "webhook-retry-sweep"


SIGNIN = "01_users_signin_by_email"
CURRENT_USER = "02_users_current_user"
VALIDATE = "03_sessions_validate_fast"
ROLE_OF_USER = "07_org_members_role_of_user"
RETRY_WORKER = "21_webhook_retry_worker"
AUDIT_TAIL = "23_audit_chain_tail"
LIST_MINE = "25_sessions_list_mine"
MEMBER_LIST = "30_org_member_list"

NEEDS: dict[Flow, tuple[str, ...]] = {
    Flow.SIGN_IN: (SIGNIN,),
    Flow.SESSION_VALIDATION: (VALIDATE, CURRENT_USER),
    Flow.MY_SESSIONS: (VALIDATE, LIST_MINE),
    Flow.ORG_DASHBOARD: (ROLE_OF_USER, MEMBER_LIST, AUDIT_TAIL),
    Flow.WEBHOOK_RETRY_SWEEP: (RETRY_WORKER,),
}

SAMPLE_SIZE = 1000
PAGE = 50  # rows of a list a flow returns (it reads them all)

# Start-up samples, deterministic (ordered by a hash of the key), so that two runs against the
# same data (before and after the catalog) draw from the same keys.
KEY_QUERIES: dict[str, str] = {
    "emails": "SELECT email FROM users WHERE status = 'active' "
    f"ORDER BY md5(id::text) LIMIT {SAMPLE_SIZE}",
    # sessions that validate (active, unrevoked, a day from expiry) of users who are active
    "jtis": "SELECT s.access_token_jti FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.status = 'active' AND s.revoked = false AND s.expires_at > now() + interval '1 day' "
    f"AND u.status = 'active' ORDER BY md5(s.id::text) LIMIT {SAMPLE_SIZE}",
    "memberships": "SELECT user_id::text, organization_id::text FROM organization_members "
    f"WHERE status = 'active' ORDER BY md5(id::text) LIMIT {SAMPLE_SIZE}",
}
KEYS_OF: dict[Flow, str | None] = {
    Flow.SIGN_IN: "emails",
    Flow.SESSION_VALIDATION: "jtis",
    Flow.MY_SESSIONS: "jtis",
    Flow.ORG_DASHBOARD: "memberships",
    Flow.WEBHOOK_RETRY_SWEEP: None,
}
KEY_TABLES = {"emails": "users", "jtis": "sessions", "memberships": "organization_members"}

NEW_SESSION = """INSERT INTO sessions (user_id, access_token_jti, refresh_token_jti, ip_address,
  user_agent, device_name, status, revoked, expires_at)
VALUES ($1, $2, $3, $4, $5, 'plinto-db bench', 'active', false, now() + interval '7 days')
RETURNING id, expires_at"""
NEW_ACTIVITY = """INSERT INTO activity_logs (user_id, action, details, ip_address, user_agent)
VALUES ($1, 'login', $2, $3, $4)"""
# What each page shows: the flows select these columns of the rows they read, never a secret
# (password_hash, mfa_secret, ...) nor another session's tokens.
USER_FIELDS = ("id", "email", "username", "first_name", "last_name", "display_name", "status",
               "email_verified", "mfa_enabled", "is_admin", "last_sign_in_at")  # fmt: skip
SESSION_FIELDS = ("id", "user_id", "access_token_jti", "status", "expires_at", "last_activity_at")
LISTED_SESSION_FIELDS = ("id", "user_id", "device_name", "ip_address", "user_agent", "status",
                         "created_at", "last_activity_at", "expires_at")  # fmt: skip
MEMBER_FIELDS = ("id", "email", "username", "first_name", "last_name", "display_name", "role",
                 "joined_at")  # fmt: skip
CLIENT_IP = "127.0.0.1"
USER_AGENT = "plinto-db serve"


def available(names: set[str]) -> tuple[Flow, ...]:
    """The flows whose checks are all in the workload (pure)."""
    return tuple(flow for flow, needs in NEEDS.items() if all(n in names for n in needs))


Handler = Callable[[Mapping[str, str]], Awaitable[tuple[int, dict[str, Any]]]]


@dataclass
class Flows:
    db: Database
    endpoints: Mapping[str, Endpoint]
    keys: FlowKeys
    rng: random.Random

    def handlers(self, names: tuple[str, ...]) -> dict[str, Handler]:
        table: dict[str, Handler] = {
            Flow.SIGN_IN: self.sign_in,
            Flow.SESSION_VALIDATION: self.session_validation,
            Flow.MY_SESSIONS: self.my_sessions,
            Flow.ORG_DASHBOARD: self.org_dashboard,
            Flow.WEBHOOK_RETRY_SWEEP: self.webhook_retry_sweep,
        }
        return {name: table[name] for name in names}

    def _sql(self, check: str) -> str:
        return self.endpoints[check].sql

    async def _fetch(self, conn, sql: str, values) -> tuple[tuple[str, ...], list]:
        names, rows, _ = await self.db.fetch(conn, sql, values)
        return names, rows

    def _draw(self, query: Mapping[str, str], key: str, pool: tuple[Any, ...]) -> Any:
        given = query.get(key)
        return given if given is not None else self.rng.choice(pool)

    async def sign_in(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        email = self._draw(query, "email", self.keys.emails)
        async with self.db.connection() as conn, rolled_back(conn):
            names, rows = await self._fetch(conn, self._sql(SIGNIN), (email,))
            if not rows:
                return 401, {"signed_in": False, "email": email}
            user = record(names, rows[0])
            assert user is not None
            jti, refresh = secrets.token_hex(16), secrets.token_hex(16)
            session_names, session = await self._fetch(
                conn, NEW_SESSION, (user["id"], jti, refresh, CLIENT_IP, USER_AGENT)
            )
            details = json.dumps({"method": "password", "session_id": str(session[0][0])})
            await conn.execute(NEW_ACTIVITY, (user["id"], details, CLIENT_IP, USER_AGENT))
        return 200, {
            "signed_in": True,
            "user_id": user["id"],
            "session": record(session_names, session[0]),
            "kept": False,
        }

    async def _session(self, conn, jti: str) -> dict[str, Any] | None:
        names, rows = await self._fetch(conn, self._sql(VALIDATE), (jti,))
        return fields(names, rows[0], SESSION_FIELDS) if rows else None

    async def session_validation(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        jti = self._draw(query, "jti", self.keys.jtis)
        async with self.db.connection() as conn:
            session = await self._session(conn, jti)
            if session is None:
                return 401, {"valid": False}
            names, rows = await self._fetch(conn, self._sql(CURRENT_USER), (session["user_id"],))
        if not rows:
            return 401, {"valid": False}
        user = fields(names, rows[0], USER_FIELDS)
        return 200, {"valid": True, "session": session, "user": user}

    async def my_sessions(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        jti = self._draw(query, "jti", self.keys.jtis)
        async with self.db.connection() as conn:
            session = await self._session(conn, jti)
            if session is None:
                return 401, {"valid": False}
            names, rows = await self._fetch(conn, self._sql(LIST_MINE), (session["user_id"],))
        return 200, {
            "user_id": session["user_id"],
            "count": len(rows),
            "sessions": [fields(names, row, LISTED_SESSION_FIELDS) for row in rows],
        }

    async def org_dashboard(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if "user_id" in query or "organization_id" in query:
            user_id, org_id = query.get("user_id"), query.get("organization_id")
            if user_id is None or org_id is None:
                raise QueryError(422, "give both user_id and organization_id, or neither")
        else:
            user_id, org_id = self.rng.choice(self.keys.memberships)
        async with self.db.connection() as conn:
            _, role = await self._fetch(conn, self._sql(ROLE_OF_USER), (user_id, org_id))
            if not role:
                return 403, {"member": False}
            names, members = await self._fetch(conn, self._sql(MEMBER_LIST), (org_id,))
            _, tail = await self._fetch(conn, self._sql(AUDIT_TAIL), (org_id,))
        return 200, {
            "organization_id": org_id,
            "role": role[0][0],
            "member_count": len(members),
            "members": [fields(names, row, MEMBER_FIELDS) for row in members[:PAGE]],
            "audit_tail": tail[0][0] if tail else None,
        }

    async def webhook_retry_sweep(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        async with self.db.connection() as conn:
            names, rows = await self._fetch(conn, self._sql(RETRY_WORKER), ())
        position = names.index("id") if "id" in names else 0
        return 200, {"due": len(rows), "ids": [row[position] for row in rows[: PAGE * 2]]}


FLOW_PARAMS: dict[str, tuple[str, ...]] = {
    Flow.SIGN_IN: ("email",),
    Flow.SESSION_VALIDATION: ("jti",),
    Flow.MY_SESSIONS: ("jti",),
    Flow.ORG_DASHBOARD: ("user_id", "organization_id"),
    Flow.WEBHOOK_RETRY_SWEEP: (),
}


def flow_values(name: str, query: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A flow's parameters from the query string, refused as a check's are: unknown, given
    twice, or a value PostgreSQL text cannot hold (BadParameter, HTTP 422)."""
    takes = FLOW_PARAMS[name]
    given: dict[str, str] = {}
    for key, value in query:
        if key not in takes:
            listed = ", ".join(takes) or "no parameters"
            raise BadParameter(f"unknown parameter {key!r} (takes {listed})")
        if key in given:
            raise BadParameter(f"{key} given twice")
        given[key] = text_value(key, value)
    return given
