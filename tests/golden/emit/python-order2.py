# The value and gradient of a gradcli program (python), written by gradcli 0.1.0.
# Do not edit: generated from the program:
#   x = 0.5; w = 2; y = tanh(w * x) + x**2
# output: y
# parameters, in order: x, w
# order 2: also the Hessian, row-major over the parameters
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


def value_and_grad(x: float, w: float) -> tuple[float, tuple[float, ...], tuple[tuple[float, ...], ...]]:
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
    _t17 = w * (-1.0)
    _t18 = math.pow(_t3, 1.0)
    _t19 = 2.0 * _t18
    _t20 = _t17 * _t19
    _t21 = math.pow(x, 0.0)
    _t22 = 2.0 * _t21
    _t23 = _t20 * _t11
    _t24 = _t23 * x
    _t25 = _t23 * w
    _t26 = _t11 + _t24
    _t27 = _t22 + _t25
    _t28 = x * (-1.0)
    _t29 = _t28 * _t19
    _t30 = _t29 * _t11
    _t31 = _t30 * x
    return _t6, (_t14, _t12,), ((_t27, _t26,), (_t26, _t31,),)
