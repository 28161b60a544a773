// The value and gradient of a gradcli program (c), written by gradcli 0.1.0.
// Do not edit: generated from the program:
//   x = 0.5; w = 2; y = tanh(w * x) + x**2
// output: y
// parameters, in order: x, w
// order 2: also the Hessian, row-major over the parameters
// at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0, at their jumps too)
// domain errors give NaN or inf (no errno checks)

#include <math.h>

double value_and_grad(double x, double w, double grad[2], double hess[4]) {
    const double _t1 = tanh(w * x);
    const double _t2 = _t1 + x * x;
    const double _t3 = 1.0 - _t1 * _t1;
    const double _t4 = _t3 * x;
    const double _t5 = x + x + _t3 * w;
    const double _t6 = -w * _t1;
    const double _t7 = (_t6 + _t6) * _t3;
    const double _t8 = _t3 + _t7 * x;
    const double _t9 = 2.0 + _t7 * w;
    const double _t10 = -x * _t1;
    const double _t11 = (_t10 + _t10) * _t3 * x;
    grad[0] = _t5;
    grad[1] = _t4;
    hess[0] = _t9;
    hess[1] = _t8;
    hess[2] = _t8;
    hess[3] = _t11;
    return _t2;
}
