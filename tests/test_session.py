"""gradcli -i: the session driven through prompt_toolkit's pipe input (every command and error), its
scripted form through a real process with standard input piped, and its views against the command's.

Every number a session shows is checked against a worked example computed here by hand
(the derivative written out with math), never against the engine itself.
"""

from __future__ import annotations

import io
import math
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from gradcli.front.cli import PIPED_WIDTH, cli
from gradcli.front.line_editor import _Completer, _Highlighter, interact
from gradcli.front.request import Request
from gradcli.front.session import COMMANDS, Session
from gradcli.limits import Limits
from tests.programgen import GeneratedProgram, fuzz_settings, programs

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "gradcli"
ENTER = "\r"
PASTE = "\x1b[200~{}\x1b[201~"  # a bracketed paste, as a terminal sends one


def f4(x: float) -> str:
    return f"{x:.4f}"


class Recorder:
    """dispatch.Terminal for tests: what a pipe would get, in one string."""

    def __init__(self) -> None:
        from rich.console import Console

        self.file = io.StringIO()
        self.console = Console(file=self.file, width=PIPED_WIDTH, force_terminal=False, color_system=None,
                               highlight=False, emoji=False)

    def write(self, text: str) -> None:
        self.file.write(text)

    def show(self, renderables: list[Any]) -> None:
        for r in renderables:
            self.console.print(r, crop=False)

    def say(self, line: str) -> None:
        self.file.write(line + "\n")

    def columns(self) -> int:
        return 100

    def lines(self) -> int:
        return 40

    def stdout_is_terminal(self) -> bool:
        return False

    def colour(self) -> bool:
        return False

    def stderr_is_terminal(self) -> bool:
        return False

    def stderr_console(self) -> Any:
        return self.console

    def dumps(self, doc: Any, indent: int | None = None) -> str:
        import json

        return json.dumps(doc, indent=indent)

    def gone(self) -> bool:
        return False


class Run:
    """One session driven through the line editor: its output, its errors, the session itself."""

    def __init__(self, keys: str, tmp_path: Path, source: str = "", limits: Limits | None = None,
                 identity: tuple[int, int] | None = None, **request: Any) -> None:
        self.recorder = Recorder()
        self.errors: list[str] = []
        self.session = Session(Request(**request), limits or Limits(), self.recorder, self._say)
        self.session.start(source, identity)
        self.session.show_summary()  # as run_session does
        with create_pipe_input() as pipe:
            pipe.send_text(keys + "\x04")  # Ctrl-D ends the session
            interact(self.session, input=pipe, output=DummyOutput(), environ={"XDG_DATA_HOME": str(tmp_path / "data")})
        self.out = self.recorder.file.getvalue()
        self.err = "\n".join(self.errors)

    def _say(self, line: str, detail: str) -> None:
        self.errors.append(line + (f"\n{detail}" if detail else ""))


def typed(*entries: str) -> str:
    return "".join(entry + ENTER for entry in entries)


def command(*args: str, input: str | None = None) -> str:
    r = CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "100"})
    assert r.exit_code in (0, 1), r.stderr
    return r.stdout


# ----- statements, one at a time or pasted ----------------------------------------------------------


def test_each_statement_shows_the_summary_as_the_program_grows(tmp_path: Path) -> None:
    run = Run(typed("x = 2", "y = x**2 * sin(x)"), tmp_path)
    x = 2.0
    assert run.out.splitlines() == ["x = 2.0000", f"y = {f4(x * x * math.sin(x))}   ∂y/∂x = "
                                    f"{f4(2 * x * math.sin(x) + x * x * math.cos(x))}"]
    assert run.err == ""


def test_a_pasted_program_is_one_entry_with_one_answer(tmp_path: Path) -> None:
    # the notebook's worked example: d = (a + 3) + a*2 at a = 2 is 9, and dd/da = 1 + 2 = 3
    run = Run(PASTE.format("a = 2\nb = a + 3\nc = a * 2\nd = b + c") + ENTER, tmp_path)
    assert run.out.splitlines() == ["d = 9.0000   ∂d/∂a = 3.0000   ∂d/∂b = 1.0000   ∂d/∂c = 1.0000"]
    assert run.session.state.entries == ("a = 2\nb = a + 3\nc = a * 2\nd = b + c",)


