"""Names for repeated pieces of formulas, as SymPy's ``cse`` gives them: where t3 = sigmoid(w*x + b).

A piece of the formulas that the program did not name, written out again and
again (in one formula or across several), is named when that makes the
output shorter: each time it appears it costs its text; named, it costs the
name each time and one definition line. The piece that saves the most is
named first, then the counts are taken again (what is inside a named piece
now appears once, in its definition), until no piece saves anything. A
formula itself is never replaced by a name, a piece shorter than
``MIN_LENGTH`` characters stays written out (x*(p - y) reads better than
x*t2), and so does one whose name would save fewer than ``MIN_SAVED``. The names come from the caller (``t1``, ``t2``, ... past the program's).
"""

from __future__ import annotations

import heapq
from typing import Callable

from .algebra import Algebra, Expr

MIN_LENGTH = 12  # characters of the shortest piece worth a name
MIN_SAVED = 10  # characters a name must save (a name to save one character reads worse)
MAX_NODES = 50_000  # nodes of formulas looked at (beyond: left as they are)
MAX_NAMES = 100
NAME_LENGTH = 3  # characters of a name, as counted (t1 to t99)


def name_repeats(alg: Algebra, roots: list[Expr], fresh: Callable[[], str]) -> list[Expr]:
    """``roots`` with their repeated pieces replaced by defined names (``alg.define``), in the same order.
    A definition that a replaced root stands for must be changed to it, and then the definitions put
    in order again (``reorder``)."""
    for _ in range(MAX_NAMES):
        counts = _occurrences(roots)
        if counts is None:
            break
        best: tuple[int, Expr] | None = None
        whole = {id(r) for r in roots}
        for e, n in counts:
            if n < 2 or id(e) in whole or e.op is None or len(e.text) < MIN_LENGTH:
                continue
            saved = n * (len(e.text) - NAME_LENGTH) - (NAME_LENGTH + 5 + len(e.text))
            if saved >= MIN_SAVED and (best is None or saved > best[0]):
                best = (saved, e)
        if best is None:
            break
        piece = best[1]
        symbol = alg.define(fresh(), piece)
        roots = _replaced(alg, roots, piece, symbol)
    return roots


def _occurrences(roots: list[Expr]) -> list[tuple[Expr, int]] | None:
    """Each piece of ``roots`` and how many times it is written in them (a piece shared in the
    graph is written out at every use), pieces in the order first met."""
    order: list[Expr] = []  # post-order: arguments before their users
    seen: set[int] = set()
    for root in roots:
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, done = stack.pop()
            if done:
                order.append(e)
            elif id(e) not in seen:
                seen.add(id(e))
                if len(seen) > MAX_NODES:
                    return None
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args) if a.op is not None and id(a) not in seen)
    count: dict[int, int] = {}
    for root in roots:
        count[id(root)] = count.get(id(root), 0) + 1
    for e in reversed(order):  # users before their arguments
        n = count.get(id(e), 0)
        for a in e.args:
            if a.op is not None:
                count[id(a)] = count.get(id(a), 0) + n
    return [(e, count[id(e)]) for e in reversed(order)]


def _replaced(alg: Algebra, roots: list[Expr], piece: Expr, symbol: Expr) -> list[Expr]:
    """``roots`` with ``piece`` written as ``symbol`` (every node above it built again)."""
    new: dict[int, Expr] = {id(piece): symbol}
    out = []
    for root in roots:
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, done = stack.pop()
            if id(e) in new:
                continue
            if not done:
                stack.append((e, True))
                stack.extend((a, False) for a in e.args if id(a) not in new)
                continue
            args = tuple(new.get(id(a), a) for a in e.args)
            new[id(e)] = e if all(a is b for a, b in zip(args, e.args)) else alg.make(e.op, args)  # type: ignore[arg-type]
        out.append(new[id(root)] if root is not piece else piece)
    return out


def reorder(alg: Algebra) -> None:
    """The definitions in an order where each reads only earlier ones, as near the order defined as
    that allows (a name given afterwards to a piece of an earlier definition moves before it)."""
    position = {id(s): i for i, s in enumerate(alg.defined)}
    users: dict[int, list[int]] = {}
    waiting = [0] * len(alg.defined)
    for i, s in enumerate(alg.defined):
        needs = _uses(alg.bodies[id(s)], position)
        waiting[i] = len(needs)
        for j in needs:
            users.setdefault(j, []).append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(alg.defined[i])
        for u in users.get(i, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    assert len(order) == len(alg.defined), "definitions that read each other"
    alg.defined[:] = order


def _uses(body: Expr, position: dict[int, int]) -> set[int]:
    """The defined names a body reads (by their position in the definitions)."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = [body]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if id(e) in position:
            found.add(position[id(e)])
        else:
            stack.extend(a for a in e.args if a.symbolic)
    return found
