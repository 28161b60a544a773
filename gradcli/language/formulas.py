"""The op table's derivative formulas, instantiated on any kind of node.

Each op row carries its local derivatives as formulas in gradcli's own
language over ``x`` and ``y`` (``"-x / y**2"``). A formula is parsed once by
gradcli's parser and then built with whatever ``num`` and ``apply`` are given:
Value nodes (derivatives that can be differentiated again) or symbolic
expressions (derivatives as formulas).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence, TypeVar

from .ops import Op
from .parser import APPLY, EXPR, NAME, NUM, Instr, parse

T = TypeVar("T")
PLACEHOLDERS = ("x", "y")  # the names a formula uses for the op's first and second input (then a2, a3, ...)


def _index(name: str) -> int:
    """The input a formula's placeholder stands for (``ops.placeholder``'s inverse)."""
    return PLACEHOLDERS.index(name) if name in PLACEHOLDERS else int(name[1:])


@lru_cache(maxsize=None)
def _compiled(formula: str) -> tuple[Instr, ...]:
    return tuple(parse(formula).code)


def instantiate(formula: str, args: Sequence[T], num: Callable[[float], T], apply: Callable[..., T]) -> T:
    """Build ``formula`` with its placeholders bound to ``args``."""
    vals: list[T] = []
    result: T | None = None
    for ins in _compiled(formula):
        if ins.kind == NUM:
            vals.append(num(ins.payload))
        elif ins.kind == NAME:
            vals.append(args[_index(ins.payload)])
        elif ins.kind == APPLY:
            op: Op = ins.payload
            vals.append(apply(op, *[vals[i] for i in ins.inputs]))
        else:
            vals.append(vals[ins.inputs[0]])
            if ins.kind == EXPR:
                result = vals[-1]
    assert result is not None, f"formula {formula!r} has no expression"
    return result
