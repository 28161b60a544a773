// The value and gradient of a gradcli program (c), written by gradcli 0.1.0.
// Do not edit: generated from the program:
//   x = 0.5; w = 2; y = tanh(w * x) + x**2
// output: y
// parameters, in order: x, w
// at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0, at their jumps too)
// domain errors give NaN or inf (no errno checks)

#include <math.h>

double value_and_grad(double x, double w, double grad[2]) {
    const double _t1 = tanh(w * x);
    const double _t2 = _t1 + x * x;
    const double _t3 = 1.0 - _t1 * _t1;
    const double _t4 = _t3 * x;
    const double _t5 = x + x + _t3 * w;
    grad[0] = _t5;
    grad[1] = _t4;
    return _t2;
}
