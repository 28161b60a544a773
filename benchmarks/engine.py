"""Engine benchmark: gradcli's Value against micrograd (and PyTorch) on the same code.

What it measures
    The same graph-building code runs through the micrograd-compatible API of
    each implementation (``from gradcli import Value`` vs
    ``from micrograd.engine import Value``; PyTorch as scalar float64 tensors
    with ``requires_grad=True``), on three workloads of about ``--ops``
    binary operations each:

    chain   ``x = x*1.000001 + 0.5`` repeated ops/2 times (a graph as deep as it is long)
    wide    ops/2 products of reused inputs ``a[i] * a[j]``, summed pairwise (shallow, wide)
    dag     a seeded random DAG: each step is ``(a + b) * 0.5`` or ``a * b`` where ``a`` is
            recent and ``b`` any earlier node (long-range reuse); the sinks are summed

    For each: build time, backward time and their total, as medians over
    interleaved repetitions, with the ratio of the total to micrograd as
    shipped. Rows: gradcli, gradcli with ``gc.disable()``, micrograd as shipped,
    micrograd with ``gc.disable()``, and torch when it is importable.
    micrograd's recursive topological sort gets a raised recursion limit and a
    thread with a big stack (micrograd only); nothing else is changed.

    Each library runs in a process of its own that imports only it, and the
    parent interleaves the requests: the cycle collector's full collections walk
    every object in the process, and torch's import alone leaves about 150,000,
    which in a shared process would slow every collection of the others.
    ``--one-process`` runs them all in this process instead, to show that effect.

    Honesty check: every implementation's input gradients must agree with
    gradcli's to 1e-9 relative (plus 1e-12 of the largest gradient, for
    gradients that cancel to about zero), and so must the output value.
    Memory: bytes per graph node right after building (tracemalloc), gradcli
    vs micrograd (torch allocates in C++, which tracemalloc does not see).

How to run
    python benchmarks/engine.py                      # 100,000 ops, 3 repetitions (~1-2 min)
    python benchmarks/engine.py --ops 20000 --repeats 5 --workloads chain,dag
    python benchmarks/engine.py --no-torch
    python benchmarks/engine.py --one-process        # all libraries in one process (torch's heap taxes all)
    python benchmarks/engine.py --profile            # cProfile of gradcli's build + backward, then exit

Needs: gradcli and what it is compared with: pip install -e ".[bench]" (micrograd;
torch is optional, its row is left out when it is not installed).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import sys
import threading
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from _common import fmt_ratio, fmt_time, median, print_table, profile_top

# ----- workloads: plain code over whatever Value class `make` builds ---------------


def pairwise_sum(xs: list[Any]) -> Any:
    """Sum in a balanced tree (depth log2(n)), not a left-deep chain."""
    while len(xs) > 1:
        nxt = [xs[k] + xs[k + 1] for k in range(0, len(xs) - 1, 2)]
        if len(xs) % 2:
            nxt.append(xs[-1])
        xs = nxt
    return xs[0]


@dataclass
class Plan:
    """A workload fixed in advance (random choices made once), so every implementation replays it."""

    name: str
    inputs: list[float]
    steps: list[tuple[int, int, int]] = field(default_factory=list)  # dag: (kind, i, j)
    sinks: list[int] = field(default_factory=list)  # dag: nodes nobody uses, summed at the end
    n: int = 0  # chain / wide: how many repetitions
    ops: int = 0  # binary operations the workload performs


def make_plans(ops: int, seed: int) -> dict[str, Plan]:
    rng = random.Random(seed)
    m = 1000  # inputs reused by the wide sum
    wide = Plan("wide", [rng.uniform(-1, 1) for _ in range(m)], n=ops // 2)
    wide.ops = wide.n + (wide.n - 1)

    k = 100  # inputs of the random DAG
    dag = Plan("dag", [rng.uniform(-1, 1) for _ in range(k)])
    used = [False] * k
    count = 0
    while count < ops * 0.9:  # leave room for summing the sinks
        i = len(used) - 1 - rng.randrange(min(10, len(used)))  # a recent node
        j = rng.randrange(len(used))  # any earlier node: long-range reuse
        kind = rng.randrange(2)  # 0: (a + b) * 0.5, 1: a * b; values stay in [-1, 1]
        dag.steps.append((kind, i, j))
        used[i] = used[j] = True
        used.append(False)
        count += 2 if kind == 0 else 1
    dag.sinks = [x for x, u in enumerate(used) if not u]
    dag.ops = count + len(dag.sinks) - 1

    chain = Plan("chain", [0.5], n=ops // 2)
    chain.ops = 2 * chain.n
    return {"chain": chain, "wide": wide, "dag": dag}


def build(plan: Plan, make: Callable[[float], Any]) -> tuple[Any, list[Any]]:
    """The graph of ``plan`` with leaves made by ``make``: (output, leaves)."""
    leaves = [make(x) for x in plan.inputs]
    if plan.name == "chain":
        x = leaves[0]
        for _ in range(plan.n):
            x = x * 1.000001 + 0.5
        return x, leaves
    if plan.name == "wide":
        a, m = leaves, len(leaves)
        return pairwise_sum([a[i % m] * a[(7 * i + 3) % m] for i in range(plan.n)]), leaves
    vals = list(leaves)
    for kind, i, j in plan.steps:
        a, b = vals[i], vals[j]
        vals.append((a + b) * 0.5 if kind == 0 else a * b)
    return pairwise_sum([vals[s] for s in plan.sinks]), leaves


# ----- implementations ------------------------------------------------------------


@dataclass
class Impl:
    name: str
    make: Callable[[float], Any]
    backward: Callable[[Any], None]
    grad: Callable[[Any], float]
    data: Callable[[Any], float]
    gc_off: bool = False


def _micrograd_backward(out: Any) -> None:
    """micrograd's recursive backward, with the recursion limit and stack it needs."""
    error: list[BaseException] = []

    def target() -> None:
        try:
            out.backward()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(e)

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10_000_000))
    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=target)
        t.start()
        t.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]


