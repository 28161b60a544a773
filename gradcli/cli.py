"""The gradcli command: options -> evaluate -> render -> print.

No maths here. Every failure is one ``error: ...`` line on stderr (a syntax
error adds its source line and a caret), nothing on stdout, and an exit code:
2 for input the user must fix, 1 for a math error or a failed picture.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable

import click

from . import __version__
from .errors import GradcliError, UnknownNameError
from .parser import Program, is_name, parse
from .program import Result, run
from .render import DEFAULT_PRECISION

if TYPE_CHECKING:
    from .check import Check
    from .explain import Step
    from .symbolic import Derivatives

EXAMPLES = """\b
Examples:
  gradcli --set a=2 "d = (a+3) + a*2"
  gradcli "x = 3; y = x * 2; z = y * 5"
  gradcli -f examples/neuron.grad --format tree
  gradcli -f examples/neuron.grad --set x1=1 --of o --format json
  echo "a = 2; b = a + 3; c = a * 2; d = b + c" | gradcli -g graph.svg

\b
Exit codes: 0 success, 1 math error (division by zero, overflow, log of a
non-positive number, ...) or a failed picture, 2 input to fix (syntax,
unknown name or function, bad option, missing file, nothing to differentiate).
"""


def _collector_paused(command: Callable[..., None]) -> Callable[..., None]:
    """Run ``command`` with the cycle collector paused, and restore it after.

    A graph holds no reference cycles, so the collector would only slow big
    programs down; restoring it matters when the command runs in-process
    (tests, notebooks).
    """

    @functools.wraps(command)
    def paused(*args: Any, **kwargs: Any) -> None:
        enabled = gc.isenabled()
        gc.disable()
        try:
            command(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


class _Command(click.Command):
    """A click command whose every failure is one ``error:`` line and an exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name or "gradcli", complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            message = e.format_message().rstrip(".")
            _fail(f"{message[:1].lower()}{message[1:]} (see 'gradcli --help')", 2)
        except click.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except GradcliError as e:
            _fail(e.message, e.exit_code, e.detail)
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int, detail: str = "") -> None:
    click.echo(f"error: {message}", err=True)
    if detail:
        click.echo(detail, err=True)
    sys.exit(code)


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep:
        raise click.BadParameter(f"'{text}' is not NAME=VALUE", param_hint="--set")
    if not is_name(name):
        raise click.BadParameter(f"'{name}' in '{text}' is not a valid name", param_hint="--set")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise click.BadParameter(f"'{value}' in '{text}' is not a finite number", param_hint="--set")
    return name, number


def _read_program(program: str | None, file: str | None) -> tuple[str, str | None]:
    """The program's text, and the path it was read from (if any)."""
    if program is not None and file is not None:
        raise click.UsageError("give the program as an argument or with --file, not both")
    if program is not None:
        return program, None
    if file is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("no program: pass it as an argument, with -f FILE, or on standard input")
        file = "-"
    try:
        if file == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        else:
            with open(file, "rb") as f:
                data = f.read()
    except OSError as e:
        raise GradcliError(f"cannot read {file}: {e.strerror}") from None
    try:
        return data.decode("utf-8-sig"), None if file == "-" else file
    except UnicodeDecodeError as e:
        raise GradcliError(f"cannot read {file}: not UTF-8 text (byte {e.start})") from None


def _write_graph(result: Result, path: str, precision: int, max_nodes: int) -> None:
    from . import drawing as draw

    format = draw.picture_format(path)
    picture = draw.render(draw.picture(result, format, precision, max_nodes).source, format)
    draw.write_atomic(path, picture)


