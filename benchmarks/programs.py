"""Program benchmark: parse + evaluate + backward of a long generated gradcli program.

What it measures
    A generated program of N statements (seeded), cycling through four forms
    with one long-range reference each, e.g.

        v123 = v120 * 1.0001 + sin(v99)
        v124 = (v123 + v57) / 2
        v125 = tanh(v123) - v12 * 0.5
        v126 = v125 * cos(v80) + 0.1

    Timed in-process, interleaved, medians over repetitions:
        gradcli.evaluate(src)              end to end (parse, bind, forward, backward)
        gradcli.language.parser.parse(src)          the parse phase alone (lark LALR + instruction emitter)
        gradcli.interpret.program.run(program, {})   bind + forward + backward from parsed instructions
        gradcli.interpret.arrays.backward(b, data, out) the backward phase alone (bind + forward = run - backward)
        ast.parse(src)                     Python's own parser on the same text (it is valid Python)
    with ratios to ast.parse. Peak memory of a fresh subprocess
    that evaluates or parses the program, less one that only imports gradcli
    and generates the text. ``--scale`` adds one run at 10×N to show how time
    grows (10.0× is linear).

    Peak memory is the child's VmHWM (/proc/self/status), falling back to
    ru_maxrss where /proc is missing.

    ``--cli`` measures what a user runs instead: ``gradcli -f big.grad --format json
    --limit input=1GiB --limit nodes=1e9 > /dev/null`` (the installed script's own ``main``;
    the limits let a million statements through), wall time and peak memory, each
    in a fresh process, against ``python -c "ast.parse(open(f).read())"`` run the same
    way, interleaved; with ``--scale`` also at 10×N. ``--json`` compares, at N, that
    call with the same call writing compact JSON (``json.dumps(doc)``, the C encoder)
    and with ``json.dumps(doc, indent=2)`` as gradcli wrote it before it streamed.

How to run
    python benchmarks/programs.py                    # N = 100,000, 3 repetitions (~1.5 min)
    python benchmarks/programs.py --n 20000 --repeats 5
    python benchmarks/programs.py --scale            # also 10×N, once (several more minutes)
    python benchmarks/programs.py --gc-off --no-memory   # the same with the cyclic GC paused
    python benchmarks/programs.py --profile          # cProfile of gradcli.evaluate, then exit
    python benchmarks/programs.py --parsers          # parse alone: gradcli's loop, lark's contextual and
                                                     # basic lexer, and lark-cython when it is installed
    python benchmarks/programs.py --cli --scale      # the CLI at N and 10×N: time and peak memory (~6 min)
    python benchmarks/programs.py --cli --json       # --format json against compact JSON, at N (~3 min)
    python benchmarks/programs.py --memory-phases --n 20000   # what parse, bind and the Values keep, by line
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from _common import fmt_ratio, fmt_time, median, print_table, profile_top


def generate(n: int, seed: int = 1) -> str:
    """A program of ``n`` statements whose values and gradients stay finite."""
    rng = random.Random(seed)
    lines = ["v0 = 0.5", "v1 = 0.25", "v2 = -0.75"]
    for i in range(3, n):
        j = rng.randrange(0, i - 2)  # a long-range reference
        form = i % 4
        if form == 0:
            lines.append(f"v{i} = v{i - 3} * 1.0001 + sin(v{j})")
        elif form == 1:
            lines.append(f"v{i} = (v{i - 1} + v{j}) / 2")
        elif form == 2:
            lines.append(f"v{i} = tanh(v{i - 2}) - v{j} * 0.5")
        else:
            lines.append(f"v{i} = v{i - 1} * cos(v{j}) + 0.1")
    return "\n".join(lines[:n]) + "\n"


def peak_rss_self() -> int:
    """This process's peak resident memory in bytes.

    /proc's VmHWM belongs to this program alone; ru_maxrss would also count
    the parent's size at fork time, which Linux carries across exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def child(mode: str, n: int, seed: int) -> None:
    """Run one phase in this (fresh) process and print its peak RSS in bytes."""
    import gradcli
    from gradcli.language.parser import parse

    src = generate(n, seed)
    if mode == "evaluate":
        gradcli.evaluate(src)
    elif mode == "parse":
        parse(src)
    elif mode == "ast.parse":
        ast.parse(src)
    print(peak_rss_self())


