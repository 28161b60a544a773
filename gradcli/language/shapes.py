"""A statement of a shape already parsed is not parsed again: its instructions are filled in.

A big program repeats a few shapes of statement many times: ``v12 = v11 * 1.5 + sin(v3)``
is a name, ``=``, a name, ``*``, a number, ``+``, a call of ``sin`` on a name, as are
thousands of its lines. What the parser's callbacks emit for a statement depends only on
its tokens' types and the functions it calls; the tokens' texts and places give only the
payloads (a name, a number) and the offsets. So ``parse`` reads a program a statement at
a time with the grammar's own lexer (``Driver.skipping``: ``Driver.pattern`` with the spaces
and comments before a token taken in the same match, so the token is the match's
``lastgroup`` and its text that group's), parses a statement of a new shape with the
grammar (``Driver.parse`` over that statement's text) and keeps what the callbacks emitted
as a template: per instruction, its kind, its op, its inputs counted from the statement's
first instruction, and which token gives its payload and its offsets. A statement of a
shape seen before is its template filled in with its tokens. The last statement of a
program that does not end with a separator, and whatever follows a place with no token,
is parsed by the grammar (for its instructions, or its error).

Never templated: a statement that defines or calls a function of the program's own, and
anything the template would not give back exactly (each template is checked against the
instructions it was made from). A number too large for a float is parsed again, for the
parser's own error. A program whose shapes seldom repeat goes back to one parse of its
rest after a few hundred statements. The templates last one parse (a few thousand at
most): nothing outlives it, in memory or on disk.
"""

from __future__ import annotations

import math
from typing import Any

from .code import Code
from .lalr import Driver

_LIMIT = 4_096  # templates kept, at most
_TRIAL = 256  # statements read before a program whose shapes seldom repeat is parsed in one piece


class Template:
    """A statement's instructions by column, counted from its first instruction; tokens by index.

    (A plain class: a NamedTuple costs a third of a millisecond to make at import, on every call.)
    """

    __slots__ = ("kinds", "fixed", "names", "numbers", "inputs", "counts", "first", "last")

    def __init__(self, kinds: tuple[str, ...], fixed: tuple[Any, ...], names: tuple[tuple[int, int, str], ...],
                 numbers: tuple[tuple[int, int, bool], ...], inputs: tuple[int, ...], counts: tuple[int, ...],
                 first: tuple[tuple[int, str], ...], last: tuple[int, ...]) -> None:
        self.kinds = kinds
        self.fixed = fixed  # each payload, or None where a token gives it
        self.names = names  # (instruction, token, its type) of each name read or assigned
        self.numbers = numbers  # (instruction, token, negative?) of each number
        self.inputs = inputs  # the inputs of all the instructions, in order
        self.counts = counts  # how many of those the instructions up to each one read
        self.first = first  # the token each instruction's text starts with, and its type
        self.last = last  # the token it ends with


def parse(driver: Driver, emitter: Any, source: str) -> None:
    """Parse ``source`` with ``driver`` as ``driver.parse(source)`` would, into ``emitter``.

    NotInLanguage, and any callback's error, as ``driver.parse`` raises them.
    """
    # the next token, with the ignored text before it (re's scanner: each match where the last one ended)
    scan = driver.skipping.scanner(source).match  # type: ignore[attr-defined]  # (not in typeshed)
    length = len(source)
    code: Code = emitter.code
    instructions = code.kinds  # (its length is the code's: len(code) is a call of Code.__len__)
    spellings = emitter.spellings
    begin = 0  # where the statement being read starts (any space or comment before it included)
    types: list[str] = []  # its tokens' types
    tokens: list[Any] = []  # and matches
    calls: list[str] = []  # the names of the functions it calls
    hits = misses = 0
    templates: dict[tuple[tuple[str, ...], tuple[str, ...]], Template | None] = {}  # by shape
    while True:
        m = scan()
        if m is None:  # no token: ignored text to the end, a last statement with no separator, or no token here
            if begin < length:
                driver.parse(source, begin)  # (the grammar's own parse of the rest, or its error)
            return
        typ = m.lastgroup
        if typ != "_SEP":
            if typ == "LPAR" and types and types[-1] == "NAME":
                calls.append(tokens[-1]["NAME"])
            types.append(typ)
            tokens.append(m)
            continue
        if types:
            key = (tuple(types), tuple(calls))
            template = templates.get(key)
            if template is not None and (columns := _columns(template, tokens, spellings, len(instructions))):
                # the statement, filled in
                code.extend(template.kinds, *columns)
                if len(instructions) + emitter.held > emitter.max_code:
                    raise emitter._too_many()
                hits += 1
            else:  # a shape not seen (or a number too large for a float: the parser's error says so)
                misses += 1
                if misses > _TRIAL and misses > hits:
                    driver.parse(source, begin)
                    return
                _learn(templates, key, driver, emitter, source, begin, m.start(typ), tokens)
            types, tokens, calls = [], [], []
        begin = m.end()


