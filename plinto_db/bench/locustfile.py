"""The Locust load for the companion API (`plinto-db serve`), run by `plinto-db bench --http`.

Each user sends GET requests to the endpoints named by `--plinto-endpoints` (paths, comma
separated), one chosen at random per request, named by its path in Locust's statistics. With
`--plinto-rate R` each user paces itself to R requests/s (Locust's `constant_throughput`: the
offered load is users x R); without it, or with 0, users send the next request as soon as the
previous answer is in (a closed loop at saturation).

The same file runs distributed, across machines too: custom arguments are sent from the master
to its workers when the run starts, so a worker needs only the file and `--master-host`:

    locust -f locustfile.py --worker --master-host MASTER
"""

from __future__ import annotations

import csv
import random

from locust import FastHttpUser, events, task
from locust.runners import WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from locust.user.wait_time import constant_throughput

ENDPOINTS_OPTION = "--plinto-endpoints"
RATE_OPTION = "--plinto-rate"
FINAL_SUFFIX = "_final_stats.csv"
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
    """`<csv prefix>_final_stats.csv`: the statistics once every user has stopped, in Locust's
    own CSV format (its `_stats.csv` is rewritten once a second, so its last state lags)."""
    if not _environment:
        return
    environment = _environment[-1]
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if not prefix or isinstance(environment.runner, WorkerRunner):
        return
    with open(f"{prefix}{FINAL_SUFFIX}", "w", newline="") as handle:
        StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(handle))


class ApiUser(FastHttpUser):
    # one keep-alive connection per user, as a client of an API has
    concurrency = 1

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
        path = random.choice(self.paths)
        self.client.get(path, name=path)
