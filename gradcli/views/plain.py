"""Long tables piped: plain aligned text, written a block of rows at a time as they come.

rich measures and draws every cell of a table (about 0.4 ms a row), and only
once it has every row: 10,000 statements took 17 s before the first row came
out. A table of more than ``render.LONG_TABLE`` rows going to a pipe or a file
is written here instead: a header line and a rule of dashes, then one line per
row, columns two spaces apart, no box. The cells are those the rich table has.

Column widths: a column is as wide as its header and the widest cell of the
rows written so far, the block being written included; a later, wider cell
widens its column from its block on. A program's table is one block (every
row is known before the first is written, so its columns never move); an
--each-line table knows its line and program columns before any line runs,
and widens its value and gradients columns from the first block of lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from ..text import cells, printable, shorten
from .numbers import DEFAULT_PRECISION, fmt
from .render import (
    NODE_COLUMNS,
    NODE_RIGHT,
    PROGRAM_WIDTH,
    node_cells,
    node_formats,
    summary,
)

if TYPE_CHECKING:
    from ..interpret.batch import LineResult
    from ..interpret.explain import Step
    from ..interpret.program import Result

#: rows of a program's table formatted and written at a time
BLOCK = 1_000


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal."""
    return len(text) if text.isascii() else cells(text)


class PlainRows:
    """A table as plain aligned text: ``widen`` by rows, then ``text`` of the header (``head``) and of rows."""

    def __init__(self, header: Sequence[str], right: Sequence[bool], widths: Sequence[int] = ()) -> None:
        self.header, self.right = list(header), list(right)
        self.widths = [width(h) for h in header]
        for i, w in enumerate(widths):
            self.widths[i] = max(self.widths[i], w)

    def widen(self, rows: Iterable[Sequence[str]]) -> None:
        """Make each column as wide as its widest cell in ``rows``."""
        widths = self.widths
        for row in rows:
            for i, cell in enumerate(row):
                w = width(cell)
                if w > widths[i]:
                    widths[i] = w

    def head(self) -> str:
        """The header line and a rule under it."""
        return self.text([self.header]) + self.text([["-" * w for w in self.widths]])

    def text(self, rows: Iterable[Sequence[str]]) -> str:
        """Lines of ``rows``, each cell padded to its column (the last only when right-aligned)."""
        widths, right = self.widths, self.right
        last = len(widths) - 1
        lines = []
        for row in rows:
            parts = []
            for i, cell in enumerate(row):
                gap = widths[i] - width(cell)
                if right[i]:
                    parts.append(" " * gap + cell)
                else:
                    parts.append(cell if i == last else cell + " " * gap)
            lines.append("  ".join(parts).rstrip(" ") + "\n")
        return "".join(lines)


def program_table(result: Result, precision: int = DEFAULT_PRECISION) -> Iterator[str]:
    """The summary line, then every node's row (as ``render.table`` has them), a block at a time."""
    yield printable(summary(result, precision)) + "\n"
    formats = node_formats(result, precision)  # once: each is a pass over every node
    yield from _known_rows(PlainRows(NODE_COLUMNS, NODE_RIGHT), len(result),
                           lambda shown: node_cells(result, precision, shown, formats))


def explain_table(result: Result, steps: "list[Step]", precision: int = DEFAULT_PRECISION) -> Iterator[str]:
    """--explain's title line, then every step's row (as ``passes.explain_table`` has them), a block at a time."""
    from .passes import (
        EXPLAIN_COLUMNS,
        EXPLAIN_RIGHT,
        explain_cells,
        explain_formats,
        explain_title,
    )

    yield explain_title(steps) + "\n"
    formats = explain_formats(steps, precision)  # once: each is a pass over every step
    yield from _known_rows(PlainRows(EXPLAIN_COLUMNS, EXPLAIN_RIGHT), len(steps),
                           lambda shown: explain_cells(result, steps, precision, shown, formats))


def _known_rows(rows: PlainRows, count: int, cells: Callable[[range], Iterable[Sequence[str]]]) -> Iterator[str]:
    """A table whose ``count`` rows are all known before the first is written (``cells`` of a range
    of them): the widths first, from every row, then the header and the rows, a block at a time."""
    for start in range(0, count, BLOCK):
        rows.widen(cells(range(start, min(start + BLOCK, count))))
    yield rows.head()
    for start in range(0, count, BLOCK):
        yield rows.text(cells(range(start, min(start + BLOCK, count))))


class BatchRows:
    """--each-line's table, a block of lines at a time: line, program, value, gradients (``batch_cells``).

    The line and program columns are as wide as the input's widest (known before any line
    runs); each number has its own form (fixed decimals, or an exponent when it needs one),
    as the lines that come later are not known when the first are written.
    """

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        number = max((n for n, _ in lines), default=0)
        program = max((width(_program(source)) for _, source in lines), default=0)
        self.rows = PlainRows(("line", "program", "value", "gradients"), (True, False, True, False),
                              (len(str(number)), program))
        self.started = False

    def text(self, cells: list[tuple[str, str, str, str]]) -> str:
        """The rows of ``batch_cells`` of lines that ran (the header and rule before the first rows)."""
        self.rows.widen(cells)
        text = self.rows.text(cells)
        if not self.started and cells:
            self.started = True
            text = self.rows.head() + text
        return text

    def end(self) -> str:
        """The header alone when no line ran, so the table is never empty."""
        return "" if self.started else self.rows.head()


def batch_cells(row: LineResult, precision: int = DEFAULT_PRECISION) -> tuple[str, str, str, str]:
    """The cells of the row of a line that ran: line, program, value, gradients."""
    r = row.result
    assert r is not None
    grads = ", ".join(f"∂/∂{name} = {fmt(g, precision)}" for name, g in r.partials.items())
    return (str(row.line), _program(row.source), printable(f"{r.output_name} = {fmt(r.value, precision)}"),
            printable(grads))


def _program(source: str) -> str:
    return shorten(printable(source.strip()), PROGRAM_WIDTH).expandtabs(8)
