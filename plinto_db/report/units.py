"""Numbers as people read them."""

from __future__ import annotations


def size_text(size: float | None) -> str:
    """Bytes in 1024 steps, one decimal from kB up: 8192 -> "8.0 kB"."""
    if size is None:
        return ""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