def peak_rss(mode: str, n: int, seed: int) -> int:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--n", str(n), "--seed", str(seed)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


GC_OFF = False  # --gc-off: pause the cyclic garbage collector inside each timed call


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    if GC_OFF:
        gc.disable()
    try:
        t0 = time.perf_counter()
        value = fn()
        return time.perf_counter() - t0, value
    finally:
        gc.enable()


def measure(src: str, repeats: int) -> dict[str, list[float]]:
    import gradcli
    from gradcli.interpret.arrays import backward
    from gradcli.interpret.program import run
    from gradcli.language.parser import parse

    gradcli.evaluate("x = 1; y = x * 2")  # compile (or load) the grammar outside the timings
    times: dict[str, list[float]] = {k: [] for k in ("ast.parse", "evaluate", "parse", "run", "backward")}
    for rep in range(repeats):
        steps: list[tuple[str, Callable[[], object]]] = [
            ("ast.parse", lambda: ast.parse(src)),
            ("evaluate", lambda: gradcli.evaluate(src)),
            ("phases", lambda: None),
        ]
        k = rep % len(steps)
        for name, fn in steps[k:] + steps[:k]:
            if name == "phases":
                t, program = timed(lambda: parse(src))
                times["parse"].append(t)
                t, result = timed(lambda: run(program, {}))  # type: ignore[arg-type]
                times["run"].append(t)
                b = result.bindings  # type: ignore[attr-defined]
                t, _ = timed(lambda: backward(b, result.data, b.output))  # type: ignore[attr-defined]
                times["backward"].append(t)
                del program, result, b
            else:
                t, value = timed(fn)
                times[name].append(t)
                del value
    return times


# ----- --parsers: the same program through other lark set-ups ------------------------


def without_templates(src: str) -> Any:
    """gradcli's parse with every statement parsed by the grammar, as a program none of whose
    statements repeats a shape is (``shapes.parse`` swapped for the loop over the whole text)."""
    from gradcli.language import parser as gp
    from gradcli.language import shapes

    saved = shapes.parse
    shapes.parse = lambda driver, emitter, text: driver.parse(text)  # type: ignore[assignment]
    try:
        return gp.parse(src).code
    finally:
        shapes.parse = saved


def parser_variants() -> dict[str, Callable[[str], Any]]:
    """Parsers to compare, each emitting gradcli's instructions through the same callbacks.

    lark's default lexer for LALR is the contextual one (gradcli used it until it
    switched to the basic lexer); lark-cython is lark's official Cython plugin,
    measured when it is installed (``pip install lark-cython``).
    """
    from lark import Lark, Token

    from gradcli.language import parser as gp

    grammar = gp._read(gp.grammar_path())
    variants: dict[str, Callable[[str], gp.Code]] = {
        "gradcli's loop over lark's tables (used)": lambda src: gp.parse(src).code,
        "  the same without templates (no shape repeats)": without_templates,
    }

    def via(lark: Lark, emitter: gp._Emitter) -> Callable[[str], gp.Code]:
        def parse(src: str) -> gp.Code:
            emitter.code, emitter.source = gp.Code(), src
            lark.parse(src)
            return emitter.code

        return parse

    for lexer in ("contextual", "basic"):
        emitter = gp._Emitter()
        variants[f"lark LALR, {lexer} lexer"] = via(Lark(grammar, parser="lalr", lexer=lexer, transformer=emitter),
                                                    emitter)
    try:
        import lark_cython
    except ImportError:
        return variants

    def plain(tok: Any) -> Token:  # lark-cython's tokens are not str; the callbacks expect lark's
        return Token(tok.type, tok.value, tok.start_pos, end_pos=tok.end_pos)

    class CythonEmitter(gp._Emitter):
        def number(self, children: list) -> Any:
            return super().number([plain(children[0])])

        def name(self, children: list) -> Any:
            return super().name([plain(children[0])])

        def call(self, children: list) -> Any:
            return super().call([plain(children[0]), *children[1:]])

        def assign(self, children: list) -> Any:
            return super().assign([plain(children[0]), *children[1:]])

    emitter = CythonEmitter()
    lark = Lark(grammar, parser="lalr", lexer="basic", transformer=emitter, _plugins=lark_cython.plugins)
    variants[f"lark-cython {getattr(lark_cython, '__version__', '')}, basic lexer".replace("  ", " ")] = via(lark, emitter)
    return variants


