"""Views of what is computed about a program's derivatives: the gradient check, the backward
pass step by step, formulas (and their LaTeX), higher derivatives, the Jacobian.

Tables are rich renderables (rich imported inside, as in ``render``), JSON is plain data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..language.parser import as_operand, is_name
from ..text import printable
from .numbers import DEFAULT_PRECISION, column, fmt, json_number
from .render import fit, new_table

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..interpret.algebra import Expr
    from ..interpret.check import Check
    from ..interpret.explain import Step
    from ..interpret.jacobian import Jacobian
    from ..interpret.program import Result
    from ..interpret.symbolic import Derivatives


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


def symbolic_table(derivs: "Derivatives", result: Result | None, precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """d(output)/d(variable) as a formula for each variable, and its value when there is one."""
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    t.add_column("derivative", style="bold")
    t.add_column("formula")
    if result is not None:
        t.add_column("value", justify="right", style="green")
    for name, formula in _symbolic_rows(derivs):
        row: list[Text | str] = [Text(f"∂{as_operand(derivs.output_name)}/∂{name}"), Text(formula.text)]
        if result is not None:
            row.append(fmt(result.gradients[name], precision))
        t.add_row(*row)
    return Group(Text(f"derivatives of {derivs.output_name} as formulas", style="bold"), t)


def _symbolic_rows(derivs: "Derivatives") -> list[tuple[str, "Expr"]]:
    return [(name, derivs.formulas[name]) for name in derivs.partials]


def symbolic_json(derivs: "Derivatives") -> dict[str, str]:
    return {name: f.text for name, f in _symbolic_rows(derivs)}


def symbolic_latex(derivs: "Derivatives", formulas: "dict[tuple[str, ...], Expr] | None" = None,
                   order: int = 1) -> str:
    """An align* environment with one line per derivative, for slides and notes; with ``formulas``
    (--order N) also every derivative of order N, and for order 2 the Hessian as a matrix."""
    from ..interpret.symbolic import latex_name

    out = derivs.output_name
    top = latex_name(out) if is_name(out) else "f"
    lines = [f"  \\frac{{\\partial {top}}}{{\\partial {latex_name(name)}}} &= {f.latex}"
             for name, f in _symbolic_rows(derivs)]
    if formulas is not None:
        for key, f in formulas.items():
            below = " ".join(f"\\partial {latex_name(name)}" for name in key)
            lines.append(f"  \\frac{{\\partial^{{{order}}} {top}}}{{{below}}} &= {f.latex}")
        if order == 2 and derivs.inputs:
            names = derivs.inputs
            rows = [" & ".join(_hessian_entry(formulas, names, r, c).latex for c in names) for r in names]
            matrix = " \\\\ ".join(rows)
            lines.append(f"  \\mathbf{{H}}_{{{top}}} &= \\begin{{pmatrix}} {matrix} \\end{{pmatrix}}")
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"


def formulas_table(formulas: "dict[tuple[str, ...], Expr]", output_name: str, order: int,
                   numbers: dict[tuple[str, ...], float] | None, precision: int = DEFAULT_PRECISION
                   ) -> "RenderableType":
    """--symbolic --order N: every derivative of order N as a formula, and its value when there is one."""
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    t.add_column("derivative", style="bold")
    t.add_column("formula")
    if numbers is not None:
        t.add_column("value", justify="right", style="green")
    for key, f in formulas.items():
        row: list[Text | str] = [Text(printable(_partial(output_name, key, order))), Text(printable(f.text))]
        if numbers is not None:
            row.append(fmt(numbers[key], precision))
        t.add_row(*row)
    return Group(Text(printable(f"derivatives of order {order} of {output_name} as formulas"), style="bold"), t)


def _partial(output_name: str, key: tuple[str, ...], order: int) -> str:
    """∂³y/∂x∂x∂w: one notation for derivatives of every order (a superscript, as ∂²)."""
    return f"∂{superscript(order)}{as_operand(output_name)}/{''.join(f'∂{name}' for name in key)}"


def superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def formulas_json(formulas: "dict[tuple[str, ...], Expr]", order: int) -> dict[str, Any]:
    return {"order": order, "formulas": [{"wrt": list(key), "formula": f.text} for key, f in formulas.items()]}


def jacobian_table(jac: "Jacobian", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The Jacobian: one row per output (its value, then its gradient over every input)."""
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    t.add_column("output", style="bold")
    t.add_column("value", justify="right")
    for name in jac.inputs:
        t.add_column(Text(printable(f"∂/∂{name}")), justify="right", style="green")
    value = column((r.value for r in jac.results), precision)
    grads = {name: column((r.inputs[name].grad for r in jac.results), precision) for name in jac.inputs}
    for r in jac.results:
        t.add_row(Text(printable(r.output_name)), value(r.value),
                  *[grads[name](r.inputs[name].grad) for name in jac.inputs])
    title = f"Jacobian of {', '.join(jac.outputs)}: ∂row/∂column"
    return Group(Text(printable(title), style="bold"), t)


def jacobian_json(jac: "Jacobian") -> dict[str, Any]:
    """{"outputs", "values", "inputs", "jacobian": {output: {input: d}}}, and "symbolic" and "check" when asked."""
    doc: dict[str, Any] = {"outputs": jac.outputs}
    if jac.results:
        first = jac.results[0]
        doc["values"] = jac.values
        doc["inputs"] = {name: v.data for name, v in first.inputs.items()}
        doc["jacobian"] = {out: {name: json_number(g) for name, g in row.items()} for out, row in jac.rows.items()}
    if jac.derivatives:
        doc["symbolic"] = {d.output_name: symbolic_json(d) for d in jac.derivatives}
    if jac.check is not None:
        doc["check"] = check_json(jac.check)
    return doc


def derivatives_table(names: list[str], table: dict[tuple[str, ...], float], output_name: str, order: int,
                      precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """Second derivatives as a Hessian matrix; higher ones one per row."""
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    if order == 2:
        title = f"Hessian of {output_name}: ∂²{as_operand(output_name)}/∂row∂column"
        t.add_column("", style="bold")
        for name in names:
            t.add_column(name, justify="right")
        entries = {col: column((_hessian_entry(table, names, row, col) for row in names), precision) for col in names}
        for row in names:
            t.add_row(Text(row), *[entries[col](_hessian_entry(table, names, row, col)) for col in names])
    else:
        title = f"derivatives of order {order} of {output_name}"
        t.add_column("derivative", style="bold")
        t.add_column("value", justify="right", style="green")
        values = column(table.values(), precision)
        for key, value in table.items():
            t.add_row(Text(printable(_partial(output_name, key, order))), values(value))
    return Group(Text(title, style="bold"), t)


def derivatives_json(names: list[str], table: dict[tuple[str, ...], float], order: int) -> dict[str, Any]:
    """{"derivatives": every derivative of the order} and, for order 2, {"hessian": a nested map}."""
    doc: dict[str, Any] = {"derivatives": {"order": order, "values": [{"wrt": list(key), "value": v} for key, v in table.items()]}}
    if order == 2:
        doc["hessian"] = {row: {col: _hessian_entry(table, names, row, col) for col in names} for row in names}
    return doc


def _hessian_entry(table: dict[tuple[str, ...], Any], names: list[str], row: str, col: str) -> Any:
    # mixed partials are taken once, keyed by the names in the variables' order
    return table[tuple(sorted((row, col), key=names.index))]
