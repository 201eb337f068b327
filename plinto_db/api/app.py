"""The FastAPI application factory.

Handlers return bytes in a `Response` (no pydantic models, no response validation): the hot
path is route match, defaults (or the query string), one pooled prepared statement, rows to
JSON. `create_app(state)` builds the app from an ApiState; `app_from_env()` is uvicorn's
factory in each worker process (the state comes in a file the runner wrote).
"""

from __future__ import annotations

import inspect
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from plinto_db.api.database import Database, QueryError, Rows
from plinto_db.api.encode import JSON, dumps, public_records
from plinto_db.api.endpoints import ApiState, BadParameter
from plinto_db.api.flows import FLOW_PARAMS, Flows, flow_values
from plinto_db.api.metrics import ROUTE_KEY, Metrics, Timing

STATE_ENV = "PLINTO_DB_API_STATE"
POOL_ENV = "PLINTO_DB_API_POOL_SIZE"
DEFAULT_POOL_SIZE = 8

# route templates, also the /metrics labels (a known check or flow is labelled by its own path)
QUERY = "/q/{check}"
FLOW = "/flow/{name}"
INDEX = "/q"
HEALTH = "/health"
METRICS = "/metrics"


# FastAPI's native OpenTelemetry (0.16x) asks the global providers on every request; the API
# has its own metrics, and a benchmark target should not pay for tracing nobody collects.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


class _App(FastAPI):
    """FastAPI with the timing wrapper outermost, so error responses are timed as well."""

    metrics: Metrics

    def build_middleware_stack(self) -> Any:
        return Timing(super().build_middleware_stack(), self.metrics)


def _json(status: int, document: Any) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON)


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": message})


def _rows_body(rows: Rows) -> bytes:
    shown, withheld = public_records(rows.names, rows.rows)
    document: dict[str, Any] = {"rows": shown, "rowcount": rows.rowcount}
    if withheld:
        document["withheld"] = list(withheld)  # never returned: see encode.SECRET_COLUMNS
    if rows.rolled_back:
        document["rolled_back"] = True
    return dumps(document)


class _Handlers:
    """The route handlers, over one worker's database pool, flows and metrics."""

    def __init__(self, state: ApiState, db: Database, metrics: Metrics):
        self.state = state
        self.endpoints = state.by_name()
        self.db = db
        self._metrics = metrics
        self.flows = Flows(db, self.endpoints, state.keys, random.Random()).handlers(state.flows)

    async def query(self, request: Request) -> Response:
        name = request.path_params["check"]
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            request.scope[ROUTE_KEY] = QUERY
            return _error(404, f"unknown check {name!r} (GET /q lists the endpoints)")
        request.scope[ROUTE_KEY] = endpoint.path
        try:
            if request.scope["query_string"]:
                values = endpoint.values(request.query_params.multi_items())
            else:
                values = endpoint.values(())
            rows = await self.db.run(endpoint, values)
        except BadParameter as exc:
            return _error(422, f"{name}: {exc}")
        except QueryError as exc:
            return _error(exc.status, f"{name}: {exc.message}")
        return Response(_rows_body(rows), media_type=JSON)

    async def flow(self, request: Request) -> Response:
        name = request.path_params["name"]
        handler = self.flows.get(name)
        if handler is None:
            request.scope[ROUTE_KEY] = FLOW
            return _error(404, f"unknown flow {name!r} (GET /q lists the flows)")
        request.scope[ROUTE_KEY] = f"/flow/{name}"
        try:
            if request.scope["query_string"]:
                query = flow_values(name, request.query_params.multi_items())
            else:
                query = {}
            status, document = await handler(query)
        except BadParameter as exc:
            return _error(422, f"{name}: {exc}")
        except QueryError as exc:
            return _error(exc.status, f"{name}: {exc.message}")
        return _json(status, document)

    async def index(self, request: Request) -> Response:
        request.scope[ROUTE_KEY] = INDEX
        flows = {f: {"path": f"/flow/{f}", "params": FLOW_PARAMS[f]} for f in self.state.flows}
        checks = {e.name: e.describe() for e in self.state.endpoints}
        return _json(200, {"checks": checks, "flows": flows})

    async def health(self, request: Request) -> Response:
        request.scope[ROUTE_KEY] = HEALTH
        up, document = await self.db.health()
        status = "ok" if up else "unavailable"
        return _json(200 if up else 503, {"status": status, "pid": os.getpid(), **document})

    async def metrics(self, request: Request) -> Response:
        request.scope[ROUTE_KEY] = METRICS
        body, content_type = self._metrics.render()
        return Response(body, media_type=content_type)


async def _not_found(request: Request, exc: Exception) -> Response:
    path = request.scope["path"]
    hint = "without the trailing slash; " if path.endswith("/") and path != "/" else ""
    return _error(404, f"no endpoint at {path!r} ({hint}GET /q lists the endpoints)")


def _method_not_allowed(templates: dict[Any, str]) -> Any:
    async def refuse(request: Request, exc: Exception) -> Response:
        # the route matched but for its method: label it as that route, as a GET would be
        template = templates.get(request.scope.get("endpoint"))
        if template is not None:
            request.scope[ROUTE_KEY] = template
        response = _error(405, f"{request.method} {request.scope['path']}: every endpoint is GET")
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    return refuse


def create_app(state: ApiState, *, pool_size: int = DEFAULT_POOL_SIZE) -> FastAPI:
    db = Database(state.dsn, pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.open()
        try:
            yield
        finally:
            await db.close()

    app = _App(
        title="plinto-db companion API",
        summary="A benchmark target, not an authentication server.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,  # `/q/` is a 404 that says so, not a redirect with no body
        **_NO_TELEMETRY,
    )
    app.metrics = Metrics()
    app.state.db = db
    handlers = _Handlers(state, db, app.metrics)
    routes = {
        QUERY: handlers.query,
        FLOW: handlers.flow,
        INDEX: handlers.index,
        HEALTH: handlers.health,
        METRICS: handlers.metrics,
    }
    # plain Starlette routes: FastAPI's dependency and validation machinery costs per request
    for template, endpoint in routes.items():
        app.add_route(template, endpoint, methods=["GET"])
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _method_not_allowed({e: t for t, e in routes.items()}))
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory (`--factory`) in each worker process."""
    state = ApiState.from_json(Path(os.environ[STATE_ENV]).read_text())
    return create_app(state, pool_size=int(os.environ.get(POOL_ENV, DEFAULT_POOL_SIZE)))
