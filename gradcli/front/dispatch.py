"""Answer a request: run the interpretations it asks for, then write their views.

The CLI turns options into a ``Request`` (checked by ``request.validate``)
and hands it here with the program's text; this module decides what to
compute and in which views, and writes through the ``Terminal`` the CLI
gives it (standard output, standard error, the console). No maths here
either: the features compute, ``render`` draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from ..bindings import Bindings, bind
from ..errors import GradcliError, UnknownNameError
from ..interpret.program import Result, differentiate
from ..language.parser import Program, parse
from ..limits import Limits, Meter
from .outputs import Outputs
from .request import Request

if TYPE_CHECKING:
    from ..interpret.check import Check
    from ..interpret.explain import Step
    from ..interpret.symbolic import Derivatives, Expr


class Terminal(Protocol):
    """Where answers go: the CLI's standard output and error."""

    def write(self, text: str) -> None: ...
    def show(self, renderables: list[Any]) -> None: ...  # rich renderables, on standard output
    def say(self, line: str) -> None: ...  # one line on standard error
    def columns(self) -> int: ...
    def lines(self) -> int: ...
    def stdout_is_terminal(self) -> bool: ...
    def colour(self) -> bool: ...  # standard output is a terminal, and NO_COLOR is not set
    def stderr_is_terminal(self) -> bool: ...
    def stderr_console(self) -> Any: ...
    def dumps(self, doc: Any, indent: int | None = None) -> str: ...


class Failed(GradcliError):
    """The answer was written, and the call still fails (a failed check, lines that failed)."""

    exit_code = 1


#: a tree is cut this many levels down (each level indents it further)
TREE_DEPTH = 50


def answer(request: Request, source: str, limits: Limits, outputs: Outputs, out: Terminal) -> None:
    """Compute what ``request`` asks of the program ``source`` and write it; ``outputs`` stages files."""
    if request.emit is not None:
        _emit(request, _parse(source, limits), limits, out)
    elif request.each_line:
        _each_line(request, source, limits, out)
    elif request.sweeps:
        _sweep(request, _parse(source, limits), limits, outputs, out)
    elif request.jacobian:
        _jacobian(request, _parse(source, limits), limits, out)
    else:
        _differentiate(request, _parse(source, limits), limits, outputs, out)


def _parse(source: str, limits: Limits) -> Program:
    return parse(source, max_code=limits["nodes"])


# ----- one output: the graph, and everything about it -----------------------------------------


class Report:
    """Everything one call computed, for the views (a plain class: no dataclass to build at start-up)."""

    def __init__(self) -> None:
        self.result: Result | None = None
        self.derivatives: Derivatives | None = None
        self.formulas: dict[tuple[str, ...], Expr] | None = None  # --symbolic --order N
        self.steps: list[Step] | None = None
        self.higher: tuple[list[str], dict[tuple[str, ...], float]] | None = None
        self.check: Check | None = None


def _bindings(request: Request, program: Program, output: str | None, symbolic: bool) -> tuple[Bindings, bool]:
    """The program's bindings, and whether it has values to compute with. --symbolic alone works
    without values: a name read without one is then a symbol (only formulas are shown)."""
    numbers_needed = not symbolic or request.explain or request.check or request.graph is not None
    try:
        return bind(program, request.values, output, option=request.sources), True
    except UnknownNameError:
        if numbers_needed:
            raise
    return bind(program, request.values, output, free=True, option=request.sources), False


def _differentiate(request: Request, program: Program, limits: Limits, outputs: Outputs, out: Terminal) -> None:
    symbolic = request.symbolic or request.format == "latex"
    order = request.order
    b, numeric = _bindings(request, program, request.output, symbolic)
    _derivatives_budget(limits, b, order, "--order")  # before any of them is built, formulas or numbers
    report = Report()
    if symbolic:
        from ..interpret.symbolic import derivatives

        report.derivatives = derivatives(b)
        if order > 1:
            from ..interpret.symbolic_higher import formula_table

            report.formulas = formula_table(report.derivatives, order)
    if numeric:
        report.result = result = differentiate(b)
        _numbers(request, result, limits, report)
        if request.graph is not None:
            from ..views import drawing as draw

            format = draw.picture_format(request.graph)
            if format == "html":
                outputs.stage("--graph", request.graph, _page(request, result))
            else:
                where = f"warning: --graph {request.graph}"
                picture = draw.picture_bytes(result, format, request.precision, request.max_nodes, request.rankdir,
                                             warn=lambda lost: out.say(f"{where}: {lost}"))
                outputs.stage("--graph", request.graph, picture)
    _print(request, report, out)
    _fail_if_check_failed(report.check)


