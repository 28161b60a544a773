"""The gradcli command: options -> evaluate -> render -> print.

No maths here. Every failure is one ``error: ...`` line on stderr (a syntax
error adds its source line and a caret), nothing on stdout, and an exit code:
2 for input the user must fix, 1 for a math error or a failed picture.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import sys
import textwrap
from typing import Any, Callable

import click

from .. import __version__
from ..errors import GradcliError
from ..language.ops import CALLABLE, CONSTANTS, signature
from ..language.parser import is_name, parse_count, parse_number
from ..limits import LIMITS, Limits, amount, parse_limit
from ..text import is_terminal, printable, safe_message
from ..views.numbers import DEFAULT_PRECISION
from .inputs import over_input, read_file
from .outputs import Outputs
from .request import Request, validate

EXAMPLES = """\b
Examples:
  gradcli --set a=2 "d = (a+3) + a*2"
  gradcli "x = 3; y = x * 2; z = y * 5" --format tree
  gradcli "a = 2; b = a + 3; c = a * 2; d = b + c" --explain
  gradcli "y = x**2 * sin(x)" --symbolic
  gradcli "y = x**2 * sin(x)" --sweep x=-3:3:7
  gradcli "x = 2; w = 3; y = x * w; z = y + x**2" --of y --of z
  gradcli "f(x, y) = x*y + sin(x); a = 1; b = 2; z = f(a, b) + f(b, a)"
  echo "a = 2; b = a + 3; c = a * 2; d = b + c" | gradcli -g graph.svg

\b
{functions}
Constants: {constants}. Your own: f(x, y) = x*y + sin(x) defines f.

\b
Exit codes: 0 success, 1 math error (division by zero, overflow, log of a
non-positive number, ...) or a failed picture, 2 input to fix (syntax,
unknown name or function, bad option, missing file, nothing to differentiate).
""".format(functions=textwrap.fill("Functions: " + ", ".join(signature(name) for name in CALLABLE) + ".", 76),
           constants=", ".join(sorted(CONSTANTS)))


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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # an option that takes one value, given twice, is refused: the first would be dropped unsaid
        _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        seen: set[str] = set()
        for param in order:
            if isinstance(param, click.Option) and not param.multiple and not param.is_flag and param.name:
                if param.name in seen:
                    raise click.UsageError(f"{param.opts[-1]} is given more than once; give it once")
                seen.add(param.name)
        return super().parse_args(ctx, args)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        out_of_memory = False
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
        except MemoryError:
            out_of_memory = True  # said below, once this block has let go of the failed call's frames
        except RecursionError:
            _fail("the input is nested too deeply", 2)
        except OSError as e:  # what is left: writing standard output (help, version) failed
            _fail(OutputError(e).message, OutputError.exit_code)
        except Exception as e:  # noqa: BLE001 - a bug: one line, never a traceback
            _fail(f"internal error ({type(e).__name__}: {e}); please report it", 1)
        if out_of_memory:
            _out_of_memory()
        sys.exit(code if isinstance(code, int) else 0)


OUT_OF_MEMORY = b"error: out of memory; a smaller program or smaller --limit values keep a call within the machine\n"


def _out_of_memory() -> None:
    """Say that memory ran out: the failed call's memory freed first, then a fixed line written
    as bytes (formatting it, as _say does, may itself need memory that is not there)."""
    import gc

    gc.collect()
    try:
        sys.stderr.flush()
        os.write(2, OUT_OF_MEMORY)
    except (OSError, ValueError, AttributeError):
        pass  # standard error is closed: there is nowhere left to say it
    sys.exit(1)


def _fail(message: str, code: int, detail: str = "") -> None:
    _say(f"error: {message}", detail)
    sys.exit(code)


def _say(line: str, detail: str = "") -> None:
    """One line on standard error (with its detail lines), safe for a terminal however hostile the text."""
    text = safe_message(line) + "".join(f"\n{printable(d)}" for d in detail.splitlines() if detail)
    try:
        click.echo(text, err=True)
    except (OSError, ValueError, AttributeError):
        pass  # standard error is closed or full: there is nowhere left to say it


def _say_in_turn(line: str, detail: str = "") -> None:
    """``_say`` after what standard output holds so far (a session's error comes after its answers)."""
    _flush()
    _say(line, detail)


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name, value = name.strip(" \t"), value.strip(" \t")
    if not sep:
        raise click.BadParameter(f"'{text}' is not NAME=VALUE", param_hint="--set")
    if not is_name(name):
        raise click.BadParameter(f"'{name}' in '{text}' is not a valid name", param_hint="--set")
    number = parse_number(value)  # most values are plain numbers: no parse
    if number is None:
        from ..bindings import constant

        try:
            number = constant(value)
        except GradcliError as e:
            raise click.BadParameter(f"'{value}' in '{text}' is not a finite number: {e.message}",
                                     param_hint="--set") from None
    return name, number


class _Count(click.ParamType):
    """A whole number in a range, written as the language writes numbers (no '1_000')."""

    name = "N"

    def __init__(self, low: int, high: int = 1 << 62) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        number = parse_count(str(value))
        if number is None or not self.low <= number <= self.high:
            upper = f" to {self.high}" if self.high < 1 << 62 else " or more"
            self.fail(f"'{value}' is not a whole number from {self.low}{upper}", param, ctx)
        return number


class _Tolerance(click.ParamType):
    """A finite number of zero or more, written as the language writes numbers."""

    name = "X"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, float):
            return value
        number = parse_number(str(value))
        if number is None or number < 0:
            self.fail(f"'{value}' is not a finite number of zero or more", param, ctx)
        return number


