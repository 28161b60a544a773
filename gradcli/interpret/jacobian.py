"""--of given more than once: the Jacobian, every output's gradient over the inputs.

The program is bound once per output (the output is part of the bindings),
built and differentiated; row i holds d(output i)/d(input) for every input,
by reverse mode, one backward pass per output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..bindings import bind
from ..errors import GradcliError, UnknownNameError
from ..language.parser import Program
from ..limits import Meter
from .program import Result, differentiate

if TYPE_CHECKING:
    from .check import Check
    from .symbolic import Derivatives


class Jacobian:
    """Rows outputs, columns inputs; with the Results, formulas and check that went into it."""

    def __init__(self, outputs: list[str], inputs: list[str], results: list[Result],
                 derivatives: list[Derivatives], check: Check | None) -> None:
        self.outputs = outputs
        self.inputs = inputs
        #: one per output (none when the program has no values: formulas only)
        self.results = results
        self.derivatives = derivatives
        self.check = check

    @property
    def values(self) -> dict[str, float]:
        return {r.output_name: r.value for r in self.results}

    @property
    def rows(self) -> dict[str, dict[str, float]]:
        """d(output)/d(input) for every output and input."""
        return {r.output_name: {name: v.grad for name, v in r.inputs.items()} for r in self.results}


def jacobian(program: Program, values: Mapping[str, float], outputs: list[str], symbolic: bool = False,
             check: bool = False, atol: float = 1e-5, rtol: float = 1e-3, meter: Meter | None = None, *,
             expand: bool = False, option: str | Mapping[str, str] = "--set") -> Jacobian:
    """The Jacobian of ``outputs`` (variables of ``program``) over its inputs.

    ``symbolic`` adds each output's derivatives as formulas (then a program
    without values gives formulas only), written in names shared by all the
    outputs (in the inputs alone with ``expand``); ``check`` checks every entry against
    central differences. ``meter`` is charged a pass over the graph per output.
    """
    seen = set()
    for name in outputs:
        if name in seen:
            raise GradcliError(f"--of {name} is given more than once; give each output once")
        seen.add(name)
    results: list[Result] = []
    derivatives: list[Derivatives] = []
    algebra = None  # one for every output's formulas: their names mean one thing
    for name in outputs:
        try:
            b = bind(program, values, name, option=option)
        except UnknownNameError:
            if not symbolic or check:
                raise
            b = bind(program, values, name, free=True, option=option)  # formulas only: a name without a value is a symbol
        else:
            if meter is not None:
                meter.spend(2 * len(b))  # a forward and a backward pass
            results.append(differentiate(b))
        if symbolic:
            from .symbolic import derivatives as formulas

            d = formulas(b, expand=expand, algebra=algebra)
            algebra = d.algebra
            derivatives.append(d)
    inputs = list(b.inputs)
    found: Check | None = None
    if check:
        from .check import Check, evaluations, gradient_check

        rows = []
        for r in results:
            if meter is not None:
                meter.spend(evaluations(r))
            rows += [row.of(r.output_name) for row in gradient_check(r, atol, rtol).rows]
        found = Check(rows, atol, rtol)
    return Jacobian(list(outputs), inputs, results, derivatives, found)
