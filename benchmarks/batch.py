"""Batch benchmark: many one-line programs through --each-line, against one process per line.

What it measures
    N one-line programs (default 10,000; each like `x = 0.123; y = sin(x) * x**2 + exp(-x)`)
        gradcli --each-line --format json     (one process for the whole batch)
        gradcli --format json PROGRAM         (one process per line; timed on a sample of
                                               lines and scaled to N, as a full run would take
                                               minutes)
    interleaved, medians. The ratio says how many times faster the batch is.

How to run
    python benchmarks/batch.py                  # 10,000 lines, 3 repetitions, 20-line sample
    python benchmarks/batch.py --lines 2000 --repeats 5 --sample 50

Run it with the Python of the environment gradcli is installed in (the `gradcli`
script is looked for beside sys.executable, then on PATH).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ratio, fmt_time, installed_script, median, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20, help="lines run one process each, per repetition")
    args = parser.parse_args()

    rng = random.Random(1)
    lines = [f"x = {rng.random():.3f}; y = sin(x) * x**2 + exp(-x)" for _ in range(args.lines)]
    text = "\n".join(lines) + "\n"
    gradcli = installed_script()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}

    batch, single = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        done = subprocess.run([gradcli, "--each-line", "--format", "json"], input=text, capture_output=True,
                              text=True, env=env)
        batch.append(time.perf_counter() - start)
        assert done.returncode == 0 and done.stdout.count("\n") == args.lines, done.stderr[:500]
        start = time.perf_counter()
        for line in rng.sample(lines, args.sample):
            subprocess.run([gradcli, "--format", "json", line], capture_output=True, env=env, check=True)
        single.append((time.perf_counter() - start) / args.sample * args.lines)

    b, s = median(batch), median(single)
    print_table(
        ["way", "time for all lines", "per line", "vs --each-line"],
        [
            ["gradcli --each-line", fmt_time(b), fmt_time(b / args.lines), fmt_ratio(1.0)],
            ["one gradcli per line (scaled)", fmt_time(s), fmt_time(s / args.lines), fmt_ratio(s / b)],
        ],
        title=f"{args.lines:,} one-line programs, median of {args.repeats}",
    )


if __name__ == "__main__":
    main()
