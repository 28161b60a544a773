# The value and gradient of a gradcli program (python), written by gradcli 0.1.0.
# Do not edit: generated from the program:
#   x = 0.5; w = 2; y = tanh(w * x) + x**2
# output: y
# parameters, in order: x, w
# at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument
# domain errors raise, as gradcli reports them: ZeroDivisionError, ValueError (math.log of 0, math.pow(0, -1)), OverflowError (math.exp); an overflowing product gives inf

from __future__ import annotations

import math


def _step(x):
    return 1.0 if x > 0 else 0.0


def _sign(x):
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _relu(x):
    return x if x > 0 else 0.0


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _max(x, y):
    return x if x >= y else y


def _min(x, y):
    return x if x <= y else y


def value_and_grad(x: float, w: float) -> tuple[float, tuple[float, ...]]:
    _t2 = w * x
    _t3 = math.tanh(_t2)
    _t5 = math.pow(x, 2.0)
    _t6 = _t3 + _t5
    _t8 = math.pow(x, 1.0)
    _t9 = 2.0 * _t8
    _t10 = math.pow(_t3, 2.0)
    _t11 = 1.0 - _t10
    _t12 = _t11 * x
    _t13 = _t11 * w
    _t14 = _t9 + _t13
    return _t6, (_t14, _t12,)
