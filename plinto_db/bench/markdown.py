"""report.md: the bench for a reader, written from results.json alone (pure text)."""

from __future__ import annotations

from typing import Any

from plinto_db.bench.stats import format_ms, format_ratio
from plinto_db.check.sqltext import code_spans

STATEMENT_SHOWN = 160  # characters of a write statement in the report (results.json has all)
ELLIPSIS = " …"

LOCUST_LIMITS = (
    "Locust is a closed loop (a user sends its next request only after the previous answer, "
    "so a stall also slows the load: coordinated omission, no correction), and its "
    "percentiles are bucketed to whole milliseconds below 100 ms (about two significant "
    "digits): sub-millisecond differences do not show."
)
MACHINE_LIMITS = (
    "On a shared 2-core machine, timings below about 1 ms carry the machine's noise (vCPU "
    "wake-ups cost 70-100 µs, with multi-millisecond outliers): p99 and max of fast queries "
    "describe the VM more than PostgreSQL. Read the medians (p50) and the buffers (which "
    "do not depend on the CPU); a speedup near 1x is no difference."
)


def render(doc: dict[str, Any], charts: list[str]) -> str:
    parts = [
        _header(doc),
        _how_to_read(),
        _queries(doc),
        _noise(doc),
        _writes(doc),
        _sizes(doc),
        _pgbench(doc),
        _http(doc),
        _charts(charts),
        _limits(doc),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(doc: dict[str, Any]) -> str:
    server, machine, options = doc["server"], doc["machine"], doc["options"]
    settings = ", ".join(f"{k}={v}" for k, v in server.get("settings", {}).items())
    memory = machine.get("memory_bytes")
    rows = ", ".join(f"{t} {n:,}" for t, n in doc["rows"].items())
    phases = ", ".join(_phase(p) for p in doc["phases"])
    catalog = doc["catalog"]
    restored = "restored as found" if catalog.get("restored") else "NOT restored"
    lines = [
        "# plinto-db bench",
        "",
        f"- **When**: {doc['started_at']}, {doc['seconds']:.0f} s",
        f"- **Server**: PostgreSQL {server['version']}"
        + (" (embedded)" if server.get("embedded") else "")
        + (f", {server['where']}" if server.get("where") else ""),
        f"- **Settings**: {settings}",
        f"- **Machine**: {machine.get('cores')} cores, "
        + (f"{memory / 2**30:.1f} GiB" if memory else "memory unknown")
        + f", load {machine.get('load_average')}, Python {machine.get('python')}, "
        f"{machine.get('os')}",
        f"- **Rows**: {rows}",
        f"- **Timing**: up to {options['iterations']} timed executions per query and phase "
        f"after {options['warmup']} warm-up, at most {options['max_seconds_per_query']} s per "
        "query and phase; prepared statements on one connection; nearest-rank percentiles",
        f"- **Phases**: {phases}",
        f"- **Catalog**: {catalog['indexes']} indexes, {len(catalog['found_valid'])} valid when "
        f"the run started; {restored} at the end",
    ]
    lines += [f"- **Note**: {note}" for note in doc.get("notes", [])]
    if not catalog.get("restored"):
        lines += ["", f"**The catalog is NOT restored as found**: {catalog.get('restore_error')}."]
        finish = catalog.get("finish") or []
        if finish:
            lines += ["These statements finish the job:", "", "```sql", *finish, "```"]
    return "\n".join(lines)


def _phase(phase: dict[str, Any]) -> str:
    text = f"{phase['name']} ({phase['status']}, {phase['seconds']:.1f} s: {phase['catalog']})"
    return text + (f" — {phase['error']}" if phase.get("error") else "")


def _how_to_read() -> str:
    return (
        "## How to read it\n\n"
        "`before` ran with the catalog's indexes dropped (keys, constraints and the base "
        "schema's own indexes stay); `after` with them built. Both phases used the same "
        "parameter values. *Speedup* is before / after, given only when both phases "
        "measured the query, with its 95 % interval in brackets: from the client's p50 "
        "(the round trip, the interval from the order statistics of the timed executions), "
        "or from the server's own mean execution time (pg_stat_statements, else EXPLAIN "
        "ANALYZE with timing off) when that interval is the tighter one; *from* says which. "
        "*Buffers* are shared buffers (hit + read) of one `EXPLAIN (ANALYZE, BUFFERS)` of the "
        "same prepared statement: they do not depend on the CPU. "
        "**helped**: a catalog index replaced a sequential scan. **replaced**: a catalog "
        "index took over from another index; the gain is whatever the better index gives, "
        "from none (an equivalent index) to hundreds of times (a poor base index replaced), "
        "so read the speedup and its interval. **same-index**: the same set of indexes "
        "serves it in both phases, about 1x. **not-helped**: no catalog index in the after "
        "plan. A row whose plan is the same in both phases is a control for the machine's "
        "noise (next section)."
    )


def speedup_cell(q: dict[str, Any], *, basis: bool = False) -> str:
    """`2.40× [1.90×–3.10×]`: the speedup decided on, and its interval when known; with
    `basis`, ` server` after one read from the server's mean rather than the client's p50."""
    value = q.get("speedup", q.get("speedup_p50"))
    server = q.get("decided_on") == "server mean"
    interval = q.get("server_speedup_interval" if server else "speedup_p50_interval")
    text = format_ratio(value)
    if value is not None and interval:
        low, high = interval
        text += f" [{format_ratio(low)}–{format_ratio(high)}]"
    return text + (" server" if basis and server and value is not None else "")


def _server_ms(phase: dict | None) -> str:
    server = (phase or {}).get("server")
    if not server:
        return "–"
    return f"{format_ms(server['mean_ms'])} ± {format_ms(server['stddev_ms'])}"


def _noise(doc: dict[str, Any]) -> str:
    noise = doc.get("noise")
    if not noise:
        return ""
    lines = ["## Noise (the same-plan control)", "", noise["summary"] + "."]
    if noise["strayed"]:
        lines.append("")
        lines += [f"- {s['check']}: {format_ratio(s['speedup_p50'])}" for s in noise["strayed"]]
    return "\n".join(lines)


def _figure(phase: dict | None, key: str) -> str:
    if not phase or "error" in phase:
        return "–"
    value = phase.get(key)
    if key.endswith("_ms"):
        return format_ms(value)
    return f"{value:,}" if isinstance(value, int) else str(value or "–")


def _queries(doc: dict[str, Any]) -> str:
    lines = [
        "## Queries (database level)",
        "",
        "| check | before p50 | after p50 | speedup [95 %] | from | server before | "
        "server after | after p99 | buffers before → after | buffers ratio | verdict | why |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for q in doc["queries"]:
        before, after = q["before"], q["after"]
        buffers = f"{_figure(before, 'buffers')} → {_figure(after, 'buffers')}"
        lines.append(
            f"| {q['check']} | {_figure(before, 'p50_ms')} | {_figure(after, 'p50_ms')} | "
            f"{speedup_cell(q)} | {q.get('decided_on') or '–'} | {_server_ms(before)} | "
            f"{_server_ms(after)} | {_figure(after, 'p99_ms')} | {buffers} | "
            f"{format_ratio(q['buffers_ratio'])} | {q['verdict']} | {_cell(q['reason'])} |"
        )
    return "\n".join(lines)


def _writes(doc: dict[str, Any]) -> str:
    skipped = doc.get("writes_not_measured") or []
    if not doc["writes"] and not skipped:
        return ""
    lines = ["## Write cost", ""]
    if skipped:
        shown = "; ".join(f"`{s['table']}` ({_cell(s['reason'])})" for s in skipped)
        lines += [f"Not measured (a default `--write-tables` table): {shown}.", ""]
    if not doc["writes"]:
        return "\n".join(lines[:-1])
    lines += [
        "Rows per second of one batch (median of the rounds), each batch in a transaction "
        "that is rolled back. The update moves a column the catalog indexes, so with the "
        "catalog it cannot be HOT: the pessimistic case.",
        "",
        "| table | operation | before rows/s | after rows/s | after / before | statement |",
        "|---|---|---:|---:|---:|---|",
    ]
    for w in doc["writes"]:
        lines.append(
            f"| {w['table']} | {w['operation']} | {_ops(w['before'])} | {_ops(w['after'])} | "
            f"{format_ratio(w['after_over_before'])} | `{_cell(shortened(w['statement']))}` |"
        )
    return "\n".join(lines)


def shortened(sql: str, limit: int = STATEMENT_SHOWN) -> str:
    """`sql` on one line; when longer than `limit`, cut at the last space outside a quoted
    name, a literal or a comment that leaves room for ` …`, so no token is cut in half."""
    flat = sql.replace("\n", " ").strip()
    if len(flat) <= limit:
        return flat
    spaces = [i for start, end in code_spans(flat) for i in range(start, end) if flat[i] == " "]
    kept = [i for i in spaces if i <= limit - len(ELLIPSIS)]
    cut = max(kept, default=min(spaces, default=len(flat)))
    if cut == len(flat):
        return flat
    return flat[:cut].rstrip() + ELLIPSIS


def _ops(phase: dict | None) -> str:
    if not phase:
        return "–"
    if "error" in phase:
        return f"failed: {_cell(phase['error'])}"
    return f"{phase['ops_per_s']:,.0f}"


def _sizes(doc: dict[str, Any]) -> str:
    sizes = doc.get("catalog_size") or []
    if not sizes:
        return ""
    lines = [
        "## The catalog on disk",
        "",
        "| table | catalog indexes | their size | the table's heap |",
        "|---|---:|---:|---:|",
    ]
    for s in sizes:
        lines.append(
            f"| {s['table']} | {s['indexes']} | {_bytes(s['bytes'])} | {_bytes(s['table_bytes'])} |"
        )
    total = sum(s["bytes"] for s in sizes)
    lines.append(f"| **total** | {sum(s['indexes'] for s in sizes)} | {_bytes(total)} | |")
    return "\n".join(lines)


def _pgbench(doc: dict[str, Any]) -> str:
    bench = doc.get("pgbench")
    if bench is None:
        return ""
    if bench.get("error"):
        return f"## pgbench cross-check\n\n{bench['error']}: no cross-check in this report."
    lines = [
        "## pgbench cross-check",
        "",
        f"`pgbench -n -M prepared -c 1 -T {bench['seconds']}` ({bench['binary']}, "
        f"{bench['version']}) with the same statement and values, next to ours: how close "
        "the harness is to the floor of a C client. Like is compared with like: pgbench's "
        "latency average is a mean that includes the client round trip, so *ours / pgbench* "
        "is our mean (round trip included too) over it.",
        "",
        "| phase | check | pgbench latency avg | pgbench tps | our p50 | our mean "
        "| our mean / pgbench |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for phase in ("before", "after"):
        for check, run in (bench.get(phase) or {}).items():
            if run.get("error"):
                lines.append(f"| {phase} | {check} | {_cell(run['error'])} | | | | |")
                continue
            lines.append(
                f"| {phase} | {check} | {format_ms(run['latency_ms'])} | {run['tps']:,.0f} | "
                f"{format_ms(run['ours_p50_ms'])} | {format_ms(run['ours_mean_ms'])} | "
                f"{format_ratio(run['ours_mean_over_pgbench'])} |"
            )
    left_out = bench.get("left_out") or []
    if left_out:
        lines += ["", "Left out of pgbench:", ""]
        lines += [f"- {item['check']}: {_cell(item['reason'])}" for item in left_out]
    return "\n".join(lines)


def _http(doc: dict[str, Any]) -> str:
    if doc.get("http") is None:
        return ""
    from plinto_db.bench.markdown_http import http_section

    return http_section(doc, LOCUST_LIMITS)


def _charts(charts: list[str]) -> str:
    if not charts:
        return ""
    return "## Charts\n\n" + "\n\n".join(f"![{name}]({name})" for name in charts)


def _limits(doc: dict[str, Any]) -> str:
    return (
        "## Limits of this measurement\n\n"
        f"- {MACHINE_LIMITS}\n"
        "- One connection, one query at a time: this is latency without concurrency, not "
        "capacity; `--http` measures the application under load.\n"
        "- A data-changing query is timed inside a transaction rolled back on every "
        "execution (and its table vacuumed after), so both phases see the same rows.\n"
        "- Bench a copy of production, never production: it drops and rebuilds indexes."
    )


def _bytes(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
