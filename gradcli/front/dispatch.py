"""Answer a request: run the interpretations it asks for, then write their views.

The CLI turns options into a ``Request`` (checked by ``request.validate``)
and hands it here with the program's text; this module decides what to
compute and in which views, and writes through the ``Terminal`` the CLI
gives it (standard output, standard error, the console). No maths here
either: the features compute, ``render`` draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from ..bindings import Bindings, bind
from ..errors import GradcliError, UnknownNameError
from ..interpret.program import Result, differentiate
from ..language.parser import Program, parse
from ..limits import Limits, Meter
from .outputs import Outputs
from .request import Request

if TYPE_CHECKING:
    from ..interpret.batch import LineResult
    from ..interpret.check import Check
    from ..interpret.explain import Step
    from ..interpret.stream import Plan
    from ..interpret.symbolic import Derivatives, Expr
    from ..views.plain import BatchRows


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
    def gone(self) -> bool: ...  # standard output's reader went away (head): stop writing


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
        _sweep(request, source, _parse(source, limits), limits, outputs, out)
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

        # (a call through its function's own derivative: first derivatives only, its symbol is opaque)
        report.derivatives = derivatives(b, expand=request.expand, by_function=order == 1)
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
                outputs.stage("--graph", request.graph, _page(request, result, report.steps))
            else:
                where = f"warning: --graph {request.graph}"
                picture = draw.picture_bytes(result, format, request.precision, request.max_nodes, request.rankdir,
                                             warn=lambda lost: out.say(f"{where}: {lost}"))
                outputs.stage("--graph", request.graph, picture)
    _print(request, report, out)
    _fail_if_check_failed(report.check)


def _page(request: Request, result: Result, known: "list[Step] | None") -> bytes:
    """--graph FILE.html: the picture as SVG in a page that replays the backward pass (its steps
    those --explain computed, when it did)."""
    from ..interpret.explain import steps
    from ..views import drawing as draw
    from ..views.page import page

    dot, drawn, folded = draw.drawn_picture(result, "svg", request.precision, request.max_nodes, request.rankdir)
    svg = draw.render(dot.source, "svg").decode("utf-8")
    shown = known if known is not None else steps(result)
    return page(result, shown, svg, drawn, folded, request.precision).encode("utf-8")


def _numbers(request: Request, result: Result, limits: Limits, report: Report) -> None:
    """What --order, --check and --explain compute from a differentiated program (budgets first)."""
    order = request.order
    if request.check:
        from ..interpret.check import evaluations

        limits.check("work", evaluations(result), f"--check of {len(result):,} nodes")
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
    from ..views import passes, render, reports

    result, fmt = report.result, request.format
    precision, order = request.precision, request.order
    if fmt == "json":
        _write_json(out, _json(report, order))
        return
    if fmt == "latex":
        assert report.derivatives is not None
        out.write(reports.symbolic_latex(report.derivatives, report.formulas, order))
        return
    parts: list[Any] = []
    if result is not None:
        if fmt == "table" and len(result) > render.LONG_TABLE and not out.stdout_is_terminal():
            from ..views.plain import program_table

            if not _write_all(out, program_table(result, precision)):
                return  # the reader went away: the rest would go nowhere
        elif fmt == "table":
            parts.append(render.table(result, precision, elide=out.stdout_is_terminal()))
        else:
            depth = TREE_DEPTH
            if out.stdout_is_terminal():
                depth = min(TREE_DEPTH, max(8, (out.columns() - 40) // 4))
            parts.append(render.tree(result, precision, depth))
    if report.steps is not None and result is not None:
        if len(report.steps) > render.LONG_TABLE and not out.stdout_is_terminal():
            from ..views.plain import explain_table

            out.show([p for p in parts if p is not None])  # what comes before it, in its place
            parts = []
            if not _write_all(out, explain_table(result, report.steps, precision)):
                return  # the reader went away: the rest would go nowhere
        else:
            parts.append(passes.explain_table(result, report.steps, precision, elide=out.stdout_is_terminal()))
    if report.derivatives is not None:
        parts.append(reports.symbolic_table(report.derivatives, result, precision))
    if report.formulas is not None:
        assert report.derivatives is not None
        numbers = report.higher[1] if report.higher is not None else None
        parts.append(reports.formulas_table(report.formulas, report.derivatives.output_name, order, numbers, precision))
    elif report.higher is not None and result is not None:
        names, table = report.higher
        parts.append(reports.derivatives_table(names, table, result.output_name, order, precision))
    if report.derivatives is not None:  # the names the formulas are written in, after every formula
        parts.append(reports.where_block(report.derivatives, report.formulas))
    if report.check is not None:
        parts.append(passes.check_table(report.check, precision))
    out.show([p for p in parts if p is not None])


def _write_json(out: Terminal, doc: dict[str, Any]) -> None:
    """``doc`` as ``json.dumps(doc, indent=2)`` writes it, and a newline, written as it is produced
    (the nodes of a big program a block at a time)."""
    from ..views.json_text import pieces

    if _write_all(out, pieces(doc)):
        out.write("\n")


def _write_all(out: Terminal, pieces: Iterable[str]) -> bool:
    """Write ``pieces`` as they come, each whole; False when the reader went away before the end."""
    from .workers import held_signals

    for text in pieces:
        if not text:
            continue
        with held_signals():  # whole pieces only, whatever signal comes
            out.write(text)
        if out.gone():
            return False
    return True


def _json(report: Report, order: int) -> dict[str, Any]:
    from ..views import passes, render, reports

    if report.result is not None:
        doc = render.json_doc(report.result)
    else:
        assert report.derivatives is not None
        doc = {"output": report.derivatives.output_name}
    if report.derivatives is not None:
        doc["symbolic"] = reports.symbolic_json(report.derivatives)
        if not report.derivatives.expanded:
            doc["definitions"] = reports.definitions_json(report.derivatives, report.formulas)
    if report.formulas is not None:
        doc["symbolic_derivatives"] = reports.formulas_json(report.formulas, order)
    if report.steps is not None:
        doc["steps"] = passes.explain_json(report.steps)
    if report.higher is not None:
        doc.update(reports.derivatives_json(*report.higher, order))
    if report.check is not None:
        doc["check"] = passes.check_json(report.check)
    return doc


# ----- several outputs: the Jacobian ---------------------------------------------------------------


def _jacobian(request: Request, program: Program, limits: Limits, out: Terminal) -> None:
    """--of given more than once: every output's gradient over the inputs (rows outputs, columns inputs)."""
    from ..interpret.jacobian import jacobian
    from ..views import passes, reports

    symbolic = request.symbolic or request.format == "latex"
    work = Meter(limits, "work", f"--of given {len(request.outputs)} times")
    jac = jacobian(program, request.values, request.outputs, symbolic, request.check, request.atol, request.rtol,
                   work, expand=request.expand, option=request.sources)
    if request.format == "json":
        _write_json(out, reports.jacobian_json(jac))
    elif request.format == "latex":
        out.write("".join(reports.symbolic_latex(d, None, 1) for d in jac.derivatives))
    else:
        parts: list[Any] = [reports.jacobian_table(jac, request.precision)]
        results: list[Result | None] = list(jac.results) or [None] * len(jac.derivatives)  # none: formulas only
        for d, r in zip(jac.derivatives, results):
            parts += [reports.symbolic_table(d, r, request.precision), reports.where_block(d)]
        if jac.check is not None:
            parts.append(passes.check_table(jac.check, request.precision))
        out.show([p for p in parts if p is not None])
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

