"""Program text -> a flat list of instructions, in evaluation order.

The grammar lives in ``grammars/gradcli.lark``. An installed wheel carries its
LALR tables as a generated module (``_lalr_tables``, see ``_build_tables``), used
when it was made from this very grammar by the running lark; otherwise (a source
checkout, an editable install) the parser is built from the grammar in memory.
Nothing is cached on disk: a pickle in a shared temporary folder is a file
anyone could plant. The parser's callbacks emit instructions as rules are
reduced: no parse tree is built and nothing recurses, so 100,000 nested
parentheses parse like any other program. lark's tables are run by gradcli's own
loop (``lalr.Driver``, about twice as fast as lark's), a statement at a time: one of a
shape parsed before is filled in from that parse's template (``shapes``). The tokens the
callbacks get carry ``start_pos`` and ``end_pos`` but no line or column (``location`` finds those).
The instructions are kept by column (``code.Code``).
A program with a syntax error is parsed again by lark's loop, for lark's own error.
The parser knows names, numbers and the op table's functions; it knows
nothing of values or gradients.
"""

from __future__ import annotations

import math
import os
import re
import threading
from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from ..errors import ArityError, GradcliSyntaxError, UnknownFunctionError
from ..limits import exceeded
from ..text import cells, printable, shorten
from . import shapes
from ._build_tables import LARK_OPTIONS, grammar_sha256
from .code import Code, Instr
from .lalr import Driver, NotInLanguage, Unsupported
from .ops import CALLABLE, OPS, Op, arities, call

# instruction kinds
NUM = "num"  # payload: the number
NAME = "name"  # payload: the name read
APPLY = "apply"  # payload: the Op; inputs: its operands
ASSIGN = "assign"  # payload: the name assigned; inputs: (expression,)
EXPR = "expr"  # a bare expression statement; inputs: (expression,)
PARAM = "param"  # only in a function's body: payload the parameter's position

NO_LIMIT = 1 << 62  # parse(): no limit on the instructions of a program


class Call(NamedTuple):
    """A call of a function of the program's own: its body's instructions are ``code[lo:hi]``.

    A call inside a body is recorded before the call of that body (the innermost first).
    """

    name: str
    lo: int
    hi: int
    start: int  # offsets of the call's text in the source: f(a, b)
    end: int
    #: the instructions of the arguments' values, and of the call's value (an argument's,
    #: when the body is a parameter alone)
    args: tuple[int, ...] = ()
    result: int = -1


class Function(NamedTuple):
    """A function the program defines: ``name(params) = body``.

    ``body`` is the body's instructions with their inputs counted from its first
    one, a parameter read as PARAM; ``result`` is the body's value among them;
    ``calls`` are the calls inside the body, counted likewise.
    """

    name: str
    params: tuple[str, ...]
    body: tuple[Instr, ...]
    result: int
    calls: tuple[Call, ...]
    start: int  # offsets of the whole definition in the source
    end: int


class Program(NamedTuple):
    source: str
    code: Code
    #: every call of a function of the program's own, each one's body spelled out in ``code``
    calls: tuple[Call, ...] = ()
    #: the functions the program defines, by name (a later definition replaces an earlier one)
    functions: tuple[Function, ...] = ()

    def calls_at(self, index: int) -> list[Call]:
        """The calls whose body holds instruction ``index``, the innermost first."""
        return [c for c in self.calls if c.lo <= index < c.hi]

    def text(self, index: int) -> str:
        """The source text of instruction ``index``."""
        return self.source[self.code.starts[index] : self.code.ends[index]]


