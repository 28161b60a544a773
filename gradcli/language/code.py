"""A program's instructions, kept as columns.

A program of a million statements has nearly seven million instructions. As
one tuple each (kind, payload, inputs, start, end), with a tuple of inputs and
an int object per offset, they took 1.46 KB a statement; as columns (a list of
kinds and one of payloads, machine integers for inputs and offsets) they take
a quarter of that. ``Code`` still reads as a sequence of ``Instr``, made when
asked for; the walks over a whole program (``bindings``) read the columns.
"""

from __future__ import annotations

from array import array
from typing import Any, Iterator, NamedTuple, Sequence, overload


class Instr(NamedTuple):
    kind: str
    payload: Any  # by kind: the number, the name, or the Op
    inputs: tuple[int, ...]
    start: int  # offsets of the instruction's text in the source
    end: int


class Code:
    """Instructions in evaluation order: instruction ``i`` is ``kinds[i]`` with ``payloads[i]``, reading the
    instructions ``inputs[firsts[i]:firsts[i + 1]]``, written at ``source[starts[i]:ends[i]]``."""

    __slots__ = ("kinds", "payloads", "firsts", "inputs", "starts", "ends")

    def __init__(self, instructions: Any = ()) -> None:
        self.kinds: list[str] = []
        self.payloads: list[Any] = []
        self.firsts = array("q", [0])  # one more than there are instructions
        self.inputs = array("q")
        self.starts = array("q")
        self.ends = array("q")
        for ins in instructions:
            self.add(*ins)

    def add(self, kind: str, payload: Any, inputs: tuple[int, ...], start: int, end: int) -> int:
        """Append an instruction; its index."""
        self.kinds.append(kind)
        self.payloads.append(payload)
        self.inputs.extend(inputs)
        self.firsts.append(len(self.inputs))
        self.starts.append(start)
        self.ends.append(end)
        return len(self.kinds) - 1

    def extend(self, kinds: Sequence[str], payloads: Sequence[Any], inputs: Sequence[int], counts: Sequence[int],
               starts: Sequence[int], ends: Sequence[int]) -> None:
        """Append instructions by column: the inputs of all of them in one sequence, ``counts`` saying
        how many of ``inputs`` the instructions up to each one read (a running total)."""
        offset = len(self.inputs)
        self.kinds.extend(kinds)
        self.payloads.extend(payloads)
        self.inputs.extend(inputs)
        self.firsts.extend([offset + n for n in counts])
        self.starts.extend(starts)
        self.ends.extend(ends)

    def args(self, i: int) -> tuple[int, ...]:
        """The instructions instruction ``i`` reads."""
        return tuple(self.inputs[self.firsts[i] : self.firsts[i + 1]])

    def truncate(self, size: int) -> None:
        """Drop the instructions from ``size`` on."""
        del self.kinds[size:], self.payloads[size:], self.starts[size:], self.ends[size:]
        del self.inputs[self.firsts[size] :]
        del self.firsts[size + 1 :]

    def __len__(self) -> int:
        return len(self.kinds)

    @overload
    def __getitem__(self, i: int) -> Instr: ...

    @overload
    def __getitem__(self, i: slice) -> list[Instr]: ...

    def __getitem__(self, i: int | slice) -> Instr | list[Instr]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self.kinds)
        return Instr(self.kinds[i], self.payloads[i], self.args(i), self.starts[i], self.ends[i])

    def __setitem__(self, i: int, ins: Instr) -> None:
        """Replace instruction ``i`` by one reading as many inputs."""
        if i < 0:
            i += len(self.kinds)
        first = self.firsts[i]
        if len(ins.inputs) != self.firsts[i + 1] - first:
            raise ValueError("an instruction replaced must read as many inputs")
        self.kinds[i], self.payloads[i], self.starts[i], self.ends[i] = ins.kind, ins.payload, ins.start, ins.end
        self.inputs[first : first + len(ins.inputs)] = array("q", ins.inputs)

    def __iter__(self) -> Iterator[Instr]:
        return (self[i] for i in range(len(self.kinds)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Code, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"Code({list(self)!r})"
