"""The house: gradcli's modules form layers, and nothing below imports anything above.

    shared     errors, text, limits        (used everywhere)
    language   gradcli/language/           text -> instructions; the op table
    bindings   gradcli/bindings.py         instructions -> what each name means
    interpret  gradcli/interpret/          bindings -> values, arrays, formulas
    views      gradcli/views/              results -> tables, JSON, LaTeX, pictures, plots
    front      gradcli/front/, __init__    options -> request -> views

An AST scan of every import statement, wherever it is (a function's lazy
import counts); imports under ``if TYPE_CHECKING:`` are for type hints only
and never run, so they are not dependencies. Within a layer, no cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
LAYERS = ["shared", "language", "bindings", "interpret", "views", "front"]
SHARED = {"errors", "text", "limits"}
MAX_LINES = 300  # a feature module longer than this says why in its docstring


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "front"  # the package's own __init__ wires the API: it sits on top
    if parts[1] in SHARED:
        return "shared"
    if parts[1] == "bindings":
        return "bindings"
    return parts[1]


def _imports(path: Path) -> set[str]:
    """The gradcli modules ``path`` imports (at run time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    type_only = {id(n) for node in ast.walk(tree)
                 if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                 for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("gradcli"):
                continue
            for alias in node.names:  # `from . import render`: the module render
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gradcli"))
    return {m for m in found if _exists(m)} - {module}


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {m: _imports(p) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_below_imports_anything_above(module: str) -> None:
    mine = LAYERS.index(_layer(module))
    above = sorted(m for m in GRAPH[module] if LAYERS.index(_layer(m)) > mine and not _is_package(m))
    assert not above, f"{module} ({_layer(module)}) imports {above} from a layer above"


def _is_package(module: str) -> bool:
    return module == "gradcli"  # `from .. import __version__`: the package's metadata, not its API


def test_no_import_cycles() -> None:
    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for m in GRAPH.get(stack.pop(), ()):
                if m not in seen and m != "gradcli":
                    seen.add(m)
                    stack.append(m)
        return seen

    cycles = sorted(m for m in GRAPH if m != "gradcli" and m in reach(m))
    assert not cycles, f"modules in an import cycle: {cycles}"


def test_the_scan_sees_lazy_imports() -> None:
    # a check that cannot fail is no check: the scan finds the CLI's lazy import of the dispatcher
    assert "gradcli.front.dispatch" in GRAPH["gradcli.front.cli"]
    assert "gradcli.views.render" in GRAPH["gradcli.front.dispatch"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in ("bindings", "interpret", "views")))
def test_feature_modules_are_small_or_say_why(module: str) -> None:
    path = MODULES[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert lines <= MAX_LINES or "lines" in doc, f"{module}: {lines} lines and no reason in its docstring"
