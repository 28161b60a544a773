"""The NumPy tape: a differentiated program's graph, flat, run forward and backward on arrays.

A Result's graph is compiled once into a tape (one instruction per node); the
tape runs forward on NumPy arrays (each op row's ``vector`` column) and
backward with each row's derivative formulas built on arrays, so a million
points cost a few dozen NumPy calls. A point where the engine would raise a
MathError is found by NumPy's error flags and noted, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..language.formulas import instantiate
from ..language.ops import INPUT, Op
from .program import Result


@dataclass(frozen=True)
class Instruction:
    """One node: its op (an op row, or the INPUT / CONST leaf), the slots of its inputs, its value."""

    op: Op
    inputs: tuple[int, ...]
    #: the node's value in the Result: a leaf's value, or any node's where the sweep does not reach
    value: float
    #: depends on an input variable, so the backward pass gives it a gradient
    variable: bool
    #: the backward pass reads its value (else a sweep lets go of it once the nodes using it are computed)
    kept: bool = True


@dataclass(frozen=True)
class Tape:
    """A Result's graph, flat: slot i is the Result's node i, inputs before the nodes using them."""

    code: tuple[Instruction, ...]
    #: every input variable -> its slot (the leaf --set gives a value to), in the order of the nodes
    inputs: dict[str, int]
    output: int
    output_name: str


def compile_tape(result: Result) -> Tape:
    """The graph of ``result`` as a tape; input leaves become named input slots, constants stay."""
    slot = {v: i for i, v in enumerate(result.nodes)}
    out = slot[result.output]
    read = {out}  # nodes whose value the backward pass reads
    for i, v in enumerate(result.nodes):
        computes, bare = _reads(v.op)
        read.update(slot[u] for k, u in enumerate(v.inputs) if computes or k in bare)
        if computes or not v.inputs:
            read.add(i)
    code: list[Instruction] = []
    for i, v in enumerate(result.nodes):
        args = tuple(slot[u] for u in v.inputs)
        variable = v.op is INPUT or any(code[j].variable for j in args)
        code.append(Instruction(v.op, args, v.data, variable, i in read))
    inputs = dict(result.bindings.inputs)  # a node's slot is its index
    return Tape(tuple(code), inputs, out, result.output_name)


class _Input:
    """A formula's placeholder in a dry run: which input it stands for."""

    def __init__(self, k: int) -> None:
        self.k = k


_COMPUTED = object()


@lru_cache(maxsize=None)
def _reads(op: Op) -> tuple[bool, frozenset[int]]:
    """What the backward pass reads for ``op``: (whether its formulas compute, the inputs they
    use as they are). Formulas that are numbers or inputs as they are (``1``, ``-1``, ``y``)
    read only those inputs; one that computes (``exp(x)``, ``1 / y``) may read the node's
    value and all its inputs, and so may its rule, where the formula is not finite."""

    def apply(op: Op, *args: Any) -> Any:
        if any(isinstance(a, _Input) or a is _COMPUTED for a in args):
            return _COMPUTED
        return op.forward(*args)  # numbers only: -1 is neg(1)

    computes, bare = False, set()
    for formula in op.formulas:
        got: Any = instantiate(formula, [_Input(k) for k in range(op.arity)], float, apply)  # type: ignore[arg-type]
        if got is _COMPUTED:
            computes = True
        elif isinstance(got, _Input):
            bare.add(got.k)
    return computes, frozenset(bare)


class Flags:
    """NumPy's floating-point error callback: notes that some op made an inf or a NaN.

    Only an op that raised a flag can have made one from finite numbers, so only
    its result is searched for them; every other op costs nothing extra.
    """

    raised = False

    def __call__(self, kind: str, flag: int) -> None:
        self.raised = True


