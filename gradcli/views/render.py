"""Result -> what users read: a rich table, a rich tree, a JSON-ready dict.

Functions here return renderables or plain data and print nothing. rich is
imported inside the functions that need it, so the JSON path never loads it.

About 330 lines: every output of a program's result (table, long table, tree, JSON, batch
rows) is here, side by side, so that each shows a node the same way.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from itertools import islice
from math import isfinite
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from ..interpret.engine import Value, topological_order
from ..language.ops import Op
from ..language.parser import as_operand
from ..text import printable, shorten
from .json_text import BLOCK, Pairs, Records
from .numbers import DEFAULT_PRECISION, column, fmt, json_number

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..interpret.batch import LineResult
    from ..interpret.program import Result
    from ..interpret.sweep import SweepResult

def op_symbol(op: Op) -> str:
    """The op column: the op's symbol, its name for leaves ("input", "const") and for
    negation ("neg", as JSON says), which would otherwise read as subtraction's "-"."""
    if op.name == "neg":
        return "neg"
    return op.symbol or op.name


def summary_parts(result: Result, precision: int = DEFAULT_PRECISION) -> list[str]:
    """The output's value, then d(output)/d(input) for each input and d(output)/d(name) for
    each other named variable."""
    out = result.output_name
    parts = [f"{out} = {fmt(result.value, precision)}"]
    parts += [f"∂{as_operand(out)}/∂{name} = {fmt(grad, precision)}" for name, grad in result.partials.items()]
    return parts


def summary(result: Result, precision: int = DEFAULT_PRECISION) -> str:
    """The summary on one line."""
    return "   ".join(summary_parts(result, precision))


def fit(wide: "RenderableType", narrow: "RenderableType") -> "RenderableType":
    """``wide`` where the console has room for it, else ``narrow`` (the same content laid out
    for a narrow terminal). Pipes and files are as wide as the content: they get ``wide``."""
    from rich.measure import Measurement

    class Fit:
        def __rich_console__(self, console: Any, options: Any) -> Any:
            if not console.is_terminal:  # measuring first would cost as much again as drawing
                yield wide
                return
            needed = Measurement.get(console, options.update(width=10**6), wide).maximum
            yield wide if needed <= options.max_width else narrow

    return Fit()


def summary_text(result: Result, precision: int = DEFAULT_PRECISION) -> "RenderableType":
    """The summary: one line where it fits, else one derivative per line (never broken mid-token)."""
    from rich.text import Text

    parts = [printable(p) for p in summary_parts(result, precision)]
    one_line = Text("   ".join(parts), style="bold", no_wrap=True, overflow="ignore")
    return fit(one_line, Text("\n".join(parts), style="bold", no_wrap=True, overflow="ignore"))


#: a table of more rows than this shows its first and last rows on a terminal, and is written
#: as plain text, row after row, when piped (``plain``): rich takes about 0.4 ms to draw a row
LONG_TABLE = 2_000
LONG_TABLE_ENDS = 20  # the rows a long table on a terminal shows at each end


def table(result: Result, precision: int = DEFAULT_PRECISION, elide: bool = False) -> "RenderableType":
    """The summary line, then every node in evaluation order: id, node, op, inputs, data, grad.

    With ``elide`` (a terminal), more than LONG_TABLE nodes show the first and last
    LONG_TABLE_ENDS and a line that says so (a pipe, or --format json, has every node).
    """
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    t.add_column("id", justify="right", style="dim")
    t.add_column("node", style="bold")
    t.add_column("op")
    t.add_column("inputs", style="dim")
    t.add_column("data", justify="right")
    t.add_column("grad", justify="right", style="green")
    count, ends = len(result), LONG_TABLE_ENDS
    cut = elide and count > LONG_TABLE
    shown = [*range(ends), *range(count - ends, count)] if cut else None
    for i, label, op, inputs, data, grad in node_cells(result, precision, shown):
        t.add_row(i, Text(label), op, inputs, data, grad)
        if cut and i == str(ends - 1):
            t.add_row("…", "…", "…", "…", "…", "…")
    note = f"{count:,} values; the first and last {ends} are shown (a pipe, or --format json, has every one)"
    return Group(summary_text(result, precision), t, *[Text(note, style="dim")] * cut)


NODE_COLUMNS = ("id", "node", "op", "inputs", "data", "grad")  # the columns of a program's table
NODE_RIGHT = (True, False, False, False, True, True)  # which of them are right-aligned


