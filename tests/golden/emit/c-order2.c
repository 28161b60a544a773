// The value and gradient of a gradcli program (c), written by gradcli 0.1.0.
// Do not edit: generated from the program:
//   x = 0.5; w = 2; y = tanh(w * x) + x**2
// output: y
// parameters, in order: x, w
// order 2: also the Hessian, row-major over the parameters
// at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument
// domain errors give NaN or inf (no errno checks)

#include <math.h>

static inline double gc_step(double x) { return x > 0 ? 1.0 : 0.0; }
static inline double gc_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
static inline double gc_relu(double x) { return x > 0 ? x : 0.0; }
static inline double gc_max(double x, double y) { return x >= y ? x : y; }
static inline double gc_min(double x, double y) { return x <= y ? x : y; }
static inline double gc_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double z = exp(x); /* two branches, so that exp never overflows */
    return z / (1.0 + z);
}

double value_and_grad(double x, double w, double grad[2], double hess[4]) {
    const double _t2 = w * x;
    const double _t3 = tanh(_t2);
    const double _t5 = pow(x, 2.0);
    const double _t6 = _t3 + _t5;
    const double _t8 = pow(x, 1.0);
    const double _t9 = 2.0 * _t8;
    const double _t10 = pow(_t3, 2.0);
    const double _t11 = 1.0 - _t10;
    const double _t12 = _t11 * x;
    const double _t13 = _t11 * w;
    const double _t14 = _t9 + _t13;
    const double _t17 = w * (-1.0);
    const double _t18 = pow(_t3, 1.0);
    const double _t19 = 2.0 * _t18;
    const double _t20 = _t17 * _t19;
    const double _t21 = pow(x, 0.0);
    const double _t22 = 2.0 * _t21;
    const double _t23 = _t20 * _t11;
    const double _t24 = _t23 * x;
    const double _t25 = _t23 * w;
    const double _t26 = _t11 + _t24;
    const double _t27 = _t22 + _t25;
    const double _t28 = x * (-1.0);
    const double _t29 = _t28 * _t19;
    const double _t30 = _t29 * _t11;
    const double _t31 = _t30 * x;
    grad[0] = _t14;
    grad[1] = _t12;
    hess[0] = _t27;
    hess[1] = _t26;
    hess[2] = _t26;
    hess[3] = _t31;
    return _t6;
}
