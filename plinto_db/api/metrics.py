"""X-Response-Time on every response, and per-route latency histograms for /metrics.

A pure ASGI wrapper (not BaseHTTPMiddleware, which costs a task and a queue per request) around
the whole application, error handler included. It times each request to its response start
and labels it with the route the handler set in the scope: `/q/<check>` and `/flow/<name>`
per endpoint, else the route's template (`/q/{check}` for an unknown check, `/health`, ...),
`unmatched` for no route: the label set stays bounded.

With several uvicorn workers, prometheus-client's multiprocess mode aggregates the workers'
samples (PROMETHEUS_MULTIPROC_DIR, set by the runner before the workers start).
"""

from __future__ import annotations

import os
from time import perf_counter
from typing import Any

# set in the ASGI scope by every handler: FastAPI's router puts no `route` there for a plain
# Starlette route, so without it every response would count as `unmatched`
ROUTE_KEY = "plinto.route"
HEADER = b"x-response-time"
BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "plinto_api_request_duration_seconds",
            "Time from request to response start, per route.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            "plinto_api_responses",
            "Responses per route and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self._latency: dict[str, Any] = {}
        self._responses: dict[tuple[str, int], Any] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        child = self._latency.get(route)
        if child is None:
            child = self._latency[route] = self.latency.labels(route)
        child.observe(seconds)
        counter = self._responses.get((route, status))
        if counter is None:
            counter = self._responses[(route, status)] = self.responses.labels(route, str(status))
        counter.inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if multiprocess():
            from prometheus_client import multiprocess as mp

            registry = CollectorRegistry()
            mp.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_label(scope: dict[str, Any]) -> str:
    label = scope.get(ROUTE_KEY)
    if label is not None:
        return label
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class Timing:
    """ASGI wrapper: X-Response-Time (milliseconds, `1.234ms`) and the route's histogram."""

    def __init__(self, app: Any, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        observe = self.metrics.observe

        async def timed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                elapsed = perf_counter() - started
                headers = [*message.get("headers", ()), (HEADER, b"%.3fms" % (elapsed * 1000))]
                message = {**message, "headers": headers}
                observe(route_label(scope), message["status"], elapsed)
            await send(message)

        await self.app(scope, receive, timed)
