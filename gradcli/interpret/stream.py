"""A sweep of any size in bounded memory: the grid cut into chunks, each run on the tape.

The grid is never held whole. A chunk is a box of it: one point along the
axes before some axis, a range along that axis, every point of the axes
after it; so its points, row after row, are a stretch of the grid's rows
(the last axis varies fastest), and the chunks in turn give every point once,
in order. Each chunk is a sweep of its own (``run_tape``): its numbers are
those of the whole grid swept at once, bit for bit, and its undefined points
add up to the whole sweep's.

The memory budget bounds a chunk, not the grid: a chunk holds at most
``chunk`` points, as many as the budget allows up to CHUNK_POINTS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

from ..errors import GradcliError
from ..language.parser import Program
from ..limits import Limits
from .sweep import (
    SweepResult,
    SweepSpec,
    _numpy,
    evaluate_on_grid,
    header,
    memory_needed,
    refuse_given,
    run_tape,
)
from .tape import Tape, compile_tape

if TYPE_CHECKING:
    import numpy

#: points in a chunk at most: big enough that NumPy's calls cost little each, small enough to stay in cache
CHUNK_POINTS = 1 << 16
#: bytes a number of a chunk may hold while it is written out as text (a float object, its digits)
TEXT_NUMBER = 100


@dataclass
class Plan:
    """A sweep of ``tape`` over the grid of ``specs``, ``chunk`` points at a time at most."""

    tape: Tape
    specs: dict[str, SweepSpec]
    chunk: int
    #: the chunks: the axis cut into ranges, the rows of it per chunk, the chunks per point of the axes before
    _split: tuple[int, int, int] = field(init=False)

    def __post_init__(self) -> None:
        shape = self.shape
        axis, inner = len(shape) - 1, 1
        while axis > 0 and inner * shape[axis] <= self.chunk:
            inner *= shape[axis]
            axis -= 1
        rows = max(1, min(shape[axis], self.chunk // inner))
        self._split = (axis, rows, -(-shape[axis] // rows))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(spec.count for spec in self.specs.values())

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def output_name(self) -> str:
        return self.tape.output_name

    def header(self) -> list[str]:
        return header(self.tape.output_name, self.specs, self.tape.inputs)

    def held(self) -> dict[str, float]:
        """The input variables not swept, at the values they have in every point."""
        return {n: self.tape.code[s].value for n, s in self.tape.inputs.items() if n not in self.specs}

    def ends(self) -> dict[str, tuple[float, float, int]]:
        """Each swept variable's first and last points and its count."""
        return {n: (float(s.values(0, 1)[0]), float(s.values(s.count - 1, s.count)[0]), s.count)
                for n, s in self.specs.items()}

    def __len__(self) -> int:
        axis, _, per_outer = self._split
        return math.prod(self.shape[:axis]) * per_outer

    def box(self, j: int) -> dict[str, numpy.ndarray]:
        """Chunk ``j``'s points along each axis (a box of the grid)."""
        np = _numpy()
        axis, rows, per_outer = self._split
        outer, r = divmod(j, per_outer)
        shape = self.shape
        index = np.unravel_index(outer, shape[:axis]) if axis else ()
        axes = {}
        for k, (name, spec) in enumerate(self.specs.items()):
            if k < axis:
                lo, hi = int(index[k]), int(index[k]) + 1
            elif k == axis:
                lo, hi = r * rows, min((r + 1) * rows, shape[k])
            else:
                lo, hi = 0, shape[k]
            axes[name] = spec.values(lo, hi)
        return axes

    def run(self, j: int) -> SweepResult:
        """Chunk ``j``, swept."""
        return run_tape(_numpy(), self.tape, self.box(j))

    def sample(self, most: int) -> dict[str, numpy.ndarray]:
        """A grid of at most about ``most`` points of this one, for what needs every point at once
        (a plot): every k-th point of each axis, and its last; the whole grid when it is that small."""
        np = _numpy()
        per_axis = max(2, int(most ** (1 / len(self.specs))))
        grid = {}
        for name, spec in self.specs.items():
            step = max(1, -(-(spec.count - 1) // (per_axis - 1)))
            indices = np.arange(0, spec.count, step)
            if indices[-1] != spec.count - 1:
                indices = np.append(indices, spec.count - 1)
            grid[name] = spec.at(indices)
        return grid


def plan_sweep(program: Program, specs: Sequence[SweepSpec], values: Mapping[str, float] | None = None,
               output: str | None = None, limits: Limits | None = None, as_json: bool = False,
               option: str | Mapping[str, str] = "--set") -> Plan:
    """The sweep of ``program`` over the grid of ``specs``, planned in chunks that ``limits`` allow.

    Refused before any work: a name swept twice or also given a value, a range wider than a
    float, a program undefined at every point tried, and a budget too small for one point.
    """
    grid: dict[str, SweepSpec] = {}
    for spec in specs:
        if spec.name in grid:
            raise GradcliError(f"invalid value for --sweep: {spec.name} is swept twice")
        refuse_given(spec.name, values, option)
        spec.check()
        grid[spec.name] = spec
    tape = compile_tape(evaluate_on_grid(program, grid, values, output, option))
    for name in grid:
        if name not in tape.inputs:
            known = ", ".join(tape.inputs) or "none"
            raise GradcliError(f"--sweep {name}: the program has no input '{name}' (inputs: {known})")
    limits = limits or Limits()
    columns = len(grid) + 1 + len(tape.inputs)
    per_point = memory_needed(tape, 1, as_json) + columns * TEXT_NUMBER
    nodes = len(tape.code)
    limits.check("memory", per_point, f"a point of --sweep over {nodes:,} node{'s' * (nodes != 1)}")
    return Plan(tape, grid, max(1, min(CHUNK_POINTS, limits["memory"] // per_point)))


def chunk_ends(result: SweepResult, half: int) -> list[tuple[float, ...]]:
    """The first and last ``half`` rows of ``result`` (every row when there are no more than
    twice as many): what a table of the whole sweep can show of this chunk."""
    columns = result.columns()
    n = len(columns[0])
    if n <= 2 * half:
        return list(zip(*(c.tolist() for c in columns)))
    return [*zip(*(c[:half].tolist() for c in columns)), *zip(*(c[n - half:].tolist() for c in columns))]
