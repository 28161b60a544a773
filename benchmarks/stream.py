"""Streamed sweeps and --jobs, through the command: CSV speed, peak memory, and 2 jobs against 1.

What it measures
    The 20-op program of benchmarks/sweep.py (x swept, a and b held), value and 3 gradients:

    csv       gradcli --sweep x=-3:3:N --format csv > /dev/null, with --jobs 1 and --jobs 2, against a
              NumPy script that computes the same 5 columns by hand and writes them with
              np.savetxt(fmt="%.17g") (17 digits: every float reads back as itself, as gradcli's
              shortest repr does). Wall time and CPU time (the process and its workers).
    memory    gradcli -f program.grad --sweep x=-3:3:N --format csv | tail -n 3, as a user pipes it, at
              each of --memory-points and --memory-jobs: the peak resident memory of gradcli's
              processes together (sampled every 20 ms from /proc) and of the largest one
              (getrusage), wall and CPU time; the last line is checked to be the sweep's last point.
              At 1e9 points this is the issue's "1e9 points in under 1 GiB" (about 97 GB of CSV
              through the pipe; the CSV's digits are most of the CPU time: time 1e8 first).
    jobs      --jobs 2 against --jobs 1: that sweep at --jobs-points as CSV, and --lines one-line
              programs through --each-line --format json (benchmarks/batch.py's lines); the
              speed-up of each pair run side by side and of the fastest runs (the least disturbed
              by others' work), the CPU time of all processes and of the main process alone (what
              it spends handing out work and writing is not parallel). A control runs with them:
              a pure Python loop split over 2 processes against 1 (no I/O, nothing shared), the
              speed-up this machine gives two processes while others use it; read --jobs 2's
              speed-up against it.

    dask      that sweep at --jobs-points through --scheduler on a Dask LocalCluster of two worker
              processes (one thread each), against --jobs 1 (needs pip install ".[dask]").

    Interleaved repetitions, medians, ratios from the same run. On a machine that others share,
    wall-time ratios of --jobs move with their load: run it twice and compare.

How to run
    python benchmarks/stream.py                          # csv at 1e6, memory at 1e6 and 1e8, jobs
    python benchmarks/stream.py --only csv --repeats 5
    python benchmarks/stream.py --only memory --memory-points 1e6,1e8
    nice -n 10 python benchmarks/stream.py --only memory --memory-points 1e9 --memory-jobs 2   # 30+ min
    python benchmarks/stream.py --only jobs --jobs-points 1e7 --lines 20000
    python benchmarks/stream.py --only dask --jobs-points 2e6

Needs: gradcli installed (pip install -e .), numpy, Linux (/proc).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ratio, fmt_time, installed_script, median, print_table  # noqa: E402
from sweep import PROGRAM  # noqa: E402

SAVETXT = """\
import sys
import numpy as np
n = int(sys.argv[1])
a, b = 1.5, -0.3
x = np.linspace(-3, 3, n)
h = np.tanh(a * x + b)
g = 1.0 / (1.0 + np.exp(-(b * x - a)))
q = x * x
e = np.exp(-q)
s3, c3 = np.sin(3 * x), np.cos(3 * x)
y = h * g + np.maximum(x - 0.2, 0.0) + e * s3 + np.log(1 + q)
dh = (1 - h * h) * g
dg = h * (g * (1 - g))
dx = dh * a + dg * b + (x > 0.2) + e * (3 * c3 - 2 * x * s3) + 2 * x / (1 + q)
with open(sys.argv[2], "w") as f:
    f.write("x,y,dy/dx,dy/da,dy/db\\n")
    np.savetxt(f, np.column_stack([x, y, dx, dh * x - dg, dh + dg * x]), fmt="%.17g", delimiter=",")
"""


#: the machine's own parallelism, for --only jobs: a Python loop of argv[2] steps, in argv[1] processes
CONTROL = """\
import multiprocessing, sys
def burn(n):
    s = 0
    for i in range(n):
        s += i
