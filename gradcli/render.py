"""Result -> what users read: a rich table, a rich tree, a JSON-ready dict.

Functions here return renderables or plain data and print nothing. rich is
imported inside the functions that need it, so the JSON path never loads it.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator

from .engine import Value, topological_order
from .text import printable, shorten
from .parser import as_operand, is_name

if TYPE_CHECKING:
    from rich.console import RenderableType

    from .batch import LineResult
    from .check import Check
    from .jacobian import Jacobian
    from .explain import Step
    from .program import Result
    from .sweep import SweepResult
    from .symbolic import Derivatives, Expr

DEFAULT_PRECISION = 4


def fmt(x: float, precision: int = DEFAULT_PRECISION) -> str:
    """A number for tables: fixed decimals, or an exponent when very large or small."""
    if math.isnan(x):
        return "undefined"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return f"{0.0:.{precision}f}"  # also turns -0.0 into 0.0000
    if 10.0 ** -precision <= abs(x) < 1e9:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def op_symbol(v: Value) -> str:
    return v.op.symbol or v.op.name  # leaves show "input" / "const"


def summary(result: Result, precision: int = DEFAULT_PRECISION) -> str:
    """One line: the output's value, then d(output)/d(input) for each input and d(output)/d(name)
    for each other named variable."""
    out = result.output_name
    parts = [f"{out} = {fmt(result.value, precision)}"]
    parts += [f"∂{as_operand(out)}/∂{name} = {fmt(grad, precision)}" for name, grad in result.partials.items()]
    return "   ".join(parts)


def table(result: Result, precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The summary line, then every node in evaluation order: id, node, op, inputs, data, grad."""
    from rich.console import Group
    from rich.text import Text

    t = _table()
    t.add_column("id", justify="right", style="dim")
    t.add_column("node", style="bold")
    t.add_column("op")
    t.add_column("inputs", style="dim")
    t.add_column("data", justify="right")
    t.add_column("grad", justify="right", style="green")
    for i, v in enumerate(result.nodes):
        inputs = ", ".join(str(result.node_id(u)) for u in v.inputs)
        t.add_row(str(i), Text(printable(v.label)), op_symbol(v), inputs, fmt(v.data, precision), fmt(v.grad, precision))
    # the summary stays one line however narrow the terminal (print with crop=False)
    return Group(Text(printable(summary(result, precision)), style="bold", no_wrap=True, overflow="ignore"), t)


def tree(result: Result, precision: int = DEFAULT_PRECISION, max_depth: int = 50) -> "RenderableType":
    """The graph from the output down to its inputs; a node seen before is named, not repeated.

    Each level indents further, so the tree is cut ``max_depth`` levels down
    (a marker says where, and a last line how many values are not shown): its
    output grows with the graph, never with the graph's depth squared.
    """
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    def line(v: Value) -> str:
        return f"[bold]{_escape(v.label)}[/]  [dim]#{result.node_id(v)} {op_symbol(v)}[/]  data {fmt(v.data, precision)}  grad [green]{fmt(v.grad, precision)}[/]"

    root = Tree(line(result.output))
    shown = {result.output}
    cut = 0
    # pre-order with an explicit stack (graphs can be deeper than Python's recursion
    # limit): the first time a node is printed it is expanded, later it is referenced
    stack = [(u, root, 1) for u in reversed(result.output.inputs)]
    while stack:
        v, parent, depth = stack.pop()
        if v in shown:
            parent.add(f"[dim]↑ {_escape(v.label)} (#{result.node_id(v)}, shown above)[/]")
            continue
        if depth > max_depth:
            cut += 1
            parent.add(f"[dim]… #{result.node_id(v)} and what it depends on: deeper than {max_depth} levels[/]")
            continue
        shown.add(v)
        branch = parent.add(line(v))
        stack.extend((u, branch, depth + 1) for u in reversed(v.inputs))
    if not cut:
        return root
    hidden = len(topological_order(result.output)) - len(shown)
    return Group(root, Text(f"{hidden:,} values deeper than {max_depth} levels are not shown"
                            " (--format table lists every value)", style="dim"))


def _table() -> Any:
    """A rich Table whose cells fold onto more lines when the terminal is narrow, never cut with '…'."""
    return _folding_table_class()()


@lru_cache(maxsize=1)
def _folding_table_class() -> Any:
    from rich.table import Table  # rich is imported only when a table is drawn

    class Folding(Table):
        def add_column(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("overflow", "fold")
            super().add_column(*args, **kwargs)

    return Folding


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text))


