"""--sweep: a program's value and gradients at every point of a grid, with NumPy.

The program is run once by the engine at a point where it is defined, and its
graph compiled into a NumPy tape (``tape``) that runs on every point at once.
The answers are evaluate()'s:
a point where evaluate() would raise a MathError (a log of a non-positive
number, a division by zero, an overflow, an undefined derivative) is NaN in
the value and every gradient, and counted; the sweep goes on.

NumPy is imported only when a sweep runs, never when gradcli is imported.

Just over 300 lines: the spec NAME=START:STOP:COUNT, the grid and the result a
sweep holds are read together; the tape they run on is ``tape``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from ..bindings import Bindings, bind, format_number
from ..errors import GradcliError, MathError
from ..language.parser import Program, as_operand, is_name, parse_count, parse_number
from ..limits import Limits
from ..text import shorten
from .program import Result, differentiate
from .tape import Run, Tape, compile_tape

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
        self.check()
        return _numpy().linspace(self.start, self.stop, self.count)

    def check(self) -> None:
        """Refuse a range wider than a float can hold (its points would be inf or NaN)."""
        np = _numpy()
        with np.errstate(all="ignore"):  # said below, not warned
            ends = self.values(0, 2) if self.count > 2 else np.empty(0)
            ends = np.concatenate([ends, self.values(max(0, self.count - 2), self.count)])
        if not np.isfinite(ends).all():  # the points run from one end to the other: the ends tell
            raise GradcliError(f"invalid value for --sweep: the range of {self.name} from {self.start:g}"
                               f" to {self.stop:g} is wider than a float can hold")

    def values(self, lo: int, hi: int) -> numpy.ndarray:
        """The points ``lo`` to ``hi - 1`` (of ``count``), bit for bit ``np.linspace(...)[lo:hi]``
        (the same operations in the same order), so a grid need never be held whole."""
        np = _numpy()
        return self.at(np.arange(lo, hi, dtype=np.float64))

    def at(self, indices: numpy.ndarray) -> numpy.ndarray:
        """The points at ``indices`` (whole numbers, as float64), as ``values`` computes them."""
        np = _numpy()
        y = np.array(indices, dtype=np.float64)
        start, stop = np.float64(self.start), np.float64(self.stop)
        div = self.count - 1
        with np.errstate(all="ignore"):
            delta = np.subtract(stop, start, dtype=np.float64)
            step = delta / div
            if step == 0:  # as linspace: denormal steps (NumPy's gh-5437)
                y /= div
                y *= delta
            else:
                y *= step
            y += start
        y[indices == div] = stop
        return y


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
        return header(self.output_name, self.axes, self.gradients)

    def columns(self) -> list[numpy.ndarray]:
        """Every column of ``rows()``, flat: the swept variables, the output, the gradients."""
        return [*self.points().values(), self.values.ravel(), *(g.ravel() for g in self.gradients.values())]

    def rows(self) -> Iterator[tuple[float, ...]]:
        """One tuple of floats per point, in ``header()`` order; the last axis varies fastest."""
        columns = self.columns()
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
            "points": points,
            "undefined": self.undefined,  # last: a streamed sweep knows it once every point is written
        }


def header(output_name: str, swept: Iterable[str], inputs: Iterable[str]) -> list[str]:
    """A sweep's column names: the swept variables, the output, then ``∂<output>/∂<variable>``
    for every input (the notation of every other table and of the plots)."""
    d_out = f"∂{as_operand(output_name)}"
    return [*swept, output_name, *(f"{d_out}/∂{name}" for name in inputs)]


# ----- running the tape -------------------------------------------------------------------


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
    return run_tape(np, tape, axes)


def run_tape(np: Any, tape: Tape, axes: dict[str, Any]) -> SweepResult:
    """``sweep`` without its checks: ``axes`` are checked arrays, their memory allowed for."""
    run = Run(np, tape)
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
                     output: str | None = None, option: str | Mapping[str, str] = "--set") -> Result:
    """The program run (as ``program.run``) at a point of ``grid`` where it is defined: the graph to sweep.

    The swept variables are given as --set gives values, so a program need not
    assign them; each must be an input. The first point is tried first, then
    up to TRIES spread over the grid. An axis is its points, or a SweepSpec
    (a grid too big to hold: its points are computed as they are needed).
    """
    np = _numpy()
    axes = {name: p if isinstance(p, SweepSpec) else np.asarray(p, dtype=np.float64) for name, p in grid.items()}
    shape = tuple(a.count if isinstance(a, SweepSpec) else len(a) for a in axes.values())
    size = int(np.prod(shape))
    tries = dict.fromkeys([0, *np.linspace(0, size - 1, min(TRIES, size)).round().astype(int).tolist()])
    first: MathError | None = None
    where = ""
    bindings: Bindings | None = None
    for flat in tries:
        index = np.unravel_index(flat, shape)
        point = {name: float(a.values(i, i + 1)[0] if isinstance(a, SweepSpec) else a[i])
                 for (name, a), i in zip(axes.items(), index)}
        try:
            if bindings is None:  # once: what the names mean does not depend on the values
                bindings = bind(program, {**(values or {}), **point}, output,
                                option={**{n: option if isinstance(option, str) else option.get(n, "--set")
                                           for n in values or {}}, **dict.fromkeys(grid, "--sweep")})
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


def refuse_given(name: str, values: Mapping[str, float] | None, option: str | Mapping[str, str] = "--set") -> None:
    """A name both swept and given a value is refused: one of the two would be dropped."""
    if name in (values or {}):
        given = option if isinstance(option, str) else option.get(name, "--set")
        raise GradcliError(f"--sweep {name}: {name} is also given with {given}; give it one way")


def run_sweep(program: Program, grid: Mapping[str, Any], values: Mapping[str, float] | None = None,
              output: str | None = None, limits: Limits | None = None, as_json: bool = False,
              option: str | Mapping[str, str] = "--set") -> SweepResult:
    """``sweep`` of ``program`` (parsed) over ``grid``, other variables from ``values`` or the program.

    With ``limits``, a sweep that may need more memory than its limit is refused before it runs.
    A name both swept and given a value is refused: one of the two would be dropped.
    """
    for name in grid:
        refuse_given(name, values, option)
    return sweep(evaluate_on_grid(program, grid, values, output, option), grid, limits, as_json)