def compare_parsers(src: str, repeats: int) -> None:
    from gradcli.language.parser import parse

    variants = parser_variants()
    reference = parse(src).code
    for name, fn in variants.items():  # each must emit exactly gradcli's instructions
        if fn(src) != reference:
            sys.exit(f"programs.py: {name} emitted different instructions")
    steps: list[tuple[str, Callable[[], object]]] = [("ast.parse", lambda: ast.parse(src))]
    steps += [(name, (lambda fn=fn: fn(src))) for name, fn in variants.items()]
    times: dict[str, list[float]] = {name: [] for name, _ in steps}
    for rep in range(repeats):
        k = rep % len(steps)
        for name, fn in steps[k:] + steps[:k]:
            t, value = timed(fn)
            times[name].append(t)
            del value
    base = median(times["ast.parse"])
    rows = [[name, fmt_time(median(ts)), fmt_time(median(ts) / len(reference)), fmt_ratio(median(ts) / base)]
            for name, ts in times.items()]
    print_table(["parser", "time", "per instruction", "vs ast.parse"], rows,
                title="parsers on the same program (each emits gradcli's instructions, checked equal)")


# ----- --cli: what a user runs ---------------------------------------------------------------

#: runs the installed script's main() in a fresh process and, as it ends, says its peak memory on
#: stderr (main ends the process with os._exit, after its output is flushed); argv[1] is the mode:
#: "pretty" as users run it, "compact" writing json.dumps(doc), "before" json.dumps(doc, indent=2)
CLI_RUNNER = """
import json, os, sys
mode, path = sys.argv[1], sys.argv[2]
real_exit = os._exit
def _exit(code):
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    os.write(2, f"peak {hwm * 1024}\\n".encode())
    real_exit(code)
os._exit = _exit
if mode != "pretty":
    from gradcli.front import dispatch
    from gradcli.views.json_text import Pairs, Rows
    indent = 2 if mode == "before" else None
    def whole(out, doc):
        doc = {k: list(v) if isinstance(v, Rows) else dict(v) if isinstance(v, Pairs) else v for k, v in doc.items()}
        out.write(json.dumps(doc, indent=indent, allow_nan=False) + "\\n")
    dispatch._write_json = whole
from gradcli.front.cli import main
# budgets raised for a program of a million statements (38 MB, 6.75 million parts)
sys.argv = ["gradcli", "-f", path, "--format", "json", "--limit", "input=1GiB", "--limit", "nodes=1e9"]
main()
"""

AST_RUNNER = """
import ast, os, sys
ast.parse(open(sys.argv[1], encoding="utf-8").read())
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
os.write(2, f"peak {hwm * 1024}\\n".encode())
"""


