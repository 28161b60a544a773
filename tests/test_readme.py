"""The README tells the truth: its commands run and print what it shows.

Console blocks (lines starting with '$ ' and the output after them) run in a
shell in a scratch folder holding a copy of examples/; Python blocks run and
their `print(...)  # expected` comments are compared; the set-up commands are
the ones .ci/run runs.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)


def console_examples() -> list[tuple[str, str]]:
    examples = []
    for lang, body in BLOCKS:
        if lang != "console":
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


def test_setup_commands_are_what_ci_runs() -> None:
    setup = [body for lang, body in BLOCKS if lang == "sh"][0].strip().splitlines()
    assert len(setup) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in setup:
        assert command in ci


@pytest.mark.parametrize("command, expected", console_examples(), ids=lambda s: s[:50] if "\n" not in s else "")
def test_console_example(command: str, expected: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "COLUMNS": "80", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout + done.stderr == expected
    for picture in re.findall(r"-g (\S+)", command):
        assert (tmp_path / picture).stat().st_size > 0


def error_rows() -> list[tuple[str, int, str]]:
    table = README[README.index("Every error a user can meet"):]
    rows = []
    for line in table.splitlines()[3:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if "gradcli" in cells[2]:
            rows.append((cells[2].strip("`"), int(cells[1]), cells[3].strip("`").split("...")[0]))
    return rows


def test_error_table_is_complete() -> None:
    from tests.test_cli import ERRORS

    def kind(message: str) -> str:  # "error: cannot read PATH", "error: overflow in", ...
        return " ".join(re.sub(r"\S*[./]\S*", "PATH", message).split()[:3])

    rows = error_rows()
    assert len(rows) >= 28
    documented = {kind(message) for _, _, message in rows}
    for _, _, message in ERRORS:  # every error the CLI tests meet is in the README's table
        assert kind(message) in documented, message


@pytest.mark.parametrize("command, code, message", error_rows(), ids=lambda s: str(s)[:40])
def test_error_table_row(command: str, code: int, message: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "latin1.grad").write_bytes(b"x = \xe9")
    env = {**os.environ, "COLUMNS": "80", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if "-g g.pdf" in command:  # the row about a machine without Graphviz's dot
        env["PATH"] = str(Path(sys.executable).parent)
    terminal, stdin = os.openpty()  # standard input is a terminal, as in a shell
    try:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, stdin=stdin, capture_output=True,
                              text=True, timeout=120)
    finally:
        os.close(terminal)
        os.close(stdin)
    assert done.returncode == code
    assert done.stderr.startswith(message)
    if code == 2 or "--check" not in command:
        assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_python_examples() -> None:
    blocks = [body for lang, body in BLOCKS if lang == "python"]
    assert blocks
    for body in blocks:
        expected = [m.group(1) for m in re.finditer(r"^print\(.*\)\s+# (.*)$", body, flags=re.M)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, "README.md", "exec"), {})  # the README's own code, not user input
        assert out.getvalue().splitlines() == expected


@pytest.mark.parametrize("example", ["neuron", "layer"])
def test_readme_picture_is_current(example: str) -> None:
    # examples/neuron.svg (and layer.svg) show what gradcli draws for the example today
    import xml.etree.ElementTree as ET

    from gradcli import evaluate
    from gradcli.views.drawing import picture, render

    def texts(svg: bytes) -> list[str]:
        return sorted(t.text or "" for t in ET.fromstring(svg).iter() if t.tag.endswith("text"))

    r = evaluate((ROOT / "examples" / f"{example}.grad").read_text(encoding="utf-8"))
    fresh = render(picture(r, "svg").source, "svg", renderer="embedded")
    assert texts((ROOT / "examples" / f"{example}.svg").read_bytes()) == texts(fresh)


def test_every_option_is_documented() -> None:
    from gradcli.front.cli import cli

    for param in cli.params:
        for opt in param.opts:
            if opt.startswith("-"):
                assert f"`{opt}" in README or f", {opt}" in README, opt
