"""The Python API's Result: the engine's result with its views (table, JSON, DOT, Jupyter).

It sits above the views, so the engine's own ``program.Result`` stays plain
data that no lower layer has to import a view for.
"""

from __future__ import annotations

import io
from typing import Any, Mapping

from ..interpret import program
from ..views.drawing import MAX_NODES, digraph, render
from ..views.render import table, to_json


class Result(program.Result):
    """A differentiated program (``program.Result``), which can show itself."""

    __slots__ = ()

    def table(self, precision: int = 4) -> Any:
        """The summary line and node table as a rich renderable (``rich.print(r.table())``)."""
        return table(self, precision)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``--format json``, as Python data."""
        return to_json(self)

    def to_dot(self, precision: int = 4, rankdir: str | None = None) -> str:
        """The graph as DOT text (``gradcli.drawing.render(dot, "svg")`` makes a picture); ``rankdir``
        'TB' or 'LR' (default: by the graph's shape)."""
        return digraph(self.nodes, self.output, precision, rankdir=rankdir).source

    def _repr_html_(self) -> str:
        """Jupyter: the table, and the graph when it is within the picture budget."""
        from rich.console import Console

        console = Console(record=True, width=100, file=io.StringIO(), color_system=None)
        console.print(self.table(), crop=False)
        html = console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
        if len(self.nodes) <= MAX_NODES:
            html += render(self.to_dot(), "svg").decode("utf-8")
        return html


def evaluate(source: str, values: Mapping[str, float] | None = None, output: str | None = None,
             **named_values: float) -> Result:
    """Parse ``source``, build its graph, and differentiate ``output`` (default: the last statement).

    ``values`` (or keyword arguments: ``evaluate("y = a * 2", a=3)``) give
    inputs their values before the program runs; a statement ``name = number``
    in the program is then a default that the given value overrides. A value
    for a name that is no input of the program is an error.
    """
    r = program.evaluate(source, values, output, **named_values)
    return Result(r.bindings, r.data, r.grads, r.overrides)
