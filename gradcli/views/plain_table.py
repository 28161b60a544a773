"""A table of one-line cells drawn as rich draws its tables, without rich's layout when it can.

rich lays a table out by measuring and rendering every cell, about 80 µs a cell:
0.16 s for the 1,000 formulas of a 1,000-statement chain, more than the
formulas take to find. Where no colour is written (standard output is a pipe or
a file) and every row fits the width on one line, what rich would print is known
in advance: its HEAVY_HEAD box, one space of padding, each column as wide as its
widest cell. ``PlainTable`` writes those lines itself (``tests/test_plain_table.py``
compares them with rich's, byte for byte) and leaves everything else to rich: a
terminal's colours, a cell to fold, a tab or spaces at a cell's ends (rich expands
or strips them), a box an ASCII-only output would swap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType


class PlainTable:
    """``rows`` of strings under ``headers``, each column justified "left" or "right"; drawn by
    ``rich_table()`` (the same table as a rich Table) wherever the plain drawing would differ."""

    def __init__(self, headers: Sequence[str], justify: Sequence[str], rows: Sequence[Sequence[str]],
                 rich_table: Callable[[], RenderableType]) -> None:
        self.headers, self.justify, self.rows, self.rich_table = headers, justify, rows, rich_table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Any]:
        lines = None
        if console.color_system is None and not options.ascii_only and not options.legacy_windows:
            lines = self._lines(options.max_width)
        if lines is None:
            yield self.rich_table()
            return
        from rich.segment import Segment

        yield Segment("\n".join(lines) + "\n")

    def _lines(self, max_width: int) -> list[str] | None:
        """The table's lines, or None when a cell would not be one line of its column."""
        from rich.cells import cell_len

        cells = [list(self.headers)] + [list(r) for r in self.rows]
        widths = [0] * len(self.headers)
        for row in cells:
            for i, cell in enumerate(row):
                if "\n" in cell or "\t" in cell or cell != cell.strip():
                    return None
                widths[i] = max(widths[i], cell_len(cell))
        if sum(widths) + 3 * len(widths) + 1 > max_width:
            return None

        def line(row: list[str], bar: str) -> str:
            parts = []
            for cell, width, how in zip(row, widths, self.justify):
                pad = " " * (width - cell_len(cell))
                parts.append(f" {pad}{cell} " if how == "right" else f" {cell}{pad} ")
            return bar + bar.join(parts) + bar

        out = ["┏" + "┳".join("━" * (w + 2) for w in widths) + "┓", line(cells[0], "┃"),
               "┡" + "╇".join("━" * (w + 2) for w in widths) + "┩"]
        out += [line(row, "│") for row in cells[1:]]
        out.append("└" + "┴".join("─" * (w + 2) for w in widths) + "┘")
        return out


class PlainText:
    """Unstyled lines, folded at the width by rich only where one is too long (or colours are written)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Any]:
        from rich.cells import cell_len

        plain = console.color_system is None and "\t" not in self.text
        if plain and all(cell_len(line) <= options.max_width for line in self.text.split("\n")):
            from rich.segment import Segment

            yield Segment(self.text + "\n")
            return
        from rich.text import Text

        yield Text(self.text, overflow="fold")
