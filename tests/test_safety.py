"""gradcli never runs its input as Python: no eval, exec or compile anywhere near user text."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradcli
from gradcli import evaluate
from gradcli.front.cli import cli

PACKAGE = Path(gradcli.__file__).resolve().parent


def test_no_eval_exec_or_compile_in_the_package() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__"}, (path.name, node.lineno)


@pytest.mark.parametrize("source", [
    "__import__('os').system('echo pwned')",
    "x = 1; exec('print(1)')",
    "eval('1+1')",
    "().__class__.__bases__[0]",
    "open('/etc/passwd')",
    "lambda: 1",
    "x = 1 if 1 else 2",
])
def test_python_code_is_rejected_not_run(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("user text reached eval/exec/compile")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    with pytest.raises(gradcli.GradcliError):
        evaluate(source)
    r = CliRunner().invoke(cli, [source])
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.startswith("error: ")
