"""Views of what is computed about a program's derivatives: formulas (and their LaTeX), higher
derivatives, the Jacobian. The gradient check and the backward pass as steps are in ``passes``.

Tables are rich renderables (rich imported inside, as in ``render``), JSON is plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..language.parser import as_operand, is_name
from ..text import printable, superscript
from .numbers import DEFAULT_PRECISION, column, fmt, json_number
from .passes import check_json
from .plain_table import PlainTable, PlainText
from .render import new_table

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..interpret.algebra import Expr
    from ..interpret.jacobian import Jacobian
    from ..interpret.program import Result
    from ..interpret.symbolic import Derivatives


def symbolic_table(derivs: "Derivatives", result: Result | None, precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """d(output)/d(variable) as a formula for each variable, and its value when there is one. A row
    whose derivative other formulas use by a generated name says so (t1 = ∂loss/∂p)."""
    from rich.console import Group
    from rich.text import Text

    headers = ["derivative", "formula"] + (["value"] if result is not None else [])
    rows = []
    for name, formula in _symbolic_rows(derivs):
        label = f"∂{as_operand(derivs.output_name)}/∂{name}"
        if name in derivs.named:
            label = f"{derivs.named[name]} = {label}"
        row = [printable(label), printable(formula.text)]
        if result is not None:
            row.append(fmt(result.gradients[name], precision))
        rows.append(row)

    def rich_table() -> "RenderableType":
        t = new_table()
        t.add_column("derivative", style="bold")
        t.add_column("formula")
        if result is not None:
            t.add_column("value", justify="right", style="green")
        for row in rows:
            t.add_row(Text(row[0]), Text(row[1]), *row[2:])
        return t

    written = " in the inputs" if derivs.expanded else ""
    return Group(Text(printable(f"derivatives of {derivs.output_name} as formulas{written}"), style="bold"),
                 PlainTable(headers, ["left", "left", "right"], rows, rich_table))


def where_block(derivs: "Derivatives", higher: "dict[tuple[str, ...], Expr] | None" = None) -> "RenderableType | None":
    """The names the formulas are written in and what each stands for, in an order that reads as a
    program ("where" in a formula); None when they use none. Derivatives named in their rows are not
    repeated."""
    rows = set(derivs.named.values())
    lines = [f"  {name} = {body.text}" for name, body in _definitions(derivs, higher) if name not in rows]
    if not lines:
        return None
    return PlainText(printable("where\n" + "\n".join(lines)))


def _definitions(derivs: "Derivatives", higher: "dict[tuple[str, ...], Expr] | None") -> "list[tuple[str, Expr]]":
    roots = [f for _, f in _symbolic_rows(derivs)] + list((higher or {}).values())
    return derivs.definitions(roots)


def _symbolic_rows(derivs: "Derivatives") -> list[tuple[str, "Expr"]]:
    return [(name, derivs.formulas[name]) for name in derivs.partials]


def symbolic_json(derivs: "Derivatives") -> dict[str, str]:
    return {name: f.text for name, f in _symbolic_rows(derivs)}


def definitions_json(derivs: "Derivatives", higher: "dict[tuple[str, ...], Expr] | None" = None
                     ) -> list[dict[str, str]]:
    """Each name the formulas use, in order: {"name", "formula"}, and "wrt" for a derivative's name
    (t1 is d(output)/d(wrt)). Evaluated in order, they give every formula its value."""
    wrt = {t: name for name, t in derivs.named.items()}
    return [{"name": name, "formula": body.text, **({"wrt": wrt[name]} if name in wrt else {})}
            for name, body in _definitions(derivs, higher)]


def symbolic_latex(derivs: "Derivatives", formulas: "dict[tuple[str, ...], Expr] | None" = None,
                   order: int = 1) -> str:
    """An align* environment with one line per derivative, for slides and notes; with ``formulas``
    (--order N) also every derivative of order N, and for order 2 the Hessian as a matrix; then
    the names they are written in ("where z = ...")."""
    from ..interpret.symbolic import latex_name

    out = derivs.output_name
    top = latex_name(out) if is_name(out) else "f"
    lines = []
    for name, f in _symbolic_rows(derivs):
        named = f"{latex_name(derivs.named[name])} = " if name in derivs.named else ""
        lines.append(f"  {named}\\frac{{\\partial {top}}}{{\\partial {latex_name(name)}}} &= {f.latex}")
    if formulas is not None:
        for key, f in formulas.items():
            below = " ".join(f"\\partial {latex_name(name)}" for name in key)
            lines.append(f"  \\frac{{\\partial^{{{order}}} {top}}}{{{below}}} &= {f.latex}")
        if order == 2 and derivs.inputs:
            names = derivs.inputs
            rows = [" & ".join(_hessian_entry(formulas, names, r, c).latex for c in names) for r in names]
            matrix = " \\\\ ".join(rows)
            lines.append(f"  \\mathbf{{H}}_{{{top}}} &= \\begin{{pmatrix}} {matrix} \\end{{pmatrix}}")
    shown = set(derivs.named.values())
    where = "\\text{where } "
    for name, body in _definitions(derivs, formulas):
        if name not in shown:
            lines.append(f"  {where}{derivs.algebra.sym(name).latex} &= {body.latex}")  # (a call: n\\left(a\\right))
            where = ""
    head = "% written in the inputs (--expand)\n" if derivs.expanded else ""
    return head + "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"


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
        if not jac.derivatives[0].expanded:  # the names every output's formulas share, each once
            doc["definitions"] = list({entry["name"]: entry for d in jac.derivatives
                                       for entry in definitions_json(d)}.values())
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
