# The value and gradient of a gradcli program (python), written by gradcli 0.1.0.
# Do not edit: generated from the program:
#   x = 0.5; w = 2; y = tanh(w * x) + x**2
# output: y
# parameters, in order: x, w
# at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0, at their jumps too)
# domain errors raise, as gradcli reports them: ZeroDivisionError, ValueError (math.log of 0, math.pow(0, -1)), OverflowError (math.exp); an overflowing product gives inf

from __future__ import annotations

import math


def value_and_grad(x: float, w: float) -> tuple[float, tuple[float, ...]]:
    _t1 = math.tanh(w * x)
    _t2 = _t1 + x * x
    _t3 = 1.0 - _t1 * _t1
    _t4 = _t3 * x
    _t5 = x + x + _t3 * w
    return _t2, (_t5, _t4,)
