"""Tables that fit: the one place deciding how every command lays out its rows.

- On a terminal, a table as wide as the terminal. Names are never cut: when the table is
  too wide, free-text columns wrap first; when it still does not fit, the narrow layout
  keeps a header row over each row's names and the brief values that fit, aligned, and puts
  its other values on the lines below it.
- Not on a terminal (a pipe, a CI log), plain text as wide as its content: nothing is cut,
  wrapped or styled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from plinto_db import report

if TYPE_CHECKING:
    from rich.text import Text

GAP = 3  # columns between two cells of a table (rich: padding and separator)
MIN_WRAPPED = 24  # a wrapping column keeps at least this width before the narrow layout
INDENT = "    "


@dataclass(frozen=True)
class Column:
    header: str
    name: bool = False  # an identifier: never cut, never wrapped
    justify: Literal["left", "right"] = "left"
    wrap: bool = False  # free text that may wrap on a terminal
    brief: bool = False  # a short value: on a row's first line in the narrow layout if it fits
    secondary: bool = False  # left out when the table does not fit (the data is elsewhere)

    @property
    def first_line(self) -> bool:
        return self.name or self.brief


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines() or [""]


@dataclass
class Table:
    columns: tuple[Column, ...]
    title: str | None = None
    rows: list[tuple[Cell, ...]] = field(default_factory=list)

    def add(self, *values: str | Cell | None) -> None:
        cells = tuple(
            v if isinstance(v, Cell) else Cell("" if v is None else str(v)) for v in values
        )
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} values for {len(self.columns)} columns")
        self.rows.append(cells)

    def without_secondary(self) -> Table:
        keep = [i for i, column in enumerate(self.columns) if not column.secondary]
        rows = [tuple(row[i] for i in keep) for row in self.rows]
        return Table(tuple(self.columns[i] for i in keep), self.title, rows)

    def natural_widths(self) -> list[int]:
        return [
            max([len(column.header), *(len(line) for row in self.rows for line in row[i].lines)])
            for i, column in enumerate(self.columns)
        ]


def print_table(table: Table, console=None) -> None:
    console = console or report.stdout()
    if not console.is_terminal:
        console.file.write("\n".join(plain_lines(table)) + "\n")
        console.file.flush()
        return
    width = console.width
    for candidate in (table, table.without_secondary()):
        widths = candidate.natural_widths()
        if _span(widths) <= width:
            _print_rich(candidate, widths, console)
            return
        fitted = _wrapped_widths(candidate, widths, width)
        if fitted is not None:
            _print_rich(candidate, fitted, console)
            return
    for line in narrow_lines(table.without_secondary(), width):
        console.print(line, highlight=False, soft_wrap=True)


def plain_lines(table: Table) -> list[str]:
    """The table as plain text, as wide as its content."""
    widths = table.natural_widths()
    lines = [table.title] if table.title else []
    lines.append(_join([c.header for c in table.columns], widths, table.columns))
    for row in table.rows:
        height = max(len(cell.lines) for cell in row)
        for k in range(height):
            texts = [cell.lines[k] if k < len(cell.lines) else "" for cell in row]
            lines.append(_join(texts, widths, table.columns))
    return lines


def narrow_lines(table: Table, width: int) -> list[Text]:
    """Each row on a first line of its names and of the brief values that fit, aligned in
    columns under a header row, its other values on the lines below, whole words only.
    Only when the names alone do not fit: as many values as fit after the first name."""
    from rich.text import Text

    widths = table.natural_widths()
    first = _first_line(table.columns, widths, width)
    lines = [Text(table.title)] if table.title else []
    if first:
        headers = tuple(Cell(column.header, "bold") for column in table.columns)
        lines.append(_aligned(headers, first, widths, table.columns))
    for row in table.rows:
        if first:
            line = _aligned(row, first, widths, table.columns)
            rest = [i for i in range(len(row)) if i not in first]
        else:
            line, rest = _greedy(row, table.columns, width)
        lines.append(line)
        details = [
            f"{table.columns[i].header}: {' '.join(row[i].lines)}"
            for i in rest
            if row[i].text.strip()
        ]
        wrapped = report.wrap(" · ".join(details), max(20, width - len(INDENT)))
        lines.extend(Text(INDENT + text) for text in wrapped)
    return lines


def _first_line(columns: tuple[Column, ...], widths: list[int], width: int) -> list[int]:
    """The columns of the aligned first line, in table order: every name, then the brief
    columns in table order up to the first that does not fit (so every row moves the same
    ones below). Empty when the names alone do not fit."""
    kept = [i for i, column in enumerate(columns) if column.name]
    if _span([widths[i] for i in kept]) > width:
        return []
    for i, column in enumerate(columns):
        if not column.brief or column.name:
            continue
        wider = sorted([*kept, i])
        if _span([widths[j] for j in wider]) > width:
            break
        kept = wider
    return sorted(kept)


def _aligned(row, first: list[int], widths: list[int], columns) -> Text:
    from rich.text import Text

    line = Text()
    for n, i in enumerate(first):
        cell = row[i]
        pad = widths[i] - len(cell.text)
        text = cell.text.rjust(widths[i]) if columns[i].justify == "right" else cell.text
        line.append(text, style=cell.style)
        if n < len(first) - 1:
            line.append(" " * (GAP + (pad if columns[i].justify != "right" else 0)))
    line.rstrip()
    return line


def _greedy(row, columns, width: int):
    """The first name, then what fits of the other first-line values (names first); the
    rest below."""
    from rich.text import Text

    order = sorted(range(len(row)), key=lambda i: (not columns[i].name, i))
    lead = order[0]
    line = Text(row[lead].text, style=row[lead].style)
    rest = []
    for i in order[1:]:
        cell = row[i]
        if columns[i].first_line and cell.text and len(line) + 2 + len(cell.text) <= width:
            line.append("  ")
            line.append(cell.text, style=cell.style)
        elif cell.text:
            rest.append(i)
    return line, sorted(rest)


def _span(widths: list[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def _wrapped_widths(table: Table, widths: list[int], width: int) -> list[int] | None:
    """Widths with the wrapping columns narrowed to fit `width`; None if they cannot be."""
    wrapping = [i for i, column in enumerate(table.columns) if column.wrap]
    fixed = sum(w for i, w in enumerate(widths) if i not in wrapping)
    room = width - fixed - GAP * (len(widths) - 1)
    # a wrapping column is never narrower than its longest word: a name in it stays whole
    least = {i: max(min(MIN_WRAPPED, widths[i]), _longest_word(table, i)) for i in wrapping}
    if not wrapping or room < sum(least.values()):
        return None
    fitted = list(widths)
    spare = room - sum(least.values())
    for i in sorted(wrapping, key=lambda i: widths[i] - least[i]):
        fitted[i] = min(widths[i], least[i] + spare // len(wrapping))
    spare = room - sum(fitted[i] for i in wrapping)
    for i in wrapping:  # what the narrow ones did not need goes to the wide ones
        extra = min(spare, widths[i] - fitted[i])
        fitted[i] += extra
        spare -= extra
    return fitted


def _longest_word(table: Table, i: int) -> int:
    words = [len(w) for row in table.rows for line in row[i].lines for w in line.split()]
    return max(words, default=0)


def _print_rich(table: Table, widths: list[int], console) -> None:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    rich_table = RichTable(
        title=table.title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for column, w in zip(table.columns, widths, strict=True):
        rich_table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=not column.wrap,
            overflow="fold" if column.wrap else "ellipsis",  # never reached: widths fit
            min_width=w if not column.wrap else None,
            max_width=w,
        )
    for row in table.rows:
        rich_table.add_row(
            *(
                Text(cell.text, style=cell.style)
                for cell, column in zip(row, table.columns, strict=True)
            )
        )
    console.print(rich_table)


def _join(texts: list[str], widths: list[int], columns: tuple[Column, ...]) -> str:
    parts = [
        text.rjust(w) if column.justify == "right" else text.ljust(w)
        for text, w, column in zip(texts, widths, columns, strict=True)
    ]
    return (" " * GAP).join(parts).rstrip()