def _read_program(program: str | None, file: str | None, limits: Limits,
                  interactive: bool = False) -> tuple[str, tuple[int, int] | None]:
    """The program's text, and the identity of the file it was read from (None for an argument or a pipe).

    Reading stops one byte past the ``input`` limit, so an endless input
    (``-f /dev/zero``) fails at once instead of filling the memory.
    """
    if program is not None and file is not None:
        raise click.UsageError("give the program as an argument or with --file, not both")
    limit = limits["input"]
    if program is not None:
        if len(program) > limit // 4 and len(program.encode("utf-8", "surrogatepass")) > limit:
            over_input(limits)
        return program, None
    if interactive and file is None:
        return "", None  # standard input holds the session's commands: the session starts empty
    if interactive and file == "-":
        raise click.UsageError("-i -f -: standard input holds the session's commands; give the program as a file")
    if file is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("no program: pass it as an argument, with -f FILE, or on standard input")
        file = "-"
    if file == "-" and sys.stdin is None:
        raise click.UsageError("-f -: standard input is closed")
    if file == "-" and is_terminal(sys.stdin):
        _say("reading the program from standard input; end it with Ctrl-D")
    return read_file(file, limits)


def _limit_help() -> str:
    rows = "; ".join(f"{name} ({amount(name, limit.default)})" for name, limit in LIMITS.items())
    return f"Raise or lower a budget (repeatable): {rows}. See the README's table of limits."