k, n = int(sys.argv[1]), int(sys.argv[2])
workers = [multiprocessing.Process(target=burn, args=(n // k,)) for _ in range(k)]
for w in workers:
    w.start()
for w in workers:
    w.join()
"""


def timed(cmd: list[str], **kwargs: object) -> tuple[float, float]:
    """(wall, CPU of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it, now."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += map(int, (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue
    return total


class Watched(NamedTuple):
    wall: float
    cpu: float  # user + system seconds of the command and every process below it
    main_cpu: float  # of the command's own process (the one that writes): sampled from /proc
    together: int  # peak resident bytes of the command's processes together (sampled)
    largest: int  # peak resident bytes of the largest one (getrusage)
    tail: bytes  # the last lines, when piped to tail


def main_cpu(pid: int) -> float | None:
    """User + system seconds of ``pid`` so far (from /proc), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch(cmd: list[str], tail: int | None = None) -> Watched:
    """Run ``cmd`` with its output to /dev/null, or piped to ``tail -n TAIL`` (as a user would pipe
    it), sampling its processes' memory and its own CPU time every 20 ms."""
    piped = subprocess.Popen(["tail", "-n", str(tail)], stdin=subprocess.PIPE, stdout=subprocess.PIPE) if tail else None
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=piped.stdin if piped else subprocess.DEVNULL)
    if piped:
        assert piped.stdin is not None
        piped.stdin.close()
    most, own = 0, 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal most, own
        while not done.is_set():
            most = max(most, tree_rss(proc.pid))
            own = max(own, main_cpu(proc.pid) or 0.0)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)  # the command, and the workers it waited for
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    last = b""
    if piped:
        assert piped.stdout is not None
        last = piped.stdout.read()
        piped.wait()
    assert proc.returncode == 0, proc.returncode
    # ru_maxrss of wait4: the process itself; of RUSAGE_CHILDREN: the largest process waited for so far
    largest = max(usage.ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    return Watched(wall, usage.ru_utime + usage.ru_stime, own, most, largest, last)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def spread(xs: list[float]) -> str:
    return f"{fmt_time(median(xs))} ({fmt_time(min(xs))}-{fmt_time(max(xs))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["csv", "memory", "jobs", "dask"])
    parser.add_argument("--points", type=float, default=1e6, help="points of the CSV comparison")
    parser.add_argument("--memory-points", default="1e6,1e8")
    parser.add_argument("--memory-jobs", default="1,2", help="the --jobs values of the memory runs")
    parser.add_argument("--jobs-points", type=float, default=1e7)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--control-steps", type=int, default=200_000_000, help="the jobs control's loop (~8 s)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    gradcli = installed_script()
    work = Path(tempfile.mkdtemp())
    program = work / "program.grad"
    program.write_text(PROGRAM)
    savetxt = work / "savetxt.py"
    savetxt.write_text(SAVETXT)

    def sweep(points: float, jobs: int) -> list[str]:
        return [gradcli, "-f", str(program), "--sweep", f"x=-3:3:{int(points)}", "--format", "csv", "--jobs", str(jobs)]

    if args.only in (None, "csv"):
        n = int(args.points)
        ways = {"gradcli --jobs 1": sweep(n, 1), "gradcli --jobs 2": sweep(n, 2),
                "np.savetxt %.17g": [sys.executable, str(savetxt), str(n), os.devnull]}
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in ways}
        for i in range(args.repeats):
            for name in list(ways)[i % len(ways):] + list(ways)[:i % len(ways)]:
                times[name].append(timed(ways[name], stdout=subprocess.DEVNULL))
        base_wall = median([w for w, _ in times["np.savetxt %.17g"]])
        base_cpu = median([c for _, c in times["np.savetxt %.17g"]])
        print_table(["way", "wall", "vs savetxt", "CPU", "vs savetxt"],
                    [[k, fmt_time(median([w for w, _ in t])), fmt_ratio(median([w for w, _ in t]) / base_wall),
                      fmt_time(median([c for _, c in t])), fmt_ratio(median([c for _, c in t]) / base_cpu)]
                     for k, t in times.items()],
                    title=f"{n:,} points as CSV (5 columns), median of {args.repeats}")

    if args.only in (None, "memory"):
        rows = []
        for text in args.memory_points.split(","):
            n = int(float(text))
            for jobs in map(int, args.memory_jobs.split(",")):
                run = watch(sweep(n, jobs), tail=3)
                last = run.tail.decode().splitlines()
                assert len(last) == 3 and last[-1].startswith("3.0,"), last  # the sweep's last point: x = 3
                rows.append([f"{n:,}", str(jobs), fmt_time(run.wall), fmt_time(run.cpu), mib(run.together),
                             mib(run.largest)])
                print(f"  {n:,} points, --jobs {jobs}: {fmt_time(run.wall)}; last line {last[-1]}", flush=True)
        print_table(["points", "--jobs", "wall", "CPU", "peak RSS, all processes", "largest process"], rows,
                    title="gradcli -f program.grad --sweep x=-3:3:N --format csv | tail -n 3")

    if args.only in (None, "jobs"):
        rng = random.Random(1)
        lines = work / "lines.txt"
        lines.write_text("".join(f"x = {rng.random():.3f}; y = sin(x) * x**2 + exp(-x)\n" for _ in range(args.lines)))
        batch = [gradcli, "--each-line", "--format", "json", "-f", str(lines)]
        control = [sys.executable, "-c", CONTROL]
        ways = {"sweep 1": sweep(args.jobs_points, 1), "sweep 2": sweep(args.jobs_points, 2),
                "batch 1": [*batch, "--jobs", "1"], "batch 2": [*batch, "--jobs", "2"],
                "control 1": [*control, "1", str(args.control_steps)], "control 2": [*control, "2", str(args.control_steps)]}
        runs: dict[str, list[Watched]] = {k: [] for k in ways}
        for i in range(args.repeats):
            for name in list(ways)[i % len(ways):] + list(ways)[:i % len(ways)]:
                runs[name].append(watch(ways[name]))
        rows = []
        for what in ("sweep", "batch", "control"):
            one, two = runs[f"{what} 1"], runs[f"{what} 2"]
            ups = [a.wall / b.wall for a, b in zip(one, two)]  # each pair ran side by side
            best = min(r.wall for r in one) / min(r.wall for r in two)
            rows.append([what, spread([r.wall for r in one]), spread([r.wall for r in two]),
                         f"{median(ups):.2f}× ({min(ups):.2f}-{max(ups):.2f})", f"{best:.2f}×",
                         spread([r.cpu for r in one]), spread([r.cpu for r in two]), spread([r.main_cpu for r in two])])
        print_table(["what", "--jobs 1", "--jobs 2", "speed-up", "best / best", "CPU, 1", "CPU, 2",
                     "CPU, 2: main process"], rows,
                    title=f"sweep of {int(args.jobs_points):,} points as CSV; {args.lines:,} lines as JSON Lines;"
                          f" control: a Python loop of {args.control_steps:,} steps in 1 and 2 processes (what the"
                          f" machine gives two processes now); median (min-max) of {args.repeats}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")

    if args.only == "dask":  # not by default: it needs the optional extra
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            ways = {"--jobs 1": sweep(args.jobs_points, 1),
                    "--scheduler": [*sweep(args.jobs_points, 1)[:-2], "--scheduler", cluster.scheduler_address]}
            times = {k: [] for k in ways}
            for i in range(args.repeats):
                for name in list(ways)[i % 2:] + list(ways)[:i % 2]:
                    times[name].append(timed(ways[name], stdout=subprocess.DEVNULL))
        base = median([w for w, _ in times["--jobs 1"]])
        print_table(["way", "wall", "vs --jobs 1"],
                    [[k, fmt_time(median([w for w, _ in t])), fmt_ratio(median([w for w, _ in t]) / base)]
                     for k, t in times.items()],
                    title=f"sweep of {int(args.jobs_points):,} points as CSV on a LocalCluster of 2 workers,"
                          f" median of {args.repeats}")


if __name__ == "__main__":
    main()
