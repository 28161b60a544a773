"""The grammar: precedence, numbers, separators, and syntax errors with positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradcli import evaluate
from gradcli.errors import ArityError, GradcliSyntaxError, UnknownFunctionError
from gradcli.language.parser import (
    APPLY,
    NUM,
    as_operand,
    grammar_path,
    is_atom,
    is_name,
    parse,
)


def value(source: str, **values: float) -> float:
    return evaluate(source, values).value


@pytest.mark.parametrize("source, expected", [
    ("-3**2", -9.0),            # -x**2 is -(x**2)
    ("2**-1", 0.5),
    ("2**3**2", 512.0),         # right-associative
    ("2^3^2", 512.0),           # ^ means **
    ("10 - 4 - 3", 3.0),        # left-associative
    ("64 / 4 / 2", 8.0),
    ("2 + 3 * 4", 14.0),
    ("(2 + 3) * 4", 20.0),
    ("-2 * -3", 6.0),
    ("+2 - -3", 5.0),
    ("--2", 2.0),
    ("2 * 3 ** 2", 18.0),
    ("-(2)", -2.0),
    ("(-2)**2", 4.0),
    ("pow(2, 10)", 1024.0),
    ("max(1, 2) + min(1, 2)", 3.0),
])
def test_precedence_and_associativity(source: str, expected: float) -> None:
    assert value(source) == expected


@pytest.mark.parametrize("text, expected", [
    ("2", 2.0), ("2.5", 2.5), (".5", 0.5), ("1e-3", 1e-3), ("6.02E23", 6.02e23), ("2.", 2.0), ("1E+2", 100.0),
])
def test_numbers(text: str, expected: float) -> None:
    assert value(text) == expected


def test_separators_comments_and_blank_lines() -> None:
    source = "# a comment\n\n a = 2 ;; b = a*3  # trailing\n\n;\nc = b + 1;\n"
    r = evaluate(source)
    assert (r.output_name, r.value) == ("c", 7.0)


def test_crlf_line_endings() -> None:
    assert evaluate("a = 2\r\nb = a*a\r\n").value == 4.0


def test_names_are_letters_digits_and_underscore() -> None:
    assert value("_x1 = 2; Y_2 = _x1 * 3") == 6.0
    assert is_name("x_1") and is_name("_") and not is_name("1x") and not is_name("a-b") and not is_name("")


def test_parser_emits_instructions_in_evaluation_order() -> None:
    program = parse("a = 2; b = a*3")
    kinds = [ins.kind for ins in program.code]
    assert kinds == ["num", "assign", "name", "num", "apply", "assign"]
    assert program.text(4) == "a*3"


def test_negative_literal_is_one_number() -> None:
    program = parse("-2.5")
    assert [ins.kind for ins in program.code] == [NUM, "expr"]
    assert program.code[0].payload == -2.5
    assert parse("-x").code[1].kind == APPLY


@pytest.mark.parametrize("source, line, column, expected", [
    ("d = a + * 2", 1, 9, "unexpected '*'; expected a name, a number, '(', '+' or '-'"),
    ("a = (2", 1, 7, "unexpected end of the program; expected ')'"),
    ("a = 2 $", 1, 7, "unexpected character '$'"),
    ("a = 1\nb = 2 +\n", 2, 8, "unexpected end of the line"),
    ("a = 3)", 1, 6, "unexpected ')'; expected the end of the statement"),
    ("2x", 1, 2, "unexpected 'x'"),
    ("a = = 1", 1, 5, "unexpected '='"),
    ("f(1,)", 1, 5, "unexpected ')'"),
])
def test_syntax_errors_name_line_column_and_what_was_expected(source: str, line: int, column: int, expected: str) -> None:
    with pytest.raises(GradcliSyntaxError) as info:
        parse(source)
    e = info.value
    assert (e.line, e.column) == (line, column)
    assert f"line {line}, column {column}" in e.message
    assert expected in e.message
    text, caret = e.detail.splitlines()
    assert caret.index("^") - 2 == column - 1  # the caret sits under the column
    assert text.strip() == source.splitlines()[line - 1].strip()


def test_unknown_function_and_arity() -> None:
    with pytest.raises(UnknownFunctionError, match="unknown function 'foo' at line 1, column 5"):
        parse("y = foo(2)")
    with pytest.raises(ArityError, match=r"max\(\) takes 2 or more arguments, got 1"):
        parse("max(1)")
    with pytest.raises(ArityError, match=r"exp\(\) takes 1 argument, got 2"):
        parse("exp(1, 2)")
    with pytest.raises(ArityError, match=r"log\(\) takes 1 or 2 arguments, got 3, at line 1, column 5"):
        parse("y = log(1, 2, 3)")
    with pytest.raises(ArityError, match=r"ln\(\) takes 1 or 2 arguments, got 3"):
        parse("ln(1, 2, 3)")


def test_variadic_calls_are_one_instruction_with_an_input_per_argument() -> None:
    program = parse("y = max(a, b, a, 2)")
    (call,) = [ins for ins in program.code if ins.kind == "apply"]
    assert call.payload.name == "max" and call.payload.arity == 4 and len(call.inputs) == 4
    assert [program.text(i) for i in call.inputs] == ["a", "b", "a", "2"]
    assert parse("ln(x)").code[-2].payload is parse("log(x)").code[-2].payload


def test_number_too_large() -> None:
    with pytest.raises(GradcliSyntaxError, match="number too large"):
        parse("1e999")


def test_deep_parentheses_parse_without_recursion() -> None:
    depth = 100_000
    r = evaluate("x = 2\ny = " + "(" * depth + "x" + ")" * depth + " * 3")
    assert r.value == 6.0 and r.gradients["x"] == 3.0


def test_deep_nesting_of_operations() -> None:
    depth = 100_000
    # (((x + 1) + 1) ... ) nested both as parentheses and as a chain of ops
    source = "x = 1\ny = " + "(" * depth + "x" + " + 1)" * depth
    r = evaluate(source)
    assert r.value == depth + 1 and r.gradients["x"] == 1.0


def test_grammar_lives_in_grammars_folder() -> None:
    path = Path(grammar_path())
    assert path.name == "gradcli.lark"
    assert path.parent.name == "grammars"


@pytest.mark.parametrize("text, atom", [
    ("x", True), ("x_1", True), ("2", True), ("-2.5", True), ("1e-3", True), (".5", True),
    ("a*b", False), ("-x", False), ("2 + 3", False), ("1.2.3", False), ("(x)", False),
])
def test_atoms_need_no_parentheses(text: str, atom: bool) -> None:
    assert is_atom(text) is atom
    assert as_operand(text) == (text if atom else f"({text})")
