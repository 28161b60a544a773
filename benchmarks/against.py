"""A/B against an earlier revision: the graph-building phase of a big program, old tree against this one.

    python benchmarks/against.py ed0ded8             # 100,000 statements, 6 rounds
    python benchmarks/against.py ed0ded8 --statements 20000 --rounds 10

The revision is checked out into a temporary git worktree (removed after). Each
round runs both trees in fresh processes, in alternating order, on the same
generated program (benchmarks/programs.py's), parsed first: what is timed is
what comes after the parse (binding the names, building the Values, backward),
the best of three in each process, with the cycle collector paused as the
command pauses it. Prints the medians, their ratio and the spread.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[3])
from programs import generate
try:  # the layout since "One model of a program"
    from gradcli.interpret.program import run
    from gradcli.language.parser import parse
except ImportError:  # before it
    from gradcli.parser import parse
    from gradcli.program import run
program = parse(generate(int(sys.argv[2])))
gc.disable()
best = []
for _ in range(3):
    start = time.perf_counter()
    run(program, {})
    best.append(time.perf_counter() - start)
print(min(best))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revision", help="the earlier revision (a commit, tag or branch)")
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gradcli-against-"))
    old = folder / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), args.revision], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        times: dict[str, list[float]] = {"old": [], "new": []}
        trees = [("old", old), ("new", ROOT)]
        for i in range(args.rounds):
            for name, tree in trees if i % 2 == 0 else trees[::-1]:
                out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(args.statements),
                                      str(ROOT / "benchmarks")], capture_output=True, text=True, check=True)
                times[name].append(float(out.stdout))
        medians = {name: statistics.median(t) for name, t in times.items()}
        print(f"{args.statements:,} statements, after the parse, {args.rounds} rounds (best of 3 each)")
        for name in ("old", "new"):
            t = times[name]
            print(f"  {name} ({args.revision if name == 'old' else 'this tree'}): median {medians[name] * 1000:.0f} ms,"
                  f" spread {min(t) * 1000:.0f}-{max(t) * 1000:.0f} ms")
        print(f"  new / old: {medians['new'] / medians['old']:.2f}x")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
