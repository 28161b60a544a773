"""A session's program as a file that ``gradcli -f FILE`` runs to the same answer (``:save``).

The session's values (``:set``, ``--set``) become statements at the top, in the
order given (so the inputs keep their order in the summary line); a statement
``name = number`` whose number a value overrode takes the value, as the
bindings record (``Bindings.overridden``); an output chosen with ``:of`` that is
not the last statement is named again at the end. The text is then run as
``gradcli -f`` would, and kept only if it gives the same answer.
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
    head = "".join(f"{name} = {number(x)}\n" for name, x in given.items())
    text = HEADER + head + source.rstrip("\n") + "\n"
    if bind(parse(text, max_code), {}, None).output_name != result.output_name:
        text += f"{result.output_name}\n"  # the output chosen with :of, as the last statement
    again = differentiate(bind(parse(text, max_code), {}, None))
    if (again.output_name, again.value, list(again.partials.items())) != (
            result.output_name, result.value, list(result.partials.items())):
        raise GradcliError("cannot save: the file would not give the session's answer; please report it")
    return text


def number(x: float) -> str:
    """``x`` as the language reads it back exactly: 3, -0.5, 1e-05, -0.0."""
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0.0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
