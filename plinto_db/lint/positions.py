"""Character offsets to 1-based line:column, also for SQL held in a Python string literal."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


class LineIndex:
    """Offsets of line starts in a text; columns count characters (Unicode code points)."""

    def __init__(self, text: str):
        starts = [0]
        at = text.find("\n")
        while at != -1:
            starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, max(offset, 0))
        return line, offset - self._starts[line - 1] + 1

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, max(offset, 0))


@dataclass(frozen=True)
class Placement:
    """Where a SQL text starts in its file.

    exact: the text is the file's characters from (line, column) on, so every offset maps
    to its own line:column (a .sql file, or a Python string literal without escapes), with
    `indent` characters removed from the start of each line (textwrap.dedent). Otherwise
    every statement is reported at (line, column), the start of the literal.
    """

    line: int = 1
    column: int = 1
    exact: bool = True
    indent: int = 0

    def locate(self, index: LineIndex, offset: int) -> tuple[int, int]:
        if not self.exact:
            return self.line, self.column
        line, column = index.position(offset)
        if line == 1:
            return self.line, self.column + self.indent + column - 1
        return self.line + line - 1, self.indent + column


def undecodable_at(data: bytes, start: int) -> tuple[int, int]:
    """The line:column of byte `start` (columns in characters of the valid text before it)."""
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, start) + 1, column
