"""``gradcli -i``: a session that differentiates a program as it grows, statement by statement.

The session holds the program so far (the entries as typed, each one or more
statements), the values given with ``:set`` (or ``--set``), the output (``:of``)
and the order (``:order``). A change is kept only when the whole program still
parses, binds and differentiates within the budgets of ``limits``; otherwise its
error is shown and the session is as it was. After each change the summary line
(``render.summary_text``) is shown; every other view is the command's own: a
command builds a ``Request`` and hands it to ``dispatch.answer``.

This module reads no terminal: ``handle`` takes one entry (a typed line, a
pasted block). ``run_session`` feeds it from ``line_editor`` on a terminal
(prompt_toolkit, imported only then) or, without one, line by line from
standard input, echoing each after a prompt so the output reads as a session.
``saving`` writes the program as a file that ``gradcli -f`` runs to the same answer.

About 470 lines, one class: each command is a short method beside the state it
reads and changes, and the loop that feeds them is short; split, the commands
would reach into the state from another file.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, Callable, Iterator, NamedTuple

from ..bindings import bind
from ..errors import GradcliError
from ..interpret.program import Result, differentiate
from ..language.parser import ASSIGN, NAME, Program, parse, parse_count
from ..limits import Limits, amount, exceeded
from ..text import is_terminal, printable
from .dispatch import Terminal, answer
from .outputs import Outputs, file_identity
from .request import Request

#: what the session shows before each entry it echoes (and the terminal's prompt)
PROMPT = "> "
#: the changes :undo can take back (each keeps the list of entries)
UNDO_DEPTH = 100

#: the commands: name -> (arguments, what it does); ``:help`` and the README's table read this
COMMANDS: dict[str, tuple[str, str]] = {
    "help": ("[COMMAND]", "list the commands, or say what one does"),
    "set": ("NAME=VALUE ...", "give inputs their values (as --set) and run again"),
    "of": ("[NAME]", "differentiate NAME (as --of); without NAME, the last statement"),
    "table": ("", "every value and its gradient (gradcli's table)"),
    "tree": ("", "the graph as a tree (--format tree)"),
    "explain": ("", "the backward pass step by step (--explain)"),
    "symbolic": ("", "each derivative as a formula (--symbolic)"),
    "check": ("", "the gradients against finite differences (--check)"),
    "order": ("N", "derivatives of order N, 1 to 4 (--order); :table, :tree and :symbolic keep it"),
    "graph": ("FILE", "write a picture: .svg, .png, .pdf, .dot, .gv, or .html, a page that replays backprop (as -g)"),
    "program": ("", "show the program so far"),
    "save": ("FILE", "write the program, values and output as a .grad file; never over an existing file"),
    "save!": ("FILE", "the same, over an existing file (the one loaded, too)"),
    "load": ("FILE", "start again from a program file"),
    "undo": ("", "take back the last change (up to 100 changes back)"),
    "reset": ("", "start again from an empty program"),
    "quit": ("", "end the session (Ctrl-D too)"),
}


def command_table() -> str:
    """The README's table of commands, from ``COMMANDS``."""
    rows = "".join(f"| `:{name}{' ' + args if args else ''}` | {what} |\n" for name, (args, what) in COMMANDS.items())
    return "| command | what it does |\n| --- | --- |\n" + rows


class State(NamedTuple):
    """What the session holds; each change makes a new one (``:undo`` goes back)."""

    entries: tuple[str, ...] = ()
    values: dict[str, float] = {}
    output: str | None = None
    order: int = 1

    @property
    def source(self) -> str:
        return "\n".join(self.entries)


