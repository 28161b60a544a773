// The value and gradient of a gradcli program (javascript), written by gradcli 0.1.0.
// Do not edit: generated from the program:
//   x = 0.5; w = 2; y = tanh(w * x) + x**2
// output: y
// parameters, in order: x, w
// order 2: also the Hessian, row-major over the parameters
// at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0, at their jumps too)
// domain errors give NaN or Infinity

export function valueAndGrad(x, w) {
  const _t1 = Math.tanh(w * x);
  const _t2 = _t1 + x * x;
  const _t3 = 1.0 - _t1 * _t1;
  const _t4 = _t3 * x;
  const _t5 = x + x + _t3 * w;
  const _t6 = -w * _t1;
  const _t7 = (_t6 + _t6) * _t3;
  const _t8 = _t3 + _t7 * x;
  const _t9 = 2.0 + _t7 * w;
  const _t10 = -x * _t1;
  const _t11 = (_t10 + _t10) * _t3 * x;
  return [_t2, [_t5, _t4], [[_t9, _t8], [_t8, _t11]]];
}