def grammar_path() -> str:
    """The grammar file: inside the installed package, or grammars/ in a checkout."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # gradcli/, above language/
    for folder in (package, os.path.dirname(package)):
        path = os.path.join(folder, "grammars", "gradcli.lark")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("gradcli.lark not found beside the gradcli package")


def location(source: str, pos: int) -> tuple[int, int]:
    """1-based (line, column) of offset ``pos``."""
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, column


def where(source: str, pos: int) -> str:
    line, column = location(source, pos)
    return f"line {line}, column {column}"


def show_position(source: str, pos: int) -> str:
    """The source line holding ``pos`` and a caret under it, as two indented lines.

    Only ``\n`` ends a line (as in ``location``), so a comment holding ``\r``,
    U+2028 or another separator cannot move the caret; control characters are
    shown escaped, and a long line is shown as a window around ``pos``.
    """
    start = source.rfind("\n", 0, pos) + 1
    end = source.find("\n", pos)
    line = source[start : len(source) if end < 0 else end]
    before, after = line[: pos - start], line[pos - start :].rstrip("\r")
    if len(before) > _BEFORE:
        before = "…" + before[len(before) - _BEFORE + 1 :]
    if len(after) > _AFTER:
        after = after[: _AFTER - 1] + "…"
    before = printable(before).expandtabs()
    shown = (before + printable(after)).expandtabs()
    return f"  {shown}\n  {' ' * cells(before)}^"


_BEFORE, _AFTER = 60, 40  # characters of a long line shown before and after the caret


# An operand on the parser's stack: its instruction, and the text it spans
# (which includes any parentheses around it, unlike the instruction's own span).
class _Operand(NamedTuple):
    node: int
    start: int
    end: int


def _start(tok: Token) -> int:
    return tok.start_pos  # type: ignore[return-value]  # lark's lexer sets it on every token


def _end(tok: Token) -> int:
    return tok.end_pos  # type: ignore[return-value]


class _Emitter(Transformer):
    """The LALR callbacks: each reduction appends one instruction.

    Each callback takes the rule's children as one list, unpacked on its first
    line: ``@v_args(inline=True)`` would wrap every call in three more.
    """

    def __init__(self) -> None:
        self.code = Code()
        self.source = ""
        self.max_code = NO_LIMIT
        self.reset()

    def reset(self) -> None:
        #: each name's text once, however often the program writes it (a big program's names are most
        #: of what its instructions hold)
        self.spellings: dict[str, str] = {}
        self.calls: list[Call] = []
        self.functions: dict[str, Function] = {}
        #: the function whose body is being read: (its name, its parameters, its first instruction, its start)
        self.defining: tuple[str, tuple[str, ...], int, int] | None = None
        #: instructions before this one are no literal of their own (a call's body ends here)
        self.fence = 0
        #: the instructions the functions' bodies hold: parts of the program too, within its limit
        self.held = 0

    def _emit(self, kind: str, payload: object, inputs: tuple[int, ...], start: int, end: int) -> _Operand:
        i = self.code.add(kind, payload, inputs, start, end)
        if i >= self.max_code - self.held:
            raise self._too_many()
        return _Operand(i, start, end)

    def _too_many(self) -> Exception:
        return exceeded("nodes", f"the program has more than {self.max_code:,} parts (numbers, names,"
                                 " operations, calls), the limit")

    def _binary(self, op: Op, x: _Operand, y: _Operand) -> _Operand:
        return self._emit(APPLY, op, (x.node, y.node), x.start, y.end)

    def number(self, children: list[Token]) -> _Operand:
        (tok,) = children
        value = float(tok)
        if value == float("inf"):
            raise GradcliSyntaxError(
                f"number too large for a float at {where(self.source, _start(tok))}: {shorten(str(tok))}",
                *location(self.source, _start(tok)),
                detail=show_position(self.source, _start(tok)),
            )
        return self._emit(NUM, value, (), _start(tok), _end(tok))

    def name(self, children: list[Token]) -> _Operand:
        (tok,) = children
        text = str(tok)
        return self._emit(NAME, self.spellings.setdefault(text, text), (), _start(tok), _end(tok))

    def call(self, children: list) -> _Operand:
        name, lpar, args, rpar = children
        function = self.functions.get(str(name))
        if function is not None and call(str(name), len(args)) is None:
            return self._expand(function, name, args, rpar)
        if self.defining is not None and self.defining[0] == str(name):
            raise GradcliSyntaxError(
                f"{name}() calls itself at {where(self.source, _start(name))}: a function cannot be"
                " recursive (its body may call functions defined before it)",
                *location(self.source, _start(name)),
                detail=show_position(self.source, _start(name)),
            )
        op = call(str(name), len(args))
        if op is None:
            takes = arities(str(name))
            if takes is None:
                known = ", ".join(CALLABLE)
                yours = f"; yours: {', '.join(self.functions)}" if self.functions else ""
                raise UnknownFunctionError(
                    f"unknown function '{shorten(str(name))}' at {where(self.source, _start(name))}"
                    f" (functions: {known}{yours})",
                    detail=show_position(self.source, _start(name)),
                )
            plural = "argument" if takes == "1" else "arguments"
            raise ArityError(
                f"{name}() takes {takes} {plural}, got {len(args)}, at {where(self.source, _start(name))}",
                detail=show_position(self.source, _start(name)),
            )
        indices = tuple(a.node for a in args)
        return self._emit(APPLY, op, indices, _start(name), _end(rpar))

    def _expand(self, function: Function, name: Token, args: list[_Operand], rpar: Token) -> _Operand:
        """A call of the program's own function: its body, spelled out with the arguments' nodes."""
        if len(args) != len(function.params):
            takes = len(function.params)
            raise ArityError(
                f"{name}() takes {takes} argument{'' if takes == 1 else 's'}, got {len(args)},"
                f" at {where(self.source, _start(name))}",
                detail=show_position(self.source, _start(name)),
            )
        code = self.code
        at: list[int] = []  # the node each instruction of the body means
        placed: list[int] = []  # where each instruction of the body starts in the code
        for ins in function.body:
            placed.append(len(code))
            if ins.kind == PARAM:
                at.append(args[ins.payload].node)
            else:
                inputs = tuple([at[j] for j in ins.inputs])
                at.append(self._emit(ins.kind, ins.payload, inputs, ins.start, ins.end).node)
        placed.append(len(code))
        calls = self.calls
        self.held += len(function.calls) + 1  # a call is a part of the program too
        if len(code) + self.held > self.max_code:
            raise self._too_many()
        for c in function.calls:  # a call in the body: its arguments are the body's instructions
            calls.append(Call(c.name, placed[c.lo], placed[c.hi], c.start, c.end, tuple([at[j] for j in c.args]),
                              at[c.result]))
        calls.append(Call(function.name, placed[0], len(code), _start(name), _end(rpar),
                          tuple([a.node for a in args]), at[function.result]))
        self.fence = len(code)
        return _Operand(at[function.result], _start(name), _end(rpar))

    def head(self, children: list) -> tuple[Token, tuple[str, ...]]:
        """``f(x, y) =``: the parameters (read as expressions: each must be a name alone)."""
        name, lpar, args, rpar = children
        text = str(name)
        if call(text, 1) is not None or arities(text) is not None:
            raise GradcliSyntaxError(
                f"{text}() is a function of the language at {where(self.source, _start(name))}:"
                " a function of your own needs another name",
                *location(self.source, _start(name)),
                detail=show_position(self.source, _start(name)),
            )
        code = self.code
        params: list[str] = []
        for arg in args:
            ins = code[arg.node]
            if ins.kind != NAME or arg.node < len(code) - len(args):
                raise GradcliSyntaxError(
                    f"a parameter of {text}() must be a name, not '{shorten(self.source[arg.start:arg.end])}',"
                    f" at {where(self.source, arg.start)}",
                    *location(self.source, arg.start),
                    detail=show_position(self.source, arg.start),
                )
            if ins.payload in params:
                raise GradcliSyntaxError(
                    f"{text}() has two parameters named '{shorten(ins.payload)}', at {where(self.source, arg.start)}",
                    *location(self.source, arg.start),
                    detail=show_position(self.source, arg.start),
                )
            params.append(ins.payload)
        code.truncate(len(code) - len(args))  # a parameter is no name read
        self.defining = (text, tuple(params), len(code), _start(name))
        self.fence = len(code)
        return name, tuple(params)

    def define(self, children: list) -> None:
        """``f(x, y) = body``: the body's instructions move out of the program into the function."""
        _head, body = children
        assert self.defining is not None
        name, params, first, start = self.defining
        code = self.code
        calls = self.calls
        outside = len(calls)  # the calls in the body were recorded last
        while outside and calls[outside - 1].lo >= first:
            outside -= 1
        # a name read inside a call's body is that function's own free name, never this one's
        # parameter: with f(p) = log(e) and g(e) = f(1), g's e is not f's
        called = [False] * (len(code) - first)
        for c in calls[outside:]:
            called[c.lo - first : c.hi - first] = [True] * (c.hi - c.lo)
        kept = []
        for i, ins in enumerate(code[first:]):
            if ins.kind == NAME and ins.payload in params and not called[i]:
                kept.append(Instr(PARAM, params.index(ins.payload), (), ins.start, ins.end))
            elif ins.inputs:
                kept.append(Instr(ins.kind, ins.payload, tuple([j - first for j in ins.inputs]), ins.start, ins.end))
            else:
                kept.append(ins)
        inner = tuple([Call(c.name, c.lo - first, c.hi - first, c.start, c.end, tuple([j - first for j in c.args]),
                            c.result - first) for c in calls[outside:]])
        del calls[outside:]
        code.truncate(first)
        replaced = self.functions.pop(name, None)  # a later definition replaces the earlier (and comes last)
        self.held += len(kept) - (len(replaced.body) + len(replaced.calls) if replaced is not None else 0)
        self.functions[name] = Function(name, params, tuple(kept), body.node - first, inner, start, body.end)
        self.defining = None
        self.fence = len(code)

    def args(self, children: list[_Operand]) -> list[_Operand]:
        return children

    def paren(self, children: list) -> _Operand:
        lpar, inner, rpar = children
        return _Operand(inner.node, _start(lpar), _end(rpar))

    def neg(self, children: list) -> _Operand:
        minus, x = children
        last = self.code[x.node]
        if last.kind == NUM and x.node == len(self.code) - 1 and x.node >= self.fence:
            # a negative literal (-2) is one number, not neg(2)
            self.code[-1] = Instr(NUM, -last.payload, (), _start(minus), x.end)
            return _Operand(x.node, _start(minus), x.end)
        return self._emit(APPLY, OPS["neg"], (x.node,), _start(minus), x.end)

    def pos(self, children: list) -> _Operand:
        plus, x = children
        return _Operand(x.node, _start(plus), x.end)

    def add(self, children: list[_Operand]) -> _Operand:
        return self._binary(OPS["add"], *children)

    def sub(self, children: list[_Operand]) -> _Operand:
        return self._binary(OPS["sub"], *children)

    def mul(self, children: list[_Operand]) -> _Operand:
        return self._binary(OPS["mul"], *children)

    def div(self, children: list[_Operand]) -> _Operand:
        return self._binary(OPS["div"], *children)

    def pow(self, children: list) -> _Operand:
        x, tok, y = children
        return self._binary(OPS["pow"], x, y)

    def assign(self, children: list) -> None:
        name, x = children
        text = str(name)
        self._emit(ASSIGN, self.spellings.setdefault(text, text), (x.node,), _start(name), x.end)

    def bare(self, children: list[_Operand]) -> None:
        (x,) = children
        self._emit(EXPR, None, (x.node,), x.start, x.end)

    def start(self, children: list) -> None:
        return None


