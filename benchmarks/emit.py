"""Emit benchmark: the code gradcli writes (views.source) against hand-written code, the engine and SymPy.

What it measures
    The value and both gradients of PROGRAM (20 ops of two inputs, a small neuron with
    a log term), x over [-3, 3], w held at 0.7; each table's first row is its baseline:

    1. NumPy at --points points: hand-written NumPy; the emitted NumPy; the hand-written
       NumPy again as an expert would tune it, every array reused in place once spent
       (out=, *=); run_sweep (what --sweep runs). Goal: emitted NumPy within 1.1× of
       hand-written. The minor page faults per call (median) are shown: memory the
       kernel hands over anew, which costs as much as the arithmetic at this size.
    2. C per point: the emitted C, and SymPy's ccode of diff (as is, and after
       sympy.cse), each compiled (cc -O2 -std=c99 ... -lm) into a driver that loops
       over --points points, times itself (clock_gettime) and prints ns/point and a
       checksum (w is read from a volatile at every point: nothing is hoisted out of
       the loop); the engine, interpret.program.run per point, on --sample points.
    3. Python per call, on --sample points: the emitted Python (exec'd); sympy.lambdify
       (module "math", as is and with cse=True); run (parsed once); evaluate (parsed
       every call, on a tenth of the sample). Goal: run 50× the emitted or more.

    First every contender's value and gradients at the --sample points must agree with
    the engine's to 1e-9 relative. Then interleaved repetitions (the order rotates),
    medians of wall time. Compare ratios between runs, not raw times.

How to run
    python benchmarks/emit.py                        # 1,000,000 points, 15 repetitions (~1 min)
    python benchmarks/emit.py --points 100000 --repeats 31

Needs: gradcli installed (pip install -e .), numpy, sympy, and a C compiler as cc.
"""

from __future__ import annotations

import argparse
import gc
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sympy
from _common import fmt_ratio, fmt_time, median, print_table

PROGRAM = """\
z = w * x + 0.5
h = tanh(z)
g = sigmoid(x - w)
p = 1 + x * x + w * w
l = log(p)
e = exp(-(x * x) / 2)
y = h * g + l * e + w * h * x
"""
OPS = 20  # the ops in PROGRAM (leaves not counted); checked against the bindings below
W = 0.7  # w, held
CC = ["cc", "-O2", "-std=c99"]

Results = dict[str, np.ndarray]  # "value" and one gradient per input name


def by_hand(x: np.ndarray, w: float) -> Results:
    """PROGRAM's value and gradients in NumPy, written by hand."""
    u, q = w * x, x * x
    h = np.tanh(u + 0.5)
    g = 1.0 / (1.0 + np.exp(w - x))
    p = 1.0 + q + w * w
    l = np.log(p)
    e = np.exp(-0.5 * q)
    le, ep = l * e, e / p
    dh = (1.0 - h * h) * (g + u)  # d(h*g + w*h*x)/dz
    dg = h * (g * (1.0 - g))  # d(h*g)/d(x - w)
    y = h * g + le + u * h
    return {"value": y, "x": dh * w + dg + w * h + x * (2.0 * ep - le), "w": dh * x - dg + h * x + 2.0 * w * ep}


def by_hand_in_place(x: np.ndarray, w: float) -> Results:
    """by_hand again, by an expert: each array reused in place (``out=``, ``*=``) once its value is spent."""
    u, q = w * x, x * x
    h = u + 0.5
    np.tanh(h, out=h)
    g = w - x
    np.exp(g, out=g)
    g += 1.0
    np.reciprocal(g, out=g)
    p = q + (1.0 + w * w)
    le = np.log(p)
    ep = np.exp(np.multiply(q, -0.5, out=q), out=q)  # e; q is spent
    le *= ep
    ep /= p  # e / p; e is spent
    dh = np.multiply(h, h, out=p)  # p is spent
    np.subtract(1.0, dh, out=dh)
    dh *= np.add(g, u)
    dg = np.subtract(1.0, g)
    dg *= g
    dg *= h
    uh = np.multiply(u, h, out=u)  # u is spent
    y = h * g
    y += le
    y += uh
    dx = dh * w
    dx += dg
    dx += np.multiply(h, w, out=uh)  # uh is spent
    le = np.subtract(np.multiply(ep, 2.0), le, out=le)  # 2 e / p - l e
    le *= x
    dx += le
    dw = np.multiply(dh, x, out=dh)  # dh is spent
    dw -= dg
    dw += np.multiply(h, x, out=h)  # h is spent
    ep *= 2.0 * w
    dw += ep
    return {"value": y, "x": dx, "w": dw}