#: a plot of a sweep of more points draws every k-th of them, about this many (a picture holds no more)
PLOT_POINTS = 10_000


def _sweep(request: Request, source: str, program: Program, limits: Limits, outputs: Outputs, out: Terminal) -> None:
    """The sweep a chunk at a time (``interpret.stream``), each written as it comes: CSV, JSON
    and tables stream in bounded memory; a plot draws a sample of the grid."""
    from ..interpret.sweep import parse_spec
    from ..views import render, sweep_text
    from .workers import Workers, held_signals

    # a swept name overrides the value --values gives it, as --set would (one given with --set is refused)
    swept = {parse_spec(s).name for s in request.sweeps}
    values = {n: x for n, x in request.values.items() if n not in swept or request.sources.get(n) != "--values"}
    recipe = (source, request.sweeps, values, request.output, limits.values, request.format, dict(request.sources))
    state = _sweep_state(recipe, program)
    plan, fmt = state
    if request.plot is not None:
        _plot(request, program, plan, values, limits, outputs, out)
    undefined = 0
    with Workers(_jobs(request, len(plan)), state, _sweep_state, recipe, request.scheduler) as workers:
        tracked, _ = _progress(out, workers.map(_sweep_piece, range(len(plan))), len(plan), "sweeping",
                               len(plan) > 1 and plan.size >= 1_000_000)
        with tracked as pieces:
            if fmt == "table":
                def rows() -> Iterator[tuple[float, ...]]:
                    nonlocal undefined
                    for n, piece in pieces:
                        undefined += n
                        yield from piece

                table = render.sweep_table_of(plan.output_name, plan.header(), plan.ends(), rows(), plan.size,
                                              request.precision)
            else:
                as_json = fmt == "json"
                out.write(sweep_text.sweep_json_head(plan.output_name, plan.ends(), plan.held()) if as_json
                          else sweep_text.csv_header(plan.header()))
                for j, (n, text) in enumerate(pieces):
                    undefined += n
                    with held_signals():  # whole pieces only, whatever signal comes
                        out.write(", " + text if as_json and j else text)
                    if out.gone():
                        return  # the reader went away (head): the rest would go nowhere
                if as_json:
                    out.write(sweep_text.sweep_json_tail(undefined) + "\n")
    if fmt == "table":
        out.show([table])
    if undefined:
        out.say(f"warning: {plan.output_name} or a gradient is undefined (NaN) at {undefined} of {plan.size} points")