def node_formats(result: Result, precision: int = DEFAULT_PRECISION) -> "tuple[Callable[[float], str], ...]":
    """The forms of the data and grad columns, chosen over every node (so any rows of the table agree)."""
    return column(result.data, precision), column(result.grads, precision)


def node_cells(result: Result, precision: int = DEFAULT_PRECISION, nodes: "Iterable[int] | None" = None,
               formats: "tuple[Callable[[float], str], ...] | None" = None
               ) -> Iterator[tuple[str, str, str, str, str, str]]:
    """The cells of the table's rows (of the nodes numbered ``nodes``, default all), as text, the
    numbers in ``formats`` (``node_formats``: a table written a block at a time asks for them once)."""
    b = result.bindings
    data, grad = formats or node_formats(result, precision)
    for i in range(len(result)) if nodes is None else nodes:
        inputs = ", ".join(map(str, b.args[i]))
        yield str(i), printable(b.labels[i]), op_symbol(b.ops[i]), inputs, data(result.data[i]), grad(result.grads[i])


def tree(result: Result, precision: int = DEFAULT_PRECISION, max_depth: int = 50) -> "RenderableType":
    """The graph from the output down to its inputs; a node seen before is named, not repeated.

    Each level indents further, so the tree is cut ``max_depth`` levels down
    (a marker says where, and a last line how many values are not shown): its
    output grows with the graph, never with the graph's depth squared.
    """
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    def line(v: Value) -> str:
        return f"[bold]{_escape(v.label)}[/]  [dim]#{result.node_id(v)} {op_symbol(v.op)}[/]  data {fmt(v.data, precision)}  grad [green]{fmt(v.grad, precision)}[/]"

    root = Tree(line(result.output))
    shown = {result.output}
    cut = 0
    # pre-order with an explicit stack (graphs can be deeper than Python's recursion
    # limit): the first time a node is printed it is expanded, later it is referenced
    stack = [(u, root, 1) for u in reversed(result.output.inputs)]
    while stack:
        v, parent, depth = stack.pop()
        if v in shown:
            parent.add(f"[dim]↑ {_escape(v.label)} (#{result.node_id(v)}, shown above)[/]")
            continue
        if depth > max_depth:
            cut += 1
            parent.add(f"[dim]… #{result.node_id(v)} and what it depends on: deeper than {max_depth} levels[/]")
            continue
        shown.add(v)
        branch = parent.add(line(v))
        stack.extend((u, branch, depth + 1) for u in reversed(v.inputs))
    if not cut:
        return root
    hidden = len(topological_order(result.output)) - len(shown)
    return Group(root, Text(f"{hidden:,} values deeper than {max_depth} levels are not shown"
                            " (--format table lists every value)", style="dim"))


def new_table() -> Any:
    """A rich Table whose cells fold onto more lines when the terminal is narrow, never cut with '…'."""
    return _folding_table_class()()


@lru_cache(maxsize=1)
def _folding_table_class() -> Any:
    from rich.table import Table  # rich is imported only when a table is drawn

    class Folding(Table):
        def add_column(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("overflow", "fold")
            super().add_column(*args, **kwargs)

    return Folding


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text))


def to_json(result: Result) -> dict[str, Any]:
    """The JSON document: output, value, inputs, gradients, and every node with its input ids."""
    doc = json_doc(result)
    doc["gradients"] = dict(doc["gradients"])
    doc["nodes"] = list(doc["nodes"])
    return doc


def json_doc(result: Result) -> dict[str, Any]:
    """``to_json``'s document with its gradients and nodes produced as they are written
    (``json_text``'s ``Pairs`` and ``Records``), not a dict and a list of them all held at once."""
    grads = result.grads
    return {
        "output": result.output_name,
        "value": result.value,
        "inputs": result.input_values,
        "gradients": Pairs((name, json_number(grads[n])) for name, n in result.bindings.wrt_items()),
        "nodes": Records(NODE_KEYS, _node_blocks(result)),
    }


#: the keys of a node's object in the JSON document
NODE_KEYS = ("id", "label", "op", "data", "grad", "inputs")


def _node_blocks(result: Result) -> Iterator[tuple[int, tuple[Sequence[Any], ...]]]:
    """The nodes' objects a block at a time, by column (``Records``)."""
    b = result.bindings
    for start in range(0, len(result), BLOCK):
        stop = min(start + BLOCK, len(result))
        grads = result.grads[start:stop]
        yield stop - start, (range(start, stop), b.labels.between(start, stop),
                             [op.name for op in b.ops[start:stop]], result.data[start:stop],
                             grads if all(map(isfinite, grads)) else list(map(json_number, grads)),
                             b.args.between(start, stop))