class Session:
    """The state, and the answer to each entry; writes through ``out`` and says errors with ``say``."""

    commands, prompt = COMMANDS, PROMPT  # for the line editor

    def __init__(self, request: Request, limits: Limits, out: Terminal, say: Callable[[str, str], None]) -> None:
        self.state = State((), dict(request.values), request.output, request.order)
        self.precision = request.precision
        self.limits, self.out, self.say = limits, out, say
        self.result: Result | None = None
        self.history: list[State] = []  # the states before each change, for :undo
        #: (device, inode) of the program files (loaded or saved): :graph never writes over them
        self.program_files: set[tuple[int, int]] = set()
        self.failures = 0
        #: the functions the program defines (name -> its definition's text), for completion and to say
        #: which an entry defined
        self.functions: dict[str, str] = {}

    # ----- entries ---------------------------------------------------------------------------------

    def start(self, source: str, identity: tuple[int, int] | None) -> None:
        """Begin with ``source`` (-f FILE or the argument), quietly; an error in it is the command's error."""
        if identity is not None:
            self.program_files.add(identity)
        if source.strip():
            state = self.state._replace(entries=(source,))
            self.result = self.evaluate(state, strict=True)
            self.state = state

    def handle(self, entry: str) -> bool:
        """Answer one entry: statements, commands (lines starting with ':'), or both; False to quit."""
        for kind, text in _pieces(entry):
            try:
                if kind == "command":
                    if not self.command(text):
                        return False
                else:
                    self.limits_of_entry(text)
                    self.change(self.state._replace(entries=(*self.state.entries, text)))
            except GradcliError as e:
                self.fail(e.message, e.detail)
            except RecursionError:
                self.fail("the input is nested too deeply")
            except MemoryError:
                self.fail("out of memory; a smaller program or smaller --limit values keep a call within the machine")
            except Exception as e:  # noqa: BLE001 - a bug: one line, and the session's work is not lost
                self.fail(f"internal error ({type(e).__name__}: {e}); please report it")
        return True

    def fail(self, message: str, detail: str = "") -> None:
        self.failures += 1
        # in a session, a value is given with :set (the bindings' message speaks of the command's option)
        self.say(f"error: {message.replace('or give it with --set ', 'or give it with :set ')}", detail)

    def limits_of_entry(self, text: str) -> None:
        limit = self.limits["input"]
        if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
            raise exceeded("input", f"the entry is longer than {amount('input', limit)}, the limit")

    def change(self, new: State, strict: bool = False) -> None:
        """Make ``new`` the state if its program differentiates, and show its summary line."""
        before = self.functions
        result = self.evaluate(new, strict)
        self.remember()
        self.state, self.result = new, result
        for name, text in self.functions.items():
            if before.get(name) != text:  # a definition is no statement: say what it did
                self.out.write(f"defined {printable(text.split('=', 1)[0].strip())}\n")
        self.show_summary()

    def remember(self) -> None:
        self.history.append(self.state)
        del self.history[:-UNDO_DEPTH]

    def evaluate(self, state: State, strict: bool = False) -> Result | None:
        """The differentiated program of ``state`` (None for one without statements yet).

        An output named by --of before the program assigns it waits for it (the
        last statement is the output until then), unless ``strict``.
        """
        program = self.parse(state.source)
        self.functions = {f.name: program.source[f.start:f.end] for f in program.functions}
        if not program.code:
            return None
        output = state.output
        if output is not None and not strict and output not in _assigned(program):
            output = None
        return differentiate(bind(program, used_values(program, state.values), output, option=":set"))

    def parse(self, source: str) -> Program:
        limit = self.limits["input"]
        if len(source) > limit // 4 and len(source.encode("utf-8", "surrogatepass")) > limit:
            raise exceeded("input", f"the program would be longer than {amount('input', limit)}, the limit")
        return parse(source, max_code=self.limits["nodes"])

    def show_summary(self) -> None:
        from ..views import render

        if self.result is not None:
            self.out.show([render.summary_text(self.result, self.precision)])

    def names(self) -> list[str]:
        """The variables defined so far, and the values given (for completion)."""
        bound = list(self.result.bindings.names) if self.result is not None else []
        return bound + [name for name in self.state.values if name not in bound]

    # ----- commands --------------------------------------------------------------------------------

    def command(self, line: str) -> bool:
        """Run ``:name args``; False to quit."""
        name, argument = (line[1:].split(None, 1) + ["", ""])[:2]
        argument = argument.strip()
        if name not in COMMANDS:
            raise GradcliError(f"unknown command ':{printable(name)}' (:help lists the commands)")
        if argument and not COMMANDS[name][0]:
            raise self.usage(name, "takes nothing after it")
        if name == "quit":
            return False
        method: Callable[[str], None] = getattr(self, "do_" + name.replace("!", "_over"))
        method(argument)
        return True

    def usage(self, name: str, problem: str) -> GradcliError:
        args, _ = COMMANDS[name]
        return GradcliError(f":{name} {printable(problem)} (usage: :{name}{' ' + args if args else ''})")

    def do_help(self, argument: str) -> None:
        name = argument.lstrip(":")
        if name:
            if name not in COMMANDS:
                raise GradcliError(f"unknown command ':{printable(name)}' (:help lists the commands)")
            args, what = COMMANDS[name]
            self.out.write(f":{name} {args}".rstrip() + f"   {what}\n")
            return
        rows = [(f":{n} {args}".rstrip(), what) for n, (args, what) in COMMANDS.items()]
        width = max(len(r[0]) for r in rows)
        self.out.write("Type statements (x = 2, y = x**2 * sin(x)) to grow the program, or a command:\n"
                       + "".join(f"  {left:<{width}}  {what}\n" for left, what in rows))

    def do_set(self, argument: str) -> None:
        from ..language.parser import is_name, parse_number

        if not argument:
            raise self.usage("set", "needs NAME=VALUE")
        values = dict(self.state.values)
        given = []
        for item in argument.replace(",", " ").split():  # x=3 y=4, or x=3, y=4
            name, sep, text = item.partition("=")
            number = parse_number(text)
            if number is None and sep:  # a constant expression, as --set takes (x=pi/2)
                from ..bindings import constant

                try:
                    number = constant(text)
                except GradcliError:
                    pass
            if not sep or not is_name(name) or number is None:
                raise self.usage("set", f"'{item}' is not NAME=VALUE with a finite number")
            values[name] = number
            given.append(name)
        self.change(self.state._replace(values=values))
        inputs = self.result.bindings.inputs if self.result is not None else {}
        waiting = [name for name in dict.fromkeys(given) if name not in inputs]
        if waiting:
            self.out.write(f"(kept for when a statement reads {', '.join(waiting)})\n")

    def do_of(self, argument: str) -> None:
        if argument and self.state.entries:
            program = self.parse(self.state.source)
            if argument not in _assigned(program):
                raise self.usage("of", f"{argument}: the program has no variable '{argument}'")
        self.change(self.state._replace(output=argument or None))

    def do_order(self, argument: str) -> None:
        n = parse_count(argument)
        if n is None or not 1 <= n <= 4:
            raise self.usage("order", f"'{argument}' is not a whole number from 1 to 4")
        if self.result is not None:
            self.view(order=n)  # its budget first: a refused order leaves the session as it was
        self.remember()
        self.state = self.state._replace(order=n)

    def do_table(self, argument: str) -> None:
        self.view(order=self.state.order)

    def do_tree(self, argument: str) -> None:
        self.view(format="tree", order=self.state.order)

    def do_explain(self, argument: str) -> None:
        self.view(explain=True)

    def do_symbolic(self, argument: str) -> None:
        self.view(symbolic=True, order=self.state.order)

    def do_check(self, argument: str) -> None:
        self.view(check=True)

    def do_graph(self, path: str) -> None:
        from ..views.drawing import picture_format

        if not path:
            raise self.usage("graph", "needs a file name")
        if _identity(path) in self.program_files:
            raise GradcliError(f":graph {printable(path)} would overwrite the session's program file")
        picture_format(path)
        outputs = Outputs()
        try:
            outputs.claim(":graph", path)
            self.view(outputs, graph=path, quiet=True)
            outputs.commit()
        finally:
            outputs.discard()
        self.out.write(f"wrote {printable(path)}\n")

    def view(self, outputs: Outputs | None = None, quiet: bool = False, **options: Any) -> None:
        """Write what the command shows with ``options``, for the program so far."""
        state = self.state
        if self.result is None:
            raise GradcliError("nothing to differentiate yet: type a statement such as y = x**2 (and :set x=3)")
        program = self.parse(state.source)
        output = [state.output] if state.output in self.result.bindings.names else []
        request = Request(values=used_values(program, state.values), outputs=output, precision=self.precision,
                          **options)
        answer(request, state.source, self.limits, outputs or Outputs(), _Quiet(self.out) if quiet else self.out)

    def do_program(self, argument: str) -> None:
        source = self.state.source
        self.out.write(printable(source) + "\n" if source else "(the program is empty)\n")

    def do_save(self, path: str, overwrite: bool = False) -> None:
        from .saving import program_text

        name = "save!" if overwrite else "save"
        if not path:
            raise self.usage(name, "needs a file name")
        if self.result is None:
            raise GradcliError(f":{name} {printable(path)}: the program has no statements yet")
        outputs = Outputs()
        try:
            outputs.claim(f":{name}", path)  # a folder, a device, a link another user made: refused
            if not overwrite and os.path.lexists(path):
                raise GradcliError(f":save {printable(path)}: the file exists; :save! {printable(path)} overwrites it")
            text = program_text(self.result, self.limits["nodes"])
            outputs.stage(f":{name}", path, text.encode("utf-8"))
            outputs.commit()
        finally:
            outputs.discard()
        identity = _identity(path)
        if identity is not None:
            self.program_files.add(identity)
        self.out.write(f"wrote {printable(path)}\n")

    def do_save_over(self, path: str) -> None:
        self.do_save(path, overwrite=True)

    def do_load(self, path: str) -> None:
        from .inputs import read_file

        if not path:
            raise self.usage("load", "needs a file name")
        source, identity = read_file(path, self.limits)
        self.change(State((source,) if source.strip() else (), {}, None, self.state.order), strict=True)
        if identity is not None:
            self.program_files.add(identity)

    def do_undo(self, argument: str) -> None:
        if not self.history:
            raise GradcliError(":undo: nothing to undo")
        previous = self.history.pop()
        self.result = self.evaluate(previous)  # it differentiated before: only an interruption stops it
        self.state = previous
        if self.result is None:
            self.out.write("(the program is empty)\n")
        self.show_summary()

    def do_reset(self, argument: str) -> None:
        self.remember()
        self.state, self.result = State(), None
        self.out.write("(the program is empty)\n")