def test_a_failing_statement_shows_its_caret_and_leaves_the_session_as_it_was(tmp_path: Path) -> None:
    run = Run(typed("x = 2", "y = x * q", "y = (x", "y = log(x - 2)", "y = x * 3", ":program"), tmp_path)
    assert "error: unknown name 'q' at line 2, column 9" in run.err
    assert "  y = x * q\n          ^" in run.err
    assert "error: " in run.err.split("\n")[3] and "^" in run.err  # the syntax error, with its caret
    assert "log" in run.err and "x - 2 = 0" in run.err  # the math error names its argument
    assert run.out.splitlines()[-3:] == ["y = 6.0000   ∂y/∂x = 3.0000", "x = 2", "y = x * 3"]


def test_control_characters_are_never_written_raw(tmp_path: Path) -> None:
    recorder, errors = Recorder(), []
    session = Session(Request(), Limits(), recorder, lambda line, detail: errors.append(line + detail))
    session.handle("x\x1b]0;owned\x07 = 2")
    session.handle(":of \x1b[2J")
    session.handle(":\x1b[2Jbogus")
    text = recorder.file.getvalue() + "".join(errors)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b" in text


# ----- the commands ----------------------------------------------------------------------------------

PROGRAM = "x = 2; w = 3; y = x * w; z = y + x**2"


def test_set_changes_an_input_and_runs_again(tmp_path: Path) -> None:
    run = Run(typed("x = 2", "y = x**2 * sin(x)", ":set x=3", ":set q=1", ":set x", ":set 1=2"), tmp_path)
    x = 3.0
    lines = run.out.splitlines()
    assert lines[2] == f"y = {f4(x * x * math.sin(x))}   ∂y/∂x = {f4(2 * x * math.sin(x) + x * x * math.cos(x))}"
    assert lines[-1] == "(kept for when a statement reads q)"
    assert run.err.count("error: :set") == 2 and "(usage: :set NAME=VALUE ...)" in run.err


def test_set_takes_a_constant_expression_as_the_option_does(tmp_path: Path) -> None:
    run = Run(typed("x = 2", "y = x**2 * sin(x)", ":set x=pi/3", ":set x=log(0)"), tmp_path)
    x = math.pi / 3
    assert f"y = {f4(x * x * math.sin(x))}   ∂y/∂x = {f4(2 * x * math.sin(x) + x * x * math.cos(x))}" in run.out
    assert run.err.count("error: :set") == 1  # log(0) is no finite number


def test_of_chooses_the_output_and_goes_back_to_the_last_statement(tmp_path: Path) -> None:
    run = Run(typed(":of y", ":of", ":of nothere"), tmp_path, source=PROGRAM)
    x, w = 2.0, 3.0
    lines = run.out.splitlines()
    assert lines[1].startswith(f"y = {f4(x * w)}   ∂y/∂x = {f4(w)}   ∂y/∂w = {f4(x)}")
    assert lines[2].startswith(f"z = {f4(x * w + x * x)}   ∂z/∂x = {f4(w + 2 * x)}   ∂z/∂w = {f4(x)}")
    assert "error: :of nothere: the program has no variable 'nothere'" in run.err
    assert run.session.state.output is None


@pytest.mark.parametrize("entry, options", [
    (":table", []), (":tree", ["--format", "tree"]), (":explain", ["--explain"]), (":symbolic", ["--symbolic"]),
    (":check", ["--check"]), (":order 2", ["--order", "2"]),
])
def test_each_view_is_the_commands_own(tmp_path: Path, entry: str, options: list[str]) -> None:
    run = Run(typed(":of y", entry), tmp_path, source=PROGRAM, values={"w": 5.0})
    summary, view = run.out.split("\n", 2)[1:]
    assert summary == "y = 10.0000   ∂y/∂w = 2.0000   ∂y/∂x = 5.0000   ∂y/∂z = 0.0000"  # x*w at x=2, w=5
    assert view == command(PROGRAM, "--set", "w=5", "--of", "y", *options)