def run_child(code: str, *args: str) -> tuple[float, int]:
    """Wall time and peak memory (VmHWM) of ``python -c code args``, its stdout to /dev/null."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"programs.py: the child failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = int(done.stderr.split("peak ")[-1].split()[0])
    return wall, peak


def cli_runs(path: str, modes: list[str], repeats: int) -> dict[str, list[tuple[float, int]]]:
    """Each mode ("ast" or a CLI_RUNNER mode) ``repeats`` times, interleaved, in fresh processes."""
    runs: dict[str, list[tuple[float, int]]] = {m: [] for m in modes}
    for rep in range(repeats):
        k = rep % len(modes)
        for mode in modes[k:] + modes[:k]:
            runs[mode].append(run_child(AST_RUNNER, path) if mode == "ast" else run_child(CLI_RUNNER, mode, path))
    return runs


def spread(xs: list[float], fmt: Callable[[float], str]) -> str:
    """The median, and the range when there is more than one figure."""
    return fmt(median(xs)) if len(xs) < 2 else f"{fmt(median(xs))} ({fmt(min(xs))}–{fmt(max(xs))})"


def mib(b: float) -> str:
    return f"{b / 2**20:,.0f} MiB"


def cli_table(n: int, seed: int, repeats: int, json_modes: bool) -> dict[str, list[tuple[float, int]]]:
    with tempfile.TemporaryDirectory(prefix="gradcli-bench-") as folder:  # private: mode 0700
        path = os.path.join(folder, "big.grad")
        with open(path, "w", encoding="utf-8") as f:
            f.write(generate(n, seed))
        modes = ["ast", "pretty"] + (["compact", "before"] if json_modes else [])
        runs = cli_runs(path, modes, repeats)
    base = median([t for t, _ in runs["ast"]])
    labels = {"ast": "python: ast.parse of the file (1.00×)", "pretty": "gradcli -f big.grad --format json",
              "compact": "  the same writing compact JSON", "before": "  the same with json.dumps(indent=2)"}
    rows = []
    for mode, rs in runs.items():
        times, peaks = [t for t, _ in rs], [p for _, p in rs]
        ratios = [t / base for t in times]
        rows.append([labels[mode], spread(times, fmt_time), spread(ratios, fmt_ratio), spread(peaks, mib)])
    print_table(["process", "wall time", "vs ast.parse", "peak memory"], rows,
                title=f"through the CLI, {n:,} statements, stdout to /dev/null ({repeats} interleaved runs; "
                      "median (range))")
    if json_modes:
        pretty = median([t for t, _ in runs["pretty"]])
        for mode in ("compact", "before"):
            print(f"--format json / {labels[mode].strip()}: {pretty / median([t for t, _ in runs[mode]]):.2f}×")
    return runs


def memory_phases(src: str, n: int) -> None:
    """What each phase keeps, per statement: tracemalloc's blocks still held after parse, after
    bind and after forward + backward (the arrays), and the lines that allocated most of them."""
    import tracemalloc

    from gradcli.bindings import bind
    from gradcli.interpret.program import differentiate
    from gradcli.language.parser import parse

    parse("x = 1; y = x * 2")  # the parser's tables, outside the count
    gc.collect()
    tracemalloc.start()
    snapshots = []
    program = parse(src)
    snapshots.append(("parse", tracemalloc.take_snapshot()))
    bindings = bind(program, {})
    snapshots.append(("bind", tracemalloc.take_snapshot()))
    result = differentiate(bindings)
    snapshots.append(("forward + backward", tracemalloc.take_snapshot()))
    tracemalloc.stop()
    print(f"program of {n:,} statements: {len(program.code) / n:.1f} instructions and "
          f"{len(result) / n:.2f} nodes a statement; bytes still held, a statement")
    before = None
    for phase, snapshot in snapshots:
        stats = snapshot.compare_to(before, "lineno") if before else snapshot.statistics("lineno")
        sizes = [(st.size_diff if before else st.size, st.traceback[0]) for st in stats]
        rows = [[f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}", f"{size / n:.0f} B"]
                for size, frame in sorted(sizes, key=lambda x: -x[0])[:8]]
        print_table(["allocated at", "a statement"], rows, title=f"{phase}: {sum(s for s, _ in sizes) / n:.0f} B")
        before = snapshot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="statements (default 100000)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", action="store_true", help="also run once at 10×N")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--gc-off", action="store_true", help="pause the cyclic GC inside every timed call")
    ap.add_argument("--profile", action="store_true", help="cProfile gradcli.evaluate and exit")
    ap.add_argument("--parsers", action="store_true",
                    help="only compare parsers: lark's contextual and basic lexers, lark-cython if installed")
    ap.add_argument("--cli", action="store_true",
                    help="only the CLI: gradcli -f FILE --format json, time and peak memory (with --scale, also 10×N)")
    ap.add_argument("--json", action="store_true",
                    help="with --cli: also the same call writing compact JSON, and json.dumps(indent=2) as before")
    ap.add_argument("--memory-phases", action="store_true",
                    help="only where the memory goes: tracemalloc of parse, bind and forward + backward, by line")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n, args.seed)
        return

    global GC_OFF
    GC_OFF = args.gc_off
    src = generate(args.n, args.seed)
    if args.profile:
        import gradcli

        gradcli.evaluate("x = 1; y = x * 2")
        print(f"=== cProfile: gradcli.evaluate of {args.n:,} statements ===")
        profile_top(lambda: gradcli.evaluate(src), limit=30)
        return

    if args.cli:
        print(f"Python {sys.version.split()[0]}; the installed gradcli's main() in fresh processes")
        small = cli_table(args.n, args.seed, args.repeats, args.json)
        if args.scale:
            big = cli_table(10 * args.n, args.seed, 2, False)
            rows = []
            for mode in ("ast", "pretty"):
                t1 = median([t for t, _ in small[mode]])
                t10 = [t for t, _ in big[mode]]
                rows.append([mode, fmt_time(t1), spread(t10, fmt_time), spread([t / t1 for t in t10],
                                                                               lambda x: f"{x:.1f}×")])
            print_table(["process", f"N={args.n:,}", f"N={10 * args.n:,}", "growth (10.0× = linear)"], rows,
                        title="scaling to 10×N through the CLI")
        return

    if args.memory_phases:
        memory_phases(src, args.n)
        return

    if args.parsers:
        print(f"Python {sys.version.split()[0]}; program of {args.n:,} statements; "
              f"{args.repeats} interleaved repetitions; medians")
        compare_parsers(src, args.repeats)
        return

    times = measure(src, args.repeats)
    med = {k: median(v) for k, v in times.items()}
    med["build"] = med["run"] - med["backward"]
    base = med["ast.parse"]
    rows = []
    for name, label in [
        ("ast.parse", "ast.parse (Python)"),
        ("evaluate", "gradcli.evaluate (all)"),
        ("parse", "  parse"),
        ("build", "  bind + forward (run - backward)"),
        ("backward", "  backward"),
    ]:
        share = "" if name in ("ast.parse", "evaluate") else f"{100 * med[name] / (med['parse'] + med['run']):.0f}%"
        rows.append([label, fmt_time(med[name]), fmt_time(med[name] / args.n), fmt_ratio(med[name] / base), share])
    print(f"Python {sys.version.split()[0]}; program of {args.n:,} statements, {len(src):,} characters; "
          f"{args.repeats} interleaved repetitions; medians{'; cyclic GC paused while timing' if GC_OFF else ''}")
    print_table(["phase", "time", "per statement", "vs ast.parse", "share"], rows,
                title="time (phases measured separately; share of parse + run)")

    if not args.no_memory:
        base_rss = peak_rss("baseline", args.n, args.seed)
        rows = [["import gradcli + generate text", f"{base_rss / 2**20:.0f} MiB", "", ""]]
        for mode in ("ast.parse", "parse", "evaluate"):
            rss = peak_rss(mode, args.n, args.seed)
            rows.append([mode, f"{rss / 2**20:.0f} MiB", f"{(rss - base_rss) / 2**20:+.0f} MiB",
                         f"{(rss - base_rss) / args.n:.0f} B"])
        print_table(["subprocess", "peak RSS", "above baseline", "per statement"], rows,
                    title="peak memory (VmHWM of a fresh process)")

    if args.scale:
        big = generate(10 * args.n, args.seed)
        times10 = measure(big, 1)
        rows = []
        for name in ("ast.parse", "evaluate", "parse", "run", "backward"):
            t = median(times10[name])
            rows.append([name, fmt_time(med[name]), fmt_time(t), f"{t / med[name]:.1f}×"])
        print_table(["phase", f"N={args.n:,}", f"N={10 * args.n:,}", "growth (10.0× = linear)"], rows,
                    title="scaling to 10×N (one repetition at 10×N)")
        if not args.no_memory:
            rss = peak_rss("evaluate", 10 * args.n, args.seed)
            print(f"peak RSS of evaluate at N={10 * args.n:,}: {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