_emitter = _Emitter()
_lock = threading.Lock()  # the emitter holds one program's state at a time


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _from_tables(tables: ModuleType, grammar: bytes) -> Lark | None:
    """The parser from generated tables, if they were made from ``grammar`` by this lark."""
    if (
        getattr(tables, "GRAMMAR_SHA256", None) != grammar_sha256(grammar)
        or getattr(tables, "LARK_VERSION", None) != lark.__version__
        or getattr(tables, "OPTIONS", None) != LARK_OPTIONS
    ):
        return None
    return Lark._load_from_dict(tables.DATA, tables.MEMO, transformer=_emitter)


def _tables() -> ModuleType | None:
    # a plain import statement (not importlib.import_module), so -X importtime shows its cost
    try:
        from . import _lalr_tables  # type: ignore[attr-defined, unused-ignore]  # only in a wheel
    except ImportError:  # not generated: a source checkout or an editable install
        return None
    return _lalr_tables


@lru_cache(maxsize=1)
def _lark() -> Lark:
    path = grammar_path()
    with open(path, "rb") as f:
        grammar = f.read()
    tables = _tables()
    loaded = _from_tables(tables, grammar) if tables is not None else None
    if loaded is not None:
        return loaded
    return Lark(grammar.decode("utf-8"), transformer=_emitter, source_path=path, **LARK_OPTIONS)


