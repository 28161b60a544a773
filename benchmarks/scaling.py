"""Scaling benchmark: do --format tree and --explain grow linearly with the graph?

What it measures
    Wall time of the installed ``gradcli`` script, output to /dev/null, on a chain of N
    statements (``x = sin(x) * 1.0001``: a graph as deep as it is long, the worst case for a
    tree) and on a wide sum of N products (shallow), for N doubling. Each output's cost is
    its median time above the same call with ``--format json`` (the baseline, run
    interleaved in the same run: start-up, parsing and the graph are in both); the table
    gives that cost and its growth from the previous N. A linear output grows about 2.0x
    per doubling, a quadratic one about 4x. Folded pictures have their own figures:
    ``python benchmarks/render.py --fold``.

How to run
    python benchmarks/scaling.py                   # N = 2,000 to 16,000, 3 repetitions (~1-2 min)
    python benchmarks/scaling.py --sizes 1000 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import installed_script, median, print_table

OUTPUTS = {"json (baseline)": ["--format", "json"], "tree": ["--format", "tree"], "explain": ["--explain"],
           "table": []}


def programs(n: int) -> dict[str, str]:
    return {
        "deep chain": "x = 0.5\n" + "x = sin(x) * 1.0001\n" * n + "y = x\n",
        "wide sum": "x = 0.5\ny = " + " + ".join(f"x * {i}" for i in range(1, n + 1)) + "\n",
    }


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])}... failed: {done.stderr.decode()[:300]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    gradcli = installed_script()
    outputs = list(OUTPUTS)[1:]
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for shape in programs(1):
            previous: dict[str, float] = {}
            for n in args.sizes:
                path = os.path.join(folder, "p.grad")
                Path(path).write_text(programs(n)[shape])
                times: dict[str, list[float]] = {name: [] for name in OUTPUTS}
                for r in range(args.repeats):
                    names = list(OUTPUTS)[r % len(OUTPUTS):] + list(OUTPUTS)[: r % len(OUTPUTS)]  # interleaved
                    for name in names:
                        times[name].append(timed([gradcli, "-f", path, *OUTPUTS[name]]))
                base = median(times["json (baseline)"])
                row = [shape, f"{n:,}", f"{base * 1000:,.0f} ms"]
                for name in outputs:
                    cost = max(median(times[name]) - base, 1e-3)
                    growth = f" ({cost / previous[name]:.1f}x)" if name in previous else ""
                    row.append(f"{cost * 1000:,.0f} ms{growth}")
                    previous[name] = cost
                rows.append(row)
        print_table(["graph", "N", "json (baseline)", *[f"{name}: cost (growth)" for name in outputs]], rows)

if __name__ == "__main__":
    main()