def _sweep_state(recipe: tuple[Any, ...], program: Program | None = None) -> tuple[Plan, str]:
    """What a worker of a sweep needs: its plan (the program parsed from the recipe when not given)
    and the format its pieces are written in."""
    from ..interpret.stream import plan_sweep
    from ..interpret.sweep import parse_spec

    source, sweeps, values, output, limit_values, fmt, sources = recipe
    limits = Limits(limit_values)
    if program is None:
        program = _parse(source, limits)
    return plan_sweep(program, [parse_spec(s) for s in sweeps], values, output, limits, fmt == "json", sources), fmt


def _sweep_piece(state: tuple[Plan, str], j: int) -> tuple[int, Any]:
    """Chunk ``j`` of the sweep: its undefined points, and its text (CSV, JSON) or the rows a table shows."""
    from ..interpret.stream import chunk_ends
    from ..views import render, sweep_text

    plan, fmt = state
    result = plan.run(j)
    if fmt == "csv":
        return result.undefined, sweep_text.csv_rows(result.columns())
    if fmt == "json":
        return result.undefined, sweep_text.sweep_json_points(list(plan.specs), list(plan.tape.inputs), result.columns())
    return result.undefined, chunk_ends(result, render.SWEEP_ROWS // 2)


def _plot(request: Request, program: Program, plan: Plan, values: dict[str, float], limits: Limits, outputs: Outputs,
          out: Terminal) -> None:
    """--plot: the sweep's output and derivatives over a sample of its grid (all of it when small)."""
    from ..interpret.sweep import run_sweep

    grid = plan.sample(PLOT_POINTS)
    swept = run_sweep(program, grid, values, request.output, limits, option=request.sources)
    drawn = swept.values.size
    if drawn < plan.size:
        out.say(f"note: the plot draws {drawn:,} of the {plan.size:,} points of the sweep, evenly spaced")
    plot = request.plot
    if plot not in (None, "-"):
        from ..views.plot import file_plot

        outputs.stage("--plot", plot, file_plot(swept, plot))
    if plot == "-":  # the plot, then the table (both in the terminal)
        from ..views.plot import terminal_plot

        size = min(out.columns(), 100), max(15, min(out.lines() - 4, 25))
        out.write(terminal_plot(swept, *size, colour=out.colour()) + "\n")


def _jobs(request: Request, pieces: int) -> int:
    """Processes for ``pieces`` pieces of work: --jobs (default: every core), no more than the pieces;
    with --scheduler, any number above 1 (the cluster has its own); one piece is done here."""
    from .workers import default_jobs

    return min(pieces, 2 if request.scheduler is not None else request.jobs or default_jobs())


def _progress(out: Terminal, items: Iterable[Any], total: int, description: str, wanted: bool = True
              ) -> tuple[Any, Callable[[str], None]]:
    """``items`` as a context manager that draws a progress bar on standard error while they are
    taken, when it is a terminal and ``wanted``; and how to say a line above the bar."""
    if not wanted or not out.stderr_is_terminal():
        return _plainly(items), out.say
    from rich.progress import Progress

    from ..text import safe_message

    # the bar draws on standard error only: results still go to standard output, whatever it is,
    # and errors are printed above the bar
    progress = Progress(console=out.stderr_console(), transient=True, redirect_stdout=False, redirect_stderr=False)
    console = progress.console
    return _Tracked(progress, progress.track(items, total=total, description=description)), \
        lambda line: console.print(safe_message(line), markup=False, highlight=False)


class _plainly:
    """Items as a context manager that does nothing."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __enter__(self) -> Iterable[Any]:
        return self.items

    def __exit__(self, *exc: object) -> None:
        return None


class _Tracked:
    """Tracked items as a context manager: the bar is drawn while they are taken."""

    def __init__(self, progress: Any, items: Iterable[Any]) -> None:
        self.progress, self.items = progress, items

    def __enter__(self) -> Iterable[Any]:
        self.progress.start()
        return self.items

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


# ----- every line its own program --------------------------------------------------------------------

#: lines a worker of --each-line evaluates at a time
LINES_AT_ONCE = 64


def _each_line(request: Request, source: str, limits: Limits, out: Terminal) -> None:
    """Every line its own program, in order: JSON Lines written as they come; a table of more than
    ``render.LONG_TABLE`` lines piped, too (plain text); else the rich table at the end (its first
    and last rows only, on a terminal)."""
    from collections import deque

    from ..interpret.batch import programs, unused_values
    from ..views import render
    from .workers import Workers

    lines = programs(source)
    unused = unused_values(lines, request.values)
    if unused:
        name = unused[0]
        raise GradcliError(f"{request.sources.get(name, '--set')} {name}: no line of the input has an input '{name}'")
    elide = request.format != "json" and out.stdout_is_terminal()
    mode = "json" if request.format == "json" else "plain" if not elide and len(lines) > render.LONG_TABLE else "rows"
    recipe = (request.values, request.output, limits["nodes"], mode, request.precision, dict(request.sources))
    batches = [lines[i:i + LINES_AT_ONCE] for i in range(0, len(lines), LINES_AT_ONCE)]
    plain: BatchRows | None = None
    if mode == "plain":
        from ..views.plain import BatchRows

        plain = BatchRows(lines)
    kept: list[LineResult] = []  # the rows of the rich table (on a terminal: its first ones)
    last: deque[LineResult] = deque(maxlen=render.BATCH_ROWS // 2)  # on a terminal, its last ones
    ran = failed = 0
    with Workers(_jobs(request, len(batches)), recipe, _same, recipe, request.scheduler) as workers:
        tracked, say = _progress(out, workers.map(_line_piece, batches), len(batches), "evaluating",
                                 len(lines) >= 500)
        with tracked as pieces:
            for segments, rows in pieces:
                for error, text in segments:
                    if error is not None:
                        failed += 1
                        say(f"error: {error}")
                    if not _write_all(out, [text]):
                        return  # the reader went away: the rest would go nowhere
                if plain is not None:
                    if not _write_all(out, [plain.text(rows)]):
                        return
                    continue
                for row in rows:
                    ran += 1
                    (last if elide and len(kept) == render.BATCH_ROWS // 2 else kept).append(row)
    if plain is not None:
        _write_all(out, [plain.end()])
    elif mode == "rows":
        out.show([render.batch_table([*kept, *last], request.precision, elide=elide, ran=ran)])
    if failed:
        raise Failed(f"{failed} of {len(lines)} lines failed")


def _same(recipe: Any) -> Any:
    return recipe


def _line_piece(state: tuple[Any, ...], batch: list[tuple[int, str]]) -> tuple[list[tuple[str | None, str]], list[Any]]:
    """Lines of a batch, each evaluated on its own, as little as the main process needs of them:
    the errors, each with the text that follows it (JSON Lines, each line's document or error),
    and the rows of a table (cells of plain text, or each line's value and partials, not its graph).
    One piece of text a batch, in the usual case of no error, for the main process to write."""
    import json

    from ..interpret.batch import run_lines
    from ..views import render
    from ..views.plain import batch_cells

    values, output, max_code, mode, precision, sources = state
    errors: list[str | None] = [None]
    texts: list[list[str]] = [[]]
    rows: list[Any] = []
    for row in run_lines(batch, values, output, max_code, option=sources):
        if row.error is not None:
            errors.append(row.message)
            texts.append([])
        if mode == "json":
            texts[-1].append(json.dumps(render.batch_json(row), allow_nan=False) + "\n")
        elif row.error is None:
            rows.append(batch_cells(row, precision) if mode == "plain" else row.slim())
    return list(zip(errors, map("".join, texts))), rows


class _nothing:
    """A context manager that does nothing (contextlib's costs an import on the command's path)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