def test_order_stays_for_table_tree_and_symbolic(tmp_path: Path) -> None:
    run = Run(typed(":order 2", ":tree", ":order 9", ":order x"), tmp_path, source=PROGRAM)
    assert run.out.count("Hessian of z") == 2
    # d2z/dx2 = 2 (from x**2), d2z/dxdw = 1, d2z/dw2 = 0
    hessian = [line for line in run.out.splitlines() if line.startswith("│ x ")][-1]
    assert hessian.split("│")[2:4] == [" 2.0000 ", " 1.0000 "]
    assert run.err.count("(usage: :order N)") == 2 and run.session.state.order == 2


def test_graph_writes_a_picture_or_a_page_and_refuses_the_program_file(tmp_path: Path) -> None:
    model = tmp_path / "model.grad"
    model.write_text(PROGRAM)
    (tmp_path / "link.svg").symlink_to(model)
    st = os.stat(model)
    run = Run(typed(f":graph {tmp_path}/g.svg", f":graph {tmp_path}/g.html", f":graph {tmp_path}/link.svg",
                    f":graph {tmp_path}/g.txt", ":graph"), tmp_path, source=PROGRAM, identity=(st.st_dev, st.st_ino))
    assert (tmp_path / "g.svg").read_bytes().startswith(b"<?xml") and f"wrote {tmp_path}/g.svg" in run.out
    page = (tmp_path / "g.html").read_text(encoding="utf-8")  # the page that replays the backward pass
    assert page.startswith("<!DOCTYPE html>") and "gradcli-data" in page and f"wrote {tmp_path}/g.html" in run.out
    assert "would overwrite the session's program file" in run.err and model.read_text() == PROGRAM
    assert "unknown picture format '.txt'" in run.err
    assert "(usage: :graph FILE)" in run.err
    assert "┏" not in run.out  # a picture is written, no table printed