def sympy_derivatives(names: list[str]) -> tuple[list[sympy.Symbol], list[sympy.Expr]]:
    """PROGRAM in SymPy: its symbols (in ``names`` order) and [value, d/d(names[0]), ...]."""
    s = {n: sympy.Symbol(n) for n in names}
    x, w = s["x"], s["w"]
    h = sympy.tanh(w * x + 0.5)
    g = 1 / (1 + sympy.exp(-(x - w)))
    l = sympy.log(1 + x * x + w * w)
    e = sympy.exp(-(x * x) / 2)
    y = h * g + l * e + w * h * x
    return [s[n] for n in names], [y] + [sympy.diff(y, s[n]) for n in names]


def sympy_c(names: list[str], exprs: list[sympy.Expr], cse: bool) -> str:
    """``double value_and_grad(<names>, double grad[N])`` from SymPy's ccode (the emitted C's signature)."""
    body = []
    if cse:
        subs, exprs = sympy.cse(exprs)
        body = [f"    const double {s} = {sympy.ccode(v)};" for s, v in subs]
    body += [f"    grad[{i}] = {sympy.ccode(d)};" for i, d in enumerate(exprs[1:])]
    signature = ", ".join(f"double {n}" for n in names) + f", double grad[{len(names)}]"
    return "\n".join(["#include <math.h>", f"double value_and_grad({signature}) {{", *body,
                      f"    return {sympy.ccode(exprs[0])};", "}", ""])


DRIVER = r"""#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
@FUNCTION@
int main(int argc, char **argv) {
    long n = atol(argv[1]), i;
    int check = argc > 2; /* also print every point's value and gradient */
    volatile double w_held = @W@; /* read every point: nothing of w is hoisted out of the loop */
    double grad[2], sum = 0.0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < n; i++) {
        double x = -3.0 + 6.0 * i / (n - 1), w = w_held;
        double y = value_and_grad(@ARGS@, grad);
        sum += y + grad[0] + grad[1]; /* the checksum: the loop's results are used */
        if (check) printf("%.17g %.17g %.17g\n", y, grad[0], grad[1]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.3f %.17g\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, sum);
    return 0;
}
"""


def compile_driver(function: str, names: list[str], path: Path) -> Path:
    """The driver around ``function``, compiled: ``exe N [check]``."""
    path.with_suffix(".c").write_text(
        DRIVER.replace("@FUNCTION@", function).replace("@W@", repr(W)).replace("@ARGS@", ", ".join(names)))
    subprocess.run([*CC, "-o", str(path), str(path.with_suffix(".c")), "-lm"], check=True)
    return path


def run_driver(exe: Path, n: int, check: bool = False) -> list[str]:
    """The driver's output lines: with ``check``, value and gradient per point; last, ns/point and checksum."""
    return subprocess.run([str(exe), str(n)] + (["check"] if check else []), check=True,
                          capture_output=True, text=True).stdout.splitlines()


def compare(ref: Results, got: Results) -> str:
    """Whether ``got`` agrees with ``ref`` to 1e-9 relative, and the largest relative difference."""
    worst, ok = 0.0, True
    for k, r in ref.items():
        g = np.asarray(got[k], dtype=np.float64)
        err, scale = np.abs(g - r), np.maximum(np.abs(g), np.abs(r))
        ok = ok and bool(np.all(err <= 1e-9 * scale))
        with np.errstate(invalid="ignore", divide="ignore"):
            worst = max(worst, float(np.nanmax(np.where(err > 0, err / scale, 0.0))))
    return f"ok (max rel {worst:.0e})" if ok else f"DIFFER (max rel {worst:.1e})"


