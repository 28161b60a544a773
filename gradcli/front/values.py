"""``--values FILE``: the inputs' values from a JSON object (``{"x": 2, "w": -3}``).

The file is read as the program is, within the ``input`` budget: reading stops
one byte past it, and a path that is not a regular file (a FIFO, which could
block forever; ``/dev/zero``, which never ends) is refused before a byte is
read. Standard input (``-``) is read within the same budget. Every error names
the option and the file, and the key or the line and column at fault.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
from typing import Any

from ..errors import GradcliError
from ..language.parser import is_name
from ..limits import Limits, amount, exceeded
from ..text import shorten

OPTION = "--values"


def read_values(path: str, limits: Limits) -> dict[str, float]:
    """The values in the JSON object at ``path`` (``-``: standard input), by name, in the file's order."""
    shown = path  # "-": standard input
    data = _read(path, "standard input" if path == "-" else path, limits["input"])
    if len(data) > limits["input"]:
        raise exceeded("input", f"{OPTION} {shown} is longer than {amount('input', limits['input'])}, the limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GradcliError(f"{OPTION} {shown}: not UTF-8 text (byte {e.start})") from None
    return parse_values(text, shown)


def _read(path: str, shown: str, limit: int) -> bytes:
    try:
        if path == "-":
            if sys.stdin is None:
                raise GradcliError(f"{OPTION} -: standard input is closed")
            stream: Any = getattr(sys.stdin, "buffer", None)
            return stream.read(limit + 1) if stream is not None else sys.stdin.read(limit + 1).encode()
        # non-blocking, so that opening a FIFO with no writer returns at once (and is then refused)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise GradcliError(f"{OPTION} {shown}: not a regular file (a pipe or a device); give a file,"
                                   " or - for standard input")
            return f.read(limit + 1)
    except OSError as e:
        raise GradcliError(f"cannot read {shown}: {e.strerror}") from None


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Duplicate(key)
        found[key] = value
    return found


_NOT_A_NUMBER = object()  # NaN, Infinity and -Infinity: JSON has no such numbers, Python's json reads them


def parse_values(text: str, shown: str) -> dict[str, float]:
    """A JSON object of names and finite numbers -> the values; GradcliError naming what is wrong, and where."""
    try:
        # whole numbers as floats: a 5,000-digit integer is then inf (refused), never a slow int
        doc = json.loads(text, object_pairs_hook=_pairs, parse_int=float,
                         parse_constant=lambda word: _NOT_A_NUMBER)
    except json.JSONDecodeError as e:
        raise GradcliError(f"{OPTION} {shown}: not valid JSON at line {e.lineno}, column {e.colno}:"
                           f" {e.msg.lower()}") from None
    except _Duplicate as e:
        raise GradcliError(f"{OPTION} {shown}: '{shorten(e.key)}' is given more than once; give it once") from None
    except RecursionError:
        raise GradcliError(f"{OPTION} {shown}: nested too deeply; give one object of names and numbers") from None
    if not isinstance(doc, dict):
        raise GradcliError(f"{OPTION} {shown}: not a JSON object of names and numbers, such as"
                           ' {"x": 2, "w": -3}')
    values: dict[str, float] = {}
    for key, value in doc.items():
        if not is_name(key):
            raise GradcliError(f"{OPTION} {shown}: '{shorten(key)}' is not a valid name")
        if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
            shown_value = "NaN or Infinity" if value is _NOT_A_NUMBER else shorten(json.dumps(value))
            raise GradcliError(f"{OPTION} {shown}: the value of '{shorten(key)}' is not a finite number:"
                               f" {shown_value}")
        values[key] = value
    return values
