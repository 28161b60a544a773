"""Sweep benchmark: gradcli's --sweep engine against hand-written NumPy.

What it measures
    A 20-op program of one swept variable ``x`` and two held ones ``a``, ``b``:

        u = a * x + b;  h = tanh(u);  g = sigmoid(b * x - a);  r = relu(x - 0.2)
        q = x * x;  t = exp(-q) * sin(3 * x);  y = h * g + r + t + log(1 + q)

    at ``--points`` points of x (a linspace), the value and the three gradients
    dy/dx, dy/da, dy/db at every point, three ways:

    sweep       gradcli.interpret.sweep.sweep(tape, grid): the tape compiled once, then run forward
                (the op table's vector column) and backward (its derivative formulas on arrays)
    run_sweep   gradcli.interpret.sweep.run_sweep(program, grid): the same plus evaluate_on_grid and
                compile_tape, as the CLI calls it (the program parsed once, outside the timing)
    numpy       the same function and its derivatives written by hand in NumPy, sharing
                subexpressions as a person would (tanh' from tanh, sigmoid' from sigmoid, ...)

    Interleaved repetitions (the order rotates), medians of wall time and of
    this process's CPU time (steadier when other processes share the cores),
    and the ratio of each to hand-written NumPy. Honesty check: gradcli's
    values and gradients must agree with the hand-written ones to 1e-12
    relative (plus 1e-15 absolute).

    Most of the time of both is memory: every new array of a million doubles
    is 8 MB of fresh pages for the kernel to fault in (count them with
    ``--faults``), so a sweep lets go of each array as soon as it can.

How to run
    python benchmarks/sweep.py                       # 1,000,000 points, 15 repetitions (~10 s)
    python benchmarks/sweep.py --points 100000 --repeats 31
    python benchmarks/sweep.py --faults              # also the page faults per call
    python benchmarks/sweep.py --profile             # cProfile of one sweep, then exit

Needs: gradcli installed (pip install -e .) and numpy.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from typing import Any, Callable

import numpy as np
from _common import fmt_ratio, fmt_time, median, print_table, profile_top

PROGRAM = """\
a = 1.5; b = -0.3
u = a * x + b
h = tanh(u)
g = sigmoid(b * x - a)
r = relu(x - 0.2)
q = x * x
t = exp(-q) * sin(3 * x)
y = h * g + r + t + log(1 + q)
"""
OPS = 20  # the ops in PROGRAM (leaves not counted); checked against the tape below


def by_hand(x: np.ndarray, a: float, b: float) -> dict[str, np.ndarray]:
    """PROGRAM's value and gradients, written by hand."""
    h = np.tanh(a * x + b)
    g = 1.0 / (1.0 + np.exp(-(b * x - a)))
    q = x * x
    e = np.exp(-q)
    s3, c3 = np.sin(3 * x), np.cos(3 * x)
    y = h * g + np.maximum(x - 0.2, 0.0) + e * s3 + np.log(1 + q)
    dh = (1 - h * h) * g  # d(h*g)/du
    dg = h * (g * (1 - g))  # d(h*g)/dv, v = b*x - a
    dx = dh * a + dg * b + (x > 0.2) + e * (3 * c3 - 2 * x * s3) + 2 * x / (1 + q)
    return {"value": y, "x": dx, "a": dh * x - dg, "b": dh + dg * x}


def compare(ref: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> tuple[float, bool]:
    """(largest relative difference, whether all agree to 1e-12 relative plus 1e-15 absolute)."""
    worst, ok = 0.0, True
    for k, r in ref.items():
        g = got[k]
        err = np.abs(g - r)
        scale = np.maximum(np.abs(g), np.abs(r))
        ok = ok and bool(np.all(err <= 1e-12 * scale + 1e-15))
        with np.errstate(invalid="ignore", divide="ignore"):
            worst = max(worst, float(np.nanmax(np.where(err > 0, err / scale, 0.0))))
    return worst, ok


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed(fn: Callable[[], Any]) -> tuple[tuple[float, float, int], Any]:
    """((wall s, CPU s, minor page faults), fn's result)."""
    gc.collect()
    f0, c0, t0 = minor_faults(), time.process_time(), time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0, time.process_time() - c0, minor_faults() - f0), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000, help="points of x (default 1000000)")
    ap.add_argument("--repeats", type=int, default=15, help="interleaved repetitions (default 15)")
    ap.add_argument("--faults", action="store_true", help="also show minor page faults per call")
    ap.add_argument("--profile", action="store_true", help="profile one sweep (cProfile) and exit")
    args = ap.parse_args()

    from gradcli.interpret.sweep import compile_tape, evaluate_on_grid, run_sweep, sweep
    from gradcli.language.parser import parse

    x = np.linspace(-3.0, 3.0, args.points)
    grid = {"x": x}
    program = parse(PROGRAM)
    (t_compile, _, _), tape = timed(lambda: compile_tape(evaluate_on_grid(program, grid)))
    assert sum(1 for ins in tape.code if ins.inputs) == OPS, "PROGRAM is no longer 20 ops"

    def gradcli_sweep() -> dict[str, np.ndarray]:
        res = sweep(tape, grid)
        return {"value": res.values, **res.gradients}

    def gradcli_run_sweep() -> dict[str, np.ndarray]:
        res = run_sweep(program, grid)
        return {"value": res.values, **res.gradients}

    impls: list[tuple[str, Callable[[], dict[str, np.ndarray]]]] = [
        ("sweep", gradcli_sweep),
        ("run_sweep", gradcli_run_sweep),
        ("numpy", lambda: by_hand(x, 1.5, -0.3)),
    ]
    if args.profile:
        profile_top(gradcli_sweep, limit=20)
        return

    for _, fn in impls:
        fn()  # warm up: first-touch page faults, NumPy's dispatch caches
    times: dict[str, list[tuple[float, float, int]]] = {name: [] for name, _ in impls}
    first: dict[str, dict[str, np.ndarray]] = {}
    for rep in range(args.repeats):
        k = rep % len(impls)
        for name, fn in impls[k:] + impls[:k]:
            t, out = timed(fn)
            times[name].append(t)
            first.setdefault(name, out)
            del out

    wall = {name: median(w for w, _, _ in ts) for name, ts in times.items()}
    cpu = {name: median(c for _, c, _ in ts) for name, ts in times.items()}
    rows = []
    for name, _ in impls:
        err, ok = compare(first["numpy"], first[name])
        row = [name, fmt_time(wall[name]), f"{wall[name] / args.points * 1e9:.0f} ns", fmt_ratio(wall[name] / wall["numpy"]),
               fmt_time(cpu[name]), fmt_ratio(cpu[name] / cpu["numpy"])]
        if args.faults:
            row.append(f"{median(f for _, _, f in times[name]):,.0f}")
        rows.append(row + [f"ok (max rel {err:.0e})" if ok else f"DIFFER ({err:.1e})"])
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}; {args.repeats} repetitions, interleaved;"
          f" medians; evaluate_on_grid + compile_tape once: {fmt_time(t_compile)}")
    headers = ["implementation", "wall", "per point", "wall vs numpy", "CPU", "CPU vs numpy"]
    print_table(headers + (["page faults"] if args.faults else []) + ["value and gradients vs numpy"], rows,
                title=f"{OPS}-op program, {args.points:,} points, value + 3 gradients")


if __name__ == "__main__":
    main()
