"""Startup benchmark: what one small gradcli call costs, against bare Python and its imports.

What it measures
    Wall time and CPU time (user + system, from wait4), in fresh processes, of
        python -c pass                                        (the interpreter alone)
        python -c "import click, lark, rich.console, rich.table"   (the import baseline)
        gradcli --set x=3 "y = x*2"                           (the installed console script, table)
        gradcli --set x=3 "y = x*2" --format json             (the JSON path, which skips rich)
    run interleaved (each repetition runs all four, in a rotating order), after
    one untimed warm-up of each. The
    table gives medians, the ratio to the import baseline, and the time above it.
    Then ``python -X importtime`` of the gradcli call: the modules that cost the
    most (median self time over a few runs), and the same summed by package.

    Bytecode: by default every child runs with a bytecode cache in a temporary
    folder (PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE unset), as after a
    normal pip install, which compiles .pyc files. ``--as-is`` keeps the
    environment as it is: where PYTHONDONTWRITEBYTECODE=1 is set, an editable
    install then recompiles gradcli's modules from source on every call.

How to run
    python benchmarks/startup.py                 # 20 repetitions (~15 s)
    python benchmarks/startup.py --repeats 50 --top 20
    python benchmarks/startup.py --as-is         # the environment's bytecode settings

Run it with the Python of the environment gradcli is installed in: the
``gradcli`` script is looked for beside ``sys.executable``, then on PATH.
Measure a wheel install (``pip install .``), as users get it: an editable
install has no generated parser tables, so every call builds the parser from
the grammar (the script says so when it finds no tables).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import fmt_ratio, fmt_time, median, print_table

PROGRAM = ["--set", "x=3", "y = x*2"]


def gradcli_script() -> str:
    beside = Path(sys.executable).parent / "gradcli"
    if beside.is_file():
        return str(beside)
    found = shutil.which("gradcli")
    if not found:
        sys.exit("gradcli is not installed: pip install . (in this Python's environment)")
    return found


def commands() -> dict[str, list[str]]:
    py, script = sys.executable, gradcli_script()
    return {
        "python -c pass": [py, "-c", "pass"],
        "import click, lark, rich": [py, "-c", "import click, lark, rich.console, rich.table"],
        "gradcli (table)": [script, *PROGRAM],
        "gradcli --format json": [script, *PROGRAM, "--format", "json"],
    }


ENV: dict[str, str] | None = None  # the children's environment (None: this one's)


def cached_bytecode_env(prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall time, CPU time: user + system) of one run of ``cmd``, in seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def importtime(script: str, runs: int) -> tuple[dict[str, float], dict[str, float], float]:
    """Median self and cumulative import times (µs) by module, and the median total (µs)."""
    selfs: dict[str, list[int]] = defaultdict(list)
    cumul: dict[str, list[int]] = defaultdict(list)
    totals = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", script, *PROGRAM],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
        total = 0
        for m in _LINE.finditer(done.stderr):
            self_us, cum_us, indent, name = int(m[1]), int(m[2]), m[3], m[4]
            selfs[name].append(self_us)
            total += self_us
            if len(indent) <= 1:  # a top-level import (not pulled in by another)
                cumul[name].append(cum_us)
        totals.append(total)
    return ({k: median(v) for k, v in selfs.items()}, {k: median(v) for k, v in cumul.items()},
            median(totals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=20, help="interleaved repetitions (default 20)")
    ap.add_argument("--importtime-runs", type=int, default=5, help="runs of -X importtime (default 5)")
    ap.add_argument("--top", type=int, default=12, help="modules to list (default 12)")
    ap.add_argument("--as-is", action="store_true", help="keep the environment's bytecode settings")
    args = ap.parse_args()
    global ENV
    if args.as_is:
        bytecode = f"as-is (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"
    else:
        cache = tempfile.TemporaryDirectory(prefix="gradcli-bench-pycache-")
        ENV = cached_bytecode_env(cache.name)
        bytecode = "cached in a temporary PYTHONPYCACHEPREFIX"

    cmds = commands()
    names = list(cmds)
    for name in names:  # warm-up: OS caches, .pyc files
        run(cmds[name])
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for rep in range(args.repeats):
        k = rep % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(run(cmds[name]))

    print(f"Python {sys.version.split()[0]} ({sys.executable}); {args.repeats} interleaved repetitions; "
          f"medians; bytecode {bytecode}")
    if importlib.util.find_spec("gradcli.language._lalr_tables") is None:
        print("note: gradcli has no generated parser tables (an editable install?): each call builds the "
              "parser from the grammar; pip install . to measure what users get")
    program = " ".join(repr(a) if " " in a else a for a in PROGRAM)
    for what, k in (("wall time", 0), ("CPU time (user + system; less disturbed by other load)", 1)):
        base = median(t[k] for t in times["import click, lark, rich"])
        rows = []
        for name in names:
            ts = [t[k] for t in times[name]]
            m = median(ts)
            rows.append([name, fmt_time(m), fmt_time(min(ts)), fmt_ratio(m / base), f"{(m - base) * 1e3:+.1f} ms"])
        print_table(["command", "median", "min", "vs imports", "above imports"], rows,
                    title=f"{what} of one call: gradcli {program}")

    script = gradcli_script()
    selfs, cumul, total = importtime(script, args.importtime_runs)
    top = sorted(selfs.items(), key=lambda kv: -kv[1])[: args.top]
    print_table(["module", "self", "share of imports"],
                [[m, fmt_time(us / 1e6), f"{100 * us / total:.1f}%"] for m, us in top],
                title=f"python -X importtime gradcli ...: top modules by self time "
                      f"(median of {args.importtime_runs}; all imports {fmt_time(total / 1e6)})")
    by_package: dict[str, float] = defaultdict(float)
    for module, us in selfs.items():
        by_package[module.split(".")[0].lstrip("_") or module] += us
    top = sorted(by_package.items(), key=lambda kv: -kv[1])[: args.top]
    print_table(["package", "self, summed", "share of imports"],
                [[m, fmt_time(us / 1e6), f"{100 * us / total:.1f}%"] for m, us in top],
                title="the same, summed by top-level package")
    if "gradcli.front.cli" in cumul:
        print(f"\ngradcli.cli and everything it imports: {fmt_time(cumul['gradcli.front.cli'] / 1e6)} cumulative")

if __name__ == "__main__":
    main()
