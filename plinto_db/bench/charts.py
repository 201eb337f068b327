"""PNG charts of a bench, from results.json (matplotlib, Agg backend, imported only here).

queries.png: p50 before vs after per query, log scale, largest speedup on top.
writes.png: rows/s before vs after per table and operation.
http.png: successful requests/s before vs after, each endpoint alone, log scale (--http).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from plinto_db.bench.stats import format_ratio

BEFORE_COLOR = "#c0504d"
AFTER_COLOR = "#4f81bd"


def write_charts(doc: dict[str, Any], out_dir: Path) -> list[str]:
    """The charts that have data, written into out_dir; their file names."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("queries.png", _queries), ("writes.png", _writes), ("http.png", _http)):
        if draw(doc, out_dir / name):
            written.append(name)
    return written


def _pairs(doc: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    rows = []
    for q in doc["queries"]:
        before = (q.get("before") or {}).get("p50_ms")
        after = (q.get("after") or {}).get("p50_ms")
        if before is not None or after is not None:
            rows.append((q["check"], before, after, format_ratio(q.get("speedup_p50"))))
    return rows


def _barh(
    labels, before, after, title: str, xlabel: str, path: Path, log: bool, notes=None
) -> None:
    import matplotlib.pyplot as plt

    height = max(3.0, 0.28 * len(labels) + 1.4)
    fig, ax = plt.subplots(figsize=(10, height))
    positions = range(len(labels))
    bar = 0.4
    ax.barh(
        [p - bar / 2 for p in positions],
        [v or 0 for v in before],
        bar,
        label="before (catalog dropped)",
        color=BEFORE_COLOR,
    )
    ax.barh(
        [p + bar / 2 for p in positions],
        [v or 0 for v in after],
        bar,
        label="after (catalog built)",
        color=AFTER_COLOR,
    )
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first row on top, no empty margin
    for position, note, b, a in zip(positions, notes or [], before, after, strict=False):
        if note:
            ax.annotate(
                note,
                (max(b or 0, a or 0), position),
                xytext=(4, -3),
                textcoords="offset points",
                fontsize=7,
                color="#333333",
            )
    if log:
        ax.set_xscale("log")
    values = [v for v in [*before, *after] if v]
    largest = max(values or [1.0])
    ax.set_xlim(right=largest * (4 if log else 1.18))  # room for the notes
    if log:  # bars grow from a decade below the smallest value, not from an arbitrary edge
        ax.set_xlim(left=10 ** math.floor(math.log10(min(values or [1.0])) - 1e-9))
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _queries(doc: dict[str, Any], path: Path) -> bool:
    return _chart(
        _pairs(doc),
        "p50 latency per query, before vs after the catalog\n"
        "(log scale; shorter is faster; the speedup at the right)",
        "p50 latency, ms (log scale)",
        path,
        log=True,
    )


def _writes(doc: dict[str, Any], path: Path) -> bool:
    rows = [
        (
            f"{w['table']} {w['operation']}",
            (w.get("before") or {}).get("ops_per_s"),
            (w.get("after") or {}).get("ops_per_s"),
            format_ratio(w.get("after_over_before")),
        )
        for w in doc.get("writes", [])
    ]
    return _chart(
        rows,
        "Write cost: rows per second, before vs after the catalog\n"
        "(longer is faster; after / before at the right)",
        "rows per second",
        path,
        log=False,
    )


def _http(doc: dict[str, Any], path: Path) -> bool:
    http = doc.get("http") or {}
    rows = [
        (
            e["endpoint"],
            (e.get("before") or {}).get("rps"),
            (e.get("after") or {}).get("rps"),
            format_ratio(e.get("rps_ratio")),
        )
        for e in http.get("isolated") or []
    ]
    return _chart(
        rows,
        "HTTP successful requests per second, each endpoint alone, before vs after the "
        "catalog\n(log scale; longer is faster; after / before at the right)",
        "requests per second (log scale)",
        path,
        log=True,
    )


def _chart(rows: list[tuple], title: str, xlabel: str, path: Path, *, log: bool) -> bool:
    """One before/after bar chart of (label, before, after, note) rows; False if empty."""
    rows = [r for r in rows if r[1] is not None or r[2] is not None]
    if not rows:
        return False
    _barh(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        title,
        xlabel,
        path,
        log=log,
        notes=[r[3] if r[3] != "–" else "" for r in rows],
    )
    return True