def _learn(templates: dict, key: tuple[tuple[str, ...], tuple[str, ...]], driver: Driver, emitter: Any,
           source: str, begin: int, stop: int, tokens: list[Any]) -> None:
    """Parse one statement with the grammar; keep a template of it when one gives it back exactly."""
    code: Code = emitter.code
    base, calls = len(code), len(emitter.calls)
    driver.parse(source, begin, stop)
    if key in templates or len(templates) >= _LIMIT:
        return
    if len(code) == base or len(emitter.calls) != calls:  # a definition, or a call of one
        templates[key] = None  # (never this shape)
        return
    templates[key] = _template(code, base, tokens)


def _template(code: Code, base: int, tokens: list[Any]) -> Template | None:
    """The instructions from ``base`` on, as a template over ``tokens``; None where one cannot say them."""
    at_start = {m.start(m.lastgroup): k for k, m in enumerate(tokens)}
    at_end = {m.end(): k for k, m in enumerate(tokens)}
    fixed: list[Any] = []
    names: list[tuple[int, int, str]] = []
    numbers: list[tuple[int, int, bool]] = []
    inputs: list[int] = []
    counts: list[int] = []
    first: list[int] = []
    last: list[int] = []
    for i in range(base, len(code)):
        payload, args = code.payloads[i], code.args(i)
        f, t = at_start.get(code.starts[i]), at_end.get(code.ends[i])
        if f is None or t is None or any(j < base for j in args):
            return None
        fixed.append(None)
        if type(payload) is float:  # a number: its one number token (-(2) is the number -2)
            found = [k for k in range(f, t + 1) if tokens[k].lastgroup == "NUMBER"]
            if len(found) != 1:
                return None
            numbers.append((i - base, found[0], math.copysign(1.0, payload) < 0))
        elif type(payload) is str:  # a name read or assigned: the token it starts with
            names.append((i - base, f, tokens[f].lastgroup))
        else:
            fixed[-1] = payload
        inputs += [j - base for j in args]
        counts.append(len(inputs))
        first.append(f)
        last.append(t)
    template = Template(tuple(code.kinds[base:]), tuple(fixed), tuple(names), tuple(numbers), tuple(inputs),
                        tuple(counts), tuple((k, tokens[k].lastgroup) for k in first), tuple(last))
    made = Code()
    columns = _columns(template, tokens, {}, base)
    if columns is None:
        return None
    made.extend(template.kinds, *columns)
    return template if list(made) == code[base:] else None


def _columns(t: Template, tokens: list[Any], spellings: dict[str, str], base: int
             ) -> tuple[list[Any], list[int], tuple[int, ...], list[int], list[int]] | None:
    """``t`` filled in with ``tokens``, its first instruction at ``base``: the columns after the
    kinds, as ``Code.extend`` takes them; None for a number too large for a float."""
    payloads = list(t.fixed)  # (a token's match starts with the ignored text before it: its group does not)
    for i, k, group in t.names:
        text = tokens[k][group]
        payloads[i] = spellings.setdefault(text, text)
    for i, k, negative in t.numbers:
        number = float(tokens[k]["NUMBER"])
        if number == math.inf:
            return None
        payloads[i] = -number if negative else number
    return (payloads, [base + j for j in t.inputs], t.counts, [tokens[k].start(g) for k, g in t.first],
            [tokens[k].end() for k in t.last])