@click.command(cls=_Command, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("program", required=False)
@click.option("-f", "--file", metavar="PATH", help="Read the program from PATH ('-' for standard input).")
@click.option("-s", "--set", "assignments", metavar="NAME=VALUE", multiple=True,
              help="Give a variable its value (repeatable); overrides 'NAME = number' in the program.")
@click.option("--values", "values_file", metavar="FILE",
              help="Read inputs' values from a JSON object ('-' for standard input); --set overrides them.")
@click.option("--of", "outputs", metavar="NAME", multiple=True,
              help="The variable to differentiate (default: the last statement); repeat it for the Jacobian.")
@click.option("--format", "format_", type=click.Choice(["table", "json", "tree", "latex", "csv"]), default="table",
              show_default=True, help="How to print the result (latex: the symbolic derivatives; csv: a sweep).")
@click.option("--precision", type=_Count(0, 17), default=DEFAULT_PRECISION, show_default=True,
              metavar="N", help="Decimals in tables, trees and pictures.")
@click.option("-g", "--graph", metavar="PATH",
              help="Write a picture of the graph: .svg, .png, .pdf, .dot or .gv; or .html, a page that replays"
                   " the backward pass.")
@click.option("--max-nodes", type=_Count(1), default=500, show_default=True, metavar="N",
              help="Values a picture draws before it folds unnamed intermediates into its edges.")
@click.option("--rankdir", type=click.Choice(["TB", "LR"], case_sensitive=False), default=None,
              metavar="TB|LR",
              help="The picture's direction: TB top to bottom, LR left to right (default: by the graph's shape).")
@click.option("--sweep", "sweeps", metavar="NAME=START:STOP:COUNT", multiple=True,
              help="Evaluate at COUNT points from START to STOP (repeat for a grid): values and gradients.")
@click.option("--plot", is_flag=False, flag_value="-", default=None, metavar="[PATH]",
              help="With --sweep: plot the output and its derivatives, in the terminal or to .svg/.png/.pdf.")
@click.option("--each-line", is_flag=True,
              help="Every line of the input is its own program: one result per line, errors reported per line.")
@click.option("--explain", is_flag=True, help="Show the backward pass step by step: the chain rule on every edge.")
@click.option("--symbolic", is_flag=True,
              help="Show each derivative as a formula; works without values (then only formulas).")
@click.option("--expand", is_flag=True,
              help="With --symbolic or --format latex: write each formula in the inputs alone, without the"
                   " program's names.")
@click.option("--order", type=_Count(1, 4), default=1, show_default=True, metavar="N",
              help="Also compute derivatives of order N over the inputs (2: the Hessian).")
@click.option("--check", is_flag=True,
              help="Compare each input's gradient with central finite differences; exit 1 if any fails.")
@click.option("--atol", type=_Tolerance(), default=1e-5, show_default=True, metavar="X",
              help="Absolute tolerance of --check.")
@click.option("--rtol", type=_Tolerance(), default=1e-3, show_default=True, metavar="X",
              help="Relative tolerance of --check.")
@click.option("--emit", type=click.Choice(["python", "numpy", "c", "javascript"]), default=None,
              help="Write the value-and-gradient function as source code (with --order 2, the Hessian too).")
@click.option("--jobs", type=_Count(1, 1024), default=None, metavar="N",
              help="Processes that share out a --sweep or --each-line (default: every core); the output is the same.")
@click.option("--scheduler", metavar="ADDRESS",
              help='Send a --sweep or --each-line to the Dask cluster of this scheduler (pip install "gradcli[dask]").')
@click.option("-i", "--interactive", is_flag=True,
              help="A session: type statements and see the gradients grow; :help lists its commands.")
@click.option("--limit", "limit_texts", metavar="NAME=N", multiple=True, help=_limit_help())
@click.version_option(__version__, "--version", prog_name="gradcli", message="%(prog)s %(version)s")
@_collector_paused
def cli(program: str | None, file: str | None, assignments: tuple[str, ...], values_file: str | None,
        outputs: tuple[str, ...], format_: str, precision: int, graph: str | None, max_nodes: int,
        rankdir: str | None, sweeps: tuple[str, ...], plot: str | None, each_line: bool, explain: bool,
        symbolic: bool, expand: bool, order: int, check: bool, atol: float, rtol: float, emit: str | None,
        jobs: int | None, scheduler: str | None, interactive: bool,
        limit_texts: tuple[str, ...]) -> None:
    """Differentiate PROGRAM: every node's value and its gradient of the output.

    PROGRAM is statements separated by new lines or ';', such as
    "a = 2; b = a + 3; c = a * 2; d = b + c". With no PROGRAM and no --file,
    the program is read from standard input.
    """
    from .dispatch import Failed, answer

    ctx = click.get_current_context()
    given = {f"--{name.replace('_', '-')}" for name in ("precision", "max_nodes", "atol", "rtol")
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    set_values = _once("--set", [_parse_assignment(a) for a in assignments])
    request = Request(program=program, file=file, values=set_values, sources=dict.fromkeys(set_values, "--set"),
                      values_file=values_file,
                      outputs=list(outputs), format=format_, precision=precision, graph=graph, max_nodes=max_nodes,
                      rankdir=rankdir, sweeps=sweeps, plot=plot, each_line=each_line, explain=explain,
                      symbolic=symbolic, expand=expand, order=order, check=check, atol=atol, rtol=rtol, emit=emit,
                      jobs=jobs, scheduler=scheduler, interactive=interactive, limit_texts=limit_texts, given=given)
    limits = Limits(_once("--limit", [parse_limit(t) for t in limit_texts]))
    validate(request)
    if values_file == "-" and interactive:
        raise click.UsageError("--values - and -i (--interactive) would both read standard input; give --values a file")
    if values_file == "-" and program is None and file in (None, "-"):
        raise click.UsageError("--values - and the program would both read standard input; give the program as"
                               " an argument or with -f FILE")
    source, identity = _read_program(program, file, limits, interactive)
    if values_file is not None:
        from .values import read_values

        from_file = read_values(values_file, limits)
        request.values = {**from_file, **set_values}  # --set overrides the file
        request.sources = {**dict.fromkeys(from_file, "--values"), **request.sources}
    if interactive:
        from .session import run_session

        sys.exit(run_session(request, source, identity, limits, _Terminal(), _say_in_turn))
    outputs_ = Outputs(identity)
    if graph is not None:
        outputs_.claim("--graph", graph)
    if plot not in (None, "-"):
        outputs_.claim("--plot", plot)
    try:
        try:
            answer(request, source, limits, outputs_, _Terminal())
        except Failed as e:  # the answer is written; the call still fails
            _flush()
            _fail(e.message, e.exit_code)
        _flush()
        outputs_.commit()  # the whole call succeeded: the files take their place
    finally:
        outputs_.discard()


def _once(option: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """NAME=VALUE pairs as a dict; a NAME given twice is refused (one of its values would be dropped)."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise click.UsageError(f"{option} {name} is given more than once; give it once")
        found[name] = value
    return found


class _Terminal:
    """dispatch.Terminal: standard output and error, as the command writes them."""

    def write(self, text: str) -> None:
        _write(text)

    def show(self, renderables: list[Any]) -> None:
        _print_renderables(renderables)

    def say(self, line: str) -> None:
        _say(line)

    def columns(self) -> int:
        return _columns()

    def lines(self) -> int:
        import shutil

        return shutil.get_terminal_size().lines

    def stdout_is_terminal(self) -> bool:
        return is_terminal(sys.stdout)

    def colour(self) -> bool:
        return is_terminal(sys.stdout) and not os.environ.get("NO_COLOR")  # https://no-color.org

    def stderr_is_terminal(self) -> bool:
        return is_terminal(sys.stderr)

    def stderr_console(self) -> Any:
        return _stderr_console()

    def gone(self) -> bool:
        return _GONE


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, emoji=False)


#: the narrowest a table is drawn, whatever COLUMNS says (COLUMNS=0 would print nothing)
MIN_WIDTH = 40


#: the width of piped output: no table is ever cut to fit
PIPED_WIDTH = 100_000


def _stdout_console() -> Any:
    """The console for standard output: on a terminal, ``_columns()`` wide; piped, PIPED_WIDTH, so that
    no table is cut (a number is never shortened to '…')."""
    from rich.console import Console

    console = Console(highlight=False, emoji=False, width=_columns())  # rich would take COLUMNS=0 as it is

    def reader_gone() -> None:  # rich's own would end the process with exit code 1
        console.quiet = True
        _stdout_gone()

    setattr(console, "on_broken_pipe", reader_gone)  # an instance attribute: only this console
    if not console.is_terminal:
        # piped: as wide as a table needs (a table takes its natural width, never padded); measuring
        # each table first would cost a few milliseconds a call
        console.width = PIPED_WIDTH
    return console


def _columns() -> int:
    """The width to draw in: COLUMNS when it is a width a table fits in, else the terminal's, else 80."""
    text = os.environ.get("COLUMNS", "")
    if text.isascii() and text.isdigit() and MIN_WIDTH <= int(text) <= 10_000:
        return int(text)
    try:
        columns = os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns if columns >= MIN_WIDTH else 80


def _print_renderables(renderables: list[Any]) -> None:
    console = _stdout_console()
    for r in renderables:
        _safely(lambda: console.print(r, crop=False))


def _write(text: str) -> None:
    _safely(lambda: sys.stdout.write(text))


def _flush() -> None:
    _safely(sys.stdout.flush)


def _safely(write: Callable[[], Any]) -> None:
    try:
        write()
    except BrokenPipeError:
        _stdout_gone()  # and go on: what is left goes nowhere, the exit code still counts
    except OSError as e:
        raise OutputError(e) from None


class OutputError(GradcliError):
    """Standard output could not be written (a full disk, a file too big): the output is not whole."""

    exit_code = 1

    def __init__(self, e: OSError) -> None:
        super().__init__(f"cannot write the output: {e.strerror or e}")


#: standard output's reader went away
_GONE = False


def _stdout_gone() -> None:
    # the reader (head, less) went away: stop quietly, as Unix tools do
    global _GONE
    _GONE = True
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main() -> None:
    """The console script: run the command, then end the process at once.

    Tearing the interpreter down (freeing every module and object, one last
    collection) costs a small call about as much as all of gradcli's own work.
    Nothing needs it: outputs are written and closed before the command returns.
    So the process flushes its streams and ends with the command's exit code.
    The ``cli`` command itself, called in-process (tests, CliRunner), is unaffected.

    SIGTERM and SIGHUP end the command as an exception would, so temporary
    files are removed and child processes stopped on the way out.
    """
    closed = _guard_standard_streams()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # an ASCII terminal shows ∂ as \u2202, never fails
    import warnings

    warnings.simplefilter("ignore")  # a library's warning is no message for a user: gradcli says what matters
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    try:
        if "stdout" in closed:
            _fail("cannot write the output: standard output is closed", OutputError.exit_code)
        cli(prog_name="gradcli")
        code = 0
    except SystemExit as e:
        code = _exit_code(e.code)
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader went away (head, less): stop quietly, as Unix tools do
    except ValueError:
        pass  # stdout was closed: nothing is left to write
    except OSError as e:
        if code == 0:  # what was left in the buffer could not be written: the call failed after all
            _say(f"error: {OutputError(e).message}")
            code = OutputError.exit_code
        # (a call that failed already said why, perhaps this very error: it is not repeated)
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere left to say anything
    os._exit(code)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _guard_standard_streams() -> set[str]:
    """Which of stdin, stdout, stderr were closed when the process started; each is then opened on
    /dev/null, so that no file gradcli opens later can take its place (and receive its output)."""
    closed = set()
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(name)
            os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)  # the lowest free descriptor: fd
    return closed


def _exit_code(code: object) -> int:
    """The process exit code ``sys.exit(code)`` would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    _say(str(code))
    return 1