class _Quiet:
    """A terminal that writes files and errors but shows no table (``:graph`` says what it wrote)."""

    def __init__(self, out: Terminal) -> None:
        self._out = out

    def show(self, renderables: list[Any]) -> None:
        pass

    def write(self, text: str) -> None:
        pass  # nor a long table, written as plain text when piped

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


def _pieces(entry: str) -> Iterator[tuple[str, str]]:
    """An entry as its runs of statement lines and its command lines, in order; blank lines dropped."""
    block: list[str] = []
    for line in entry.split("\n"):
        if line.strip().startswith(":"):
            if block:
                yield "statements", "\n".join(block)
                block = []
            yield "command", line.strip()
        elif line.strip():
            block.append(line.rstrip("\r"))
    if block:
        yield "statements", "\n".join(block)


def _assigned(program: Program) -> set[str]:
    return {ins.payload for ins in program.code if ins.kind == ASSIGN}


def used_values(program: Program, values: dict[str, float]) -> dict[str, float]:
    """The given values the program reads or assigns (the others wait for a statement that does)."""
    mentioned = {ins.payload for ins in program.code if ins.kind in (NAME, ASSIGN)}
    return {name: x for name, x in values.items() if name in mentioned}


def _identity(path: str) -> tuple[int, int] | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        return file_identity(fd)
    finally:
        os.close(fd)