def clock(fn: Callable[[], Any], count: int, faults: list[int] | None = None) -> float:
    """Seconds per point (or call) of one call of ``fn``, which handles ``count`` of them.

    ``faults``: where to append the call's minor page faults (memory the kernel hands the process anew).
    """
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    if faults is not None:
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return seconds / count


def interleaved(timers: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Each timer's median over ``repeats`` rounds, the order rotating every round."""
    names, times = list(timers), {n: [] for n in timers}
    for rep in range(repeats):
        k = rep % len(names)
        for n in names[k:] + names[:k]:
            times[n].append(timers[n]())
    return {n: median(ts) for n, ts in times.items()}


def table(title: str, unit: str, times: dict[str, float], checks: dict[str, str],
          faults: dict[str, list[int]] | None = None) -> None:
    base = next(iter(times))
    rows = [[n, f"{t * 1e9:.1f} ns" if t < 1e-6 else fmt_time(t), fmt_ratio(t / times[base]),
             *([f"{median(faults[n]):,.0f}"] if faults else []), checks[n]] for n, t in times.items()]
    print_table(["contender", unit, f"vs {base}", *(["page faults per call"] if faults else []),
                 "value and gradients vs engine"], rows, title=title)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000, help="points for NumPy and C (default 1000000)")
    ap.add_argument("--repeats", type=int, default=15, help="interleaved repetitions (default 15)")
    ap.add_argument("--sample", type=int, default=2000, help="points per call, and for the checks (default 2000)")
    args = ap.parse_args()

    from gradcli.bindings import bind
    from gradcli.interpret.emit import value_and_grad_ir
    from gradcli.interpret.program import evaluate, run
    from gradcli.interpret.sweep import run_sweep
    from gradcli.language.parser import parse
    from gradcli.views import source

    program = parse(PROGRAM)
    bindings = bind(program, {}, None, free=True)
    assert sum(1 for a in bindings.args if a) == OPS, "PROGRAM is no longer 20 ops"
    t_emit = clock(lambda: value_and_grad_ir(bindings), 1)
    emitted = value_and_grad_ir(bindings)
    names = emitted.inputs  # the parameters, in order
    assert sorted(names) == ["w", "x"]

    def exec_source(text: str) -> Callable[..., Any]:
        namespace: dict[str, Any] = {}
        exec(compile(text, "<emitted>", "exec"), namespace)
        return namespace["value_and_grad"]

    py_emitted, np_emitted = exec_source(source.python(emitted)), exec_source(source.numpy(emitted))
    symbols, exprs = sympy_derivatives(names)
    lambdified = sympy.lambdify(symbols, exprs, "math")
    lambdified_cse = sympy.lambdify(symbols, exprs, "math", cse=True)

    # the sample: the C driver's points for n = --sample, as Python floats; the engine's results there
    n = args.sample
    xs = [-3.0 + 6.0 * i / (n - 1) for i in range(n)]
    calls = [tuple({"x": x, "w": W}[k] for k in names) for x in xs]  # positional, in the parameters' order
    values = [{"x": x, "w": W} for x in xs]
    few = values[: max(1, n // 10)]  # evaluate: a tenth of the sample

    def results(out: list[Any]) -> Results:  # [(value, (grads...))] or [[value, grads...]] -> arrays
        rows = np.array([(o[0], *o[1]) if isinstance(o, tuple) else o for o in out], dtype=np.float64)
        return {"value": rows[:, 0], **{k: rows[:, 1 + i] for i, k in enumerate(names)}}

    def engine(out: list[Any]) -> Results:  # Results of run or evaluate -> arrays
        return results([(r.value, tuple(r.gradients[k] for k in names)) for r in out])

    reference = engine([run(program, v) for v in values])

    def emitted_numpy(x: np.ndarray) -> Results:
        y, grads = np_emitted(x=x, w=W)
        return {"value": y, **dict(zip(names, grads))}

    def sweep(x: np.ndarray) -> Results:
        r = run_sweep(program, {"x": x}, {"w": W})
        return {"value": r.values, **r.gradients}

    numpy_impls = {"numpy by hand": lambda x: by_hand(x, W), "emitted numpy": emitted_numpy,
                   "numpy by hand, in place": lambda x: by_hand_in_place(x, W), "run_sweep": sweep}
    py_impls: dict[str, Callable[[], list[Any]]] = {
        "emitted python": lambda: [py_emitted(*c) for c in calls],
        "sympy lambdify": lambda: [lambdified(*c) for c in calls],
        "sympy lambdify cse": lambda: [lambdified_cse(*c) for c in calls],
        "run": lambda: [run(program, v) for v in values],
        "evaluate": lambda: [evaluate(PROGRAM, v) for v in few],
    }
    checks = {k: compare(reference, f(np.array(xs))) for k, f in numpy_impls.items()}
    checks.update({k: compare(reference, results(f())) for k, f in py_impls.items() if k not in ("run", "evaluate")})
    checks["run"] = checks["engine (run)"] = "the reference"
    checks["evaluate"] = compare({k: v[: len(few)] for k, v in reference.items()}, engine(py_impls["evaluate"]()))

    with tempfile.TemporaryDirectory() as tmp:
        c_sources = {"emitted C": source.c(emitted), "sympy ccode": sympy_c(names, exprs, cse=False),
                     "sympy ccode + cse": sympy_c(names, exprs, cse=True)}
        exes = {k: compile_driver(c, names, Path(tmp) / f"driver{i}") for i, (k, c) in enumerate(c_sources.items())}
        for k, exe in exes.items():
            columns = np.array([[float(v) for v in line.split()] for line in run_driver(exe, n, check=True)[:-1]])
            checks[k] = compare(reference, {"value": columns[:, 0], **dict(zip(names, columns[:, 1:].T))})
        if any(c.startswith("DIFFER") for c in checks.values()):
            sys.exit("contenders disagree with the engine: " + ", ".join(f"{k}: {c}" for k, c in checks.items()))

        per_point = {k: lambda e=exe: float(run_driver(e, args.points)[-1].split()[0]) * 1e-9 for k, exe in exes.items()}
        per_point["engine (run)"] = lambda: clock(py_impls["run"], n)
        c_times = interleaved(per_point, args.repeats)

    x_full = np.linspace(-3.0, 3.0, args.points)
    for f in numpy_impls.values():
        f(x_full)  # warm up: first-touch page faults, NumPy's dispatch caches
    np_faults: dict[str, list[int]] = {k: [] for k in numpy_impls}
    np_times = interleaved({k: lambda k=k, f=f: clock(lambda: f(x_full), args.points, np_faults[k])
                            for k, f in numpy_impls.items()}, args.repeats)
    py_times = interleaved({k: lambda k=k, f=f: clock(f, len(few) if k == "evaluate" else n)
                            for k, f in py_impls.items()}, args.repeats)

    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}, SymPy {sympy.__version__},"
          f" {' '.join(CC)}; {args.repeats} repetitions, interleaved; medians of wall time")
    statements = len(re.findall(r"^    _t\d+ = ", source.numpy(emitted), re.MULTILINE))
    print(f"{OPS}-op program of w, x (w = {W}, x over [-3, 3]); value_and_grad_ir: {fmt_time(t_emit)},"
          f" {sum(1 for nd in emitted.nodes if nd.args)} operations in {statements} statements")
    table(f"1. NumPy, {args.points:,} points, value + 2 gradients (goal: emitted ≤ 1.10×)", "per point",
          np_times, checks, np_faults)
    table(f"2. C, per point ({args.points:,} points; the engine on {n:,})", "per point", c_times, checks)
    table(f"3. Python, per call ({n:,} calls; evaluate {len(few):,})", "per call", py_times, checks)
    print(f"\nrun / emitted python: {py_times['run'] / py_times['emitted python']:.0f}× (goal: 50× or more)")


if __name__ == "__main__":
    main()
