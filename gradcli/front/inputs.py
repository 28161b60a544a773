"""The program a call reads, from a file or standard input, within the ``input`` budget.

Reading stops one byte past the limit, so an endless input (``-f /dev/zero``)
fails at once instead of filling the memory. The command reads its program
here, and a session (``:load``) its files.
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import GradcliError
from ..limits import Limits, amount, exceeded
from .outputs import file_identity


def read_file(file: str, limits: Limits) -> tuple[str, tuple[int, int] | None]:
    """The text of the program file ``file`` ('-': standard input), and the file's identity
    (None for a pipe or a terminal)."""
    shown = "standard input" if file == "-" else file
    limit = limits["input"]
    try:
        if file == "-":
            identity = file_identity(0)
            stream: Any = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
            data = stream.read(limit + 1) if stream is not None else sys.stdin.read(limit + 1).encode()
        else:
            with open(file, "rb") as f:
                identity = file_identity(f.fileno())
                data = f.read(limit + 1)
    except OSError as e:
        raise GradcliError(f"cannot read {shown}: {e.strerror}") from None
    if len(data) > limit:
        over_input(limits, shown)
    try:
        return data.decode("utf-8-sig"), identity
    except UnicodeDecodeError as e:
        raise GradcliError(f"cannot read {shown}: not UTF-8 text (byte {e.start})") from None


def over_input(limits: Limits, where: str = "the program") -> None:
    raise exceeded("input", f"{where} is longer than {amount('input', limits['input'])}, the limit")
