# The value and gradient of a gradcli program (numpy), written by gradcli 0.1.0.
# Do not edit: generated from the program:
#   x = 0.5; w = 2; y = tanh(w * x) + x**2
# output: y
# parameters, in order: x, w
# order 2: also the Hessian, row-major over the parameters
# at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument
# domain errors give NaN (log of a negative number, sqrt(-1)) or inf (division by zero), with NumPy's RuntimeWarning

from __future__ import annotations

import numpy as np


def _sigmoid(x):
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _shaped(v, shape):
    return np.array(np.broadcast_to(v, shape), dtype=np.float64)


def value_and_grad(x: np.ndarray | float, w: np.ndarray | float) -> tuple[np.ndarray, tuple[np.ndarray, ...], tuple[tuple[np.ndarray, ...], ...]]:
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    _shape = np.broadcast(x, w, 0.0).shape
    _t2 = w * x
    _t3 = np.tanh(_t2)
    _t5 = np.power(x, 2.0)
    _t6 = _t3 + _t5
    _t8 = np.power(x, 1.0)
    _t9 = 2.0 * _t8
    _t10 = np.power(_t3, 2.0)
    _t11 = 1.0 - _t10
    _t12 = _t11 * x
    _t13 = _t11 * w
    _t14 = _t9 + _t13
    _t17 = w * (-1.0)
    _t18 = np.power(_t3, 1.0)
    _t19 = 2.0 * _t18
    _t20 = _t17 * _t19
    _t21 = np.power(x, 0.0)
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
    return _shaped(_t6, _shape), (_shaped(_t14, _shape), _shaped(_t12, _shape),), ((_shaped(_t27, _shape), _shaped(_t26, _shape),), (_shaped(_t26, _shape), _shaped(_t31, _shape),),)
