"""Ctrl-C restores the catalog as it was found (PG15, PG18): SIGINT to a real `plinto-db bench`
in the middle of a phase, then the catalog's state is compared with the one it started from."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from test_bench_support import apply_some, catalog_states, cli_env, command, fingerprint

SLOW = (
    "--iterations",
    "100000",
    "--max-seconds-per-query",
    "5",
    "--write-tables",
    "none",
    "--pgbench-seconds",
    "0",
)


def interrupt_when(
    tmp_path: Path,
    args: list[str],
    marker: str,
    delay: float,
    again: str | None = None,
    before_signal: Callable[[], None] | None = None,
) -> tuple[int, str]:
    """Start bench, wait for `marker` on stderr, wait `delay`, (call `before_signal`,) SIGINT
    (and once more when `again` shows up); exit code and stderr."""
    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        process = subprocess.Popen(
            command("bench", *args),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=cli_env(tmp_path),
            cwd=tmp_path,
        )
        try:
            for text in (marker, again):
                if text is None:
                    break
                deadline = time.monotonic() + 120
                while text not in log.read_text():
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, f"no {text!r}: {log.read_text()}"
                    time.sleep(0.05)
                time.sleep(delay)
                if before_signal is not None and text == marker:
                    before_signal()
                process.send_signal(signal.SIGINT)
            code = process.wait(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return code, log.read_text()


def test_ctrl_c_while_timing_before_rebuilds_the_catalog_found(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, ["idx_sessions_user_id", "idx_sessions_management", "idx_users_email_status"])
    found, rows = catalog_states(dsn), fingerprint(dsn)
    code, stderr = interrupt_when(
        tmp_path, ["--dsn", dsn, "--yes", *SLOW], "before: timing", delay=1.0
    )
    assert code == 1, stderr
    assert "interrupted during the before phase" in stderr
    assert "restored as found (3 of 45 catalog indexes valid)" in stderr
    assert "Traceback" not in stderr
    assert catalog_states(dsn) == found
    assert fingerprint(dsn) == rows


def test_ctrl_c_in_the_after_phase_drops_what_was_not_there(new_db, tmp_path):
    dsn = new_db("seeded")
    found = catalog_states(dsn)
    assert set(found.values()) == {"missing"}
    code, stderr = interrupt_when(
        tmp_path,
        ["--dsn", dsn, "--yes", "--phases", "after", *SLOW],
        "after: building",
        delay=0.3,
    )
    assert code == 1, stderr
    assert "interrupted during the after phase" in stderr
    assert "restored as found (0 of 45" in stderr
    assert catalog_states(dsn) == found


def test_a_second_ctrl_c_during_the_restore_leaves_what_apply_converges_from(new_db, tmp_path):
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import apply_catalog, load
    from plinto_db.resources import resolve_dir

    dsn = new_db("seeded")
    specs = load(resolve_dir("indexes"), None, None)
    apply_some(dsn, [s.name for s in specs])
    code, stderr = interrupt_when(
        tmp_path,
        ["--dsn", dsn, "--yes", *SLOW],
        "before: timing",
        delay=0.5,
        again="restoring the catalog",
    )
    assert code == 1, stderr
    assert "interrupted while restoring the catalog" in stderr
    assert "`plinto-db apply` builds the missing ones" in stderr
    assert "Traceback" not in stderr
    result = apply_catalog(dsn, specs, options=ExecOptions(dsn=dsn))
    assert result.converged
    assert set(catalog_states(dsn).values()) == {"valid"}
