"""gradcli's LALR loop (``language/lalr.py``) parses exactly as lark's own loop does.

The reference is lark's ``Lark.parse`` over the same grammar, with the same callbacks:
on generated programs, broken programs and random text, both give the same
instructions or the same error; on other grammars (inlined rules, ``?rules``, ``!rules``,
rules without a method) both give the same value; and where the loop cannot follow
lark (a lexer callback, ``v_args``) it refuses, and lark's loop runs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import Lark, Token, Transformer, v_args

from gradcli.language import parser
from gradcli.language.lalr import Driver, NotInLanguage, Unsupported

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import fuzz_settings, programs
    from .test_fuzz import TEXT, mutated_programs
except ImportError:
    from programgen import fuzz_settings, programs
    from test_fuzz import TEXT, mutated_programs


def _outcome(run) -> object:
    try:
        return run()
    except Exception as e:  # the error is part of the behaviour: type, message, position
        return type(e).__name__, str(e), getattr(e, "line", None), getattr(e, "column", None)


def with_lark(source: str) -> object:
    """``parser.parse(source)`` as it was: lark's own loop, the same callbacks."""
    def run() -> object:
        with parser._lock:
            parser._begin(source, parser.NO_LIMIT)
            try:
                parser._lark().parse(source)
                return parser._emitter.code
            except parser.UnexpectedInput as e:
                raise parser._syntax_error(source, e) from None
            finally:
                parser._emitter.code = parser.Code()
    return _outcome(run)


def with_driver(source: str) -> object:
    assert parser._driver(parser._lark()) is not None, "the loop runs gradcli's grammar"
    return _outcome(lambda: parser.parse(source).code)


@given(programs())
@fuzz_settings(300)
def test_programs_give_the_same_instructions(p):
    assert with_driver(p.source) == with_lark(p.source)


@given(st.one_of(TEXT, mutated_programs().map(lambda p: p.source)))
@fuzz_settings(500)
def test_broken_programs_give_the_same_error(source):
    assert with_driver(source) == with_lark(source)


@pytest.mark.parametrize("source", [
    "", "\n\n;", "x", "x = 1;;\n;y = x", "# only a comment", "x = (((1)))", "y = -(-x) ** -2 ^ +3", "f(", "1 2",
    "y = max(1, 2, 3, 4) + sum(1)", "x = 1e999", "y = nope(1)", "y = 2 @ 3", "\x00", "x = 1\r\ny = x\r\n",
    "(" * 3000 + "x" + ")" * 3000, "x = 1; y = " + " + ".join(["x"] * 5000),
])
def test_edge_cases(source):
    assert with_driver(source) == with_lark(source)


def test_a_long_program_without_recursion():
    source = "".join(f"v{i} = v{i - 1} * 1.5 + sin(v{i // 2})\n" for i in range(1, 5000))
    assert with_driver("v0 = 1\n" + source) == with_lark("v0 = 1\n" + source)


def test_callbacks_get_lark_tokens_with_their_positions():
    seen = []

    class Spy(parser._Emitter):
        def name(self, children):
            seen.append(children[0])
            return super().name(children)

    lark = Lark(parser._read(parser.grammar_path()), transformer=(spy := Spy()), **parser.LARK_OPTIONS)
    spy.code, spy.source = parser.Code(), "y = alpha"
    Driver(lark, spy).parse("y = alpha")
    (tok,) = seen
    assert isinstance(tok, Token) and tok == "alpha" and tok.type == "NAME"
    assert (tok.start_pos, tok.end_pos, tok.value) == (4, 9, "alpha")


def test_input_not_in_the_language_stops_the_loop():
    lark = Lark(parser._read(parser.grammar_path()), transformer=parser._Emitter(), **parser.LARK_OPTIONS)
    driver = Driver(lark, lark.options.transformer)
    for bad in ("y = 2 +", "x = $", "1 2"):
        lark.options.transformer.code = parser.Code()
        with pytest.raises(NotInLanguage):
            driver.parse(bad)


