"""Check benchmark: what the notes of --check cost (watching the ops that are not smooth).

What it measures
    gradient_check of a generated program of N statements over I inputs, a fifth of its
    ops with an edge in the op table (relu, abs, max, log, tan, ...), against the same
    central differences without the notes (the check as it was: the engine's forward,
    nothing watched), interleaved, medians. Both numeric gradients are checked equal.

How to run
    python benchmarks/check.py                     # 2,000 statements, 20 inputs, 5 repetitions
    python benchmarks/check.py --statements 500 --inputs 50 --repeats 3
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ratio, fmt_time, median, print_table  # noqa: E402

from gradcli import evaluate  # noqa: E402
from gradcli.interpret.check import SHRINKS, STEP, gradient_check  # noqa: E402
from gradcli.interpret.engine import ForwardError, forward, topological_order  # noqa: E402


def program(statements: int, inputs: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = [f"x{i} = {rng.uniform(0.5, 1.5):.3f}" for i in range(inputs)]
    names = [f"x{i}" for i in range(inputs)]
    smooth = ["{a} * {b}", "{a} + {b}", "sin({a}) * {b}", "{a} - 0.3 * {b}", "tanh({a} * {b})", "sigmoid({a}) + {b}",
              "exp(-{a} * {a}) * {b}", "{a} * 0.5 + {b} * 0.5"]
    edged = ["relu({a} - {b})", "abs({a}) + {b}", "max({a}, {b})", "log(1 + {a} * {a})", "sqrt(1 + {a} * {a})"]
    for n in range(statements):
        a, b = rng.choice(names[-20:]), rng.choice(names)
        form = rng.choice(edged) if rng.random() < 0.2 else rng.choice(smooth)
        lines.append(f"t{n} = {form.format(a=a, b=b)}")
        names.append(f"t{n}")
    lines.append("y = " + " + ".join(names[-10:]))
    return "\n".join(lines)


def baseline(result) -> list[float]:
    """The central differences alone, as --check computed them before it had notes (the
    engine's forward, the step shrunk where it leaves the domain; nothing watched)."""
    graph = topological_order(result.output)
    found = []
    for leaf in result.inputs.values():
        x = leaf.data
        h = STEP * max(1.0, abs(x))

        def at(t: float) -> float:
            leaf.data = t
            forward(graph)
            return graph[-1].data

        numeric = math.nan
        try:
            for _ in range(SHRINKS + 1):
                try:
                    numeric = (at(x + h) - at(x - h)) / (2 * h)
                    break
                except ForwardError:
                    h /= 10
        finally:
            leaf.data = x
            forward(graph)
        found.append(numeric)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=2_000)
    parser.add_argument("--inputs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    result = evaluate(program(args.statements, args.inputs))
    graph = topological_order(result.output)
    watched = sum(len(v.op.edges) for v in graph)
    check = gradient_check(result)
    for row, numeric in zip(check.rows, baseline(result)):
        assert row.numeric == numeric or (math.isnan(row.numeric) and math.isnan(numeric)), row
    times: dict[str, list[float]] = {"central differences (baseline)": [], "--check with notes": []}
    for _ in range(args.repeats):
        for label, run in (("central differences (baseline)", lambda: baseline(result)),
                           ("--check with notes", lambda: gradient_check(result))):
            start = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - start)
    base = median(times["central differences (baseline)"])
    print(f"{args.statements:,} statements, {args.inputs} inputs, {len(graph):,} nodes, {watched:,} watched "
          f"(an op with an edge), {sum(r.note is not None for r in check.rows)} rows with a note")
    print_table(["", "median", "ratio"],
                [[label, fmt_time(median(ts)), fmt_ratio(median(ts) / base)] for label, ts in times.items()])


if __name__ == "__main__":
    main()
