"""The live lines of a partitioned apply: each names its catalog index, `n of N` and the
partition, and at 80 columns with two --jobs lines neither the name nor the percentage is
cut (the phase text gives way)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from plinto_db import report
from plinto_db.report import progress


def rendered(monkeypatch, actions, width=80) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(report, "stderr", lambda: console)
    events = progress.BarEvents()
    for action in actions:
        events.started(action)
        events.progress(
            action,
            SimpleNamespace(phase="building index: scanning table", blocks_total=1000,
                            blocks_done=420, blockers=[], fraction=0.42),
        )  # fmt: skip
    out = Console(file=io.StringIO(), width=width, color_system=None)
    out.print(events.bars.make_tasks_table(events.bars.tasks))
    return [line.rstrip() for line in out.file.getvalue().splitlines() if line.strip()]


def partition(n: int, table: str, catalog: str = "payment_customer_created_idx"):
    name = f"{table}_{catalog}"
    return SimpleNamespace(name=name, catalog_name=catalog, position=f"{n} of 55",
                           table=f"shop.{table}", kind="create")  # fmt: skip


def test_two_jobs_at_80_columns_keep_the_whole_label_and_the_percentage(monkeypatch):
    lines = rendered(
        monkeypatch, [partition(12, "payment_2024_03"), partition(13, "payment_2024_04")]
    )
    assert len(lines) == 2, lines
    assert lines[0].lstrip().startswith("42%")
    assert "payment_customer_created_idx 12 of 55 payment_2024_03" in lines[0]
    assert "payment_customer_created_idx 13 of 55 payment_2024_04" in lines[1]
    assert all(len(line) <= 80 for line in lines)


def test_a_plain_index_keeps_its_name_and_shows_the_phase_when_there_is_room(monkeypatch):
    name = "ix_webhook_deliveries_pending_retry_at"
    plain = SimpleNamespace(
        name=name, catalog_name=name, position="", table="public.webhook_deliveries", kind="create"
    )
    (line,) = rendered(monkeypatch, [plain])
    assert "ix_webhook_deliveries_pending_retry_at" in line and "42%" in line
    assert "building index" in line