class Run:
    """One sweep of a tape: forward on arrays, then backward, dropping each array once nothing needs it.

    Memory is most of the cost of a big sweep (each new array is fresh pages
    to fault in), so the backward pass lets go of a node's value and gradient
    as soon as it has passed them back, and adds into its own arrays in place.
    """

    def __init__(self, np: Any, tape: Tape) -> None:
        self.np = np
        self.tape = tape
        self.flags = Flags()
        #: boolean arrays: points found undefined
        self.found: list[Any] = []
        #: every node's value: an array where the sweep reaches it, else its value in the Result
        self.values: list[Any] = [np.float64(ins.value) for ins in tape.code]
        #: (op, input slots) -> the first node computing it, so formulas can reuse forward values
        self.made: dict[tuple[Any, ...], int] = {}

    def note(self, x: Any) -> None:
        """Adds to ``found`` the points where ``x`` is not finite."""
        nonfinite = ~self.np.isfinite(x)
        if nonfinite.any():
            self.found.append(nonfinite)

    def forward(self, axes: dict[str, Any]) -> Any:
        """Every node the sweep reaches, on arrays; returns the output's value."""
        np, values, flags = self.np, self.values, self.flags
        code = self.tape.code
        swept = [False] * len(values)
        uses = [0] * len(values)  # nodes using each node not computed yet
        for ins in code:
            for j in ins.inputs:
                uses[j] += 1
        for k, (name, axis) in enumerate(axes.items()):
            slot = self.tape.inputs[name]
            # each swept variable along its own axis; NumPy broadcasts the rest
            values[slot] = axis.reshape([-1 if d == k else 1 for d in range(len(axes))])
            swept[slot] = True
        for i, ins in enumerate(code):
            if not ins.inputs:
                continue
            self.made.setdefault((ins.op, *ins.inputs), i)
            if any(swept[j] for j in ins.inputs):
                flags.raised = False
                values[i] = ins.op.vector(np, *[values[j] for j in ins.inputs])  # type: ignore[misc]
                swept[i] = True
                if flags.raised:
                    self.note(values[i])
            for j in ins.inputs:
                uses[j] -= 1
                if not uses[j] and not code[j].kept:
                    values[j] = None  # memory is most of a big sweep's cost: let go early
        return values[self.tape.output]

    def backward(self) -> list[Any]:
        """Reverse mode: the input leaves' gradients by slot (None: zero everywhere)."""
        np, code, values, flags = self.np, self.tape.code, self.values, self.flags
        grads: list[Any] = [None] * len(code)
        grads[self.tape.output] = np.float64(1.0)
        mine = [False] * len(code)  # the gradient is an array only the sweep holds: add into it in place
        for i in range(len(code) - 1, -1, -1):
            upstream, ins = grads[i], code[i]
            if not ins.inputs:
                continue
            if upstream is not None:
                args = [values[j] for j in ins.inputs]
                for k, j in enumerate(ins.inputs):
                    if not code[j].variable:
                        continue  # a constant needs no gradient (and may have none: the exponent of x ** 2 at x < 0)
                    flags.raised = False
                    reused: list[Any] = []
                    local = instantiate(ins.op.formulas[k], args, np.float64, self.applier(ins, reused))
                    if flags.raised:
                        local = _by_rule(np, ins.op.derivatives[k], local, values[i], args)
                    temporary = all(local is not v for v in (*args, *reused))  # not a forward value
                    part, fresh = _product(np, upstream, local, temporary)
                    if part is None:
                        continue
                    if flags.raised:
                        part = _stopped(np, part, upstream, self.found)
                    flags.raised = False
                    if grads[j] is None:
                        grads[j], mine[j] = part, fresh
                    elif mine[j] and np.broadcast_shapes(grads[j].shape, np.shape(part)) == grads[j].shape:
                        grads[j] += part
                    else:
                        grads[j], mine[j] = grads[j] + part, True
                    if flags.raised:
                        self.note(grads[j])
            # every node using this one came later and is done: its value and gradient are no longer needed
            grads[i] = values[i] = None
        return grads

    def applier(self, ins: Instruction, reused: list[Any]) -> Any:
        """``apply`` for the formulas of ``ins``: an op on ins's own inputs reuses the forward
        value (and adds it to ``reused``)."""
        np, values, made = self.np, self.values, self.made
        slots = {id(values[j]): j for j in ins.inputs if values[j] is not None}

        def apply(op: Op, *args: Any) -> Any:
            key = (op, *(slots.get(id(a)) for a in args))
            i = made.get(key) if None not in key else None
            if i is not None and values[i] is not None:
                reused.append(values[i])
                return values[i]  # exp(x) in exp's formula is the node itself
            return op.vector(np, *args)  # type: ignore[misc]

        return apply


def _product(np: Any, upstream: Any, local: Any, local_is_temporary: bool) -> tuple[Any, bool]:
    """``upstream * local`` and whether it is an array nobody else holds; no pass over memory
    for a factor of 1 or -1, and (None, False) for a factor of 0: nothing flows back."""
    for a, b in ((local, upstream), (upstream, local)):
        if not isinstance(a, np.ndarray):
            if a == 1.0:
                return b, b is local and local_is_temporary
            if a == -1.0:
                return -b, True
            if a == 0.0:
                return None, False
    if local_is_temporary and isinstance(local, np.ndarray) and local.shape == np.broadcast_shapes(
            local.shape, np.shape(upstream)):
        local *= upstream
        return local, True
    return upstream * local, True


def _by_rule(np: Any, rule: Any, local: Any, out: Any, args: list[Any]) -> Any:
    """``local``, with the row's numeric rule where the formula is not finite.

    The rule is what evaluate() uses, and a formula can be undefined where the
    rule is not (pow's at x = 0); such points are few, so a Python call each is cheap.
    """
    nonfinite = ~np.isfinite(local)
    if not nonfinite.any():
        return local
    points = np.broadcast_arrays(local, out, *args)
    local = points[0].copy()  # a copy: the formula may have returned a node's own value
    for i in np.flatnonzero(np.broadcast_to(nonfinite, local.shape)).tolist():
        try:
            local.flat[i] = rule(*(float(p.flat[i]) for p in points[1:]))
        except (ArithmeticError, ValueError):  # as in the engine: a rule that raises means undefined
            local.flat[i] = np.nan
    return local


def _stopped(np: Any, part: Any, upstream: Any, found: list[Any]) -> Any:
    """``part`` where it is finite; 0 where the upstream gradient is 0, as in the engine
    (nothing flows back there, so an undefined local derivative is no error); else the point is bad."""
    nonfinite = ~np.isfinite(part)
    if not nonfinite.any():
        return part
    stopped = nonfinite & (upstream == 0)
    found.append(nonfinite & ~stopped)
    return np.where(stopped, 0.0, part)
