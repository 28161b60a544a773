"""Program benchmark: parse + evaluate + backward of a long generated gradcli program.

What it measures
    A generated program of N statements (seeded), cycling through four forms
    with one long-range reference each, e.g.

        v123 = v120 * 1.0001 + sin(v99)
        v124 = (v123 + v57) / 2
        v125 = tanh(v123) - v12 * 0.5
        v126 = v125 * cos(v80) + 0.1

    Timed in-process, interleaved, medians over repetitions:
        gradcli.evaluate(src)              end to end (parse, build the graph, backward)
        gradcli.language.parser.parse(src)          the parse phase alone (lark LALR + instruction emitter)
        gradcli.interpret.program.run(program, {})   build + backward from parsed instructions
        gradcli.interpret.engine.backward(out, nodes) the backward phase alone (build = run - backward)
        ast.parse(src)                     Python's own parser on the same text (it is valid Python)
    with ratios to ast.parse. Peak memory of a fresh subprocess
    that evaluates or parses the program, less one that only imports gradcli
    and generates the text. ``--scale`` adds one run at 10×N to show how time
    grows (10.0× is linear).

    Peak memory is the child's VmHWM (/proc/self/status), falling back to
    ru_maxrss where /proc is missing.

How to run
    python benchmarks/programs.py                    # N = 100,000, 3 repetitions (~1.5 min)
    python benchmarks/programs.py --n 20000 --repeats 5
    python benchmarks/programs.py --scale            # also 10×N, once (several more minutes)
    python benchmarks/programs.py --gc-off --no-memory   # the same with the cyclic GC paused
    python benchmarks/programs.py --profile          # cProfile of gradcli.evaluate, then exit
    python benchmarks/programs.py --parsers          # parse alone: lark's contextual vs basic lexer,
                                                     # and lark-cython when it is installed
"""

from __future__ import annotations

import argparse
import ast
import gc
import random
import resource
import subprocess
import sys
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
    from gradcli.interpret.engine import backward
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
                t, _ = timed(lambda: backward(result.output, result.nodes))  # type: ignore[attr-defined]
                times["backward"].append(t)
                del program, result
            else:
                t, value = timed(fn)
                times[name].append(t)
                del value
    return times


# ----- --parsers: the same program through other lark set-ups ------------------------


def parser_variants() -> dict[str, Callable[[str], list]]:
    """Parsers to compare, each emitting gradcli's instructions through the same callbacks.

    lark's default lexer for LALR is the contextual one (gradcli used it until it
    switched to the basic lexer); lark-cython is lark's official Cython plugin,
    measured when it is installed (``pip install lark-cython``).
    """
    from lark import Lark, Token

    from gradcli.language import parser as gp

    grammar = gp._read(gp.grammar_path())
    variants: dict[str, Callable[[str], list]] = {}

    def via(lark: Lark, emitter: gp._Emitter) -> Callable[[str], list]:
        def parse(src: str) -> list:
            emitter.code, emitter.source = [], src
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
        ("build", "  build graph (run - backward)"),
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
