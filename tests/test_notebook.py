"""examples/walkthrough.ipynb runs top to bottom, as Jupyter would run it, and shows what it says.

Its code cells are run in order in one namespace, in examples/ (no kernel is
needed); the value of a cell's last expression is displayed as Jupyter would:
through _repr_svg_ or _repr_html_ where the object has one.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_cell(source: str, namespace: dict) -> object:
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)  # the notebook's own code, not user input
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)


def test_notebook_runs_and_displays(monkeypatch) -> None:
    notebook = json.loads((EXAMPLES / "walkthrough.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 6
    monkeypatch.chdir(EXAMPLES)
    namespace: dict = {}
    shown = []
    for source in cells:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            value = run_cell(source, namespace)
        if value is not None:
            shown.append(value)
    kinds = {type(v).__name__: v for v in shown}
    # a Value shows its graph as SVG, a Result its table and graph as HTML
    assert "<svg" in kinds["Value"]._repr_svg_()
    html = kinds["Result"]._repr_html_()
    assert "<table" in html or "<pre" in html
    assert "grad" in html and "<svg" in html
    assert os.getcwd() == str(EXAMPLES)
