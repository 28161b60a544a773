"""--graph FILE.html: one self-contained page that replays the backward pass.

The page holds the graph's SVG (the same picture ``--graph FILE.svg`` draws), the
program, and the facts of every value and of every step of ``--explain``, as JSON in
the page; ``page_assets/replay.js`` and ``replay.css`` are put inline. Nothing is
fetched from a network. Click or hover a value to see its op, data, grad, the local
derivative on each edge into it and the statement it comes from; step through the
backward pass with the buttons, the slider or the arrow keys, or play it.

Every number on the page is written here, by the same ``fmt`` as the tables: the
script only shows and hides what it is given, it computes nothing. All text from the
program reaches the page through ``json.dumps`` (in a script element, with ``<``
escaped) or as SVG that Graphviz escaped, and the script puts it in the page as text,
never as markup.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..language.parser import ASSIGN, EXPR, as_operand
from .numbers import DEFAULT_PRECISION, fmt

if TYPE_CHECKING:
    from ..interpret.explain import Step
    from ..interpret.program import Result


def page(result: "Result", steps: "list[Step]", svg: str, drawn: "dict[int, str]",
         folded: "list[tuple[int, int]] | None", precision: int = DEFAULT_PRECISION) -> str:
    """The HTML page. ``drawn`` maps a node's id to its name in the picture (``n5``);
    ``folded`` is None for a whole picture, else its dashed edges, as pairs of node ids."""
    data = facts(result, steps, drawn, folded, precision)
    title = f"gradcli: backward pass of {result.output_name}"
    return _TEMPLATE.format(
        title=_html_text(title),
        css=_asset("replay.css"),
        svg=_svg_element(svg),
        data=_script_json(data),
        js=_asset("replay.js"),
    )


def facts(result: "Result", steps: "list[Step]", drawn: "dict[int, str]",
          folded: "list[tuple[int, int]] | None", precision: int = DEFAULT_PRECISION) -> dict[str, Any]:
    """What the page shows, as JSON-ready data: numbers already written as the tables write them."""
    from ..interpret.explain import local_derivative, local_formulas, partial

    program = result.bindings.program
    origins = result.bindings.origins
    statements = _statements(program)
    nodes = {}
    for i, name in drawn.items():
        v = result.nodes[i]
        ins = program.code[origins[i]] if origins[i] >= 0 else None
        formulas = local_formulas(v)
        nodes[i] = {
            "label": v.label,
            "op": v.op.name,
            "data": fmt(v.data, precision),
            "grad": fmt(v.grad, precision),
            "picture": name,
            "span": [ins.start, ins.end] if ins else None,
            "statement": statements.get(origins[i]) if ins else None,
            "edges": [{"text": f"∂{as_operand(v.label)}/∂{as_operand(u.label)} = {formulas[k]}",
                       "local": fmt(local_derivative(v, k), precision)} for k, u in enumerate(v.inputs)],
        }
    feeds = [] if folded is None else _feeds(result, drawn)
    dashed = set(folded or ())
    shown = []
    for s in steps:
        if s.target not in drawn:
            continue  # folded away: its gradient is in no record (the steps between drawn values are)
        # an edge from one band of a wrapped picture into the next starts at a box named tail + "to" + head
        if folded is None:
            tail, head = f"n{s.target}", f"n{s.source}op"
            lit = [f"{tail}->{head}", f"{tail}to{head}->{head}", f"{head}->n{s.source}", f"{head}ton{s.source}->n{s.source}"]
        else:  # the dashed edges from the target to the named values the source is or feeds
            heads = (s.source,) if s.source in drawn else feeds[s.source] or ()
            tail = drawn[s.target]
            lit = [f"{tail}{to}{drawn[j]}->{drawn[j]}" if to else f"{tail}->{drawn[j]}"
                   for j in heads if (s.target, j) in dashed for to in ("", "to")]
        shown.append({
            "source": drawn.get(s.source),
            "target": s.target,
            "label": result.nodes[s.target].label,
            "formula": f"{partial(result, s)} = {s.formula}",
            "product": f"{fmt(s.upstream, precision)} × {fmt(s.local, precision)} = {fmt(s.contribution, precision)}",
            "total": fmt(s.total, precision),
            "edges": lit,
        })
    output = result.node_id(result.output)
    return {"output": output, "source": program.source, "nodes": nodes, "steps": shown,
            "folded": folded is not None, "one": fmt(1.0, precision)}


def _statements(program: Any) -> dict[int, list[int]]:
    """Each instruction's statement, as [start, end] offsets in the source."""
    found: dict[int, list[int]] = {}
    first = 0
    for i, ins in enumerate(program.code):
        if ins.kind in (ASSIGN, EXPR):
            for j in range(first, i + 1):
                found[j] = [ins.start, ins.end]
            first = i + 1
    return found


#: a value feeds at most this many named values through unnamed ones before the page stops
#: naming them (the step is still shown; only its dashed edges are not lit)
OWNERS = 8


def _feeds(result: "Result", drawn: "dict[int, str]") -> "list[tuple[int, ...] | None]":
    """For each node, the drawn values it feeds through undrawn ones (None: more than OWNERS)."""
    users: list[list[int]] = [[] for _ in result.nodes]
    for j, v in enumerate(result.nodes):
        for u in v.inputs:
            users[result.node_id(u)].append(j)
    feeds: list[tuple[int, ...] | None] = [()] * len(result.nodes)
    for i in range(len(result.nodes) - 1, -1, -1):  # users come after their inputs
        reached: set[int] | None = set()
        for j in users[i]:
            further = (j,) if j in drawn else feeds[j]
            if further is None or len(reached | set(further)) > OWNERS:  # type: ignore[operator]
                reached = None
                break
            reached.update(further)  # type: ignore[union-attr]
        feeds[i] = None if reached is None else tuple(sorted(reached))
    return feeds


def _asset(name: str) -> str:
    return resources.files("gradcli.views").joinpath("page_assets").joinpath(name).read_text(encoding="utf-8")


def _svg_element(svg: str) -> str:
    """The <svg> element of Graphviz's output (its XML declaration and doctype dropped)."""
    return svg[svg.index("<svg"):]


def _script_json(data: Any) -> str:
    """JSON that cannot end its <script> element early: '<', '>' and '&' are escaped as \\u."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _html_text(text: str) -> str:
    import html

    return html.escape(text)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>
  <nav aria-label="backward pass">
    <button id="first" title="the start (Home)">start</button>
    <button id="back" title="a step back (←)">◀ back</button>
    <button id="play" title="play or pause (space)">play</button>
    <button id="next" title="a step on (→)">next ▶</button>
    <button id="last" title="the end (End)">end</button>
    <input id="slider" type="range" min="0" value="0" aria-label="step">
    <span id="where"></span>
  </nav>
  <p id="step" aria-live="polite"></p>
</header>
<main>
  <section id="picture">
{svg}
  </section>
  <aside>
    <div><h2>Program</h2><pre id="program"></pre></div>
    <div><h2>Value</h2><div id="value"><p class="hint">Click or hover a value in the picture.</p></div></div>
  </aside>
</main>
<script type="application/json" id="gradcli-data">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""
