"""A sweep as text, a chunk at a time: CSV and the JSON document, written as the points come.

Numbers are written as ``repr`` writes them (the shortest text that reads back
as the same float), and the pieces put together are byte for byte what the csv
module and ``json.dumps`` write for the whole sweep; ``%`` over a block of
rows does it at a fraction of their cost, leaving only the digits, in C.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import numpy

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_header(header: list[str]) -> str:
    """The CSV header line. A cell that a spreadsheet would run as a formula (``-x + 1``) is
    prefixed with ``'``, as OWASP's advice on CSV injection says."""
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["'" + h if h[:1] in _FORMULA_STARTS else h for h in header])
    return out.getvalue()


def csv_rows(columns: "Sequence[numpy.ndarray]") -> str:
    """Rows of CSV from columns of floats: each number as ``repr`` writes it, the shortest text
    that reads back as the same float (-0.0 as 0.0, nan where undefined).

    One ``%`` over a block is the csv module's output for numbers (they need no quoting) at a
    fraction of its cost: the digits are all that is left, in C.
    """
    import numpy as np

    if not len(columns) or not len(columns[0]):
        return ""
    block = np.empty((len(columns[0]), len(columns)))
    for i, c in enumerate(columns):
        np.add(c, 0.0, out=block[:, i])  # + 0.0: -0.0 is written 0.0
    return (",".join(["%r"] * len(columns)) + "\n") * len(block) % tuple(block.ravel().tolist())


def sweep_json_head(output_name: str, ends: "dict[str, tuple[float, float, int]]", held: dict[str, float]) -> str:
    """A sweep's JSON document up to its points: ``json.dumps`` of ``SweepResult.to_json()`` is
    this, then ``sweep_json_points`` of every chunk, then ``sweep_json_tail``."""
    import json

    doc = {"output": output_name,
           "sweep": {n: {"start": first, "stop": last, "count": count} for n, (first, last, count) in ends.items()},
           "held": dict(held)}
    return json.dumps(doc, allow_nan=False)[:-1] + ', "points": ['


def sweep_json_points(swept: list[str], gradients: list[str], columns: "Sequence[numpy.ndarray]") -> str:
    """Points of a sweep as the JSON objects of its document, ``, ``-separated (as ``json.dumps``
    writes them: numbers as ``repr``, undefined as null)."""
    import json

    import numpy as np

    if not len(columns) or not len(columns[0]):
        return ""
    block = np.column_stack(columns)
    numbers: list[Any] = block.ravel().tolist()
    for i in np.flatnonzero(np.isnan(block.ravel())).tolist():
        numbers[i] = "null"

    def key(name: str) -> str:
        return json.dumps(name).replace("%", "%%") + ": %s"

    point = ("{" + ", ".join([*map(key, swept), '"value": %s']) + ', "gradients": {'
             + ", ".join(map(key, gradients)) + "}}")
    return ", ".join([point] * len(block)) % tuple(numbers)


def sweep_json_tail(undefined: int) -> str:
    return f'], "undefined": {undefined}}}'