def _page(request: Request, result: Result) -> bytes:
    """--graph FILE.html: the picture as SVG in a page that replays the backward pass."""
    from ..interpret.explain import steps
    from ..views import drawing as draw
    from ..views.page import page

    dot, drawn, folded = draw.drawn_picture(result, "svg", request.precision, request.max_nodes, request.rankdir)
    svg = draw.render(dot.source, "svg").decode("utf-8")
    return page(result, steps(result), svg, drawn, folded, request.precision).encode("utf-8")


def _numbers(request: Request, result: Result, limits: Limits, report: Report) -> None:
    """What --order, --check and --explain compute from a differentiated program (budgets first)."""
    order = request.order
    if request.check:
        from ..interpret.check import evaluations

        limits.check("work", evaluations(result), f"--check of {len(result.nodes):,} nodes")
    if request.explain:
        from ..interpret.explain import steps

        report.steps = steps(result)
    if order > 1:
        from ..interpret.higher import derivative_table

        report.higher = derivative_table(result, order, Meter(limits, "work", f"--order {order}"))
    if request.check:
        from ..interpret.check import gradient_check

        report.check = gradient_check(result, request.atol, request.rtol)


def _derivatives_budget(limits: Limits, b: Bindings, order: int, option: str) -> None:
    """Refuse --order N over more inputs than the derivatives budget allows (one check for every view)."""
    if order > 1:
        from ..interpret.higher import count

        inputs = len(b.inputs)
        limits.check("derivatives", count(inputs, order), f"{option} {order} over {inputs:,} inputs")


def _fail_if_check_failed(check: Check | None) -> None:
    if check is not None and not check.ok:
        failed = ", ".join(row.name for row in check.rows if not row.ok)
        raise Failed(f"gradient check failed for {failed}")