@click.command(cls=_Command, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("program", required=False)
@click.option("-f", "--file", metavar="PATH", help="Read the program from PATH ('-' for standard input).")
@click.option("-s", "--set", "assignments", metavar="NAME=VALUE", multiple=True,
              help="Give a variable its value (repeatable); overrides 'NAME = number' in the program.")
@click.option("--of", "output", metavar="NAME", help="The variable to differentiate (default: the last statement).")
@click.option("--format", "format_", type=click.Choice(["table", "json", "tree", "latex", "csv"]), default="table",
              show_default=True, help="How to print the result (latex: the symbolic derivatives; csv: a sweep).")
@click.option("--precision", type=click.IntRange(0, 17), default=DEFAULT_PRECISION, show_default=True,
              metavar="N", help="Decimals in tables, trees and pictures.")
@click.option("-g", "--graph", metavar="PATH", help="Write a picture of the graph: .svg, .png, .pdf, .dot or .gv.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=500, show_default=True, metavar="N",
              help="Values a picture draws before it folds unnamed intermediates into its edges.")
@click.option("--sweep", "sweeps", metavar="NAME=START:STOP:COUNT", multiple=True,
              help="Evaluate at COUNT points from START to STOP (repeat for a grid): values and gradients.")
@click.option("--plot", is_flag=False, flag_value="-", default=None, metavar="[PATH]",
              help="With --sweep: plot the output and its derivatives, in the terminal or to .svg/.png/.pdf.")
@click.option("--each-line", is_flag=True,
              help="Every line of the input is its own program: one result per line, errors reported per line.")
@click.option("--explain", is_flag=True, help="Show the backward pass step by step: the chain rule on every edge.")
@click.option("--symbolic", is_flag=True,
              help="Show each derivative as a formula; works without values (then only formulas).")
@click.option("--order", type=click.IntRange(1, 4), default=1, show_default=True, metavar="N",
              help="Also compute derivatives of order N over the inputs (2: the Hessian).")
@click.option("--check", is_flag=True,
              help="Compare each input's gradient with central finite differences; exit 1 if any fails.")
@click.option("--atol", type=click.FloatRange(min=0), default=1e-5, show_default=True, metavar="X",
              help="Absolute tolerance of --check.")
@click.option("--rtol", type=click.FloatRange(min=0), default=1e-3, show_default=True, metavar="X",
              help="Relative tolerance of --check.")
@click.version_option(__version__, "--version", prog_name="gradcli", message="%(prog)s %(version)s")
@_collector_paused
def cli(program: str | None, file: str | None, assignments: tuple[str, ...], output: str | None, format_: str,
        precision: int, graph: str | None, max_nodes: int, sweeps: tuple[str, ...], plot: str | None,
        each_line: bool, explain: bool, symbolic: bool, order: int, check: bool, atol: float,
        rtol: float) -> None:
    """Differentiate PROGRAM: every node's value and its gradient of the output.

    PROGRAM is statements separated by new lines or ';', such as
    "a = 2; b = a + 3; c = a * 2; d = b + c". With no PROGRAM and no --file,
    the program is read from standard input.
    """
    values = dict(_parse_assignment(a) for a in assignments)
    if graph is not None:
        from .drawing import picture_format

        picture_format(graph)  # an unknown extension fails before any work
    source, path = _read_program(program, file)
    if graph is not None and path is not None and _same_file(graph, path):
        raise click.UsageError(f"--graph {graph} would overwrite the program being read")
    symbolic = symbolic or format_ == "latex"
    if plot is not None and not sweeps:
        raise click.UsageError("--plot goes with --sweep")
    if format_ == "csv" and not sweeps:
        raise click.UsageError("--format csv goes with --sweep")
    if sweeps or each_line:
        option = "--sweep" if sweeps else "--each-line"
        if graph or explain or symbolic or order > 1 or check or format_ in ("tree", "latex") or (sweeps and each_line):
            raise click.UsageError(f"{option} goes with --set, --of, --precision and --format table, json"
                                   + (", csv and --plot" if sweeps else " only"))
        if each_line:
            _each_line(source, values, output, format_, precision)
        else:
            _sweep(parse(source), sweeps, values, output, format_, precision, plot)
        return
    parsed = parse(source)
    report = Report()
    if symbolic:
        from .symbolic import derivatives

        report.derivatives = derivatives(parsed, values, output)
    numeric_needed = not symbolic or explain or check or order > 1 or graph is not None
    try:
        report.result = run(parsed, values, output)
    except UnknownNameError:
        if numeric_needed:
            raise
        # --symbolic alone works without values: the formulas are the whole answer
    result = report.result
    if result is not None:
        if explain:
            from .explain import steps

            report.steps = steps(result)
        if order > 1:
            from .higher import derivative_table

            report.higher = derivative_table(result, order)
        if check:
            from .check import gradient_check

            report.check = gradient_check(result, atol, rtol)
        if graph is not None:
            _write_graph(result, graph, precision, max_nodes)
    _print(report, format_, precision, order)
    if report.check is not None and not report.check.ok:
        failed = ", ".join(row.name for row in report.check.rows if not row.ok)
        _fail(f"gradient check failed for {failed}", 1)


class Report:
    """Everything one call computed, for printing (a plain class: no dataclass to build at start-up)."""

    def __init__(self) -> None:
        self.result: Result | None = None
        self.derivatives: Derivatives | None = None
        self.steps: list[Step] | None = None
        self.higher: tuple[list[str], dict[tuple[str, ...], float]] | None = None
        self.check: Check | None = None


def _each_line(source: str, values: dict[str, float], output: str | None, format_: str, precision: int) -> None:
    from . import render
    from .batch import LineResult, programs, run_lines

    lines = programs(source)
    results: Iterable[LineResult] = run_lines(lines, values, output)
    if len(lines) >= 500 and sys.stderr.isatty():
        from rich.progress import track

        results = track(results, total=len(lines), description="evaluating", transient=True,
                        console=_stderr_console())
    done, failed = [], 0
    for row in results:
        if row.error is not None:
            failed += 1
            click.echo(f"error: {row.message}", err=True)
        if format_ == "json":
            _write(_dumps(render.batch_json(row)) + "\n")
        else:
            done.append(row)
    if format_ != "json":
        from rich.console import Console

        _safely(lambda: Console(highlight=False, emoji=False).print(render.batch_table(done, precision)))
    if failed:
        _fail(f"{failed} of {len(lines)} lines failed", 1)


def _sweep(parsed: Program, sweeps: tuple[str, ...], values: dict[str, float], output: str | None, format_: str,
           precision: int, plot: str | None) -> None:
    from . import render
    from .sweep import make_grid, parse_spec, run_sweep

    if plot not in (None, "-"):
        from .plot import plot_format

        plot_format(plot)  # a bad file name fails before any work
    swept = run_sweep(parsed, make_grid(parse_spec(s) for s in sweeps), values, output)
    if swept.undefined:
        points = swept.values.size
        click.echo(f"warning: {swept.output_name} or a gradient is undefined (NaN) at {swept.undefined} of"
                   f" {points} points", err=True)
    if plot not in (None, "-"):
        from .drawing import write_atomic
        from .plot import file_plot

        write_atomic(plot, file_plot(swept, plot))
    if plot == "-":
        from .plot import terminal_plot

        import shutil

        size = shutil.get_terminal_size()
        _write(terminal_plot(swept, min(size.columns, 100), max(15, min(size.lines - 4, 25))) + "\n")
    elif format_ == "json":
        _write(_dumps(swept.to_json()) + "\n")
    elif format_ == "csv":
        _write(render.sweep_csv(swept))
    else:
        from rich.console import Console

        _safely(lambda: Console(highlight=False, emoji=False).print(render.sweep_table(swept, precision)))


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _write(text: str) -> None:
    _safely(lambda: sys.stdout.write(text))


def _safely(write: Any) -> None:
    try:
        write()
    except BrokenPipeError:
        _stdout_gone()
        sys.exit(0)
    except OSError as e:
        raise OutputError(e) from None


class OutputError(GradcliError):
    """Standard output could not be written (a full disk, a file too big): the output is not whole."""

    exit_code = 1

    def __init__(self, e: OSError) -> None:
        super().__init__(f"cannot write the output: {e.strerror or e}")


def _stdout_gone() -> None:
    # the reader (head, less) went away: stop quietly, as Unix tools do
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _print(report: Report, format_: str, precision: int, order: int) -> None:
    from . import render

    result = report.result
    try:
        if format_ == "json":
            sys.stdout.write(_dumps(_json(report, order), indent=2) + "\n")
        elif format_ == "latex":
            assert report.derivatives is not None
            sys.stdout.write(render.symbolic_latex(report.derivatives))
        else:
            from rich.console import Console

            console = Console(highlight=False, emoji=False)
            if result is not None:
                main = render.table(result, precision) if format_ == "table" else render.tree(result, precision)
                console.print(main, crop=False)
            if report.steps is not None and result is not None:
                console.print(render.explain_table(result, report.steps, precision))
            if report.derivatives is not None:
                console.print(render.symbolic_table(report.derivatives, result, precision))
            if report.higher is not None and result is not None:
                names, table = report.higher
                console.print(render.derivatives_table(names, table, result.output_name, order, precision))
            if report.check is not None:
                console.print(render.check_table(report.check, precision))
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()  # and go on: a failed --check still sets the exit code
    except OSError as e:
        raise OutputError(e) from None


def _dumps(doc: Any, indent: int | None = None) -> str:
    import json  # only the JSON paths pay for it

    return json.dumps(doc, indent=indent, allow_nan=False)


def _json(report: Report, order: int) -> dict[str, Any]:
    from . import render

    if report.result is not None:
        doc = render.to_json(report.result)
    else:
        assert report.derivatives is not None
        doc = {"output": report.derivatives.output_name}
    if report.derivatives is not None:
        doc["symbolic"] = render.symbolic_json(report.derivatives)
    if report.steps is not None:
        doc["steps"] = render.explain_json(report.steps)
    if report.higher is not None:
        doc.update(render.derivatives_json(*report.higher, order))
    if report.check is not None:
        doc["check"] = render.check_json(report.check)
    return doc


def main() -> None:
    """The console script: run the command, then end the process at once.

    Tearing the interpreter down (freeing every module and object, one last
    collection) costs a small call about as much as all of gradcli's own work.
    Nothing needs it: outputs are written and closed before the command returns.
    So the process flushes its streams and ends with the command's exit code.
    The ``cli`` command itself, called in-process (tests, CliRunner), is unaffected.
    """
    try:
        cli(prog_name="gradcli")
        code = 0
    except SystemExit as e:
        code = _exit_code(e.code)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader went away (head, less): stop quietly, as Unix tools do
    except ValueError:
        pass  # stdout was closed: nothing is left to write
    except OSError as e:
        if code == 0:  # what was left in the buffer could not be written: the call failed after all
            print(f"error: {OutputError(e).message}", file=sys.stderr)
            code = OutputError.exit_code
        # (a call that failed already said why, perhaps this very error: it is not repeated)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere left to say anything
    os._exit(code)


def _exit_code(code: object) -> int:
    """The process exit code ``sys.exit(code)`` would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
