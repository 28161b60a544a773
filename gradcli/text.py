"""User text made safe to show: no control characters, no unbounded quotes.

A program, a file name or an option value can hold anything: terminal escape
sequences (which retitle the window or clear the screen), line separators that
move the caret, or a million-character name. Everything user-written passes
through ``printable`` before it reaches a terminal, and what a message quotes is
clipped, so an error is always one short line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: C0 and C1 controls, DEL, and the characters other than \n that some programs take for a
#: line break or that reorder text on screen (U+2028/9, bidirectional overrides and isolates)
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
#: a quoted run of text longer than this is shortened in the middle
RUN_WIDTH = 80
#: a message longer than this (after shortening runs) is cut
MESSAGE_LIMIT = 1_000
_LONG_RUN = r"\S{%d,}" % (RUN_WIDTH + 1)


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)  # on first use: a call that prints no user text compiles nothing


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character shown escaped (``\\x1b``), as repr() would.

    Tabs and newlines stay as they are; an escaped text is printable, so
    applying this twice changes nothing more.
    """
    return _compiled(_UNSAFE).sub(_escape, text)


def shorten(text: str, width: int = RUN_WIDTH) -> str:
    """``text`` on one line, shortened in the middle to ``width`` characters with '…'."""
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[len(text) - (width - 1 - half):]


def safe_message(text: str) -> str:
    """A message fit for a terminal: escaped, every long run of user text shortened, bounded."""
    text = _compiled(_LONG_RUN).sub(lambda m: shorten(m.group()), printable(text))
    return shorten(text, MESSAGE_LIMIT) if len(text) > MESSAGE_LIMIT else text


def cells(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters two, combining marks none."""
    import unicodedata

    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def listing(items: list[str], limit: int = 12) -> str:
    """Items joined by commas, the first ``limit`` of a long list and how many there are in all."""
    shown = ", ".join(shorten(item) for item in items[:limit])
    return shown if len(items) <= limit else f"{shown}, … ({len(items):,} in all)"


def superscript(n: int) -> str:
    """12 -> '¹²' (the marks of notes, the order of a derivative)."""
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; False for None, a closed stream, or one that cannot say."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False