def test_graph_prints_no_long_table_either(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradcli.views import render

    monkeypatch.setattr(render, "LONG_TABLE", 3)  # the program's table is long: plain text when piped
    run = Run(typed(":table", f":graph {tmp_path}/g.svg"), tmp_path, source=PROGRAM)
    assert run.out.count("id  node") == 1 and f"wrote {tmp_path}/g.svg" in run.out  # :table's, not :graph's


def test_save_writes_a_file_the_command_runs_to_the_same_answer(tmp_path: Path) -> None:
    saved = tmp_path / "s.grad"
    run = Run(typed(":set w=5 x=1.5", ":of y", f":save {saved}", f":save {saved}", f":save! {saved}"), tmp_path,
              source=PROGRAM)
    summary = run.out.splitlines()[2]
    assert summary == "y = 7.5000   ∂y/∂w = 1.5000   ∂y/∂x = 5.0000   ∂y/∂z = 0.0000"
    assert command("-f", str(saved)).splitlines()[0] == summary
    assert f"error: :save {saved}: the file exists; :save! {saved} overwrites it" in run.err
    folder = Run(typed(f":save {tmp_path}", f":save! {tmp_path}"), tmp_path, source=PROGRAM)
    assert folder.err.splitlines() == [f"error: :save {tmp_path}: is a folder; give a file name",
                                       f"error: :save! {tmp_path}: is a folder; give a file name"]
    assert run.out.count(f"wrote {saved}") == 2
    assert saved.read_text().splitlines()[1:] == ["w = 5", "x = 1.5", "x = 1.5; w = 5; y = x * w; z = y + x**2", "y"]


def test_save_over_the_loaded_file_needs_the_bang(tmp_path: Path) -> None:
    model = tmp_path / "model.grad"
    model.write_text("x = 2\n")
    st = os.stat(model)
    run = Run(typed("y = x * x * x", f":save {model}", f":save! {model}"), tmp_path, source="x = 2\n",
              identity=(st.st_dev, st.st_ino))
    assert "the file exists" in run.err
    assert command("-f", str(model)).splitlines()[0] == "y = 8.0000   ∂y/∂x = 12.0000"  # 3x² at 2


def test_load_undo_reset_and_quit(tmp_path: Path) -> None:
    model = tmp_path / "m.grad"
    model.write_text("u = 4\nv = sqrt(u)\n")
    run = Run(typed(f":load {model}", ":undo", ":undo", ":undo", ":reset", ":table", f":load {tmp_path}/none.grad",
                    ":quit", "x = 1"), tmp_path, source="a = 2; b = a * a")
    lines = run.out.splitlines()
    assert lines[0] == "b = 4.0000   ∂b/∂a = 4.0000"  # 2a at 2
    assert lines[1] == "v = 2.0000   ∂v/∂u = 0.2500"  # 1/(2 sqrt(u)) at 4
    assert lines[2:] == ["b = 4.0000   ∂b/∂a = 4.0000", "(the program is empty)"]  # :undo, then :reset
    assert run.err.count("error: :undo: nothing to undo") == 2  # the starting program is where undo stops
    assert "nothing to differentiate yet" in run.err
    assert f"cannot read {tmp_path}/none.grad: No such file or directory" in run.err
    assert run.session.state.entries == ()  # :quit: the last line was never read


def test_help_and_bad_commands_say_one_line_and_go_on(tmp_path: Path) -> None:
    run = Run(typed(":help", ":help save", ":help nope", ":nope", ":table now", ":\tof", "x = 1"), tmp_path)
    for name in COMMANDS:
        assert f"  :{name}" in run.out
    assert ":save FILE   write the program" in run.out
    assert run.err.splitlines() == ["error: unknown command ':nope' (:help lists the commands)"] * 2 + [
        "error: :table takes nothing after it (usage: :table)"]
    assert run.out.endswith("x = 1.0000\n")


# ----- budgets ---------------------------------------------------------------------------------------


def test_budgets_apply_to_each_entry_and_to_the_whole_program(tmp_path: Path) -> None:
    big = PASTE.format("\n".join(f"v{i} = {i}" for i in range(40))) + ENTER
    run = Run(big, tmp_path, limits=Limits({"nodes": 50}))
    assert "error: the program has more than 50 parts" in run.err and "--limit nodes=N" in run.err
    run = Run(typed("x = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12"), tmp_path, limits=Limits({"input": 40}))
    assert "error: the entry is longer than 40 bytes, the limit (raise it with --limit input=N)" in run.err
    run = Run(typed("x = 1 + 2 + 3", "y = x + 1 + 2", "z = y + 3 + 4 + 5"), tmp_path, limits=Limits({"input": 40}))
    assert "error: the program would be longer than 40 bytes, the limit" in run.err
    assert run.session.state.entries == ("x = 1 + 2 + 3", "y = x + 1 + 2")


# ----- the line editor -------------------------------------------------------------------------------


def test_completion_offers_names_functions_constants_commands_and_paths(tmp_path: Path) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    session = Session(Request(), Limits(), Recorder(), lambda line, detail: None)
    session.handle("wobble = 3")
    session.handle(":set rate=2")
    completer = _Completer(session)

    def offered(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]

    assert offered("y = wob") == ["wobble"]
    assert offered("y = ra") == ["rate"]  # a value given before any statement reads it
    assert offered("y = si") == ["sigmoid(", "sign(", "sin(", "sinh("]
    assert offered("y = me") == ["mean("] and offered("y = l") == ["ln(", "log(", "log10(", "log2("]  # every callable name
    assert offered("y = p") == ["pow(", "pi"]
    assert offered(":ta") == [":table"] and offered(":sa") == [":save", ":save!"]
    assert offered("y = :ta") == []  # a command only starts a line
    (tmp_path / "model.grad").write_text("")
    assert offered(f":load {tmp_path}/mod") == ["el.grad"]


def test_ctrl_c_at_the_prompt_clears_the_line(tmp_path: Path) -> None:
    run = Run("y = 1 +\x03" + typed("x = 2"), tmp_path)
    assert run.out == "x = 2.0000\n" and run.err == ""


def test_history_is_kept_between_sessions_privately(tmp_path: Path) -> None:
    Run(typed("x = 7"), tmp_path)
    history = tmp_path / "data" / "gradcli" / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700
    again = Run("\x1b[A" + ENTER, tmp_path)  # Up: the last session's entry
    assert again.out == "x = 7.0000\n"


@pytest.mark.parametrize("spoil, why", [
    (lambda h: h.chmod(0o666), "can be written by other users"),
    (lambda h: h.parent.chmod(0o777), "can be written by other users"),
    (lambda h: (h.unlink(), h.symlink_to(h.parent / "elsewhere")), "is a symbolic link"),
])
def test_a_history_others_could_write_is_not_read(tmp_path: Path, spoil: Any, why: str) -> None:
    Run(typed("x = 7"), tmp_path)
    spoil(tmp_path / "data" / "gradcli" / "history")
    run = Run("\x1b[A" + ENTER, tmp_path)
    assert run.out == "" and why in run.err and run.err.startswith("warning: the history is not kept")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_history_of_another_user_is_not_read(tmp_path: Path) -> None:
    Run(typed("x = 7"), tmp_path)
    os.chown(tmp_path / "data" / "gradcli" / "history", 65534, 65534)
    run = Run("\x1b[A" + ENTER, tmp_path)
    assert run.out == "" and "belongs to another user" in run.err


def test_highlighting_tells_the_parts_of_a_statement_apart() -> None:
    from prompt_toolkit.document import Document

    recorder = Recorder()
    session = Session(Request(), Limits(), recorder, lambda line, detail: None)
    session.handle("x = 2")
    parts = [(style, text) for style, text, *_ in _Highlighter(session).lex_document(Document("y = sin(x) + pi*q # c"))(0)
             if text]
    assert parts == [("class:name", "y"), ("", " = "), ("class:function", "sin"), ("", "("), ("class:name", "x"),
                     ("", ") + "), ("class:constant", "pi"), ("", "*"), ("class:unknown", "q"), ("", " "),
                     ("class:comment", "# c")]


# ----- without a terminal: a scripted session --------------------------------------------------------


def script(*args: str, input: str | bytes, merged: bool = False) -> subprocess.CompletedProcess[bytes]:
    data = input.encode() if isinstance(input, str) else input
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([str(SCRIPT), "-i", *args], input=data, stdout=subprocess.PIPE, timeout=60, env=env,
                          stderr=subprocess.STDOUT if merged else subprocess.PIPE)


def test_a_scripted_session_echoes_each_entry_and_answers_it(tmp_path: Path) -> None:
    model = tmp_path / "model.grad"
    model.write_text(PROGRAM + "\n")
    done = script("-f", str(model), input=":of y\n:set w=4\n:table\n")
    out = done.stdout.decode()
    assert done.returncode == 0 and done.stderr == b""
    assert out.startswith("z = 10.0000   ∂z/∂x = 7.0000   ∂z/∂w = 2.0000")
    assert "> :of y\ny = 6.0000   ∂y/∂x = 3.0000   ∂y/∂w = 2.0000" in out
    assert "> :set w=4\ny = 8.0000   ∂y/∂w = 2.0000   ∂y/∂x = 4.0000" in out  # a given value comes first
    assert out.endswith(command(PROGRAM, "--set", "w=4", "--of", "y"))
    assert "\x1b" not in out  # no colour codes


def test_a_scripted_session_that_failed_says_so_and_exits_1() -> None:
    done = script(input="x = 2\ny = x * q\n:nope\ny = x * 3\n")
    assert done.returncode == 1
    assert done.stdout.decode().endswith("> y = x * 3\ny = 6.0000   ∂y/∂x = 3.0000\n")
    assert done.stderr.decode().splitlines()[-1] == "error: 2 of the session's entries failed"
    merged = script(input="x = 2\n:nope\nx\n", merged=True)
    assert merged.stdout.decode().splitlines()[:4] == ["> x = 2", "x = 2.0000", "> :nope",
                                                       "error: unknown command ':nope' (:help lists the commands)"]


def test_a_scripted_session_survives_hostile_lines() -> None:
    long_line = "y = " + " + ".join(["1"] * 400) + "\n"
    data = b"x = \xe9\n" + long_line.encode() + b"x = \x1b]0;owned\x07 2\nx = 5\n"
    done = script("--limit", "input=1000", input=data)
    err = done.stderr.decode()
    assert "a line of standard input is not UTF-8 text (byte 4 of the line)" in err
    assert "a line of standard input is longer than 1,000 bytes, the limit (raise it with --limit input=N)" in err
    assert b"\x1b" not in done.stdout + done.stderr and "\\x1b]0;owned\\x07" in done.stdout.decode()
    assert done.stdout.decode().endswith("> x = 5\nx = 5.0000\n")


def test_a_session_refuses_its_standard_input_as_the_program_and_a_closed_standard_output() -> None:
    done = script("-f", "-", input="x = 1\n")
    assert done.returncode == 2 and done.stdout == b""
    assert b"standard input holds the session's commands" in done.stderr
    closed = subprocess.run(f"{SCRIPT} -i >&-", shell=True, input=b"x = 1\n", capture_output=True, timeout=60)
    assert closed.returncode == 1 and b"standard output is closed" in closed.stderr
    no_input = subprocess.run(f"{SCRIPT} -i 'x = 1' <&-", shell=True, capture_output=True, timeout=60)
    assert (no_input.returncode, no_input.stdout, no_input.stderr) == (0, "x = 1.0000\n".encode(), b"")


def test_a_broken_starting_program_is_the_commands_error(tmp_path: Path) -> None:
    done = script("y = x * 2", input="")
    assert done.returncode == 2 and done.stdout == b"" and done.stderr.startswith(b"error: unknown name 'x'")
    done = script("--of", "nothere", "x = 1", input="")
    assert done.returncode == 2 and b"nothere" in done.stderr


def test_of_waits_for_the_program_to_assign_the_output() -> None:
    done = script("--of", "y", "--set", "x=3", input="x2 = x * x\ny = x2 + x\n")
    out = done.stdout.decode().splitlines()
    assert out[1] == "x2 = 9.0000   ∂x2/∂x = 6.0000"  # y not assigned yet: the last statement
    assert out[3] == "y = 12.0000   ∂y/∂x = 7.0000   ∂y/∂x2 = 1.0000"  # 2x + 1 at 3


# ----- a real terminal ---------------------------------------------------------------------------------

READY = r"\x1b\[\?2004h"  # the line editor turns bracketed paste on when its prompt is ready


def terminal(tmp_path: Path, *args: str) -> Any:
    import pexpect

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "100", "TERM": "xterm-256color",
           "PROMPT_TOOLKIT_NO_CPR": "1"}  # pexpect answers no cursor-position request
    child = pexpect.spawn(str(SCRIPT), ["-i", *args], env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect(READY)
    return child


def answered(child: Any, entry: str, answer: str) -> None:
    child.send(entry + ENTER)
    child.expect_exact(answer)
    child.expect(READY)


def ended(child: Any) -> int:
    import pexpect

    child.send("\x04")  # Ctrl-D
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def test_a_real_terminal_completes_with_tab_and_keeps_history_across_sessions(tmp_path: Path) -> None:
    child = terminal(tmp_path)
    answered(child, "wobble = 3", "wobble = 3.0000")
    child.send("y = wob\t")
    child.expect_exact("wobble")  # completed on the screen
    # y = wobble * sigmoid(0) = 1.5; dy/dwobble = sigmoid(0) = 1/2
    answered(child, " * sigmoid(0)", "y = 1.5000   ∂y/∂wobble = 0.5000")
    child.send("y = 1 +\x03")  # Ctrl-C: the line is cleared, the session goes on
    child.expect(READY)
    answered(child, ":of wobble", "wobble = 3.0000   ∂wobble/∂y = 0.0000")
    assert ended(child) == 0
    history = (tmp_path / "data" / "gradcli" / "history").read_text()
    assert "+y = wobble * sigmoid(0)" in history and "+y = 1 +" not in history
    child = terminal(tmp_path)  # a second session: Up recalls the first one's entries
    answered(child, "wobble = 2", "wobble = 2.0000")
    child.send("\x1b[A\x1b[A\x1b[A")  # Up three times: past wobble = 2 and :of wobble, to y = wobble * sigmoid(0)
    answered(child, "", "y = 1.0000   ∂y/∂wobble = 0.5000")
    assert ended(child) == 0


def test_ctrl_c_cancels_a_long_computation_and_the_session_goes_on(tmp_path: Path) -> None:
    n = 2000  # :check of 2,000 inputs: 4,000 runs of a 6,000-node graph, many seconds
    big = tmp_path / "big.grad"
    big.write_text("".join(f"x{i} = {i}\n" for i in range(n)) + "y = " + " + ".join(f"x{i}*x{i}" for i in range(n)))
    child = terminal(tmp_path, "-f", str(big), "--limit", "work=1e12")
    child.send(":check" + ENTER)
    import time

    time.sleep(1.5)
    child.send("\x03")
    child.expect_exact("interrupted: the session is as it was before that entry", timeout=10)
    child.expect(READY)
    answered(child, ":of x3", "x3 = 3.0000")
    assert ended(child) == 0


# ----- :save, on random programs ----------------------------------------------------------------------


@fuzz_settings(150)
@given(programs())
def test_a_saved_program_runs_to_the_sessions_answer(program: GeneratedProgram) -> None:
    # the values given from outside (some overriding the program's `x = 1`) and the output are written in
    from gradcli import evaluate
    from gradcli.errors import GradcliError
    from gradcli.front.saving import program_text

    session = Session(Request(values=program.values, outputs=[program.output] if program.output else []),
                      Limits(), Recorder(), lambda line, detail: None)
    try:
        session.start(program.source, None)
    except GradcliError:
        assume(False)  # an overflow the generator could not rule out
    assert session.result is not None
    again = evaluate(program_text(session.result, 10**6))  # with no values and no output: the file alone
    assert again.output_name == session.result.output_name
    assert again.value == session.result.value
    assert list(again.partials.items()) == list(session.result.partials.items())


def test_the_readme_shows_the_commands_table() -> None:
    from gradcli.front.session import command_table

    assert command_table() in (ROOT / "README.md").read_text(encoding="utf-8"), \
        "regenerate it: python -c 'from gradcli.front.session import command_table as t; print(t())'"


def test_a_scripted_session_stops_on_ctrl_c_as_the_command_does(tmp_path: Path) -> None:
    import signal
    import time

    n = 2000  # :check of 2,000 inputs takes many seconds
    big = tmp_path / "big.grad"
    big.write_text("".join(f"x{i} = {i}\n" for i in range(n)) + "y = " + " + ".join(f"x{i}*x{i}" for i in range(n)))
    proc = subprocess.Popen([str(SCRIPT), "-i", "-f", str(big), "--limit", "work=1e12"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(b":check\n")
    proc.stdin.flush()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.decode().strip() == "error: interrupted"


def test_messages_speak_of_set_as_the_session_gives_it(tmp_path: Path) -> None:
    run = Run(typed("y = x * 2", "x = 1", "z = x * 3", ":set z=4"), tmp_path)
    assert "or give it with :set x=VALUE)" in run.err
    assert "error: :set z: the program computes 'z' at line 2, column 1 before it uses the given value" in run.err
    assert run.session.state.values == {}


def test_undo_goes_back_a_bounded_number_of_changes(tmp_path: Path) -> None:
    from gradcli.front.session import UNDO_DEPTH

    recorder = Recorder()
    session = Session(Request(), Limits(), recorder, lambda line, detail: None)
    for i in range(UNDO_DEPTH + 20):
        session.handle(f"x{i} = {i}")
    for _ in range(UNDO_DEPTH):
        session.handle(":undo")
    assert session.state.entries == tuple(f"x{i} = {i}" for i in range(20))
    assert session.result is not None and session.result.output_name == "x19"
    assert session.history == []


def test_a_bug_in_a_command_is_one_line_and_the_session_goes_on(tmp_path: Path, monkeypatch: Any) -> None:
    def broken(self: Session, argument: str) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(Session, "do_tree", broken)
    run = Run(typed(":tree", "y = x * 4"), tmp_path, source="x = 2")
    assert run.err == "error: internal error (ValueError: a bug); please report it"
    assert run.out.splitlines()[-1] == "y = 8.0000   ∂y/∂x = 4.0000"
