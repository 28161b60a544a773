"""Views of the numbers the backward pass is checked and explained by: the gradient check
(with its notes on kinks and singularities) and the backward pass step by step.

Tables are rich renderables (rich imported inside, as in ``render``), JSON is plain data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..language.parser import as_operand
from ..text import printable, superscript
from .numbers import DEFAULT_PRECISION, column, fmt, json_number
from .render import fit, new_table

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


def explain_table(result: Result, steps: "list[Step]", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The backward pass, one row per edge, in the order it runs: a table where the terminal
    has room for it, else each step as a block of three lines (nothing folded mid-number)."""
    from rich.console import Group
    from rich.text import Text

    from ..interpret.explain import partial

    upstream = column((s.upstream for s in steps), precision)
    local = column((s.local for s in steps), precision)
    contribution = column((s.contribution for s in steps), precision)
    total = column((s.total for s in steps), precision)
    t = new_table()
    t.add_column("step", justify="right", style="dim", no_wrap=True)
    t.add_column("edge")
    t.add_column("local derivative")
    t.add_column("upstream × local", justify="right", no_wrap=True)
    t.add_column("grad now", justify="right", style="green")
    from rich.table import Table

    blocks = Table.grid(padding=(0, 2))  # wrapped lines stay indented under their step
    blocks.add_column(justify="right", style="dim", no_wrap=True)
    blocks.add_column()
    for n, s in enumerate(steps, 1):
        source, target = result.nodes[s.source].label, result.nodes[s.target].label
        edge, derivative = printable(f"{source} → {target}"), f"{partial(result, s)} = {s.formula}"
        product = f"{upstream(s.upstream)} × {local(s.local)} = {contribution(s.contribution)}"
        now = printable(f"{target}: {total(s.total)}")
        t.add_row(str(n), Text(edge), Text(derivative), product, Text(now))
        now_in_words = printable(f"grad {as_operand(target)} now {total(s.total)}")
        blocks.add_row(str(n), Text.assemble(edge, "\n", derivative, "\n", product, "   ", (now_in_words, "green")))
    title = Text(f"backward pass, {len(steps)} steps: input grad += upstream grad × local derivative", style="bold")
    return fit(Group(title, t), Group(title, blocks))


def explain_json(steps: "list[Step]") -> list[dict[str, Any]]:
    return [
        {"from": s.source, "to": s.target, "upstream": s.upstream, "formula": s.formula,
         "local": json_number(s.local), "contribution": json_number(s.contribution), "total": json_number(s.total)}
        for s in steps
    ]
