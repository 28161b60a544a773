"""JSON text exactly as ``json.dumps(doc, indent=2, allow_nan=False)`` writes it, in pieces.

With an indent, ``json.dumps`` runs the standard library's pure-Python encoder (its C
encoder writes compact JSON only): for a big program's document, 4–5× the time of the
compact form. Here each string and number is written by the functions ``json`` itself
uses (``encode_basestring_ascii``, C where available; ``float.__repr__``; ``int.__repr__``),
and each list or object is laid out with one join. ``Rows`` and ``Records`` stand for a
long list that is produced as it is written (the nodes of a program), ``Pairs`` for a long
object (its gradients), a block of items at a time, so the whole document is never held
in memory. Anything this module does not lay out
itself (keys that are not strings, types JSON does not know) goes to ``json.dumps``,
so its text and errors are json's own.
"""

from __future__ import annotations

import json
from array import array
from itertools import chain, islice
from json.encoder import encode_basestring_ascii
from math import isfinite as _finite
from typing import Any, Callable, Iterable, Iterator, Sequence

INDENT = "  "  # indent=2
BLOCK = 2_000  # Rows items written at a time


class Rows:
    """A list written as it is produced: ``items`` is iterated once, when the document is written."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


class Records(Rows):
    """A list of objects with the same keys, written as it is produced, a block at a time:
    ``items`` gives each block as its size and its columns, one sequence per key. A column of
    one plain type is encoded with one ``map`` over the block. ``of_rows`` makes one from rows
    (a tuple of the values of ``keys`` each)."""

    __slots__ = ("keys",)

    def __init__(self, keys: tuple[str, ...], blocks: Iterable[tuple[int, Sequence[Sequence[Any]]]]) -> None:
        super().__init__(blocks)
        self.keys = keys

    @classmethod
    def of_rows(cls, keys: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> "Records":
        def blocks() -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
            items = iter(rows)
            while block := list(islice(items, BLOCK)):
                yield len(block), list(zip(*block))

        return cls(keys, blocks())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self.keys
        return (dict(zip(keys, row)) if keys else {}
                for size, columns in self.items for row in (zip(*columns) if keys else [()] * size))


class Pairs:
    """An object written as it is produced: ``items`` gives its (key, value) pairs, each key a
    str, once (a big program's gradients: a name each, never all in a dict)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.items)


_INF = float("inf")


def _float(x: float) -> str:
    if x != x or x in (_INF, -_INF):
        # json's own message (allow_nan=False)
        raise ValueError("Out of range float values are not JSON compliant: " + repr(x))
    return float.__repr__(x)

# the plain values, by exact type (a subclass takes the general path, as in json)
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    float: _float,
    int: int.__repr__,
    bool: lambda b: "true" if b else "false",
    type(None): lambda _: "null",
}


def dumps(doc: Any) -> str:
    """``json.dumps(doc, indent=2, allow_nan=False)``, byte for byte (a ``Rows`` is written as a list)."""
    return "".join(pieces(doc))


def pieces(doc: Any) -> Iterator[str]:
    """The text of ``dumps(doc)`` in pieces: the items of a ``Rows`` among ``doc``'s values are
    produced and written a block at a time."""
    if isinstance(doc, dict) and doc and all(type(k) is str for k in doc):
        yield "{"
        sep = "\n" + INDENT
        for key, value in doc.items():
            yield sep + encode_basestring_ascii(key) + ": "
            if isinstance(value, Rows):
                yield from _rows(value, 1)
            elif isinstance(value, Pairs):
                yield from _object(iter(value), 1)
            elif type(value) is dict and len(value) > BLOCK and all(type(k) is str for k in value):
                yield from _object(iter(value.items()), 1)  # never one string of them all
            else:
                yield _text(value, 1)
            sep = ",\n" + INDENT
        yield "\n}"
    else:
        yield _text(doc, 0)


def _rows(rows: Rows, level: int) -> Iterator[str]:
    inner = "\n" + INDENT * (level + 1)
    items = iter(rows.items)
    first = True
    while True:
        if isinstance(rows, Records):
            size, columns = next(items, (0, ()))
            block = _records(rows.keys, size, columns, level + 1)
        else:
            block = [_text(item, level + 1) for item in islice(items, BLOCK)]
        if not block:
            break
        yield ("[" if first else ",") + inner + ("," + inner).join(block)
        first = False
    yield "[]" if first else "\n" + INDENT * level + "]"


