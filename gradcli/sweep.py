"""--sweep: a program's value and gradients at every point of a grid, with NumPy.

A Result's graph is compiled once into a flat tape (one instruction per node);
the tape then runs forward on NumPy arrays (each op row's ``vector`` column)
and backward with each row's derivative formulas built on arrays, so a
million points cost a few dozen NumPy calls. The answers are evaluate()'s:
a point where evaluate() would raise a MathError (a log of a non-positive
number, a division by zero, an overflow, an undefined derivative) is NaN in
the value and every gradient, and counted; the sweep goes on.

NumPy is imported only when a sweep runs, never when gradcli is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from .errors import GradcliError, MathError
from .formulas import instantiate
from .limits import Limits
from .ops import INPUT, Op
from .parser import Program, as_operand, is_name, parse_count, parse_number
from .bindings import Bindings, bind, format_number
from .program import Result, differentiate
from .text import shorten

if TYPE_CHECKING:
    import numpy

ROWS_AT_ONCE = 65_536  # rows() turns this many points at a time into Python floats
TRIES = 32  # points of the grid tried in search of one where the program is defined


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        error = GradcliError("--sweep needs NumPy: pip install numpy")
        error.exit_code = 1
        raise error from None
    return numpy


# ----- the spec NAME=START:STOP:COUNT ------------------------------------------------


@dataclass(frozen=True)
class SweepSpec:
    """``NAME=START:STOP:COUNT``: COUNT evenly spaced values of NAME, both ends included."""

    name: str
    start: float
    stop: float
    count: int

    def points(self) -> numpy.ndarray:
        np = _numpy()
        with np.errstate(all="ignore"):  # a range wider than a float overflows: said below, not warned
            points = np.linspace(self.start, self.stop, self.count)
        if not np.isfinite(points).all():
            raise GradcliError(f"invalid value for --sweep: the range of {self.name} from {self.start:g}"
                               f" to {self.stop:g} is wider than a float can hold")
        return points


def parse_spec(text: str) -> SweepSpec:
    """``"x=-3:3:101"`` -> SweepSpec('x', -3.0, 3.0, 101); GradcliError (exit 2) naming the bad part."""

    def bad(what: str) -> GradcliError:
        return GradcliError(f"invalid value for --sweep: {what}")

    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep:
        raise bad(f"'{text}' is not NAME=START:STOP:COUNT")
    if not is_name(name):
        raise bad(f"'{name}' in '{text}' is not a valid name")
    parts = [p.strip() for p in rest.split(":")]
    if len(parts) != 3:
        raise bad(f"'{rest.strip()}' in '{text}' is not START:STOP:COUNT")
    ends = []
    for part, what in zip(parts, ("start", "stop")):
        number = parse_number(part)
        if number is None:
            raise bad(f"{what} '{part}' in '{text}' is not a finite number")
        ends.append(number)
    count = parse_count(parts[2])
    if count is None and parse_count(parts[2][:18]) is not None and parts[2].isdigit():
        raise bad(f"count '{shorten(parts[2], 30)}' in '{shorten(text, 60)}' is too large")
    if count is None or count < 2:
        raise bad(f"count '{parts[2]}' in '{text}' is not a whole number of at least 2")
    return SweepSpec(name, ends[0], ends[1], count)


def make_grid(specs: Iterable[SweepSpec], limits: Limits | None = None) -> dict[str, numpy.ndarray]:
    """The grid of ``sweep``: each spec's name -> its points, in the order given.

    The grid's size is checked against ``limits`` before any array is made.
    """
    specs = list(specs)
    points = math.prod(spec.count for spec in specs)
    (limits or Limits()).check("memory", points * 8 * (len(specs) + 2), f"--sweep over {points:,} points")
    grid: dict[str, numpy.ndarray] = {}
    for spec in specs:
        if spec.name in grid:
            raise GradcliError(f"invalid value for --sweep: {spec.name} is swept twice")
        grid[spec.name] = spec.points()
    return grid


# ----- the tape -----------------------------------------------------------------------


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
        got: Any = instantiate(formula, [_Input(0), _Input(1)], float, apply)  # type: ignore[arg-type]
        if got is _COMPUTED:
            computes = True
        elif isinstance(got, _Input):
            bare.add(got.k)
    return computes, frozenset(bare)


# ----- the result -----------------------------------------------------------------------


@dataclass
class SweepResult:
    """The output and its gradients at every point: arrays with one axis per swept variable."""

    output_name: str
    #: each swept variable's values along its axis (axis i: the i-th swept variable)
    axes: dict[str, numpy.ndarray]
    #: the input variables not swept, at the values they have in the Result
    held: dict[str, float]
    #: the output at every point (NaN where undefined)
    values: numpy.ndarray
    #: d(output)/d(variable) for every input variable, swept or held, at every point
    gradients: dict[str, numpy.ndarray]
    #: points where the value or a gradient is undefined (NaN in all of them there)
    undefined: int

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def points(self) -> dict[str, numpy.ndarray]:
        """Each swept variable's value at every point, flat, in the order of ``rows()``."""
        np = _numpy()
        mesh = np.meshgrid(*self.axes.values(), indexing="ij")
        return {name: m.ravel() for name, m in zip(self.axes, mesh)}

    def header(self) -> list[str]:
        """Column names: the swept variables, the output, then ``d<output>/d<variable>``."""
        d_out = f"d{as_operand(self.output_name)}"
        return [*self.axes, self.output_name, *(f"{d_out}/d{name}" for name in self.gradients)]

    def rows(self) -> Iterator[tuple[float, ...]]:
        """One tuple of floats per point, in ``header()`` order; the last axis varies fastest."""
        columns = [*self.points().values(), self.values.ravel(), *(g.ravel() for g in self.gradients.values())]
        for start in range(0, self.values.size, ROWS_AT_ONCE):  # a slice at a time: no list of every point
            yield from zip(*(c[start : start + ROWS_AT_ONCE].tolist() for c in columns))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: one object per point; undefined numbers are None (null)."""

        def number(x: float) -> float | None:
            return None if x != x else x

        names, grads = list(self.axes), list(self.gradients)
        k = len(names)
        points = [
            {
                **{n: row[i] for i, n in enumerate(names)},
                "value": number(row[k]),
                "gradients": {g: number(row[k + 1 + i]) for i, g in enumerate(grads)},
            }
            for row in self.rows()
        ]
        return {
            "output": self.output_name,
            "sweep": {n: {"start": float(a[0]), "stop": float(a[-1]), "count": len(a)} for n, a in self.axes.items()},
            "held": dict(self.held),
            "undefined": self.undefined,
            "points": points,
        }


# ----- running the tape -------------------------------------------------------------------


class _Flags:
    """NumPy's floating-point error callback: notes that some op made an inf or a NaN.

    Only an op that raised a flag can have made one from finite numbers, so only
    its result is searched for them; every other op costs nothing extra.
    """

    raised = False

    def __call__(self, kind: str, flag: int) -> None:
        self.raised = True


def sweep(program: Result | Tape, grid: Mapping[str, Sequence[float] | numpy.ndarray],
          limits: Limits | None = None, as_json: bool = False) -> SweepResult:
    """The output and every input variable's gradient at each point of ``grid``.

    ``grid`` maps input variables to their values; with several, every
    combination is a point (a meshgrid, axis i for the i-th variable). The
    other input variables keep their values in the Result. A sweep that may
    need more memory than ``limits`` allow (with its JSON document, when
    ``as_json``) is refused before it runs.
    """
    np = _numpy()
    tape = program if isinstance(program, Tape) else compile_tape(program)
    axes = _axes(np, tape, grid)
    points = math.prod(len(a) for a in axes.values())
    (limits or Limits()).check("memory", memory_needed(tape, points, as_json),
                               f"--sweep over {points:,} points of {len(tape.code):,} nodes")
    run = _Run(np, tape)
    with np.errstate(over="call", divide="call", invalid="call", under="ignore", call=run.flags):
        value = run.forward(axes)
        grads = run.backward()
    return _finish(np, tape, axes, value, grads, run.found)


def _axes(np: Any, tape: Tape, grid: Mapping[str, Any]) -> dict[str, Any]:
    if not grid:
        raise GradcliError("--sweep: nothing to sweep")
    known = ", ".join(tape.inputs) or "none"
    axes = {}
    for name, points in grid.items():
        if name not in tape.inputs:
            raise GradcliError(f"--sweep {name}: the program has no input '{name}' (inputs: {known})")
        axis = np.array(points, dtype=np.float64)  # a copy: the result's axes are its own
        if axis.ndim != 1 or len(axis) == 0 or not np.isfinite(axis).all():
            raise GradcliError(f"--sweep {name}: the values must be a non-empty list of finite numbers")
        axes[name] = axis
    return axes


class _Run:
    """One sweep of a tape: forward on arrays, then backward, dropping each array once nothing needs it.

    Memory is most of the cost of a big sweep (each new array is fresh pages
    to fault in), so the backward pass lets go of a node's value and gradient
    as soon as it has passed them back, and adds into its own arrays in place.
    """

    def __init__(self, np: Any, tape: Tape) -> None:
        self.np = np
        self.tape = tape
        self.flags = _Flags()
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


def _finish(np: Any, tape: Tape, axes: dict[str, Any], value: Any, grads: list[Any], found: list[Any]) -> SweepResult:
    shape = tuple(len(a) for a in axes.values())
    outputs = [value] + [grads[slot] if grads[slot] is not None else 0.0 for slot in tape.inputs.values()]
    for x in outputs:
        if not np.isfinite(x).all():  # a last look, in case a NumPy function made an inf or NaN without a flag
            found.append(~np.isfinite(x))
    bad = None
    for mask in found:
        bad = mask if bad is None else bad | mask
    if bad is not None:
        bad = np.broadcast_to(bad, shape)
    taken: set[int] = set()
    finished = []
    for x in outputs:
        if bad is not None:
            x = np.where(bad, np.nan, x)
        elif not isinstance(x, np.ndarray) or x.shape != shape or x.base is not None or id(x) in taken:
            x = np.array(np.broadcast_to(x, shape))  # an array of its own, never a view of an input or another
        taken.add(id(x))
        finished.append(x)
    held = {n: tape.code[s].value for n, s in tape.inputs.items() if n not in axes}
    return SweepResult(
        tape.output_name,
        axes,
        held,
        finished[0],
        dict(zip(tape.inputs, finished[1:])),
        0 if bad is None else int(np.count_nonzero(bad)),
    )


# ----- from a program and its grid ------------------------------------------------------------


def evaluate_on_grid(program: Program, grid: Mapping[str, Any], values: Mapping[str, float] | None = None,
                     output: str | None = None) -> Result:
    """The program run (as ``program.run``) at a point of ``grid`` where it is defined: the graph to sweep.

    The swept variables are given as --set gives values, so a program need not
    assign them; each must be an input. The first point is tried first, then
    up to TRIES spread over the grid.
    """
    np = _numpy()
    axes = {name: np.asarray(points, dtype=np.float64) for name, points in grid.items()}
    shape = tuple(len(a) for a in axes.values())
    size = int(np.prod(shape))
    tries = dict.fromkeys([0, *np.linspace(0, size - 1, min(TRIES, size)).round().astype(int).tolist()])
    first: MathError | None = None
    where = ""
    bindings: Bindings | None = None
    for flat in tries:
        index = np.unravel_index(flat, shape)
        point = {name: float(a[i]) for (name, a), i in zip(axes.items(), index)}
        try:
            if bindings is None:  # once: what the names mean does not depend on the values
                bindings = bind(program, {**(values or {}), **point}, output,
                                option={**dict.fromkeys(values or {}, "--set"), **dict.fromkeys(grid, "--sweep")})
            return differentiate(bindings, point)
        except MathError as e:
            if first is None:
                first, where = e, ", ".join(f"{n} = {format_number(x)}" for n, x in point.items())
    assert first is not None
    error = MathError(f"the program is undefined at every point of the sweep tried ({len(tries)});"
                      f" at {where}: {first.message}", first.argument)
    error.detail = first.detail
    raise error


def memory_needed(tape: Tape, points: int, as_json: bool = False) -> int:
    """Bytes a sweep of ``tape`` over ``points`` points may hold at once, at most: a value and a
    gradient array for every node it reaches, and the JSON document's objects when ``as_json``."""
    reached = sum(1 for ins in tape.code if ins.variable)
    columns = 2 + len(tape.inputs)
    return points * 8 * 2 * (reached + 1) + (points * (JSON_POINT + columns * JSON_NUMBER) if as_json else 0)


#: bytes a point of a sweep's JSON document holds while it is built: its objects and text
#: (measured here by peak memory: about 700 bytes a point with 3 numbers, 790 with 4)
JSON_POINT, JSON_NUMBER = 500, 100


def run_sweep(program: Program, grid: Mapping[str, Any], values: Mapping[str, float] | None = None,
              output: str | None = None, limits: Limits | None = None, as_json: bool = False) -> SweepResult:
    """``sweep`` of ``program`` (parsed) over ``grid``, other variables from ``values`` or the program.

    With ``limits``, a sweep that may need more memory than its limit is refused before it runs.
    A name both swept and given a value is refused: one of the two would be dropped.
    """
    for name in grid:
        if name in (values or {}):
            raise GradcliError(f"--sweep {name}: {name} is also given with --set; give it one way")
    return sweep(evaluate_on_grid(program, grid, values, output), grid, limits, as_json)