def to_json(result: Result) -> dict[str, Any]:
    """The JSON document: output, value, inputs, gradients, and every node with its input ids."""
    return {
        "output": result.output_name,
        "value": result.value,
        "inputs": {name: v.data for name, v in result.inputs.items()},
        "gradients": {name: _json_number(g) for name, g in result.gradients.items()},
        "nodes": [
            {
                "id": i,
                "label": v.label,
                "op": v.op.name,
                "data": v.data,
                "grad": _json_number(v.grad),
                "inputs": [result.node_id(u) for u in v.inputs],
            }
            for i, v in enumerate(result.nodes)
        ],
    }


def _json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None  # JSON has no NaN or infinity: undefined is null


def check_table(check: "Check", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The gradient check: each variable's autodiff and numeric gradient, errors, ok/FAIL."""
    from rich.console import Group
    from rich.text import Text

    t = _table()
    several = any(row.output for row in check.rows)  # the Jacobian's: one row per entry
    if several:
        t.add_column("output", style="bold")
    t.add_column("variable", style="bold")
    for column in ("autodiff", "numeric", "abs error", "rel error"):
        t.add_column(column, justify="right")
    t.add_column("check")
    for row in check.rows:
        verdict = Text("ok", style="green") if row.ok else Text("FAIL", style="bold red")
        cells = [Text(printable(row.output))] if several else []
        t.add_row(*cells, Text(printable(row.name)), fmt(row.autodiff, precision), fmt(row.numeric, precision),
                  fmt(row.abs_error, precision), fmt(row.rel_error, precision), verdict)
    return Group(Text(f"gradient check (atol {check.atol:g}, rtol {check.rtol:g})", style="bold"), t)


def check_json(check: "Check") -> dict[str, Any]:
    return {
        "ok": check.ok,
        "atol": check.atol,
        "rtol": check.rtol,
        "variables": [
            {**({"output": row.output} if row.output else {}), "name": row.name, "autodiff": row.autodiff, "numeric": _json_number(row.numeric),
             "abs_error": _json_number(row.abs_error), "rel_error": _json_number(row.rel_error), "ok": row.ok}
            for row in check.rows
        ],
    }


def explain_table(result: Result, steps: "list[Step]", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The backward pass, one row per edge, in the order it runs."""
    from rich.console import Group
    from rich.text import Text

    from .explain import partial

    t = _table()
    t.add_column("step", justify="right", style="dim")
    t.add_column("edge")
    t.add_column("local derivative")
    t.add_column("upstream × local", justify="right")
    t.add_column("grad now", justify="right", style="green")
    for n, s in enumerate(steps, 1):
        source, target = result.nodes[s.source].label, result.nodes[s.target].label
        t.add_row(str(n), Text(printable(f"{source} → {target}")), Text(f"{partial(result, s)} = {s.formula}"),
                  f"{fmt(s.upstream, precision)} × {fmt(s.local, precision)} = {fmt(s.contribution, precision)}",
                  Text(printable(f"{target}: {fmt(s.total, precision)}")))
    title = f"backward pass, {len(steps)} steps: input grad += upstream grad × local derivative"
    return Group(Text(title, style="bold"), t)


def explain_json(steps: "list[Step]") -> list[dict[str, Any]]:
    return [
        {"from": s.source, "to": s.target, "upstream": s.upstream, "formula": s.formula,
         "local": _json_number(s.local), "contribution": _json_number(s.contribution), "total": _json_number(s.total)}
        for s in steps
    ]


def symbolic_table(derivs: "Derivatives", result: Result | None, precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """d(output)/d(variable) as a formula for each variable, and its value when there is one."""
    from rich.console import Group
    from rich.text import Text

    t = _table()
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
    return [(name, f) for name, f in derivs.formulas.items() if name != derivs.output_name]


def symbolic_json(derivs: "Derivatives") -> dict[str, str]:
    return {name: f.text for name, f in _symbolic_rows(derivs)}


def symbolic_latex(derivs: "Derivatives", formulas: "dict[tuple[str, ...], Expr] | None" = None,
                   order: int = 1) -> str:
    """An align* environment with one line per derivative, for slides and notes; with ``formulas``
    (--order N) also every derivative of order N, and for order 2 the Hessian as a matrix."""
    from .symbolic import latex_name

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

    t = _table()
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
    return f"∂^{order} {as_operand(output_name)}/{''.join(f'∂{name}' for name in key)}"


def formulas_json(formulas: "dict[tuple[str, ...], Expr]", order: int) -> dict[str, Any]:
    return {"order": order, "formulas": [{"wrt": list(key), "formula": f.text} for key, f in formulas.items()]}


def jacobian_table(jac: "Jacobian", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The Jacobian: one row per output (its value, then its gradient over every input)."""
    from rich.console import Group
    from rich.text import Text

    t = _table()
    t.add_column("output", style="bold")
    t.add_column("value", justify="right")
    for name in jac.inputs:
        t.add_column(Text(printable(f"∂/∂{name}")), justify="right", style="green")
    for r in jac.results:
        t.add_row(Text(printable(r.output_name)), fmt(r.value, precision),
                  *[fmt(r.inputs[name].grad, precision) for name in jac.inputs])
    title = f"Jacobian of {', '.join(jac.outputs)}: ∂row/∂column"
    return Group(Text(printable(title), style="bold"), t)


def jacobian_json(jac: "Jacobian") -> dict[str, Any]:
    """{"outputs", "values", "inputs", "jacobian": {output: {input: d}}}, and "symbolic" and "check" when asked."""
    doc: dict[str, Any] = {"outputs": jac.outputs}
    if jac.results:
        first = jac.results[0]
        doc["values"] = jac.values
        doc["inputs"] = {name: v.data for name, v in first.inputs.items()}
        doc["jacobian"] = {out: {name: _json_number(g) for name, g in row.items()} for out, row in jac.rows.items()}
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

    t = _table()
    if order == 2:
        title = f"Hessian of {output_name}: ∂²{as_operand(output_name)}/∂row∂column"
        t.add_column("", style="bold")
        for name in names:
            t.add_column(name, justify="right")
        for row in names:
            t.add_row(Text(row), *[fmt(_hessian_entry(table, names, row, col), precision) for col in names])
    else:
        title = f"derivatives of order {order} of {output_name}"
        t.add_column("derivative", style="bold")
        t.add_column("value", justify="right", style="green")
        for key, value in table.items():
            wrt = "".join(f"∂{name}" for name in key)
            t.add_row(Text(f"∂^{order} {as_operand(output_name)}/{wrt}"), fmt(value, precision))
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


PROGRAM_WIDTH = 60  # a program longer than this is shortened in the middle in --each-line tables


def batch_table(rows: "list[LineResult]", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """--each-line: one row per program that ran (failed lines are reported on stderr)."""
    from rich.text import Text

    t = _table()
    t.add_column("line", justify="right", style="dim")
    t.add_column("program")
    t.add_column("value", justify="right")
    t.add_column("gradients", style="green")
    for row in rows:
        r = row.result
        if r is None:
            continue
        grads = ", ".join(f"∂/∂{name} = {fmt(g, precision)}" for name, g in r.partials.items())
        t.add_row(str(row.line), Text(shorten(printable(row.source.strip()), PROGRAM_WIDTH)),
                  Text(f"{r.output_name} = {fmt(r.value, precision)}"), Text(grads))
    return t


def batch_json(row: "LineResult") -> dict[str, Any]:
    """--each-line --format json: the line's JSON document, or its error, with the line number."""
    if row.result is not None:
        return {"line": row.line, **to_json(row.result)}
    assert row.error is not None
    return {"line": row.line, "source": row.source, "error": {"message": row.message, "exit_code": row.error.exit_code}}


SWEEP_ROWS = 20  # a sweep table longer than this shows its first and last rows


def sweep_table(result: "SweepResult", precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The sweep as a table: one row per point, the middle elided when long (--format csv has all)."""
    from rich.console import Group
    from rich.text import Text

    t = _table()
    for name in result.header():
        t.add_column(name, justify="right")
    rows = list(result.rows())
    half = SWEEP_ROWS // 2
    shown: list[tuple[float, ...] | None] = [*rows] if len(rows) <= SWEEP_ROWS else [*rows[:half], None, *rows[-half:]]
    for row in shown:
        t.add_row(*(["…"] * len(result.header()) if row is None else [fmt(x, precision) for x in row]))
    axes = ", ".join(f"{name} from {fmt(a[0], precision)} to {fmt(a[-1], precision)} ({len(a)} points)"
                     for name, a in result.axes.items())
    return Group(Text(f"{result.output_name} over {axes}", style="bold"), t)


def sweep_csv(result: "SweepResult") -> Iterator[str]:
    """Every point as CSV, numbers in full (nan where undefined), a block of rows at a time.

    A header cell that a spreadsheet would run as a formula (``-x + 1``) is
    prefixed with ``'``, as OWASP's advice on CSV injection says.
    """
    import csv
    from itertools import islice

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["'" + h if h[:1] in _FORMULA_STARTS else h for h in result.header()])
    rows = result.rows()
    while True:
        block = list(islice(rows, CSV_BLOCK))
        writer.writerows([repr(x) for x in row] for row in block)
        yield out.getvalue()
        if len(block) < CSV_BLOCK:
            return
        out.seek(0)
        out.truncate()


CSV_BLOCK = 10_000  # rows written at a time
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