def implementations(kind: str) -> list[Impl]:
    """The rows of one library (``gradcli``, ``micrograd`` or ``torch``), importing only it.

    Raises ImportError when the library is not installed.
    """

    def gback(out: Any) -> None:
        out.backward()

    if kind == "gradcli":
        from gradcli import Value as GValue

        return [
            Impl("gradcli", GValue, gback, lambda v: v.grad, lambda v: v.data),
            Impl("gradcli (gc off)", GValue, gback, lambda v: v.grad, lambda v: v.data, gc_off=True),
        ]
    if kind == "micrograd":
        from micrograd.engine import Value as MValue

        return [
            Impl("micrograd", MValue, _micrograd_backward, lambda v: float(v.grad), lambda v: v.data),
            Impl("micrograd (gc off)", MValue, _micrograd_backward, lambda v: float(v.grad), lambda v: v.data,
                 gc_off=True),
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "Failed to initialize NumPy"
        import torch
    torch.set_num_threads(1)

    def tmake(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    return [Impl(f"torch {torch.__version__}", tmake, gback, lambda v: v.grad.item(), lambda v: v.item())]


def children_of(kind: str) -> Callable[[Any], Any]:
    """How to walk a graph of ``kind`` (for counting nodes)."""
    return (lambda v: v.inputs) if kind == "gradcli" else (lambda v: v._prev)


# ----- workers: each library in a process of its own (why: the module docstring) ------


class Worker:
    """One library's rows, run here (--one-process) or in a child process."""

    def __init__(self, kind: str, plans: dict[str, Plan], spawn: bool) -> None:
        self.kind = kind
        if spawn:
            ctx = multiprocessing.get_context("spawn")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(kind, plans, child), daemon=True)
            self._proc.start()
            child.close()
        else:
            self._local = _Server(kind, plans)
            self._proc = None
        self.names, self.note = self._call("names")

    def _call(self, *request: Any) -> Any:
        if self._proc is None:
            reply = self._local.handle(request)
        else:
            self._conn.send(request)
            reply = self._conn.recv()
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def run(self, plan: str, impl: int) -> tuple[float, float, float, list[float]]:
        return self._call("run", plan, impl)

    def memory(self, plan: str) -> tuple[float, int]:
        return self._call("memory", plan)

    def close(self) -> None:
        if self._proc is not None:
            self._conn.send(None)
            self._proc.join()


class _Server:
    def __init__(self, kind: str, plans: dict[str, Plan]) -> None:
        self.kind, self.plans = kind, plans
        try:
            self.impls = implementations(kind)
            self.note = ""
        except ImportError as e:
            self.impls, self.note = [], f"{kind}: not importable ({e})"

    def handle(self, request: tuple[Any, ...]) -> Any:
        try:
            if request[0] == "names":
                return [i.name for i in self.impls], self.note
            if request[0] == "run":
                return run_once(self.plans[request[1]], self.impls[request[2]])
            return memory_per_node(self.plans[request[1]], self.impls[0], children_of(self.kind))
        except Exception as e:  # noqa: BLE001 - sent back to the parent, raised there
            return e


def _serve(kind: str, plans: dict[str, Plan], conn: Any) -> None:
    server = _Server(kind, plans)
    while (request := conn.recv()) is not None:
        conn.send(server.handle(request))


# ----- measuring ---------------------------------------------------------------------


def run_once(plan: Plan, impl: Impl) -> tuple[float, float, float, list[float]]:
    """(build s, backward s, output value, leaf gradients) for one fresh graph."""
    gc.collect()
    if impl.gc_off:
        gc.disable()
    try:
        t0 = time.perf_counter()
        out, leaves = build(plan, impl.make)
        t1 = time.perf_counter()
        impl.backward(out)
        t2 = time.perf_counter()
    finally:
        gc.enable()
    value, grads = impl.data(out), [impl.grad(v) for v in leaves]
    del out, leaves
    gc.collect()  # free this graph (micrograd's closures make cycles) outside the timings
    return t1 - t0, t2 - t1, value, grads


def compare(ref: list[float], got: list[float], rel: float = 1e-9) -> tuple[float, bool]:
    """(largest error relative to max(|a|, |b|), whether all agree to ``rel``).

    A gradient that cancels to about zero is compared absolutely, against
    1e-12 of the largest gradient, where a relative error means nothing.
    """
    if len(ref) != len(got):
        return float("inf"), False
    floor = 1e-12 * max((abs(g) for g in ref), default=0.0)
    worst, ok = 0.0, True
    for a, b in zip(ref, got):
        err = abs(a - b)
        if err:
            worst = max(worst, err / max(abs(a), abs(b)))
            ok = ok and (err <= rel * max(abs(a), abs(b)) or err <= floor)
    return worst, ok


def count_nodes(out: Any, children: Callable[[Any], Any]) -> int:
    seen = {id(out)}
    stack = [out]
    while stack:
        for c in children(stack.pop()):
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def memory_per_node(plan: Plan, impl: Impl, children: Callable[[Any], Any]) -> tuple[float, int]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    out, leaves = build(plan, impl.make)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count_nodes(out, children)
    del out, leaves
    gc.collect()
    return (after - before) / nodes, nodes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=100_000, help="binary operations per workload (default 100000)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (default 3)")
    ap.add_argument("--workloads", default="chain,wide,dag", help="comma-separated: chain,wide,dag")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc bytes-per-node table")
    ap.add_argument("--one-process", action="store_true",
                    help="run every library in this one process (each pays for the others' objects)")
    ap.add_argument("--profile", action="store_true", help="profile gradcli's build + backward (cProfile) and exit")
    args = ap.parse_args()

    plans = make_plans(args.ops, args.seed)
    chosen = [plans[w] for w in args.workloads.split(",")]

    if args.profile:
        gradcli = implementations("gradcli")[0]
        for plan in chosen:
            print(f"\n=== cProfile: gradcli, {plan.name}, {plan.ops:,} ops (build + backward) ===")
            profile_top(lambda: gradcli.backward(build(plan, gradcli.make)[0]), limit=15)
        return

    kinds = ["gradcli", "micrograd"] + ([] if args.no_torch else ["torch"])
    workers = [Worker(kind, {p.name: p for p in chosen}, spawn=not args.one_process) for kind in kinds]
    for w in workers:
        if w.kind != "torch" and not w.names:
            sys.exit(f"engine.py: {w.note}")
    # one row per (worker, implementation index)
    rows_of = [(w, k, name) for w in workers for k, name in enumerate(w.names)]
    notes = [w.note for w in workers if w.note]
    where = "all in one process" if args.one_process else "each library in its own process"
    print(f"Python {sys.version.split()[0]}; {args.repeats} repetitions, interleaved, {where}; medians"
          + "".join(f"; {n}" for n in notes))
    try:
        for plan in chosen:
            times: dict[str, list[tuple[float, float]]] = {name: [] for _, _, name in rows_of}
            first: dict[str, tuple[float, list[float]]] = {}  # output value and leaf grads, first repetition
            for rep in range(args.repeats):
                shift = rep % len(rows_of)
                for w, k, name in rows_of[shift:] + rows_of[:shift]:  # rotate who goes first
                    b, f, value, grads = w.run(plan.name, k)
                    times[name].append((b, f))
                    if rep == 0:
                        first[name] = (value, grads)
            ref = first["gradcli"]
            base = median(b + f for b, f in times["micrograd"])
            rows = []
            for _, _, name in rows_of:
                ts = times[name]
                value, grads = first[name]
                (verr, vok), (gerr, gok) = compare([ref[0]], [value]), compare(ref[1], grads)
                err, ok = max(verr, gerr), vok and gok
                total = median(b + f for b, f in ts)
                rows.append([
                    name,
                    fmt_time(median(b for b, _ in ts)),
                    fmt_time(median(f for _, f in ts)),
                    fmt_time(total),
                    fmt_time(total / plan.ops),
                    fmt_ratio(total / base),
                    f"ok (max rel {err:.0e})" if ok else f"DIFFER ({err:.1e})",
                ])
            print_table(
                ["implementation", "build", "backward", "total", "per op", "vs micrograd", "grads vs gradcli"],
                rows,
                title=f"{plan.name}: {plan.ops:,} ops, {len(plan.inputs):,} inputs",
            )

        if not args.no_memory:
            rows = []
            for plan in chosen:
                g, gn = workers[0].memory(plan.name)
                m, mn = workers[1].memory(plan.name)
                rows.append([plan.name, f"{gn:,}", f"{g:.0f} B", f"{mn:,}", f"{m:.0f} B", fmt_ratio(g / m)])
            print_table(
                ["workload", "gradcli nodes", "gradcli B/node", "micrograd nodes", "micrograd B/node",
                 "gradcli/micrograd"],
                rows,
                title="memory right after building (tracemalloc)",
            )
    finally:
        for w in workers:
            w.close()


if __name__ == "__main__":
    main()
