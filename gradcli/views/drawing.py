"""Result -> a graphviz picture of the graph, in the classic micrograd look.

Each value is a record ``{ label | data … | grad … }``; an op node feeds it, one
edge per input (``a + a`` has two), and an edge into an op whose operand order
matters is named from the op table (``a / b``: dividend, divisor). The picture
runs left to right or top to bottom by the graph's shape, and a long one wraps
(layout.py). SVG and PNG are laid out by graphviz-pure (a Rust port of Graphviz,
a program pip installs with gradcli), PDF by the system ``dot``, which also stands
in where graphviz-pure is not installed. graphviz is imported only when a picture
is asked for. Either renderer runs in a child process that dies with gradcli (even
by SIGKILL, on Linux). Over --max-nodes, a picture folds unnamed values into dashed
edges between the named ones, in memory linear in the graph and within a budget.

About 490 lines: the DOT of a graph (records, op nodes, named operands, bands), the
renderers (finding graphviz-pure or dot, a child process that dies with its parent, one
line on why it failed), and the budget that folds big graphs. The renderers (from
``render`` down) could be a module of their own.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import GradcliError
from ..interpret.engine import Value
from . import layout
from .numbers import DEFAULT_PRECISION, fmt

if TYPE_CHECKING:
    import graphviz

    from ..interpret.program import Result

#: picture formats by file extension
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".html": "html"}
LAYOUT_TIMEOUT = 120.0  # seconds; Graphviz layout time grows steeply with graph size
#: values drawn at most before a picture folds unnamed intermediates away; layout of
#: 1,000 nodes took from 2 s to over 4 minutes here, depending on the graph's shape
MAX_NODES = 500
#: past this many values, the network simplex that places Graphviz's nodes stops after
#: NSLIMIT times as many iterations as there are nodes (unlimited by default): graphs whose
#: edges reach far back lay out several times faster, a little less tidily; smaller pictures
#: stay exactly as they were. 4, not 1: at 1, the edge routing that follows took 8 s to over
#: a minute with graphviz-pure on 6 of 7 such graphs of 300 values (2-33 s with dot 2.43); at
#: 4, 1-4 s (2-8 s) on all 7 (a loaded machine; benchmarks/render.py --nslimit 1)
TIDY_NODES = 100
NSLIMIT = "4"


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


#: text in records, on op nodes and on edges, in points (dot's default for nodes is 14)
FONTSIZE = 14
EDGE_FONTSIZE = 11


def digraph(
    nodes: Sequence[Value], output: Value | None = None, precision: int = DEFAULT_PRECISION,
    folded: Sequence[tuple[int, int]] | None = None, rankdir: str | None = None, wrap: bool = True,
    clusters: Sequence[layout.Cluster] = (),
) -> "graphviz.Digraph":
    """The graph of ``nodes`` (inputs before users); node names are their positions.

    ``folded``: draw the records alone, joined by these dashed edges (i, j), i < j, instead
    of op nodes. ``rankdir`` 'LR' or 'TB'; None chooses by the graph's shape
    (layout.direction). A picture too long to read whole wraps (layout.bands) unless ``wrap``
    is False. An operand whose order matters gets its name on its edge
    (``a / b``: dividend, divisor), from the op table. ``clusters`` (of positions in
    ``nodes``) box each call of a function of the program's own, labelled with the call.
    """
    import graphviz

    if rankdir not in (None, *layout.DIRECTIONS):
        raise ValueError(f"rankdir is one of {', '.join(layout.DIRECTIONS)}, not {rankdir!r}")
    ids = {v: i for i, v in enumerate(nodes)}
    records = [_record_fields(v, precision) for v in nodes]
    for n in (n for cluster in clusters for n in _all_members(cluster)):  # the box says which call
        label = nodes[n].label or ""
        if ": " in label:
            records[n][0] = record_escape(label.rsplit(": ", 1)[1])
    boxes, box_edges = _boxes(nodes, records, folded)
    if rankdir is None:
        rankdir = layout.direction(boxes, box_edges)
    graph_attr = {"rankdir": rankdir}
    if len(nodes) > TIDY_NODES:
        graph_attr["nslimit"] = NSLIMIT
    dot = graphviz.Digraph("gradcli", graph_attr=graph_attr, node_attr={"fontname": "Helvetica"},
                           edge_attr={"fontname": "Helvetica", "fontsize": str(EDGE_FONTSIZE), "fontcolor": "gray25"})
    # a long picture wraps: its bands of ranks are drawn apart, side by side in order, and an edge
    # from one band into the next starts at a dashed box naming its value, where the band begins
    wrapped = layout.bands(boxes, box_edges, rankdir) if wrap else None
    band = wrapped or [0] * len(boxes)
    statements: dict[int, list[str]] = {b: [] for b in sorted(set(band))}  # each band's, in order
    names: list[str] = []  # what each box is called in a dashed box: its value's label

    at: dict[Value, int] = {}
    box = 0  # the next box: each op node's just before its record's (as _boxes numbers them)
    for i, v in enumerate(nodes):
        op_box = box if v.inputs and folded is None else None  # its op node's box, then its record's
        at[v] = box = box + (op_box is not None)
        names += [v.label or records[i][0]] * (box + 1 - len(names))  # as written: no record here
        # a record's top-level fields run across the rank direction: braces keep them in a row either way
        row = " | ".join(records[i])
        attrs = {"shape": "record", "label": "{ " + row + " }" if rankdir == "LR" else row}
        if v.op.name == "input":
            attrs.update(style="filled", fillcolor="lightblue")
        if v is output:
            attrs.update(penwidth="2")
        _add(dot, statements, band[box], "node", f"n{i}", attrs)
        if op_box is not None:
            symbol = v.op.symbol
            _add(dot, statements, band[op_box], "node", f"n{i}op", {
                "label": record_escape(symbol), "fontsize": str(FONTSIZE), "margin": "0.04",
                "shape": "circle" if len(symbol) <= 2 else "ellipse"})
            _edge(dot, statements, band, names, f"n{i}op", f"n{i}", op_box, box, {})
            operands = v.op.operands or ("",) * len(v.inputs)
            for u, name in zip(v.inputs, operands):
                _edge(dot, statements, band, names, f"n{ids[u]}", f"n{i}op", at[u], op_box,
                      {"label": f" {name}"} if name else {})
        box += 1
    for i, j in folded or ():
        _edge(dot, statements, band, names, f"n{i}", f"n{j}", i, j, {"style": "dashed"})
    if wrapped is not None:
        # band by band: dot sets the parts side by side in the order they come, left to right
        # (TB), or bottom to top once turned (LR), so there the last comes first
        for b in sorted(statements, reverse=rankdir == "LR"):
            dot.body += statements[b]
    bands, op_node, count = [band[at[v]] for v in nodes], [bool(v.inputs) and folded is None for v in nodes], [0]
    for cluster in clusters:
        _cluster(dot, cluster, bands, op_node, count)
    return dot


def _cluster(dot: "graphviz.Digraph", cluster: layout.Cluster, bands: list[int], op_node: list[bool],
             count: list[int]) -> None:
    """A call's box: its values (and their op nodes), and the boxes of the calls inside it.
    A call drawn across two bands of a wrapped picture gets no box (dot would stretch it
    across the gap); the calls inside it may."""
    if len({bands[n] for n in _all_members(cluster)}) > 1:
        for inner in cluster.inner:
            _cluster(dot, inner, bands, op_node, count)
        return
    count[0] += 1
    with dot.subgraph(name=f"cluster_{count[0]}") as box:
        box.attr(label=cluster.label, style="dashed,rounded", color="gray45", fontcolor="gray25",
                 fontname="Helvetica", fontsize=str(EDGE_FONTSIZE), labeljust="l")
        for n in cluster.members:
            box.node(f"n{n}")
            if op_node[n]:
                box.node(f"n{n}op")
        for inner in cluster.inner:
            _cluster(box, inner, bands, op_node, count)


def _all_members(cluster: layout.Cluster) -> list[int]:
    return cluster.members + [n for inner in cluster.inner for n in _all_members(inner)]


def _add(dot: "graphviz.Digraph", statements: dict[int, list[str]], band: int, kind: str, name: str,
         attrs: dict[str, str], head: str = "") -> None:
    """A node (or an edge name -> head) in ``dot`` at once, or kept for its band when wrapped."""
    before = len(dot.body)
    if kind == "node":
        dot.node(name, **attrs)
    else:
        dot.edge(name, head, **attrs)
    if len(statements) > 1:
        statements[band] += dot.body[before:]
        del dot.body[before:]


def _edge(dot: "graphviz.Digraph", statements: dict[int, list[str]], band: list[int], names: list[str],
          tail: str, head: str, tail_box: int, head_box: int, attrs: dict[str, str]) -> None:
    """An edge; from one band into another, an edge from a dashed box that names the tail."""
    if band[tail_box] != band[head_box]:
        stand_in = f"{tail}to{head}"
        _add(dot, statements, band[head_box], "node", stand_in,
             {"label": names[tail_box], "shape": "box", "style": "dashed,rounded"})
        tail = stand_in
    _add(dot, statements, band[head_box], "edge", tail, attrs, head)


def _record_fields(v: Value, precision: int) -> list[str]:
    fields = [record_escape(v.label)] if v.label else []  # values built in Python may have no label
    return fields + [f"data {fmt(v.data, precision)}", f"grad {fmt(v.grad, precision)}"]


def _boxes(
    nodes: Sequence[Value], records: list[list[str]], folded: Sequence[tuple[int, int]] | None
) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    """The drawn nodes' sizes in points (each op node just before its record) and the edges
    between them, for layout.direction."""
    height = 0.5 * layout.POINTS_PER_INCH  # dot's least node height
    record = [(sum(layout.text_width(f, FONTSIZE) + 16 for f in fields), height) for fields in records]
    if folded is not None:
        return record, list(folded)
    at: dict[Value, int] = {}  # a value's record among the boxes
    boxes: list[tuple[float, float]] = []
    edges: list[tuple[int, int]] = []
    for v, box in zip(nodes, record):
        if v.inputs:
            op = len(boxes)
            boxes.append((max(height, layout.text_width(v.op.symbol, FONTSIZE) * 1.5), height))
            edges += [(at[u], op) for u in v.inputs]
            edges.append((op, op + 1))
        at[v] = len(boxes)
        boxes.append(box)
    return boxes, edges


def picture(
    result: "Result", format: str, precision: int = DEFAULT_PRECISION, max_nodes: int = MAX_NODES,
    rankdir: str | None = None,
) -> "graphviz.Digraph":
    """The graph to draw: whole when it fits ``max_nodes``; else only the named values,
    with unnamed intermediates folded into the edges between them; else an error.

    A .dot file is never laid out, so it always gets the whole graph.
    """
    return drawn_picture(result, format, precision, max_nodes, rankdir)[0]


def drawn_picture(result: "Result", format: str, precision: int = DEFAULT_PRECISION, max_nodes: int = MAX_NODES,
                  rankdir: str | None = None) -> "tuple[graphviz.Digraph, dict[int, str], list[tuple[int, int]] | None]":
    """``picture``, and what it drew: each drawn value's node id -> its name in the picture
    (``n5``), and the dashed edges of a folded picture as pairs of node ids (None: whole)."""
    nodes = result.nodes
    if format == "dot" or len(nodes) <= max_nodes:
        boxes = layout.clusters(result.bindings.program, result.bindings.origins)
        return (digraph(nodes, result.output, precision, rankdir=rankdir, clusters=boxes),
                {i: f"n{i}" for i in range(len(nodes))}, None)
    named = _named(result)
    if len(named) > max_nodes:
        raise GradcliError(
            f"--graph: {len(nodes):,} values are too many to lay out (the budget is --max-nodes {max_nodes}),"
            f" and so are its {len(named):,} named ones; raise --max-nodes, or write a .dot file"
        )
    ids = [result.node_id(v) for v in named]
    edges = folded_edges(nodes, named, FOLDED_EDGES_PER_NODE * max_nodes)
    dot = folded_digraph(result, named, precision, max_nodes, rankdir, edges)
    return dot, {n: f"n{i}" for i, n in enumerate(ids)}, [(ids[i], ids[j]) for i, j in edges]


def _named(result: "Result") -> list[Value]:
    """The values a reader knows by name: inputs, named variables and the output, in order."""
    keep = set(result.names.values()) | {result.output}
    return [v for v in result.nodes if v in keep or v.op.name == "input"]


#: a folded picture draws at most this many dashed edges per value --max-nodes allows
#: (a whole picture has about three edges per value, one more for each op node's input)
FOLDED_EDGES_PER_NODE = 4


def folded_edges(nodes: Sequence[Value], named: Sequence[Value], max_edges: int | None = None) -> list[tuple[int, int]]:
    """Pairs (i, j) of positions in ``named``: named[j] is computed from named[i] through unnamed steps.

    ``nodes`` come inputs before users. Each unnamed node's named sources are a bitset (a
    Python int, bit i for named[i]): a union costs len(named)/64 machine words, and a set is
    dropped once its last user is seen, so the work is O(nodes x named/64) and the memory
    O(sets alive x named/8), never a dict per node copied along the graph. Past ``max_edges``
    pairs it stops with a GradcliError naming --max-nodes.
    """
    index = {v: i for i, v in enumerate(named)}
    users_left = Counter(u for v in nodes for u in v.inputs)
    sources: dict[Value, int] = {}  # unnamed nodes whose users are still to come
    edges: list[tuple[int, int]] = []
    for v in nodes:
        found = 0
        for u in v.inputs:
            found |= (1 << index[u]) if u in index else sources.get(u, 0)
            users_left[u] -= 1
            if not users_left[u]:
                sources.pop(u, None)  # its last user has it: free the set
        if v not in index:
            if found and users_left[v]:
                sources[v] = found
            continue
        if max_edges is not None and len(edges) + found.bit_count() > max_edges:
            raise GradcliError(
                f"--graph: even folded, the picture has more than {max_edges:,} edges between its"
                f" {len(named):,} named values, too many to lay out ({FOLDED_EDGES_PER_NODE} per value of"
                f" --max-nodes); raise --max-nodes, or write a .dot file"
            )
        j = index[v]
        while found:  # its set bits, lowest (earliest value) first
            low = found & -found
            edges.append((low.bit_length() - 1, j))
            found ^= low
    return edges


def folded_digraph(
    result: "Result", named: list[Value], precision: int = DEFAULT_PRECISION, max_nodes: int = MAX_NODES,
    rankdir: str | None = None, edges: list[tuple[int, int]] | None = None,
) -> "graphviz.Digraph":
    """Only the named values; an edge u -> v where v is computed from u through unnamed steps
    (``edges``, from ``folded_edges``, when the caller has them).

    At most ``FOLDED_EDGES_PER_NODE * max_nodes`` edges, else a GradcliError.
    """
    if edges is None:
        edges = folded_edges(result.nodes, named, FOLDED_EDGES_PER_NODE * max_nodes)
    dot = digraph(named, result.output, precision, folded=edges, rankdir=rankdir)
    hidden = len(result) - len(named)
    dot.attr(label=f"{hidden:,} unnamed values folded into the dashed edges", labelloc="t")
    return dot


def picture_bytes(
    result: "Result", format: str, precision: int = DEFAULT_PRECISION, max_nodes: int = MAX_NODES,
    rankdir: str | None = None, warn: Callable[[str], None] | None = None,
) -> bytes:
    """The picture of ``result`` in ``format``, laid out (``warn``: as ``render``)."""
    return render(picture(result, format, precision, max_nodes, rankdir).source, format, warn=warn)


def render(
    source: str, format: str, renderer: str = "auto", timeout: float = LAYOUT_TIMEOUT,
    warn: Callable[[str], None] | None = None,
) -> bytes:
    """DOT source -> picture bytes. ``renderer`` is 'auto', 'embedded' or 'dot'.

    'embedded' is graphviz-pure, a port of Graphviz 16.1.0 to Rust installed with gradcli
    (SVG and PNG, the same bytes on every machine); 'dot' is the system Graphviz on PATH (PDF
    too); 'auto' takes graphviz-pure when it draws the format, else dot. Either runs in a
    child process that is stopped after ``timeout`` seconds and dies with gradcli. ``warn`` is
    told, in one line, when the picture lost detail on the way (a PNG that dot scaled down to
    its bitmap limit).
    """
    if format == "dot":
        return source.encode("utf-8")
    name, program = _renderer(format, renderer)
    return _render_with(name, program, source, format, timeout, warn)


#: the formats graphviz-pure writes (it has no PDF)
EMBEDDED_FORMATS = ("svg", "png")
EMBEDDED_NAME = "graphviz-pure"


def _renderer(format: str, renderer: str) -> tuple[str, str]:
    """(what to call it in messages, the program to run) for ``format``; a GraphError when none can."""
    if renderer not in ("auto", "embedded", "dot"):
        raise ValueError(f"renderer is 'auto', 'embedded' or 'dot', not {renderer!r}")
    embedded = embedded_program() if renderer != "dot" and format in EMBEDDED_FORMATS else None
    if embedded:
        return EMBEDDED_NAME, embedded
    dot = shutil.which("dot") if renderer != "embedded" else None
    if dot:
        return "Graphviz's dot", dot
    if renderer == "dot":
        raise GraphError("Graphviz's dot program is not on PATH")
    if format not in EMBEDDED_FORMATS:
        raise GraphError(f"{format.upper()} pictures need Graphviz installed (the dot program);"
                         f" {' and '.join(f.upper() for f in EMBEDDED_FORMATS)} work without it")
    also = "" if renderer == "embedded" else ", and Graphviz's dot program is not on PATH"
    raise GraphError(f"{EMBEDDED_NAME} is not installed (pip install {EMBEDDED_NAME}){also}")


@functools.lru_cache(maxsize=1)
def embedded_program() -> str | None:
    """The graphviz-pure program that pip installed beside gradcli, or None.

    pip puts it in the scripts folder of the environment it installs into (a venv's, pipx's,
    the system's, or ``~/.local/bin`` for ``--user``), which need not be on PATH. The package
    metadata says which, but reading it costs more than laying out a small picture, so those
    two folders are looked in first.
    """
    import sysconfig

    exe = EMBEDDED_NAME + (".exe" if sys.platform == "win32" else "")
    folders = [sysconfig.get_path("scripts"), sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user"))]
    found = [os.path.join(folder, exe) for folder in folders]
    if not any(map(_runnable, found)):
        from importlib import metadata

        try:
            files = metadata.distribution(EMBEDDED_NAME).files or []
        except metadata.PackageNotFoundError:
            return None
        found = [os.path.normpath(str(file.locate())) for file in files if file.name == exe]
    return next(filter(_runnable, found), None)


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _render_with(
    name: str, program: str, source: str, format: str, timeout: float, warn: Callable[[str], None] | None = None
) -> bytes:
    """Picture bytes from ``program`` (dot or graphviz-pure: the same flags), which never outlives this process."""
    with subprocess.Popen(
        [program, f"-T{format}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent_hook(),
    ) as process:
        try:
            stdout, stderr = process.communicate(source.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GraphError(f"{name} took longer than {timeout:g} s to lay out the graph") from None
        finally:
            process.kill()  # a no-op when it has finished; on any exception, it stops with us
            process.wait()
    if process.returncode != 0:
        raise GraphError(f"{name} failed: {failure_reason(stderr, process.returncode)}")
    shrunk = scaled_down(stdout, stderr)
    if shrunk and warn is not None:
        warn(shrunk)
    return stdout


def failure_reason(stderr: bytes, code: int) -> str:
    """One line saying why Graphviz failed, from what it wrote and how it ended; never empty.

    Its first error, past any warnings; else its first line (graphviz-pure, being Rust, says
    "memory allocation of N bytes failed" before a backtrace, and names a panic's place on the
    line before its message); else how its process ended.
    """
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    if errors:
        return errors[0]
    if len(lines) > 1 and lines[0].startswith("thread '") and " panicked at " in lines[0]:
        return f"it panicked: {lines[1]}"
    if lines:
        return lines[0]
    return f"its process {_exit_reason(code)}"


#: the most pixels Graphviz's bitmaps (cairo's) have a side; a bigger PNG is scaled down to fit
BITMAP_LIMIT = 32767


def scaled_down(picture: bytes, stderr: bytes) -> str | None:
    """What was lost, in one line, when dot says it scaled a bitmap down to its limit; else None."""
    said = re.search(rb"Scaling by ([0-9.]+)", stderr)
    if said is None or not picture.startswith(b"\x89PNG") or not 0 < float(said.group(1)) < 1:
        return None
    scale = float(said.group(1))
    width, height = (int.from_bytes(picture[at:at + 4], "big") for at in (16, 20))  # the PNG's IHDR
    return (f"the picture would be {round(width / scale):,}×{round(height / scale):,} px, over Graphviz's limit of"
            f" {BITMAP_LIMIT:,} px a side: it was scaled down to {scale:.0%} ({width:,}×{height:,} px);"
            " try --rankdir, a lower --max-nodes, or an .svg")


def _exit_reason(code: int) -> str:
    """How a child process ended, from its exit code (negative: killed by that signal)."""
    if code >= 0:
        return f"exited with code {code}"
    name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
    hint = " (the system may have run out of memory)" if -code == signal.SIGKILL else ""
    return f"was killed by {name}{hint}"


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@functools.lru_cache(maxsize=1)
def _prctl() -> Any:
    """libc's prctl, loaded in the parent (loading a library in a forked child is unsafe)."""
    if sys.platform != "linux":
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent(parent: int) -> None:
    """In a child process: have Linux kill it when its parent dies (also by SIGKILL)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect: no signal will come
        os.kill(os.getpid(), signal.SIGKILL)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` for Popen that runs _die_with_parent in the child; None off Linux."""
    if _prctl() is None:
        return None
    return functools.partial(_die_with_parent, os.getpid())


def draw(value: Value, precision: int = DEFAULT_PRECISION, rankdir: str | None = None) -> "graphviz.Digraph":
    """The graph behind ``value`` (built in Python, the micrograd way) as a graphviz Digraph.

    In Jupyter the Digraph shows itself; ``.source`` is its DOT text, and
    ``render(dot.source, 'svg')`` gives SVG without a system Graphviz.
    """
    from ..interpret.engine import topological_order

    return digraph(topological_order(value), value, precision, rankdir=rankdir)