# ----- the loop ----------------------------------------------------------------------------------


def run_session(request: Request, source: str, identity: tuple[int, int] | None, limits: Limits,
                out: Terminal, say: Callable[[str, str], None]) -> int:
    """Run a session on standard input; the exit code (1 when an entry of a scripted session failed)."""
    session = Session(request, limits, out, say)
    session.start(source, identity)  # a broken starting program is the command's error (exit 2)
    terminal = is_terminal(sys.stdin) and is_terminal(sys.stdout)
    if terminal:
        out.write("type a statement (x = 2, then y = x**2 * sin(x)) or a command (:help lists them);"
                  " Ctrl-D ends\n")
    session.show_summary()
    collecting = gc.isenabled()
    gc.enable()  # a session lives long: the line editor's objects need the cycle collector
    try:
        if terminal:
            from .line_editor import interact

            interact(session)
            return 0
        for line in _lines(limits["input"]):
            if isinstance(line, GradcliError):
                session.fail(line.message)
                continue
            if not is_terminal(sys.stdin):
                out.write(PROMPT + printable(line) + "\n")
            if not session.handle(line):
                break
    finally:
        if not collecting:
            gc.disable()
    if session.failures:
        say(f"error: {session.failures} of the session's entries failed", "")
        return 1
    return 0


def _lines(limit: int) -> Iterator[str | GradcliError]:
    """Standard input line by line, each read only up to ``limit`` bytes; an error for a line
    that is longer, or not UTF-8."""
    if sys.stdin is None:  # closed when the process started
        return
    stream = sys.stdin.buffer
    first = True
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of the line, in bounded pieces
                raw = stream.readline(1 << 20)
            yield exceeded("input", f"a line of standard input is longer than {amount('input', limit)}, the limit")
            continue
        try:
            text = raw.decode("utf-8").rstrip("\n").rstrip("\r")
        except UnicodeDecodeError as e:
            yield GradcliError(f"a line of standard input is not UTF-8 text (byte {e.start} of the line)")
            continue
        if first:
            text, first = text.removeprefix("\ufeff"), False
        yield text