# ----- another grammar: what lark does with rule shapes gradcli's grammar may come to use ----------
OTHER = r"""
start: _NL* (item _NL+)* item?
?item: pair | list | call | NUMBER -> num | WORD
pair: WORD ":" item
list: "[" [_items] "]"
_items: item ("," item)*
!call: WORD "(" item? ")"
opt: "?" item
%import common.WORD
%import common.NUMBER
_NL: /\n/
%ignore " "
"""


class Keep(Transformer):
    """Methods for some rules only: the others are lark's Trees (__default__)."""

    def pair(self, children):
        return ("pair", *children)

    def num(self, children):
        return float(children[0])


@pytest.mark.parametrize("text", [
    "", "a: 1", "a: [1, 2, b: c]\n\nf(x)\n[ ]", "f()", "[1]\n[[2], [3, [4]]]\nword", "a: b: c: 1",
])
@pytest.mark.parametrize("grammar", [OTHER, OTHER.replace("[_items]", "[item (\",\" item)*]"),
                                     OTHER.replace("opt: ", "opt: [WORD] ").replace('| WORD', '| WORD | opt')])
def test_another_grammar_gives_what_lark_gives(text, grammar):
    for placeholders in (False, True):  # [item] not matched is a None child with placeholders
        lark = Lark(grammar, parser="lalr", lexer="basic", transformer=Keep(), maybe_placeholders=placeholders)
        ours = Driver(lark, Keep()).parse(text)
        assert ours == lark.parse(text) and repr(ours) == repr(lark.parse(text))


@pytest.mark.parametrize("options", [
    {"lexer": "contextual"},
    {"lexer_callbacks": {"NUMBER": lambda t: t}},
    {"propagate_positions": True},
])
def test_what_the_loop_does_not_follow_is_refused(options):
    settings = {"parser": "lalr", "lexer": "basic", "maybe_placeholders": False, **options}
    grammar = settings.pop("grammar", OTHER)
    with pytest.raises(Unsupported):
        Driver(Lark(grammar, transformer=Keep(), **settings), Keep())


def test_v_args_methods_are_refused():
    @v_args(inline=True)
    class Inline(Transformer):
        def pair(self, key, value):
            return key, value

    with pytest.raises(Unsupported):
        Driver(Lark(OTHER, parser="lalr", lexer="basic", maybe_placeholders=False, transformer=Inline()), Inline())


def test_the_loop_runs_the_parser_an_installed_wheel_loads(tmp_path):
    """The wheel's parser is loaded from generated tables (``_build_tables``): the loop runs it too."""
    import importlib.util

    from gradcli.language import _build_tables

    out = tmp_path / "_lalr_tables.py"
    _build_tables.write_tables(parser.grammar_path(), str(out))
    spec = importlib.util.spec_from_file_location("_tables_for_test", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loaded = parser._from_tables(module, open(parser.grammar_path(), "rb").read())
    assert loaded is not None and loaded.source_path == "<deserialized>"
    driver = Driver(loaded, parser._emitter)
    source = "a = 2; b = -a**2 + sin(a) / (a - 1)\n# c\nc = max(a, b) ^ 2 ^ 0.5; c"
    with parser._lock:
        parser._begin(source, parser.NO_LIMIT)
        driver.parse(source)
        code, parser._emitter.code = parser._emitter.code, parser.Code()
    assert code == with_lark(source)


PLACEHOLDERS = OTHER.replace("opt: ", "opt: [WORD] ").replace("| WORD", "| WORD | opt")


@pytest.mark.parametrize("text", ["a ?b", "?1", "x: ?[1, ?y]", "f(?g)", "a: 1"])
def test_placeholders_give_what_lark_gives(text):
    """``[x]`` not matched is a None child, as lark gives it with maybe_placeholders (its default)."""
    for placeholders in (False, True):
        lark = Lark(PLACEHOLDERS, parser="lalr", lexer="basic", transformer=Keep(), maybe_placeholders=placeholders)
        ours = Driver(lark, Keep()).parse(text)
        assert repr(ours) == repr(lark.parse(text))
    assert "None" in repr(lark.parse("?1"))  # the check sees a placeholder