PROGRAM_WIDTH = 60  # a program longer than this is shortened in the middle in --each-line tables
BATCH_ROWS = 40  # an --each-line table on a terminal longer than this shows its first and last rows


def batch_table(rows: "list[LineResult]", precision: int = DEFAULT_PRECISION, elide: bool = False,
                ran: int | None = None) -> "RenderableType":
    """--each-line: one row per program that ran (failed lines are reported on stderr).

    With ``elide`` (a terminal), more than BATCH_ROWS rows show their first and last
    BATCH_ROWS // 2 and a line that says so: drawing 20,000 rows would take seconds, and
    no one reads them on a screen (--format json, or a pipe, has every line). ``ran``: how
    many lines ran, when ``rows`` holds only the first and last of them (``batch_ends``).
    """
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    t.add_column("line", justify="right", style="dim")
    t.add_column("program")
    t.add_column("value", justify="right")
    t.add_column("gradients", style="green")
    kept: list[LineResult | None] = [row for row in rows if row.result is not None]
    count = len(kept) if ran is None else ran
    half = BATCH_ROWS // 2
    cut = elide and count > BATCH_ROWS
    shown: list[LineResult | None] = [*kept[:half], None, *kept[-half:]] if cut else kept
    results = [row.result for row in shown if row is not None and row.result is not None]
    value = column((r.value for r in results), precision)
    grad = column((g for r in results for g in r.partials.values()), precision)
    for row in shown:
        if row is None:
            t.add_row("…", "…", "…", "…")
            continue
        r = row.result
        assert r is not None
        grads = ", ".join(f"∂/∂{name} = {grad(g)}" for name, g in r.partials.items())
        t.add_row(str(row.line), Text(shorten(printable(row.source.strip()), PROGRAM_WIDTH)),
                  Text(printable(f"{r.output_name} = {value(r.value)}")), Text(printable(grads)))
    if not cut:  # (41 rows elided are 41 rows too: 20, the mark, 20)
        return t
    note = f"{count:,} lines ran; the first and last {half} are shown (--format json, or a pipe, has every line)"
    return Group(t, Text(note, style="dim"))


def batch_json(row: "LineResult") -> dict[str, Any]:
    """--each-line --format json: the line's JSON document, or its error, with the line number."""
    if row.result is not None:
        from ..interpret.batch import Ran

        assert not isinstance(row.result, Ran), "a line's JSON is written where it ran, from its graph"
        return {"line": row.line, **to_json(row.result)}
    assert row.error is not None
    return {"line": row.line, "source": row.source, "error": {"message": row.message, "exit_code": row.error.exit_code}}


SWEEP_ROWS = 20  # a sweep table longer than this shows its first and last rows


def sweep_table_of(output_name: str, header: list[str], ends: "dict[str, tuple[float, float, int]]",
                   rows: "Iterable[tuple[float, ...]]", size: int, precision: int = DEFAULT_PRECISION
                   ) -> "RenderableType":
    """A sweep of ``size`` points as a table, from its rows in order: every row, or (when there are
    more than SWEEP_ROWS) the first and last, then ``rows`` may leave out any in the middle.
    ``ends``: each swept variable's first and last points and its count."""
    from rich.console import Group
    from rich.text import Text

    t = new_table()
    for name in header:
        t.add_column(name, justify="right")
    half = SWEEP_ROWS // 2
    rows = iter(rows)
    shown: list[tuple[float, ...] | None] = list(rows) if size <= SWEEP_ROWS else [
        *islice(rows, half), None, *deque(rows, maxlen=half)]  # the last rows, not a list of every point
    numbers = [row for row in shown if row is not None]
    formats = [column((row[i] for row in numbers), precision) for i in range(len(header))]
    for row in shown:
        t.add_row(*(["…"] * len(header) if row is None else [f(x) for f, x in zip(formats, row)]))
    axes = ", ".join(f"{name} from {fmt(first, precision)} to {fmt(last, precision)} ({count} points)"
                     for name, (first, last, count) in ends.items())
    return Group(Text(f"{output_name} over {axes}", style="bold"), t)


def sweep_csv(result: "SweepResult") -> Iterator[str]:
    """Every point as CSV, numbers in full (nan where undefined), a block of rows at a time."""
    from .sweep_text import csv_header, csv_rows

    yield csv_header(result.header())
    columns = result.columns()
    for start in range(0, result.values.size, CSV_BLOCK):
        yield csv_rows([c[start:start + CSV_BLOCK] for c in columns])


CSV_BLOCK = 10_000  # rows written at a time
