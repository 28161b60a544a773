"""Budgets: every resource a call can exhaust has a limit, checked before the work.

A program, or an option such as ``--order 4``, can ask for more memory or time
than a machine has. Each such cost is estimated before the work starts; past
its limit the call fails at once (exit 2) with a message that names the limit
and how to raise it: ``--limit NAME=N``. The defaults keep a call within about
a minute and a couple of GiB on a small machine.
"""

from __future__ import annotations

from .errors import GradcliError


class Limit:
    """One budget: its default, its unit ("bytes", or what a count counts), and what it bounds."""

    # a plain class: a NamedTuple costs about a millisecond to build at every start-up
    __slots__ = ("default", "unit", "what")

    def __init__(self, default: int, unit: str, what: str) -> None:
        self.default, self.unit, self.what = default, unit, what


#: name -> the limit; the README's table of limits lists the same rows
LIMITS: dict[str, Limit] = {
    "input": Limit(32 * 2**20, "bytes", "program text read from an argument, a file or standard input, and a"
                                        " --values file"),
    "nodes": Limit(2_000_000, "parts", "parts of the parsed program (numbers, names, operations, statements)"),
    "work": Limit(20_000_000, "node evaluations",
                  "node evaluations of --check (two per input and node) and of --order (building a node of"
                  " a derivative's graph counts 5)"),
    "memory": Limit(2 * 2**30, "bytes", "arrays of a --sweep (points x nodes x 8 bytes) and its JSON text"),
    "derivatives": Limit(1_000_000, "derivatives", "derivatives --order computes (inputs^order / order!, about)"),
}

_SIZE = r"(\d+(?:\.\d*)?(?:[eE]\+?\d+)?)\s*([KMGT]i?B?|B)?"  # compiled only when --limit is given
_UNITS = {"": 1, "b": 1}
for _i, _prefix in enumerate("kmgt", 1):  # 4k, 4kb: thousands; 4ki, 4kib: powers of 1024
    _UNITS.update({_prefix: 1000**_i, _prefix + "b": 1000**_i, _prefix + "i": 1024**_i, _prefix + "ib": 1024**_i})


class LimitError(GradcliError):
    """A call whose estimated cost is over a limit (exit 2: the user chooses to raise it)."""


def exceeded(name: str, message: str) -> LimitError:
    """The error for limit ``name``: ``message``, and how to raise the limit."""
    return LimitError(f"{message} (raise it with --limit {name}=N)")


class Limits:
    """The limits in force for one call: the defaults, with the ones given by --limit."""

    def __init__(self, given: dict[str, int] | None = None) -> None:
        self.values = {name: limit.default for name, limit in LIMITS.items()}
        self.values.update(given or {})

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def check(self, name: str, needed: float, what: str) -> None:
        """Fail when ``needed`` is over the limit ``name``; ``what`` says what needs it."""
        limit = self.values[name]
        if needed > limit:
            raise exceeded(name, f"{what} needs {amount(name, needed)}, over the limit of {amount(name, limit)}")


def amount(name: str, n: float) -> str:
    """``n`` in the limit's unit, for messages: '3.2 GiB', '12,000,000'."""
    unit = LIMITS[name].unit
    if unit != "bytes":
        return (f"{n:,.0f}" if n < 1e15 else f"{n:.2g}") + f" {unit}"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} bytes"


def parse_limit(text: str) -> tuple[str, int]:
    """``"memory=4GiB"`` -> ('memory', 4294967296); GradcliError naming the bad part."""
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    known = ", ".join(LIMITS)
    if not sep:
        raise GradcliError(f"invalid value for --limit: '{text}' is not NAME=N (limits: {known})")
    if name not in LIMITS:
        raise GradcliError(f"invalid value for --limit: no limit '{name}' (limits: {known})")
    import re

    match = re.fullmatch(_SIZE, value.strip(), re.IGNORECASE)
    if match is None or (match.group(2) and LIMITS[name].unit != "bytes"):
        example = "4GiB" if LIMITS[name].unit == "bytes" else "1e9"
        raise GradcliError(f"invalid value for --limit: '{value.strip()}' in '{text}' is not a number"
                           f" such as {example}")
    n = float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    if n < 1 or n > 2**62:
        raise GradcliError(f"invalid value for --limit: {name} must be from 1 to {2**62:,}")
    return name, int(n)


class Meter:
    """A running work budget, for work whose cost shows only as it goes (``--order``)."""

    def __init__(self, limits: Limits, name: str, what: str) -> None:
        self.limit = limits[name]
        self.name = name
        self.what = what
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise exceeded(self.name, f"{self.what} needs more than {amount(self.name, self.limit)}, the limit")
