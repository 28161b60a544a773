"""The emitted function's statements: which IR nodes get a name, and which are written inline.

``views.source`` prints each language's function from these. A node gets a
temporary (``_t1``, ``_t2``, ... in the order they are computed) when the
code reads it more than once, when it is a result, or when its text would be
long; any other node is written inside the one expression that reads it, as a
person would write ``np.tanh(w * x + 0.5)``. Nothing is reordered or
regrouped: parentheses keep every operation as the IR has it, so the numbers
are those of one statement per node (floating point is not associative).

Writing nodes inline also lets NumPy reuse a temporary array in place
(``a * b + c`` adds ``c`` into the product), and ``frees`` says after which
statement each temporary is read for the last time, so that the NumPy printer
can let go of it there instead of holding every array until the return.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

from ..interpret.emit import IN, NUMBER, Emitted
from ..language.ops import Op

#: how tightly an op's printed form binds; a call (``np.exp(x)``), a name or a number binds tightest
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3}
_ATOM = 4
#: the longest expression written inline; a longer one gets a name (lines stay readable)
INLINE_LIMIT = 60


class Statements(NamedTuple):
    #: (temporary, expression), in order
    lines: list[tuple[str, str]]
    #: per line, the temporaries read there for the last time (results are never among them)
    frees: list[list[str]]
    #: a node's text where it is used: a parameter, a number, or a temporary (results are temporaries)
    ref: Callable[[int], str]


def results(e: Emitted) -> list[int]:
    """Every node the function returns, in the order it returns them (a node may come more than once)."""
    if e.outputs is not None and e.jacobian is not None:
        found = [*e.outputs, *(g for row in e.jacobian for g in row)]
    else:
        found = [e.output, *e.gradients]
    return found + [h for row in e.hessian or [] for h in row]


def template(table: Mapping[str, str | Callable[[int], str]], op: Op) -> str:
    """How ``table`` writes ``op``: its entry, or for a function of any number of arguments
    (``max(a, b, c)``), the entry's template for the op's number of arguments."""
    entry = table[op.name]
    return entry if isinstance(entry, str) else entry(op.arity)


def statements(e: Emitted, table: Mapping[str, str | Callable[[int], str]], params: list[str],
               literal: Callable[[float], str]) -> Statements:
    """The statements of ``e``'s function, each op written with ``table`` (``{0}``, ``{1}``: its arguments)."""
    returned = set(results(e))
    reads = [0] * len(e.nodes)  # how often the code reads each node (a template may read an argument twice)
    for node in e.nodes:
        if isinstance(node.op, Op):
            for k, a in enumerate(node.args):
                reads[a] += template(table, node.op).count(f"{{{k}}}")
    inline: dict[int, tuple[str, int]] = {}  # node -> (its text, its precedence)
    names: dict[int, str] = {}
    uses: dict[int, set[int]] = {}  # node written inline -> the temporaries its text reads

    def operand(a: int, op: str, k: int) -> tuple[str, set[int]]:
        node = e.nodes[a]
        if node.op == IN:
            return params[node.payload], set()  # type: ignore[index]
        if node.op == NUMBER:
            return literal(node.payload), set()  # type: ignore[arg-type]
        if a in names:
            return names[a], {a}
        text, precedence = inline[a]
        if op in _PRECEDENCE:  # an operator: its operands bind at least as tightly (the right one more)
            needed = _ATOM if op == "neg" else _PRECEDENCE[op] + k
            if precedence < needed or (k == 1 and precedence == _PRECEDENCE["neg"]):
                text = f"({text})"
        return text, uses[a]

    lines: list[tuple[str, str]] = []
    read_in: list[set[int]] = []
    for n, node in enumerate(e.nodes):
        if not isinstance(node.op, Op):
            continue
        parts = [operand(a, node.op.name, k) for k, a in enumerate(node.args)]
        text = template(table, node.op).format(*[t for t, _ in parts])
        read = set().union(*[u for _, u in parts])
        if reads[n] == 1 and n not in returned and len(text) <= INLINE_LIMIT:
            inline[n], uses[n] = (text, _PRECEDENCE.get(node.op.name, _ATOM)), read
        else:
            names[n] = f"_t{len(names) + 1}"
            lines.append((names[n], text))
            read_in.append(read)

    last: dict[int, int] = {}
    for i, read in enumerate(read_in):
        for a in read:
            last[a] = i
    frees: list[list[str]] = [[] for _ in lines]
    for a, i in sorted(last.items()):
        if a not in returned:
            frees[i].append(names[a])

    def ref(n: int) -> str:
        node = e.nodes[n]
        if node.op == IN:
            return params[node.payload]  # type: ignore[index]
        if node.op == NUMBER:
            return literal(node.payload)  # type: ignore[arg-type]
        return names[n]

    return Statements(lines, frees, ref)
