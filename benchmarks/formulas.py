"""--symbolic formulas against SymPy: how long they are, and how long they take.

Random programs of N statements (seeded), each statement an op applied to
earlier variables, the inputs x, y, z and small numbers. For every program and
input, d(output)/d(input) is written

- by gradcli in the inputs alone (``derivatives(..., expand=True)``, what
  ``--expand`` prints), and in the program's names (``--symbolic``: the
  formula plus the definitions it needs, counted together);
- by SymPy as ``simplify(diff(...))`` of the program written out (the
  baseline), each call capped at ``--timeout`` seconds.

Reported: the distribution (median, 90th percentile, max) of the length
ratio gradcli / SymPy (characters of the printed formula; both print
``x**2*sin(x)``), and the time of each side summed over all programs, as a
ratio to SymPy's. Every gradcli formula is checked equal to SymPy's at a point
first. A program whose SymPy simplification times out is left out (and
counted).

    python benchmarks/formulas.py                 # 200 programs of 10 statements, ~1 min
    python benchmarks/formulas.py --programs 50 --statements 6 --seed 2

``--chain N`` measures instead the formula table of the chain
``x{i} = sin(x{i-1}) * 1.01 + x{i-1}**2 / 7`` of N statements through the
installed command (``gradcli -f chain.grad --symbolic``, output to a pipe), wall
and CPU time over ``--repeat`` runs, against two baselines run interleaved with
it: the command's start-up (a one-statement program) and the same chain
evaluated with numbers (as JSON: the value table of 5,000 nodes would measure rich). The size of the output at N/10 and N statements shows
whether it grows linearly.

    python benchmarks/formulas.py --chain 1000 --repeat 7
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import fmt_ratio, fmt_time, installed_script, print_table  # noqa: E402

from gradcli.errors import GradcliError  # noqa: E402
from gradcli.interpret.symbolic import FormulaTooLarge, derivatives  # noqa: E402
from gradcli.language.parser import parse  # noqa: E402

INPUTS = ("x", "y", "z")
BINARY = ("+", "-", "*", "/")
UNARY = ("sin", "cos", "exp", "log", "square")


def program(rng: random.Random, statements: int) -> str:
    names = list(INPUTS)
    lines = []
    for i in range(statements):
        def operand() -> str:
            if rng.random() < 0.15:
                return str(rng.choice([2, 3, 0.5]))
            # recent variables are read more often: chains, and reuse
            return names[max(0, len(names) - 1 - int(rng.expovariate(0.5)))]
        if rng.random() < 0.35:
            f = rng.choice(UNARY)
            a = operand()
            if a[0].isdigit():
                a = names[-1]
            e = f"{a}**2" if f == "square" else f"{f}({a})"
        else:
            a, b = operand(), operand()
            if a[0].isdigit() and b[0].isdigit():
                b = names[-1]
            e = f"{a} {rng.choice(BINARY)} {b}"
        name = f"v{i}"
        lines.append(f"{name} = {e}")
        names.append(name)
    return "\n".join(lines)


def to_sympy(source: str) -> tuple[sympy.Expr, dict[str, sympy.Symbol]]:
    symbols = {n: sympy.Symbol(n) for n in INPUTS}
    env: dict[str, object] = dict(symbols, sin=sympy.sin, cos=sympy.cos, exp=sympy.exp, log=sympy.log)
    value = None
    for line in source.splitlines():
        name, text = (s.strip() for s in line.split("=", 1))
        value = sympy.sympify(text, locals=env, rational=True)
        env[name] = value
    return value, symbols


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Timeout


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def chain(n: int) -> str:
    return "".join(f"x{i} = sin(x{i - 1}) * 1.01 + x{i - 1}**2 / 7\n" for i in range(1, n + 1))


def _run(command: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run of ``command``, and the bytes it wrote."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, len(done.stdout)


def chain_benchmark(n: int, repeat: int) -> None:
    gradcli = installed_script()
    with tempfile.TemporaryDirectory() as folder:
        small, big = Path(folder) / "small.grad", Path(folder) / "chain.grad"
        small.write_text(chain(max(1, n // 10)))
        big.write_text(chain(n))
        commands = {
            "start-up: gradcli \"y = x\" --symbolic (baseline)": [gradcli, "y = x", "--symbolic"],
            "the chain's numbers: --set x0=0.5 --format json": [gradcli, "-f", str(big), "--set", "x0=0.5",
                                                                  "--format", "json"],
            f"the chain's formulas: --symbolic ({n} statements)": [gradcli, "-f", str(big), "--symbolic"],
        }
        runs: dict[str, list[tuple[float, float, int]]] = {k: [] for k in commands}
        for _ in range(repeat):  # interleaved: a slow moment of the machine hurts all alike
            for label, command in commands.items():
                runs[label].append(_run(command))
        small_bytes = _run([gradcli, "-f", str(small), "--symbolic"])[2]
    base = statistics.median(w for w, _, _ in runs[next(iter(commands))])
    rows = []
    for label, times in runs.items():
        walls = sorted(w for w, _, _ in times)
        cpus = sorted(c for _, c, _ in times)
        rows.append([label, fmt_time(statistics.median(walls)), f"{fmt_time(walls[0])} - {fmt_time(walls[-1])}",
                     fmt_time(statistics.median(cpus)), fmt_ratio(statistics.median(walls) / base)])
    print_table(["command (output to a pipe)", "wall, median", "wall, min - max", "CPU, median", "ratio"], rows,
                title=f"a {n}-statement chain through the command, {repeat} runs each, interleaved")
    big_bytes = runs[list(commands)[-1]][0][2]
    print(f"\noutput: {small_bytes:,} bytes for {max(1, n // 10)} statements, {big_bytes:,} for {n} "
          f"({big_bytes / small_bytes:.2f}× for {n / max(1, n // 10):g}× the statements)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=200)
    ap.add_argument("--statements", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds for one SymPy simplify")
    ap.add_argument("--show", type=int, default=1, help="how many of the worst formulas to print")
    ap.add_argument("--chain", type=int, default=0, metavar="N", help="time the formula table of an N-statement chain")
    ap.add_argument("--repeat", type=int, default=5, help="with --chain: runs of each command")
    args = ap.parse_args()
    if args.chain:
        chain_benchmark(args.chain, args.repeat)
        return
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)

    expanded_ratios: list[float] = []
    named_ratios: list[float] = []
    worst: list[tuple[float, str, str, str]] = []
    ours_time = theirs_time = 0.0
    timeouts = too_large = constant = 0
    for _ in range(args.programs):
        source = program(rng, args.statements)
        target, symbols = to_sympy(source)
        try:
            t0 = time.perf_counter()
            expanded = derivatives(parse(source), expand=True)
            named = derivatives(parse(source))
            t1 = time.perf_counter()
        except FormulaTooLarge:
            too_large += 1
            continue
        except GradcliError:
            continue
        rows = []
        try:
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            t2 = time.perf_counter()
            for name in expanded.inputs:
                rows.append((name, sympy.simplify(sympy.diff(target, symbols[name]))))
            t3 = time.perf_counter()
        except Timeout:
            timeouts += 1
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        ours_time += t1 - t0
        theirs_time += t3 - t2
        for name, theirs in rows:
            ours = expanded.formulas[name].text
            theirs_text = str(theirs)
            if theirs.is_number:  # 0 or a number: a ratio of lengths says little
                constant += 1
                continue
            _check(ours, theirs, symbols, source)
            ratio = len(ours) / len(theirs_text)
            expanded_ratios.append(ratio)
            where = named.definitions([named.formulas[name]])
            named_length = len(named.formulas[name].text) + sum(len(n) + 3 + len(b.text) for n, b in where)
            named_ratios.append(named_length / len(theirs_text))
            worst.append((ratio, source, ours, theirs_text))

    rows_out = []
    for label, ratios in (("in the inputs (--expand)", expanded_ratios),
                          ("in the program's names, definitions counted", named_ratios)):
        rows_out.append([label, len(ratios), fmt_ratio(statistics.median(ratios)), fmt_ratio(percentile(ratios, 0.9)),
                         fmt_ratio(max(ratios)), sum(r > 3 for r in ratios)])
    print_table(["gradcli formula length / SymPy simplify(diff)", "formulas", "median", "90th pct", "max", "over 3×"],
                rows_out,
                title=f"{args.programs} programs of {args.statements} statements, seed {args.seed}")
    print_table(["", "time", "ratio"], [
        ["SymPy diff + simplify (baseline)", fmt_time(theirs_time), "1.00×"],
        ["gradcli, both forms", fmt_time(ours_time), fmt_ratio(ours_time / theirs_time)],
    ], title="time, summed over the programs compared")
    print(f"\nleft out: {timeouts} SymPy timeouts (>{args.timeout:g} s), {too_large} too large for gradcli; "
          f"{constant} derivatives that SymPy gives as a number not in the ratios")
    for ratio, source, ours, theirs_text in sorted(worst, reverse=True)[:args.show]:
        print(f"\nratio {ratio:.2f}×:\n{source}\n  gradcli: {ours}\n  SymPy:   {theirs_text}")


def _check(ours: str, theirs: sympy.Expr, symbols: dict[str, sympy.Symbol], source: str) -> None:
    """gradcli's formula equals SymPy's at a point (to 1e-8 relative), or the benchmark is void."""
    env = dict(symbols, sin=sympy.sin, cos=sympy.cos, exp=sympy.exp, log=sympy.log, sign=sympy.sign)
    point = {symbols["x"]: sympy.Rational(7, 10), symbols["y"]: sympy.Rational(13, 10),
             symbols["z"]: sympy.Rational(23, 10)}
    a = sympy.sympify(ours, locals=env, rational=True).subs(point).evalf(30)
    b = theirs.subs(point).evalf(30)
    if a.is_real and b.is_real and abs(a - b) > 1e-8 * max(1, abs(b)):
        raise AssertionError(f"gradcli and SymPy differ at {point}:\n{source}\n{ours}\n{theirs}")


if __name__ == "__main__":
    main()
