"""Views of the numbers the backward pass is checked and explained by: the gradient check
(with its notes on kinks and singularities) and the backward pass step by step.

Tables are rich renderables (rich imported inside, as in ``render``), JSON is plain data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..language.parser import as_operand
from ..text import printable, superscript
from .numbers import DEFAULT_PRECISION, column, fmt, json_number
from .render import LONG_TABLE, LONG_TABLE_ENDS, fit, new_table

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..interpret.check import Check
    from ..interpret.explain import Step
    from ..interpret.program import Result


def check_table(check: "Check", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The gradient check: each variable's autodiff and numeric gradient, errors, ok/FAIL; a row with
    a note (a kink or singularity the finite difference met) is marked ¹, ², ... and its note is
    printed under the table, where it wraps at any width (a column of notes would not)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = new_table()
    several = any(row.output for row in check.rows)  # the Jacobian's: one row per entry
    if several:
        t.add_column("output", style="bold")
    t.add_column("input", style="bold")
    for heading in ("autodiff", "numeric", "abs err", "rel err"):
        t.add_column(heading, justify="right", no_wrap=True)
    t.add_column("check", no_wrap=True)
    notes = Table.grid(padding=(0, 1))
    notes.add_column(no_wrap=True, style="dim")
    notes.add_column()
    # autodiff and numeric are read against each other: one format for both columns
    autodiff = numeric = column([x for row in check.rows for x in (row.autodiff, row.numeric)], precision)
    for row in check.rows:
        verdict = Text("ok", style="green") if row.ok else Text("FAIL", style="bold red")
        if row.note is not None:
            mark = superscript(notes.row_count + 1)
            verdict.append(mark)
            entry = f"∂{as_operand(row.output)}/∂{row.name}: " if several else f"{row.name}: "
            notes.add_row(mark, Text(printable(entry + row.note)))
        cells = [Text(printable(row.output))] if several else []
        t.add_row(*cells, Text(printable(row.name)), autodiff(row.autodiff), numeric(row.numeric),
                  _error(row.abs_error), _error(row.rel_error), verdict)
    title = Text(f"gradient check (atol {check.atol:g}, rtol {check.rtol:g})", style="bold")
    return Group(title, t, notes) if notes.row_count else Group(title, t)


def _error(x: float) -> str:
    """An error of the check, to two digits (it is read against a tolerance, as 1.2e-07)."""
    return fmt(x, 1, fixed=x == 0 or not math.isfinite(x))


def check_json(check: "Check") -> dict[str, Any]:
    """{"ok", "atol", "rtol", "variables": [...]}; every row has "note", null where there is none."""
    return {
        "ok": check.ok,
        "atol": check.atol,
        "rtol": check.rtol,
        "variables": [
            {**({"output": row.output} if row.output else {}), "name": row.name, "autodiff": row.autodiff, "numeric": json_number(row.numeric),
             "abs_error": json_number(row.abs_error), "rel_error": json_number(row.rel_error), "ok": row.ok,
             "note": row.note}
            for row in check.rows
        ],
    }


#: the columns of the backward pass's table, and which of them are right-aligned
EXPLAIN_COLUMNS = ("step", "edge", "local derivative", "upstream × local", "grad now")
EXPLAIN_RIGHT = (True, False, False, True, True)


def explain_title(steps: "list[Step]") -> str:
    return f"backward pass, {len(steps)} steps: input grad += upstream grad × local derivative"


def explain_formats(steps: "list[Step]", precision: int = DEFAULT_PRECISION) -> "tuple[Callable[[float], str], ...]":
    """The forms of the upstream, local, contribution and grad-now numbers, each chosen over every
    step (so any rows of the table agree)."""
    return (column((s.upstream for s in steps), precision), column((s.local for s in steps), precision),
            column((s.contribution for s in steps), precision), column((s.total for s in steps), precision))


def explain_cells(result: Result, steps: "list[Step]", precision: int = DEFAULT_PRECISION,
                  shown: "Iterable[int] | None" = None, formats: "tuple[Callable[[float], str], ...] | None" = None
                  ) -> Iterator[tuple[str, str, str, str, str]]:
    """The cells of the table's rows (of the steps numbered ``shown`` from 0, default all), as
    text, the numbers in ``formats`` (``explain_formats``, asked for once by a table written a block
    at a time)."""
    for row in _explain_rows(result, steps, precision, shown, formats):
        yield row[:5]


def _explain_rows(result: Result, steps: "list[Step]", precision: int, shown: "Iterable[int] | None",
                  formats: "tuple[Callable[[float], str], ...] | None" = None
                  ) -> Iterator[tuple[str, str, str, str, str, str]]:
    """``explain_cells``, and each step's grad in words (for a narrow terminal's blocks)."""
    from ..interpret.explain import partial

    upstream, local, contribution, total = formats or explain_formats(steps, precision)
    nodes = result.nodes
    for n in range(len(steps)) if shown is None else shown:
        s = steps[n]
        source, target = nodes[s.source].label, nodes[s.target].label
        yield (str(n + 1), printable(f"{source} → {target}"), f"{partial(result, s)} = {s.formula}",
               f"{upstream(s.upstream)} × {local(s.local)} = {contribution(s.contribution)}",
               printable(f"{target}: {total(s.total)}"), printable(f"grad {as_operand(target)} now {total(s.total)}"))


def explain_table(result: Result, steps: "list[Step]", precision: int = DEFAULT_PRECISION,
                  elide: bool = False) -> "RenderableType":
    """The backward pass, one row per edge, in the order it runs: a table where the terminal
    has room for it, else each step as a block of three lines (nothing folded mid-number).

    With ``elide`` (a terminal), more than LONG_TABLE steps show the first and last
    LONG_TABLE_ENDS and a line that says so (a pipe, or --format json, has every step).
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = new_table()
    t.add_column("step", justify="right", style="dim", no_wrap=True)
    t.add_column("edge")
    t.add_column("local derivative")
    t.add_column("upstream × local", justify="right", no_wrap=True)
    t.add_column("grad now", justify="right", style="green")
    blocks = Table.grid(padding=(0, 2))  # wrapped lines stay indented under their step
    blocks.add_column(justify="right", style="dim", no_wrap=True)
    blocks.add_column()
    count, ends = len(steps), LONG_TABLE_ENDS
    cut = elide and count > LONG_TABLE
    shown = [*range(ends), *range(count - ends, count)] if cut else None
    for n, edge, derivative, product, now, now_in_words in _explain_rows(result, steps, precision, shown):
        t.add_row(n, Text(edge), Text(derivative), product, Text(now))
        blocks.add_row(n, Text.assemble(edge, "\n", derivative, "\n", product, "   ", (now_in_words, "green")))
        if cut and n == str(ends):
            t.add_row("…", "…", "…", "…", "…")
            blocks.add_row("…", "…")
    title = Text(explain_title(steps), style="bold")
    note = [Text(f"{count:,} steps; the first and last {ends} are shown (a pipe, or --format json, has every one)",
                 style="dim")] * cut
    return fit(Group(title, t, *note), Group(title, blocks, *note))


def explain_json(steps: "list[Step]") -> list[dict[str, Any]]:
    return [
        {"from": s.source, "to": s.target, "upstream": s.upstream, "formula": s.formula,
         "local": json_number(s.local), "contribution": json_number(s.contribution), "total": json_number(s.total)}
        for s in steps
    ]
