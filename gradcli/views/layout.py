"""Which way a picture runs: left to right, or top to bottom, by the graph's shape.

Graphviz's dot puts every node on a rank (its longest path from a source) and
lines the ranks up along the direction: a deep, narrow graph drawn left to right
is a strip hundreds of times wider than tall (a 200-step chain: 72,074 pt by
45 pt). Here the picture's size is estimated both ways from the same ranks and
the nodes' sizes as dot computes them (Helvetica's widths, its default spacing),
and the direction whose picture is nearer a screen's shape wins. A chain still far
too long either way is cut into bands of ranks that drawing.py sets side by side,
as text wraps (``bands``). Pure arithmetic on the graph, so the choice is the same
with either renderer and for a .dot file.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from ..language.parser import Program

#: the directions dot knows that gradcli draws in (graph attribute rankdir)
DIRECTIONS = ("LR", "TB")
#: the shape a picture aims for, width over height: a screen's
TARGET_ASPECT = 4 / 3
POINTS_PER_INCH = 72
RANKSEP = 0.5 * POINTS_PER_INCH  # dot's defaults, in points
NODESEP = 0.25 * POINTS_PER_INCH
#: Helvetica's mean advance width of the characters in labels (digits are 0.556 em)
EM_PER_CHARACTER = 0.56


def text_width(text: str, fontsize: float) -> float:
    """About how wide dot makes ``text`` in Helvetica, in points."""
    return len(text) * EM_PER_CHARACTER * fontsize


def ranks(count: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """dot's rank of each of ``count`` nodes, numbered so that every edge (i, j) has i < j.

    A node's rank is one more than its inputs' highest; a source sits just before its
    first user (dot pulls a leaf towards the node it feeds, as constants are drawn).
    """
    rank = [0] * count
    has_input = [False] * count
    for i, j in sorted(edges, key=lambda e: e[1]):  # by head: every tail's rank is final first
        rank[j] = max(rank[j], rank[i] + 1)
        has_input[j] = True
    first_user: dict[int, int] = {}
    for i, j in edges:
        if not has_input[i]:
            first_user[i] = min(first_user.get(i, rank[j]), rank[j])
    for i, r in first_user.items():
        rank[i] = r - 1
    return rank


def sizes(boxes: Sequence[tuple[float, float]], rank: Sequence[int]) -> dict[str, tuple[float, float]]:
    """The picture's (width, height) in points each way, from each node's box and rank."""
    low = min(rank, default=0)
    levels: dict[int, list[tuple[float, float]]] = {}
    for box, r in zip(boxes, rank):
        levels.setdefault(r - low, []).append(box)
    along_lr = across_lr = along_tb = across_tb = 0.0
    for level in levels.values():
        along_lr += max(w for w, _ in level)  # one column a rank, side by side
        across_lr = max(across_lr, sum(h for _, h in level) + NODESEP * (len(level) - 1))
        along_tb += max(h for _, h in level)  # one row a rank, one under the other
        across_tb = max(across_tb, sum(w for w, _ in level) + NODESEP * (len(level) - 1))
    gaps = RANKSEP * max(len(levels) - 1, 0)
    return {"LR": (along_lr + gaps, across_lr), "TB": (across_tb, along_tb + gaps)}


def direction(boxes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int]]) -> str:
    """'LR' or 'TB': the direction whose picture is nearer TARGET_ASPECT (LR on a tie, the classic look)."""
    estimated = sizes(boxes, ranks(len(boxes), edges))

    def off(rankdir: str) -> float:
        width, height = estimated[rankdir]
        return abs(math.log(max(width, 1.0) / max(height, 1.0) / TARGET_ASPECT))

    return min(DIRECTIONS, key=off)


#: a picture this many times too long for TARGET_ASPECT (a chain) is wrapped: cut into bands
#: of ranks, drawn side by side (columns top to bottom, rows left to right), as text wraps
WRAP_BEYOND = 8
#: edges from one band into the next at most, and none that skips a band: a chain. Past that,
#: dot staggers and tangles the bands (tried here: two interleaved chains, a chain that uses
#: each value twice), and the picture reads better unwrapped
WRAP_CROSSINGS = 1


def bands(boxes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int]], rankdir: str) -> list[int] | None:
    """Each node's band when the picture drawn ``rankdir`` is too long to read whole and is
    chain-like enough to wrap (WRAP_CROSSINGS); else None.

    k bands make it about k times shorter and k times wider, so k = sqrt(how far off it
    is). Bands are cut where an edge enters an odd rank (an op node, in a whole picture):
    an op starts the band of the value it makes.
    """
    rank = ranks(len(boxes), edges)
    width, height = sizes(boxes, rank)[rankdir]
    off = (height / max(width, 1.0) * TARGET_ASPECT if rankdir == "TB"
           else width / max(height, 1.0) / TARGET_ASPECT)
    if off <= WRAP_BEYOND:
        return None
    low = min(rank)
    levels = max(rank) - low + 1
    per_band = 2 * math.ceil(levels / round(math.sqrt(off)) / 2)
    band = [(r - low + 1) // per_band for r in rank]
    fed = [False] * len(rank)
    for _, j in edges:
        fed[j] = True
    for i, j in sorted(edges, key=lambda e: rank[e[1]], reverse=True):
        if not fed[i]:
            band[i] = band[j]  # a source (a constant, an input) stands by its first user
    crossings = Counter(band[i] for i, j in edges if band[i] != band[j])
    skips = any(band[j] not in (band[i], band[i] + 1) for i, j in edges)
    return None if skips or max(crossings.values(), default=0) > WRAP_CROSSINGS else band


class Cluster:
    """The values of one call of a function of the program's own, drawn inside a box labelled
    with the call (``f(a, b)``); a call inside a body is a box inside the body's box."""

    __slots__ = ("label", "members", "inner")

    def __init__(self, label: str) -> None:
        self.label = label
        self.members: list[int] = []  # node ids directly inside (not inside an inner call)
        self.inner: list[Cluster] = []


def clusters(program: "Program", origins: Sequence[int]) -> list[Cluster]:
    """The outermost calls of ``program`` as clusters of node ids (``origins[n]``: the
    instruction node n comes from, -1 for none), inner calls nested inside; a call that
    made no node of its own (``id(x) = x``) has no box."""
    from ..bindings import call_text

    calls = program.calls
    # outer calls before the calls inside them (the same span: the later call is the outer)
    order = sorted((k for k, c in enumerate(calls) if c.lo < c.hi),
                   key=lambda k: (calls[k].lo, -calls[k].hi, -k))
    boxes = {k: Cluster(call_text(program, [calls[k]])) for k in order}
    owner = [-1] * len(program.code)  # the innermost call of each instruction
    top: list[Cluster] = []
    open_calls: list[int] = []  # the calls holding the one at hand, the outermost first
    for k in order:
        c = calls[k]
        while open_calls and calls[open_calls[-1]].hi < c.hi:
            open_calls.pop()
        (boxes[open_calls[-1]].inner if open_calls else top).append(boxes[k])
        open_calls.append(k)
        owner[c.lo:c.hi] = [k] * (c.hi - c.lo)
    for n, i in enumerate(origins):
        if i >= 0 and owner[i] >= 0:
            boxes[owner[i]].members.append(n)
    return top
