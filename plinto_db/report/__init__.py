"""Rendering at the edge: consoles, output formats, and when to show progress.

Each command gathers plain data; a renderer in this package turns it into a rich table,
JSON, JUnit XML or Markdown. Progress bars only appear on a terminal, never with JSON.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import Console


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(soft_wrap=False)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def interactive(fmt: OutputFormat = OutputFormat.table) -> bool:
    """Progress bars and spinners only on a terminal and never for machine-readable output."""
    return fmt == OutputFormat.table and sys.stderr.isatty()


def line(text: str, indent: str = "  ") -> None:
    """A line of output on stdout: on a terminal wrapped at whole words to its width (the
    continuation indented), in a pipe as it is."""
    console = stdout()
    if not console.is_terminal or len(text) <= console.width:
        sys.stdout.write(text + "\n")
        return
    sys.stdout.write("\n".join(wrap(text, console.width, indent=indent)) + "\n")


def wrap(text: str, width: int, *, indent: str = "", first: str = "") -> list[str]:
    """`text` in lines of at most `width` (a word longer than that stands alone), broken at
    spaces only: never inside a word, after a hyphen, or inside a quoted name ("my schema")."""
    import re
    import textwrap

    kept = re.sub(r'"(?:[^"]|"")*"', lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(
        kept,
        width=width,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace("\0", " ") for line in lines]


def note(message: str) -> None:
    """One line of information on stderr (never mixed into JSON on stdout); on a terminal
    wrapped at whole words to its width."""
    text = f"plinto-db: {message}"
    if sys.stderr.isatty():
        import shutil

        text = "\n".join(wrap(text, shutil.get_terminal_size().columns, indent="  "))
    print(text, file=sys.stderr, flush=True)


def print_json(document: Any) -> None:
    import json

    sys.stdout.write(json.dumps(document, indent=2, default=str, sort_keys=False))
    sys.stdout.write("\n")
    sys.stdout.flush()


def markdown_row(values: Iterable[object]) -> str:
    """One row of a Markdown table (every command's): a `|` in a value is escaped, or it
    would end its cell."""
    return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"
