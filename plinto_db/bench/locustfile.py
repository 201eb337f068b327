"""The Locust load for the companion API (`plinto-db serve`), run by `plinto-db bench --http`.

`ApiUser` sends GET requests to the endpoints named by `--plinto-endpoints` (paths, comma
separated), one chosen at random per request, named by its path in Locust's statistics. With
`--plinto-rate R` each user paces itself to R requests/s (Locust's `constant_throughput`: the
offered load is users x R); without it, or with 0, users send the next request as soon as the
previous answer is in (a closed loop at saturation).

`ReportAuthUser` and `ReportOrgUser` are the Plinto report's load test (`bench --scenario
report`), chosen by class name on the command line, in equal shares: a person signing in and
then making authenticated requests, and a person reading their organisation's dashboard, each
waiting THINK_SECONDS between requests.

Only 200 is a success. Every other answer is recorded as a failure `HTTP <status>: <the API's
one-line error>`, so the failures CSV says what failed and why (plinto_db.bench.http_figures
reads it back); no answer at all is Locust's own error.

The same file runs distributed, across machines too: custom arguments are sent from the master
to its workers when the run starts, so a worker needs only the file and `--master-host`:

    locust -f locustfile.py --worker --master-host MASTER
"""

from __future__ import annotations

import csv
import json
import random

from locust import FastHttpUser, between, events, task
from locust.runners import WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from locust.user.wait_time import constant_throughput

ENDPOINTS_OPTION = "--plinto-endpoints"
RATE_OPTION = "--plinto-rate"
FINAL_SUFFIX = "_final_stats.csv"
FINAL_FAILURES_SUFFIX = "_final_failures.csv"
THINK_SECONDS = (0.5, 1.5)  # the report scenario's users: a person between two clicks
AUTHENTICATED_REQUESTS = (  # after signing in, as the report's authentication workload
    "/flow/session-validation",
    "/flow/my-sessions",
    "/flow/session-validation",
)
_environment = []


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument(
        ENDPOINTS_OPTION,
        default="/flow/session-validation",
        help="Comma-separated paths of the endpoints to load, e.g. /q/25_sessions_list_mine.",
    )
    parser.add_argument(
        RATE_OPTION,
        type=float,
        default=0.0,
        help="Requests per second per user (constant throughput); 0: no wait (saturation).",
    )


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    _environment.append(environment)


@events.quit.add_listener
def _final_stats(**_kwargs) -> None:
    """`<csv prefix>_final_stats.csv` and `_final_failures.csv`: the statistics once every user
    has stopped, in Locust's own CSV format (its `_stats.csv` is rewritten once a second, so
    its last state lags)."""
    if not _environment:
        return
    environment = _environment[-1]
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if not prefix or isinstance(environment.runner, WorkerRunner):
        return
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(f"{prefix}{FINAL_FAILURES_SUFFIX}", "w", newline="") as handle:
        writer.failures_csv(csv.writer(handle))
    with open(f"{prefix}{FINAL_SUFFIX}", "w", newline="") as handle:  # last: the run is over
        writer.requests_csv(csv.writer(handle))


def _error_of(body: bytes | None) -> str:
    """The API's one-line error (`{"error": ...}`), or the start of the body."""
    try:
        return str(json.loads(body or b"{}").get("error") or "")[:200]
    except (ValueError, AttributeError):
        return (body or b"")[:200].decode(errors="replace")


class _Client(FastHttpUser):
    abstract = True
    concurrency = 1  # one keep-alive connection per user, as a client of an API has

    def get(self, path: str) -> None:
        with self.client.get(path, name=path, catch_response=True) as response:
            status = response.status_code
            if status == 200:
                response.success()
            elif status:  # an answer that is not a success: say which and why
                response.failure(f"HTTP {status}: {_error_of(response.content)}")
            # status 0: no answer; Locust records its own error


class ApiUser(_Client):
    def on_start(self) -> None:
        options = self.environment.parsed_options
        raw = getattr(options, "plinto_endpoints", "") or ""
        self.paths = [p.strip() for p in raw.split(",") if p.strip()]
        if not self.paths:
            raise ValueError(f"{ENDPOINTS_OPTION} names no endpoint")
        rate = float(getattr(options, "plinto_rate", 0.0) or 0.0)
        self.pacer = constant_throughput(rate) if rate > 0 else None

    def wait_time(self) -> float:
        return self.pacer(self) if self.pacer is not None else 0.0

    @task
    def request(self) -> None:
        self.get(random.choice(self.paths))


class ReportAuthUser(_Client):
    """Sign in (a token), then several authenticated requests, a think time before each."""

    wait_time = between(*THINK_SECONDS)

    @task
    def sign_in_then_use_the_api(self) -> None:
        self.get("/flow/sign-in")
        for path in AUTHENTICATED_REQUESTS:
            self.wait()
            self.get(path)


class ReportOrgUser(_Client):
    """The organisation workload: the dashboard (membership, members, audit tail)."""

    wait_time = between(*THINK_SECONDS)

    @task
    def organisation_dashboard(self) -> None:
        self.get("/flow/org-dashboard")
