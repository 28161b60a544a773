"""A session's program as a file that ``gradcli -f FILE`` runs to the same answer (``:save``).

A statement ``name = number`` whose number a session's value (``:set``,
``--set``) overrode takes the value, as the bindings record
(``Bindings.overridden``); the other values become statements at the top (all
of them, in the order given, when that is what keeps the inputs in their order
in the summary line). An output chosen with ``:of`` that is not the last
statement is named again at the end. The text is then run as ``gradcli -f``
would, and kept only if it gives the same answer.
"""

from __future__ import annotations

import math

from ..bindings import Bindings, bind
from ..errors import GradcliError
from ..interpret.program import Result, differentiate
from ..language.parser import parse

HEADER = "# saved by a gradcli -i session: gradcli -f FILE runs it\n"


def program_text(result: Result, max_code: int) -> str:
    """The text of ``result``'s program with its given values written in; checked to give ``result``."""
    b: Bindings = result.bindings
    program = b.program
    given = {name: b.values[b.inputs[name]] for name in b.given}
    source = program.source
    for i in reversed(b.overridden):  # statements in order, so their spans do not overlap
        ins = program.code[i]
        source = f"{source[:ins.start]}{ins.payload} = {number(given[ins.payload])}{source[ins.end:]}"
    rewritten = {program.code[i].payload for i in b.overridden}
    # a value the program's own statement now holds needs no line of its own, unless the inputs would
    # then come in another order (given values come first): the first text that gives the answer is kept
    for names in ([name for name in given if name not in rewritten], list(given)):
        text = HEADER + "".join(f"{name} = {number(given[name])}\n" for name in names) + source.rstrip("\n") + "\n"
        if bind(parse(text, max_code), {}, None).output_name != result.output_name:
            text += f"{result.output_name}\n"  # the output chosen with :of, as the last statement
        again = differentiate(bind(parse(text, max_code), {}, None))
        if (again.output_name, again.value, list(again.partials.items())) == (
                result.output_name, result.value, list(result.partials.items())):
            return text
    raise GradcliError("cannot save: the file would not give the session's answer; please report it")


def number(x: float) -> str:
    """``x`` as the language reads it back exactly: 3, -0.5, 1e-05, -0.0."""
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0.0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
