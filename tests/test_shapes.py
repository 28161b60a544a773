"""A statement of a shape parsed before is filled in from its template (``language/shapes.py``),
and gives exactly what the grammar's parse gives: the same instructions, the same errors.

The reference is lark's own loop over the whole program (``test_lalr.with_lark``), and the
parse of gradcli's loop without templates.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import Lark, Transformer

from gradcli.language import lalr, parser, shapes
from gradcli.language.lalr import Driver
from gradcli.limits import LimitError

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import fuzz_settings, programs
    from .test_fuzz import TEXT
    from .test_lalr import with_driver, with_lark
except ImportError:
    from programgen import fuzz_settings, programs
    from test_fuzz import TEXT
    from test_lalr import with_driver, with_lark


def renumbered(source: str, seed: int) -> str:
    """``source`` with each number written anew (same shapes, other payloads; names kept)."""
    counter = iter(range(seed, seed + 10**6))
    return re.sub(r"(?<![\w.])\d+(\.\d*)?(e[+-]?\d+)?(?![\w.])", lambda m: f"{next(counter) % 97}.{seed % 10}5",
                  source)


@given(programs(), st.integers(0, 9))
@fuzz_settings(300)
def test_a_program_read_again_is_filled_in_as_the_grammar_parses_it(p, seed):
    # the second and third copies are all shapes seen before: every statement filled in
    source = p.source + "\n" + renumbered(p.source, seed) + ";" + p.source
    assert with_driver(source) == with_lark(source)


@pytest.mark.parametrize("source", [
    "a = -(2); b = -(3); c = --0; d = - -0.0; e = -(-(0)); f = -(0)",  # one number each, its sign kept
    "a = 1\nb = 1e999",  # a shape seen, a number too large: the parser's own error
    "a = 1\nb = 2 + \nc = 3",  # a broken statement after one of the same start
    "y = sin(1)\ny = cos(1)\ny = sin(1, 2)\n",  # the function called is part of the shape
    "f(x) = x * 2\ny = f(3)\nf(x) = -x\nz = f(3)\nw = f(3)",  # functions of one's own: parsed each time
    "y = 2 * x\nf(p) = 2 * p\nz = f(1)\nx = 2 * f(1)",
    "a = 1 # one\n\n  ;; b = 2\t# two\r\nc = 3",  # separators, comments and spaces between them
    "a = 1;\n" * 300 + "b = $",  # a character outside the language, late
    "\n".join(f"v{i} = " + " + ".join(["1"] * (i % 400 + 1)) for i in range(700)),  # shapes that never repeat
    "g(x) = x\n" + "\n".join(f"v{i} = g({'1 + ' * i}1)" for i in range(300)) + "\nv = g(2)",
    "a = 1\nb = 2 # no newline at the end", "a = 1\nb = a  \t", "a = 1\n\n  # x", "a = 1\nb = 2",
    "a = 1\f+\f2\r\nb = 1\t*\t2\r\n", "a = 1 # x ; y = 2\nb = 1 # x ; y = 2\n", "a = 1\nb = 2 $ # 3",
])
def test_edge_cases(source):
    assert with_driver(source) == with_lark(source)


def test_a_filled_in_number_keeps_the_sign_of_zero():
    # (Code compares numbers by ==, which cannot tell -0.0 from 0.0)
    code = parser.parse("a = -0\nb = -0\nc = 0\nd = -(0.0)\ne = -(0.0)").code
    numbers = [p for k, p in zip(code.kinds, code.payloads) if k == parser.NUM]
    assert [math.copysign(1.0, x) for x in numbers] == [-1.0, -1.0, 1.0, -1.0, -1.0]


def _without_templates(source: str, max_code: int) -> object:
    def plain(driver: Driver, emitter: object, text: str) -> None:
        driver.parse(text)

    saved = shapes.parse
    shapes.parse = plain  # type: ignore[assignment]
    try:
        return _outcome(lambda: parser.parse(source, max_code))
    finally:
        shapes.parse = saved


def _outcome(run) -> object:
    try:
        return run().code
    except Exception as e:
        return type(e).__name__, str(e)


def test_the_limit_on_parts_stops_a_filled_in_statement_as_it_stops_a_parsed_one():
    source = "x = 1\n" + "y = x * 2 + sin(x)\n" * 20
    size = len(parser.parse(source).code)
    for limit in range(size - 12, size + 2):
        assert _outcome(lambda: parser.parse(source, limit)) == _without_templates(source, limit), limit
    with pytest.raises(LimitError):
        parser.parse(source, size - 1)


def test_a_program_of_one_shape_is_parsed_by_the_grammar_once(monkeypatch):
    calls = []
    real = Driver.parse

    def counted(self, text, begin=0, stop=None):
        calls.append((begin, stop))
        return real(self, text, begin, stop)

    monkeypatch.setattr(Driver, "parse", counted)
    shape = "v{} = v{} * 1.0001 + tanh(v{})  # a comment\n"
    source = "v0 = 0.5\n" + "".join(shape.format(i, i - 1, i // 2) for i in range(1, 2000))
    program = parser.parse(source)
    # "v0 = 0.5" and the first of the rest, each parsed by its own text (its comment too)
    assert calls == [(0, 8), (9, source.index("\n", 9))]
    assert program.code == with_lark(source)


def _tokens(pattern, ignore: frozenset[str], text: str) -> list[tuple[str, int, int]]:
    """The tokens a loop over ``pattern``'s matches reads (those of types in ``ignore`` skipped), up to
    where none matches: (type, start, end) each."""
    found, pos = [], 0
    while (m := pattern.match(text, pos)) is not None:
        if m.lastgroup not in ignore:
            found.append((m.lastgroup, m.start(), m.end()))
        pos = m.end()
    return found


def _skipped(driver: Driver, text: str) -> list[tuple[str, int, int]]:
    """The same read by ``driver.skipping``, each match a token with the ignored text before it."""
    return [(m.lastgroup, m.start(m.lastgroup), m.end()) for m in iter(driver.skipping.scanner(text).match, None)]


@given(st.one_of(TEXT, programs().map(lambda p: p.source)))
@fuzz_settings(300)
def test_the_skipping_lexer_reads_the_tokens_the_grammar_s_lexer_reads(text):
    driver = parser._driver(parser._lark())
    assert _skipped(driver, text) == _tokens(driver.pattern, driver.ignore, text)


# "#!" is a token of its own, before the comment in the lexer's order (its priority): never skipped as one
BANG = r"""
start: (WORD | BANG | NUMBER)*
BANG.2: /#!\w*/
%import common.WORD
%import common.NUMBER
%ignore /#[^\n]*/
%ignore /[ \n]+/
"""


@pytest.mark.parametrize("text", ["", "a b", "  a  #!x #y\n b", "#!", "# a", "a # b c", "a #!b #!c", "#x\n#!y",
                                  "a $", "a #b\n$", "12 #", "a\n\n #! #"])
@pytest.mark.parametrize("possessive", [True, False])
def test_the_skipping_lexer_skips_only_what_the_grammar_s_lexer_skips(text, possessive, monkeypatch):
    if not possessive:  # the expression Python 3.10 gets (a possessive repeat needs 3.11)
        monkeypatch.setattr(lalr, "sys", SimpleNamespace(version_info=(3, 10)))
    driver = Driver(Lark(BANG, parser="lalr", lexer="basic"), Transformer())
    assert "(?=#[^\n]*)(?!(?:#!" in driver.skipping.pattern  # (the comment: where "#!" is no token)
    assert _skipped(driver, text) == _tokens(driver.pattern, driver.ignore, text)
