// The value and gradient of a gradcli program (javascript), written by gradcli 0.1.0.
// Do not edit: generated from the program:
//   x = 0.5; w = 2; y = tanh(w * x) + x**2
// output: y
// parameters, in order: x, w
// order 2: also the Hessian, row-major over the parameters
// at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument
// domain errors give NaN or Infinity

function gc_step(x) { return x > 0 ? 1.0 : 0.0; }
function gc_sign(x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
function gc_relu(x) { return x > 0 ? x : 0.0; }
function gc_max(x, y) { return x >= y ? x : y; }
function gc_min(x, y) { return x <= y ? x : y; }
function gc_sigmoid(x) {
  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
  const z = Math.exp(x); // two branches, so that exp never overflows
  return z / (1.0 + z);
}

export function valueAndGrad(x, w) {
  const _t2 = w * x;
  const _t3 = Math.tanh(_t2);
  const _t5 = Math.pow(x, 2.0);
  const _t6 = _t3 + _t5;
  const _t8 = Math.pow(x, 1.0);
  const _t9 = 2.0 * _t8;
  const _t10 = Math.pow(_t3, 2.0);
  const _t11 = 1.0 - _t10;
  const _t12 = _t11 * x;
  const _t13 = _t11 * w;
  const _t14 = _t9 + _t13;
  const _t17 = w * (-1.0);
  const _t18 = Math.pow(_t3, 1.0);
  const _t19 = 2.0 * _t18;
  const _t20 = _t17 * _t19;
  const _t21 = Math.pow(x, 0.0);
  const _t22 = 2.0 * _t21;
  const _t23 = _t20 * _t11;
  const _t24 = _t23 * x;
  const _t25 = _t23 * w;
  const _t26 = _t11 + _t24;
  const _t27 = _t22 + _t25;
  const _t28 = x * (-1.0);
  const _t29 = _t28 * _t19;
  const _t30 = _t29 * _t11;
  const _t31 = _t30 * x;
  return [_t6, [_t14, _t12], [[_t27, _t26], [_t26, _t31]]];
}
