"""Picture shapes: how big each picture comes out, by direction, against the old left-to-right.

What it measures
    For each graph: the SVG's width x height in points as gradcli draws it now (direction by
    the graph's shape, a chain wrapped), forced left to right and top to bottom, and the old
    way (left to right, never wrapped; with today's op nodes and edge labels, so a little wider
    than the old pictures were), and whether the PNG (96 pixels an inch) would pass Graphviz's
    32,767-pixel limit. Sizes, not times: the layout is deterministic, so one run suffices.

    logreg 21   a logistic-regression loss of two features (21 values)
    chain N     x{i} = tanh(x{i-1}), N steps
    chain*c N   x{i} = x{i-1} * 1.01, N steps (a constant into every step)
    fan N       N values that all use x (wide, shallow)
    long-range  the render benchmark's chain where one value in ten reuses a far one

How to run
    python benchmarks/picture_shapes.py                  # with the system dot
    python benchmarks/picture_shapes.py --renderer embedded
"""

from __future__ import annotations

import argparse
import re
import time

from _common import print_table

from gradcli import evaluate
from gradcli.views.drawing import BITMAP_LIMIT, digraph, picture, render

LOGREG = """x1 = 0.5
x2 = -1.2
w1 = 0.3
w2 = 0.8
b = 0.1
y = 1
z = w1*x1 + w2*x2 + b
p = sigmoid(z)
loss = -(y*log(p) + (1 - y)*log(1 - p))"""


def chain(steps: int, step: str = "tanh(x{p})") -> str:
    return "x0 = 0.5\n" + "\n".join(f"x{i} = " + step.format(p=i - 1) for i in range(1, steps + 1))


def long_range(values: int) -> str:
    lines = ["v0 = 0.5"]
    for i in range(1, values):
        lines.append(f"v{i} = v{i - 1} * v{(i * 7) % (i - 9)}" if i % 10 == 0 and i > 10 else f"v{i} = tanh(v{i - 1})")
    return "\n".join(lines)


GRAPHS = {
    "logreg 21": LOGREG,
    "chain 60": chain(60),
    "chain 200": chain(200),
    "chain*c 200": chain(200, "x{p} * 1.01"),
    "fan 40": "x = 1\n" + "\n".join(f"y{i} = x * {i}" for i in range(1, 41)),
    "long-range 300": long_range(300),
}


def size(source: str, renderer: str) -> tuple[int, int]:
    svg = render(source, "svg", renderer=renderer).decode()
    found = re.search(r'width="(\d+)pt" height="(\d+)pt"', svg)
    assert found is not None
    return int(found.group(1)), int(found.group(2))


def shown(width_height: tuple[int, int]) -> str:
    width, height = width_height
    over = max(width, height) * 96 / 72 > BITMAP_LIMIT
    return f"{width:,}×{height:,}{' (PNG over)' if over else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer", choices=["dot", "embedded"], default="dot")
    args = parser.parse_args()
    rows = []
    started = time.perf_counter()
    for name, source in GRAPHS.items():
        r = evaluate(source)
        now = picture(r, "svg").source
        chosen = re.search(r"rankdir=(\w+)", now)
        rows.append([
            name, len(r.nodes), chosen.group(1) if chosen else "?", "yes" if "dashed,rounded" in now else "no",
            shown(size(now, args.renderer)),
            shown(size(picture(r, "svg", rankdir="LR").source, args.renderer)),
            shown(size(picture(r, "svg", rankdir="TB").source, args.renderer)),
            shown(size(digraph(r.nodes, r.output, rankdir="LR", wrap=False).source, args.renderer)),
        ])
    print_table(["graph", "values", "chosen", "wrapped", "now (pt)", "--rankdir LR", "--rankdir TB",
                 "LR unwrapped (the old way)"], rows,
                title=f"SVG sizes with {args.renderer}; PNG over: past {BITMAP_LIMIT:,} px at 96 px an inch")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