def _object(items: Iterator[tuple[str, Any]], level: int) -> Iterator[str]:
    """``_text`` of a dict of many items, given as its items, a block of items at a time."""
    inner = "\n" + INDENT * (level + 1)
    first = "{"
    while block := list(islice(items, BLOCK)):
        keys, values = zip(*block)
        conversion, texts = _column(values, level + 1)  # (a big program's gradients: floats, one map)
        item = "%s: " + conversion
        yield first + inner + ("," + inner).join(map(item.__mod__, zip(map(encode_basestring_ascii, keys), texts)))
        first = ","
    yield "{}" if first == "{" else "\n" + INDENT * level + "}"


def _records(keys: tuple[str, ...], size: int, columns: Sequence[Sequence[Any]], level: int) -> list[str]:
    """The ``size`` objects of ``keys`` whose values are ``columns``, ``level`` levels down."""
    if not size:
        return []
    if not keys:
        return ["{}"] * size
    inner = "\n" + INDENT * (level + 1)
    conversions, texts = zip(*[_column(column, level + 1) for column in columns])
    template = "{" + ",".join(inner + encode_basestring_ascii(k).replace("%", "%%") + ": " + conversion
                              for k, conversion in zip(keys, conversions))
    template += "\n" + INDENT * level + "}"
    return list(map(template.__mod__, zip(*texts)))


def _column(values: Sequence[Any], level: int) -> tuple[str, Iterable[Any]]:
    """How each of ``values`` goes into its object's template, and what goes in: floats as ``%r``
    and ints as ``%d`` as they are (their ``__repr__``'s text, without a call each), anything
    else as ``%s`` of its text; a column of one plain type with one ``map``."""
    if type(values) is range:  # (ids)
        return "%d", values
    # an array of doubles holds floats only; anything else, by the type of each value
    kinds = {float} if isinstance(values, array) and values.typecode == "d" else set(map(type, values))
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is float:
            if all(map(_finite, values)):
                return "%r", values
            return "%s", list(map(_float, values))  # raises json's error at the first one out of range
        if kind is int:
            return "%d", values
        if kind is str:
            return "%s", map(encode_basestring_ascii, values)
        if (kind is list or kind is tuple) and set(map(type, chain.from_iterable(values))) <= {int}:  # lists of ints
            inner = "\n" + INDENT * (level + 1)
            sep, end = "," + inner, "\n" + INDENT * level + "]"
            short = ("[]", "[" + inner + "%d" + end, "[" + inner + "%d" + sep + "%d" + end)  # most lists
            return "%s", [short[len(v)] % tuple(v) if len(v) < 3
                          else "[" + inner + sep.join(map(int.__repr__, v)) + end for v in values]
    return "%s", [_text(v, level) for v in values]


def _text(value: Any, level: int) -> str:
    """``value`` as json.dumps(indent=2) writes it ``level`` levels down."""
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return scalar(value)
    kind = type(value)
    if kind is dict and all(type(k) is str for k in value):
        if not value:
            return "{}"
        inner = "\n" + INDENT * (level + 1)
        scalars = _SCALARS
        parts = []
        for k, v in value.items():
            encode = scalars.get(type(v))
            parts.append(encode_basestring_ascii(k) + ": " + (encode(v) if encode is not None else _text(v, level + 1)))
        return "{" + inner + ("," + inner).join(parts) + "\n" + INDENT * level + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = "\n" + INDENT * (level + 1)
        return "[" + inner + ("," + inner).join([_text(v, level + 1) for v in value]) + "\n" + INDENT * level + "]"
    if kind is Rows or kind is Records:
        return "".join(_rows(value, level))
    if kind is Pairs:
        return "".join(_object(iter(value), level))
    # anything else (a subclass, a key that is no string, a type JSON does not know): json's own text or error
    return json.dumps(value, indent=2, allow_nan=False).replace("\n", "\n" + INDENT * level)