def _print(request: Request, report: Report, out: Terminal) -> None:
    from ..views import render, reports

    result, fmt = report.result, request.format
    precision, order = request.precision, request.order
    if fmt == "json":
        out.write(out.dumps(_json(report, order), indent=2) + "\n")
        return
    if fmt == "latex":
        assert report.derivatives is not None
        out.write(reports.symbolic_latex(report.derivatives, report.formulas, order))
        return
    parts: list[Any] = []
    if result is not None:
        if fmt == "table":
            parts.append(render.table(result, precision))
        else:
            depth = TREE_DEPTH
            if out.stdout_is_terminal():
                depth = min(TREE_DEPTH, max(8, (out.columns() - 40) // 4))
            parts.append(render.tree(result, precision, depth))
    if report.steps is not None and result is not None:
        parts.append(reports.explain_table(result, report.steps, precision))
    if report.derivatives is not None:
        parts.append(reports.symbolic_table(report.derivatives, result, precision))
    if report.formulas is not None:
        assert report.derivatives is not None
        numbers = report.higher[1] if report.higher is not None else None
        parts.append(reports.formulas_table(report.formulas, report.derivatives.output_name, order, numbers, precision))
    elif report.higher is not None and result is not None:
        names, table = report.higher
        parts.append(reports.derivatives_table(names, table, result.output_name, order, precision))
    if report.check is not None:
        parts.append(reports.check_table(report.check, precision))
    out.show(parts)


def _json(report: Report, order: int) -> dict[str, Any]:
    from ..views import render, reports

    if report.result is not None:
        doc = render.to_json(report.result)
    else:
        assert report.derivatives is not None
        doc = {"output": report.derivatives.output_name}
    if report.derivatives is not None:
        doc["symbolic"] = reports.symbolic_json(report.derivatives)
    if report.formulas is not None:
        doc["symbolic_derivatives"] = reports.formulas_json(report.formulas, order)
    if report.steps is not None:
        doc["steps"] = reports.explain_json(report.steps)
    if report.higher is not None:
        doc.update(reports.derivatives_json(*report.higher, order))
    if report.check is not None:
        doc["check"] = reports.check_json(report.check)
    return doc


# ----- several outputs: the Jacobian ---------------------------------------------------------------


def _jacobian(request: Request, program: Program, limits: Limits, out: Terminal) -> None:
    """--of given more than once: every output's gradient over the inputs (rows outputs, columns inputs)."""
    from ..interpret.jacobian import jacobian
    from ..views import reports

    symbolic = request.symbolic or request.format == "latex"
    work = Meter(limits, "work", f"--of given {len(request.outputs)} times")
    jac = jacobian(program, request.values, request.outputs, symbolic, request.check, request.atol, request.rtol,
                   work, option=request.sources)
    if request.format == "json":
        out.write(out.dumps(reports.jacobian_json(jac), indent=2) + "\n")
    elif request.format == "latex":
        out.write("".join(reports.symbolic_latex(d, None, 1) for d in jac.derivatives))
    else:
        parts: list[Any] = [reports.jacobian_table(jac, request.precision)]
        for d, r in zip(jac.derivatives, jac.results):
            parts.append(reports.symbolic_table(d, r, request.precision))
        if jac.check is not None:
            parts.append(reports.check_table(jac.check, request.precision))
        out.show(parts)
    _fail_if_check_failed(jac.check)


# ----- the gradient function as source code -------------------------------------------------------


def _emit(request: Request, program: Program, limits: Limits, out: Terminal) -> None:
    """--emit LANG: the value-and-gradient function (and the Hessian with --order 2) as source code;
    with --of given more than once, one function for every output's value and the Jacobian."""
    from ..interpret.emit import jacobian_ir, value_and_grad_ir
    from ..views import source

    assert request.emit is not None
    printer = {"python": source.python, "numpy": source.numpy, "c": source.c, "javascript": source.javascript}
    if request.jacobian:
        b = bind(program, {}, request.outputs[0], free=True)  # every input is a parameter: no value is needed
        out.write(printer[request.emit](jacobian_ir(b, request.outputs)))
        return
    b = bind(program, {}, request.output, free=True)
    _derivatives_budget(limits, b, request.order, "--emit --order")  # the Hessian: a reverse pass per input
    out.write(printer[request.emit](value_and_grad_ir(b, request.order)))


# ----- a sweep --------------------------------------------------------------------------------------


def _sweep(request: Request, program: Program, limits: Limits, outputs: Outputs, out: Terminal) -> None:
    from ..interpret.sweep import make_grid, parse_spec, run_sweep
    from ..views import render

    grid = make_grid([parse_spec(s) for s in request.sweeps], limits)
    # a swept name overrides the value --values gives it, as --set does (one given with --set is refused)
    values = {n: x for n, x in request.values.items() if n not in grid or request.sources.get(n) != "--values"}
    swept = run_sweep(program, grid, values, request.output, limits, as_json=request.format == "json",
                      option=request.sources)
    if swept.undefined:
        points = swept.values.size
        out.say(f"warning: {swept.output_name} or a gradient is undefined (NaN) at {swept.undefined} of {points} points")
    plot = request.plot
    if plot not in (None, "-"):
        from ..views.plot import file_plot

        outputs.stage("--plot", plot, file_plot(swept, plot))
    if plot == "-":  # the plot, then the table (both in the terminal)
        from ..views.plot import terminal_plot

        size = min(out.columns(), 100), max(15, min(out.lines() - 4, 25))
        out.write(terminal_plot(swept, *size, colour=out.colour()) + "\n")
    if request.format == "json":
        out.write(out.dumps(swept.to_json()) + "\n")
    elif request.format == "csv":
        for block in render.sweep_csv(swept):
            out.write(block)
    else:
        out.show([render.sweep_table(swept, request.precision)])


# ----- every line its own program --------------------------------------------------------------------


def _each_line(request: Request, source: str, limits: Limits, out: Terminal) -> None:
    from ..interpret.batch import LineResult, programs, run_lines, unused_values
    from ..text import safe_message
    from ..views import render

    lines = programs(source)
    unused = unused_values(lines, request.values)
    if unused:
        name = unused[0]
        raise GradcliError(f"{request.sources.get(name, '--set')} {name}: no line of the input has an input '{name}'")
    results: Iterable[LineResult] = run_lines(lines, request.values, request.output, limits["nodes"],
                                              option=request.sources)
    say: Callable[[str], None] = out.say
    progress = None
    if len(lines) >= 500 and out.stderr_is_terminal():
        from rich.progress import Progress

        # the bar draws on standard error only: results still go to standard output, whatever it is,
        # and errors are printed above the bar
        progress = Progress(console=out.stderr_console(), transient=True, redirect_stdout=False,
                            redirect_stderr=False)
        results = progress.track(results, total=len(lines), description="evaluating")
        console = progress.console
        say = lambda line: console.print(safe_message(line), markup=False, highlight=False)  # noqa: E731
    done, failed = [], 0
    with progress if progress is not None else _nothing():
        for row in results:
            if row.error is not None:
                failed += 1
                say(f"error: {row.message}")
            if request.format == "json":
                out.write(out.dumps(render.batch_json(row)) + "\n")
            else:
                done.append(row)
    if request.format != "json":
        out.show([render.batch_table(done, request.precision, elide=out.stdout_is_terminal())])
    if failed:
        raise Failed(f"{failed} of {len(lines)} lines failed")


class _nothing:
    """A context manager that does nothing (contextlib's costs an import on the command's path)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
