"""Render benchmark: pictures laid out by graphviz-pure and the system dot, alone and through the CLI.

What it measures
    Layout (the default): graphs made by ``gradcli.evaluate`` from generated programs, one
    node per statement (node counts are exact):

    chain       local edges only: ``v5 = tanh(v4)``, ``v6 = v5 + v4``, ...
    long-range  as chain, but one node in ``--reuse-every`` (default 10) also reuses a
                random earlier node: ``v20 = v19 * v3`` (long edges are what make
                Graphviz's layout slow)

    For each graph: building the DOT text (``gradcli.views.drawing.digraph(nodes,
    output).source``), then ``gradcli.views.drawing.render(source, 'svg', renderer=...)``
    with the system ``dot`` and with graphviz-pure ('embedded'), alternating, medians. Both
    run as child processes capped by ``--timeout`` (render()'s own, which kills the child), so
    the script never hangs; a render slower than ``--slow`` is not repeated, and after a
    timeout the larger graphs of that shape are skipped for that renderer.

    ``--nslimit N`` sets Graphviz's nslimit (node placement stops after N times as many
    iterations as there are nodes) in every graph in place of gradcli's own (nslimit=4 past
    100 values; it was 1), ``--nslimit none`` leaves it unbounded.

The CLI (``--cli``)
    What a user waits for: ``gradcli -f examples/neuron.grad -g out.svg`` (and ``out.png``)
    in fresh processes, wall and CPU time (the child's and its renderer's, from wait4):

    graphviz-pure, no dot      the installed gradcli script with a PATH that has no dot
                               (nor graphviz-pure: gradcli finds it where pip put it)
    system dot                 the same command with graphviz-pure hidden (a ``python -c``
                               that sets drawing.embedded_program to return None, then runs
                               the console script's main), dot on PATH: what gradcli did with
                               dot installed
    graphviz-pure, same launcher   that launcher without the hiding, so the two differ only in
                               the renderer
    no picture                 the command without -g (the table alone), for scale

    Interleaved, in a rotating order, after one untimed warm-up of each; medians. Children
    get a bytecode cache in a temporary folder, as after a pip install (see startup.py).

Folding (``--fold``)
    A picture over --max-nodes folds unnamed values into edges between named ones
    (``gradcli.views.drawing.folded_edges``). Compared in the same run with the way it was
    done before (a dict of named sources per node, copied and merged along the graph):
    time (median, interleaved) and peak memory (tracemalloc, in a separate run of each).

    sum N       N named inputs summed by one unnamed chain into the output (N edges)
    dense KxW   K layers of W named values, each the unnamed sum of the whole layer
                before it (W x W edges a layer)

How to run
    python benchmarks/render.py                          # sizes 100,300,1000; 3 repetitions; 20 s cap
    python benchmarks/render.py --cli                    # the neuron through the CLI, 20 repetitions
    python benchmarks/render.py --sizes 300 --nslimit 1  # node placement bounded as gradcli did (none: unbounded)
    python benchmarks/render.py --fold                   # folding: sum 2,000..16,000 inputs, dense DAGs
    python benchmarks/render.py --fold --fold-old-max 16000   # the old way at 16,000 too (about 5 GB)
    python benchmarks/render.py --timeout 300            # let the slow long-range layouts finish
    python benchmarks/render.py --reuse-every 2          # far more long-range edges
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

from _common import fmt_ratio, fmt_time, median, print_table

ROOT = Path(__file__).resolve().parent.parent
RENDERERS = {"dot": "system dot", "embedded": "graphviz-pure"}


def program(shape: str, nodes: int, reuse_every: int = 10, seed: int = 1) -> str:
    """A program whose graph has exactly ``nodes`` nodes (one input, one node per statement)."""
    rng = random.Random(seed)
    lines = ["v0 = 0.5", "v1 = tanh(v0)"]
    for i in range(2, nodes):
        if i % 2:
            lines.append(f"v{i} = tanh(v{i - 1})")  # keeps values in [-1, 1]
        elif shape == "long-range" and i % reuse_every == 0:
            lines.append(f"v{i} = v{i - 1} * v{rng.randrange(0, i - 1)}")
        else:
            lines.append(f"v{i} = v{i - 1} + v{i - 2}")
    return "\n".join(lines[:nodes]) + "\n"


def dot_source(shape: str, nodes: int, reuse_every: int, nslimit: str | None = None) -> tuple[str, float, int]:
    """(DOT text, seconds to build it, node count); with ``nslimit`` set in the graph when given."""
    import gradcli
    from gradcli.views import drawing as draw

    draw.digraph(gradcli.evaluate("x = 1").nodes)  # import graphviz outside the timing
    result = gradcli.evaluate(program(shape, nodes, reuse_every))
    t0 = time.perf_counter()
    source = draw.digraph(result.nodes, result.output).source
    elapsed = time.perf_counter() - t0
    if nslimit is not None:  # in place of gradcli's own (past drawing.TIDY_NODES values)
        source = re.sub(r"nslimit=\S+ ", "", source, count=1)
        if nslimit != "none":
            source = source.replace("\tgraph [", f"\tgraph [nslimit={nslimit} ", 1)
    return source, elapsed, len(result.nodes)


def render_with(renderer: str, source: str, timeout: float) -> float | None:
    """Seconds for one SVG from ``renderer``, or None when it hit the timeout."""
    from gradcli.views import drawing as draw

    t0 = time.perf_counter()
    try:
        svg = draw.render(source, "svg", renderer=renderer, timeout=timeout)
    except draw.GraphError as e:
        if "longer than" in e.message:
            return None
        raise
    elapsed = time.perf_counter() - t0
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg[:500]
    return elapsed


# ----- the CLI ---------------------------------------------------------------------------

HIDE_PURE = ("import sys; from gradcli.views import drawing; drawing.embedded_program = lambda: None;"
             " from gradcli.front.cli import main; sys.argv[0] = 'gradcli'; main()")
SAME_LAUNCHER = "import sys; from gradcli.front.cli import main; sys.argv[0] = 'gradcli'; main()"


def gradcli_script() -> str:
    beside = Path(sys.executable).parent / "gradcli"
    if not beside.is_file():
        sys.exit(f"gradcli is not installed beside {sys.executable}: pip install . (in this environment)")
    return str(beside)


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall time, CPU time of the child and what it waited for) of one run, in seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err.decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def cli_main(args: argparse.Namespace) -> None:
    dot = shutil.which("dot")
    if dot is None:
        sys.exit("the system dot is the baseline: install Graphviz")
    script, py = gradcli_script(), sys.executable
    with tempfile.TemporaryDirectory(prefix="gradcli-bench-cli-") as tmp:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        no_dot = dict(env, PATH=str(Path(tmp) / "empty"))  # neither dot nor graphviz-pure on it
        with_dot = dict(env, PATH=os.path.dirname(dot))
        rows = []
        for fmt in args.cli_formats.split(","):
            out = str(Path(tmp) / f"out.{fmt}")
            tail = ["-f", "examples/neuron.grad", "-g", out]
            cases: dict[str, tuple[list[str], dict[str, str]]] = {
                "graphviz-pure, no dot on PATH": ([script, *tail], no_dot),
                "system dot (graphviz-pure hidden)": ([py, "-c", HIDE_PURE, *tail], with_dot),
                "graphviz-pure, same launcher": ([py, "-c", SAME_LAUNCHER, *tail], with_dot),
                "no picture (the table alone)": ([script, "-f", "examples/neuron.grad"], no_dot),
            }
            for cmd, case_env in cases.values():  # warm-up, and a check of who drew it
                run_child(cmd, case_env)
            times: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
            names = list(cases)
            for rep in range(args.repeats):
                shift = rep % len(names)
                for name in names[shift:] + names[:shift]:
                    cmd, case_env = cases[name]
                    times[name].append(run_child(cmd, case_env))
                    if fmt == "svg" and name != "no picture (the table alone)":
                        drawn_by = "graphviz-pure" if b"(graphviz-pure)" in Path(out).read_bytes()[:400] else "dot"
                        assert (drawn_by == "dot") == name.startswith("system dot"), (name, drawn_by)
            base = median(w for w, _ in times["system dot (graphviz-pure hidden)"])
            base_cpu = median(c for _, c in times["system dot (graphviz-pure hidden)"])
            for name in names:
                wall, cpu = median(w for w, _ in times[name]), median(c for _, c in times[name])
                rows.append([f"{fmt.upper()}: {name}", fmt_time(wall), fmt_ratio(wall / base), fmt_time(cpu),
                             fmt_ratio(cpu / base_cpu)])
            print(f"  done: {fmt}", file=sys.stderr, flush=True)
    print(f"gradcli -f examples/neuron.grad -g out.FORMAT; {args.repeats} repetitions (rotating order), medians;"
          " CPU: the command and its renderer")
    print_table(["command", "wall", "/ dot", "CPU", "/ dot"], rows)


def fold_before(nodes: Any, named: Any) -> list[tuple[int, int]]:
    """Folded edges the way folded_digraph found them before: a dict per node, copied along."""
    keep = set(named)
    sources: dict[Any, dict[Any, None]] = {}
    for v in nodes:
        found: dict[Any, None] = {}
        for u in v.inputs:
            found.update({u: None} if u in keep else sources.get(u, {}))
        sources[v] = found
    ids = {v: i for i, v in enumerate(named)}
    return [(ids[u], ids[v]) for v in named for u in sources[v]]


def fold_cases(sizes: list[int]) -> list[tuple[str, str]]:
    cases = []
    for n in sizes:
        cases.append((f"sum {n:,}", "\n".join(f"x{i} = 1" for i in range(n)) + "\ny = " + " + ".join(f"x{i}" for i in range(n))))
    for layers, width in [(10, 40), (4, 120)]:
        lines = [f"a0_{j} = {j}" for j in range(width)]
        for k in range(1, layers):
            lines += [f"a{k}_{j} = " + " + ".join(f"a{k - 1}_{i}" for i in range(width)) for j in range(width)]
        cases.append((f"dense {layers}x{width}", "\n".join(lines)))
    return cases


def peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fold_main(args: argparse.Namespace) -> None:
    import gradcli
    from gradcli.views import drawing as draw

    rows = []
    for name, source in fold_cases([int(s) for s in args.fold_sizes.split(",")]):
        result = gradcli.evaluate(source)
        named = draw._named(result)
        size = int(name.split()[1].replace(",", "")) if name.startswith("sum") else 0
        run_old = size <= args.fold_old_max
        variants: dict[str, Callable[[], list[tuple[int, int]]]] = {
            "after": lambda: draw.folded_edges(result.nodes, named)}
        if run_old:
            variants["before"] = lambda: fold_before(result.nodes, named)
        times: dict[str, list[float]] = {k: [] for k in variants}
        counts: dict[str, int] = {}
        for rep in range(args.repeats):
            for key in (list(variants) if rep % 2 == 0 else list(reversed(variants))):
                if times[key] and times[key][-1] > args.slow:
                    continue  # too slow to repeat
                t0 = time.perf_counter()
                counts[key] = len(variants[key]())
                times[key].append(time.perf_counter() - t0)
        if run_old:
            assert counts["before"] == counts["after"], name
        peaks = {key: peak(run) for key, run in variants.items()}
        after_t, after_m = median(times["after"]), peaks["after"]
        before_t = median(times["before"]) if run_old else float("nan")
        before_m = peaks["before"] if run_old else float("nan")
        rows.append([name, f"{len(result.nodes):,}", f"{len(named):,}", f"{counts['after']:,}",
                     fmt_time(before_t), fmt_time(after_t), fmt_ratio(before_t / after_t),
                     "n/a" if not run_old else f"{before_m / 2**20:,.1f} MiB", f"{after_m / 2**20:,.2f} MiB",
                     fmt_ratio(before_m / after_m)])
        print(f"  done: {name}", file=sys.stderr, flush=True)
    print(f"Folded edges; {args.repeats} repetitions (interleaved), medians; peak memory by tracemalloc;"
          f" the old way only up to {args.fold_old_max:,} inputs")
    print_table(["graph", "values", "named", "edges", "before", "after", "before/after",
                 "peak before", "peak after", "before/after"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,300,1000", help="node counts (default 100,300,1000)")
    ap.add_argument("--shapes", default="chain,long-range", help="chain,long-range")
    ap.add_argument("--repeats", type=int, default=None, help="repetitions (default 3; --cli 20)")
    ap.add_argument("--timeout", type=float, default=20.0, help="cap on one render, seconds (default 20)")
    ap.add_argument("--reuse-every", type=int, default=10, help="long-range: one node in K reuses an old one (10)")
    ap.add_argument("--slow", type=float, default=5.0, help="renders slower than this are not repeated (default 5)")
    ap.add_argument("--nslimit", help="Graphviz's nslimit in every graph instead of gradcli's (none: unbounded)")
    ap.add_argument("--cli", action="store_true", help="the neuron's picture through the CLI instead")
    ap.add_argument("--cli-formats", default="svg,png", help="--cli: picture formats (default svg,png)")
    ap.add_argument("--fold", action="store_true", help="benchmark folding instead of rendering")
    ap.add_argument("--fold-sizes", default="2000,4000,8000,16000", help="--fold: inputs summed (2000,...,16000)")
    ap.add_argument("--fold-old-max", type=int, default=8000, help="--fold: the old way up to this many inputs (8000)")
    args = ap.parse_args()
    if args.repeats is None:
        args.repeats = 20 if args.cli else 3
    if args.cli:
        cli_main(args)
        return
    if args.fold:
        fold_main(args)
        return
    available = {name: (shutil.which("dot") is not None) if name == "dot" else True for name in RENDERERS}
    from gradcli.views import drawing as draw

    available["embedded"] = draw.embedded_program() is not None
    for name, there in available.items():
        if not there:
            print(f"note: no {RENDERERS[name]}; its column will read n/a")

    rows = []
    for shape in args.shapes.split(","):
        timed_out: set[str] = set()  # renderers that hit the cap on a smaller graph of this shape
        for size in (int(s) for s in args.sizes.split(",")):
            source, build_s, count = dot_source(shape, size, args.reuse_every, args.nslimit)
            results: dict[str, list[float | None]] = {name: [] for name in RENDERERS}
            for rep in range(args.repeats):
                for name in list(RENDERERS) if rep % 2 == 0 else list(reversed(RENDERERS)):
                    done = results[name]
                    if not available[name] or name in timed_out or (done and (done[-1] is None or done[-1] > args.slow)):
                        continue  # no renderer, timed out, or too slow to repeat
                    done.append(render_with(name, source, args.timeout))
                    if done[-1] is None:
                        timed_out.add(name)

            def show(name: str) -> tuple[str, float]:
                done = results[name]
                if not done:
                    return ("skipped (smaller timed out)" if name in timed_out else "n/a"), float("nan")
                if done[-1] is None:
                    return f">{args.timeout:g} s (timeout)", float("nan")
                t = median(x for x in done if x is not None)
                return f"{fmt_time(t)}{'' if len(done) > 1 else ' (1 run)'}", t

            dot_txt, dot_t = show("dot")
            pure_txt, pure_t = show("embedded")
            rows.append([f"{shape} {count}", f"{len(source) // 1024} KiB", fmt_time(build_s),
                         dot_txt, pure_txt, fmt_ratio(pure_t / dot_t)])
            print(f"  done: {shape} {count} nodes", file=sys.stderr, flush=True)

    nslimit = f"nslimit {args.nslimit}" if args.nslimit is not None else "nslimit as gradcli sets it"
    print(f"SVG rendering; {args.repeats} repetitions (alternating renderers), medians; cap {args.timeout:g} s "
          f"per render; long-range: 1 node in {args.reuse_every} reuses an old one; {nslimit}")
    print_table(["graph (nodes)", "DOT text", "digraph()", "system dot", "graphviz-pure", "pure / dot"], rows)


if __name__ == "__main__":
    main()
