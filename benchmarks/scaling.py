"""Scaling benchmark: do --format tree and --explain grow linearly with the graph?

What it measures
    Wall time of the installed ``gradcli`` script, output to /dev/null, on a chain of N
    statements (``x = sin(x) * 1.0001``: a graph as deep as it is long, the worst case for a
    tree) and on a wide sum of N products (shallow), for N doubling. For each output,
    the table gives the median time at each N and the ratio to the same call with
    ``--format json`` (the baseline, measured interleaved in the same run); a linear
    output keeps that ratio flat as N doubles, a quadratic one doubles it each time.
    Folded pictures have their own figures: ``python benchmarks/render.py --fold``.

How to run
    python benchmarks/scaling.py                   # N = 2,000 to 16,000, 3 repetitions (~1-2 min)
    python benchmarks/scaling.py --sizes 1000 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median, print_table

OUTPUTS = {"json (baseline)": ["--format", "json"], "tree": ["--format", "tree"], "explain": ["--explain"],
           "table": []}


def script() -> str:
    beside = Path(sys.executable).parent / "gradcli"
    found = str(beside) if beside.is_file() else shutil.which("gradcli")
    if not found:
        sys.exit("gradcli is not installed: pip install . (in this Python's environment)")
    return found


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
    gradcli = script()
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for shape in programs(1):
            for n in args.sizes:
                path = os.path.join(folder, "p.grad")
                Path(path).write_text(programs(n)[shape])
                times: dict[str, list[float]] = {name: [] for name in OUTPUTS}
                for r in range(args.repeats):
                    names = list(OUTPUTS)[r % len(OUTPUTS):] + list(OUTPUTS)[: r % len(OUTPUTS)]  # interleaved
                    for name in names:
                        times[name].append(timed([gradcli, "-f", path, *OUTPUTS[name]]))
                base = median(times["json (baseline)"])
                rows.append([shape, f"{n:,}", f"{base * 1000:,.0f} ms"]
                            + [f"{median(times[name]) / base:.2f}x" for name in list(OUTPUTS)[1:]])
        print_table(["graph", "N", "json (baseline)", *[f"{name} / json" for name in list(OUTPUTS)[1:]]], rows)


if __name__ == "__main__":
    main()
