# The value and gradient of a gradcli program (numpy), written by gradcli 0.1.0.
# Do not edit: generated from the program:
#   x = 0.5; w = 2; y = tanh(w * x) + x**2
# output: y
# parameters, in order: x, w
# order 2: also the Hessian, row-major over the parameters
# at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0, at their jumps too)
# domain errors give NaN (log of a negative number, sqrt(-1)) or inf (division by zero), with NumPy's RuntimeWarning

from __future__ import annotations

import numpy as np


def _shaped(v, shape):
    # a new array of the inputs' shape (v may be an input, a number or another result);
    # [()] makes a 0-d array a float (np.float64): floats in, floats out
    return np.array(np.broadcast_to(v, shape), dtype=np.float64)[()]


def _fresh(v, shape):
    # v was computed here and is returned once: kept as it is when it has the inputs' shape
    return v[()] if isinstance(v, np.ndarray) and v.shape == shape else _shaped(v, shape)


def value_and_grad(x: np.ndarray | float, w: np.ndarray | float) -> tuple[np.ndarray | float, tuple[np.ndarray | float, ...], tuple[tuple[np.ndarray | float, ...], ...]]:
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    _shape = np.broadcast(x, w, 0.0).shape
    _t1 = np.tanh(w * x)
    _t2 = _t1 + x * x
    _t3 = 1.0 - _t1 * _t1
    _t4 = _t3 * x
    _t5 = x + x + _t3 * w
    _t6 = -w * _t1
    _t7 = (_t6 + _t6) * _t3
    del _t6
    _t8 = _t3 + _t7 * x
    _t9 = 2.0 + _t7 * w
    del _t7
    _t10 = -x * _t1
    del _t1
    _t11 = (_t10 + _t10) * _t3 * x
    del _t3, _t10
    return _fresh(_t2, _shape), (_fresh(_t5, _shape), _fresh(_t4, _shape),), ((_fresh(_t9, _shape), _fresh(_t8, _shape),), (_shaped(_t8, _shape), _fresh(_t11, _shape),),)