@lru_cache(maxsize=1)
def _driver(parser: Lark) -> Driver | None:
    """gradcli's own loop over ``parser``'s tables (see ``lalr``), or None where lark's must run."""
    try:
        return Driver(parser, _emitter)
    except Unsupported:
        return None


def _begin(source: str, max_code: int) -> None:
    """The emitter, ready for a new program."""
    _emitter.code = Code()
    _emitter.source = source
    _emitter.max_code = max_code
    _emitter.reset()


def parse(source: str, max_code: int = NO_LIMIT) -> Program:
    """Parse program text into instructions; raises GradcliSyntaxError and friends.

    A program of more than ``max_code`` instructions fails with a LimitError as
    soon as its parse reaches that many, before it fills the memory.
    """
    parser = _lark()
    driver = _driver(parser)
    with _lock:
        _begin(source, max_code)
        try:
            if driver is None:
                parser.parse(source)
            else:
                try:
                    shapes.parse(driver, _emitter, source)
                except NotInLanguage:  # lark parses it again, for its own error (and any callback's before it)
                    _begin(source, max_code)
                    parser.parse(source)
            calls, functions = tuple(_emitter.calls), tuple(_emitter.functions.values())
        except UnexpectedInput as e:
            raise _syntax_error(source, e) from None
        finally:
            code, _emitter.code, _emitter.source = _emitter.code, Code(), ""
            _emitter.reset()
    return Program(source, code, calls, functions)


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    return re.compile(_lark().get_terminal("NAME").pattern.to_regexp())


def is_name(text: str) -> bool:
    """Whether ``text`` is a valid variable name in the language."""
    return _name_pattern().fullmatch(text) is not None


@lru_cache(maxsize=1)
def _number_pattern() -> re.Pattern[str]:
    # a negative literal (-2) is one number in the language, so it is one here too
    return re.compile("-?" + _lark().get_terminal("NUMBER").pattern.to_regexp())


def parse_number(text: str) -> float | None:
    """A number written as a program writes one (with a sign, if any), as a finite float; else None.

    One syntax everywhere: ``--set x=1_000`` is refused as ``x = 1_000`` is, and
    so are ``inf``, ``nan``, ``+-1`` and numbers too large for a float. Only
    spaces and tabs around it are ignored, as in a program.
    """
    text = text.strip(" \t")
    if not _signed_number_pattern().fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def parse_count(text: str) -> int | None:
    """A whole number of at most 18 digits (the digits the language reads), as an int; else None."""
    text = text.strip(" \t")
    if not (0 < len(text) <= 18 and _count_pattern().fullmatch(text)):
        return None
    return int(text)


@lru_cache(maxsize=1)
def _signed_number_pattern() -> re.Pattern[str]:
    return re.compile("[+-]?(?:" + _lark().get_terminal("NUMBER").pattern.to_regexp() + ")")


@lru_cache(maxsize=1)
def _count_pattern() -> re.Pattern[str]:
    return re.compile(r"\d+")  # \d as in the grammar's NUMBER: any decimal digit, no '_'


def is_atom(text: str) -> bool:
    """Whether ``text`` is a name or a number: written inside a formula, it needs no parentheses."""
    return is_name(text) or _number_pattern().fullmatch(text) is not None


def as_operand(text: str) -> str:
    """``text`` as one operand of ∂ or d: a name or a number as it is, an expression in
    parentheses (∂(a*b)/∂a, not ∂a*b/∂a)."""
    return text if is_atom(text) else f"({text})"


# ----- syntax errors ----------------------------------------------------------
_DESCRIPTIONS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "POW": "'**'",
    "_SEP": "the end of the statement",
    "$END": "the end of the program",
}


def _describe_terminal(name: str) -> str:
    if name in _DESCRIPTIONS:
        return _DESCRIPTIONS[name]
    pattern = _lark().get_terminal(name).pattern
    return f"'{pattern.value}'" if pattern.type == "str" else name.lower()


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of the program"
    if tok.type == "_SEP":
        return "end of the line" if tok == "\n" else "';'"
    return f"'{shorten(str(tok))}'"


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _syntax_error(source: str, e: UnexpectedInput) -> GradcliSyntaxError:
    end = len(source.rstrip())  # report a missing ending just after the last character
    pos: int = end
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        what = f"unexpected character {source[pos]!r}"
    elif isinstance(e, UnexpectedToken):
        what = f"unexpected {_describe_token(e.token)}"
        pos = end if e.token.type == "$END" else _start(e.token)
        expected = set(e.expected)
        if "_SEP" in expected:
            expected.discard("$END")  # "the end of the statement" says both
        if expected:
            words = sorted((_describe_terminal(t) for t in expected), key=_expected_order)
            what += f"; expected {_join_or(words)}"
    else:  # UnexpectedEOF
        what = "unexpected end of the program"
    line, column = location(source, pos)
    message = f"syntax error at line {line}, column {column}: {what}"
    return GradcliSyntaxError(message, line, column, detail=show_position(source, pos))


def _expected_order(description: str) -> tuple[int, str]:
    # words first (a name, a number), then symbols, then "the end of ..."
    rank = 2 if description.startswith("the ") else 1 if description.startswith("'") else 0
    return rank, description
