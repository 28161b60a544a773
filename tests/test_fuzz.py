"""Fuzzing: whatever the input, gradcli fails only with its own typed errors.

Inputs: random text over the language's characters (and any unicode), and
valid generated programs broken by a grammar-aware mutator (tokens dropped,
doubled, swapped, replaced or inserted). Through ``evaluate`` only
``GradcliError`` subclasses may come out; through the CLI (click's CliRunner)
the exit code is 0, 1 or 2, no traceback is printed, and a failure prints
nothing on stdout and one ``error: ...`` message on stderr.

Examples per test: see ``programgen.fuzz_settings`` ($GRADCLI_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st

from gradcli import evaluate
from gradcli.errors import GradcliError, GradcliSyntaxError
from gradcli.front.cli import cli

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import NAMES, GeneratedProgram, fuzz_settings, programs
except ImportError:
    from programgen import NAMES, GeneratedProgram, fuzz_settings, programs

# ----- inputs ----------------------------------------------------------------------------
#: the characters programs are made of, and a few that are not
LANGUAGE = list("0123456789.eE+-*/^()=,;#\n \t\rxyzabpi_") + ["**", "exp", "log", "max", "pow", "sqrt", "sigmoid"]
ODD = ["\x00", "\f", "\v", "\ufeff", "é", "θ", "²", "١", "٣", "ℌ", "∑", "\u2028", "'", '"', "\\", "!", "@", "$",
       "[", "]", "{", "}", "&", "|", "%", "<", ">", "~", "`", "?", ":", "\U0001f600"]
TEXT = st.one_of(
    st.lists(st.sampled_from(LANGUAGE + ODD), max_size=40).map("".join),
    st.text(max_size=40),
)

#: a token of program text: whitespace, a comment, ** or a number, a name, or one character
TOKEN = re.compile(r"\s+|#[^\n]*|\*\*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?!\d)\w+|.", re.S)
#: what the mutator may replace a token with or insert
VOCABULARY = [
    "(", ")", ",", "=", ";", "\n", "+", "-", "*", "/", "**", "^", "#", " ", "x", "y", "foo", "exp", "max",
    "pow", "relu", "abs", "pi", "e", "0", "1", "2.5", ".", "1e999", "1e-320", "9" * 400, "1.5e", "0x10",
    "1_0", "x(", "f(", "(,)", ",,", "\x00", "é", "١", "\ufeff", "\r", "'", "[", "]", "10**10**10", "2**1024",
]


def tokenize(source: str) -> list[str]:
    return TOKEN.findall(source)


@st.composite
def mutated_programs(draw: st.DrawFn) -> GeneratedProgram:
    """A valid generated program, then a few token-level mutations."""
    program = draw(programs(max_statements=5, max_depth=3))
    tokens = tokenize(program.source)
    assert "".join(tokens) == program.source
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["drop", "double", "swap", "replace", "insert"]))
        if not tokens:
            tokens = [draw(st.sampled_from(VOCABULARY))]
            continue
        i = draw(st.integers(0, len(tokens) - 1))
        if kind == "drop":
            del tokens[i]
        elif kind == "double":
            tokens.insert(i, tokens[i])
        elif kind == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif kind == "replace":
            tokens[i] = draw(st.sampled_from(VOCABULARY + tokens))
        else:
            tokens.insert(i, draw(st.sampled_from(VOCABULARY + tokens)))
    return GeneratedProgram("".join(tokens), program.values, program.output)


VALUES = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=4)),
    st.one_of(st.floats(), st.integers(-1000, 1000)),
    max_size=3,
)
OUTPUTS = st.one_of(st.none(), st.sampled_from(NAMES), st.text(max_size=4))


# ----- the property, through the library ---------------------------------------------------
def check_evaluate(source: str, values: dict | None = None, output: str | None = None, *, count: bool = True) -> None:
    """evaluate() returns finite numbers or raises a GradcliError; nothing else."""
    try:
        result = evaluate(source, values, output)
    except GradcliError as e:
        if count:
            event(type(e).__name__)
        assert isinstance(e.message, str) and e.message
        assert e.exit_code in (1, 2)
        if isinstance(e, GradcliSyntaxError):  # the position is in the text
            assert 1 <= e.line <= source.count("\n") + 1, (e.line, e.message)
            assert e.column >= 1, (e.column, e.message)
        return
    if count:
        event("evaluated")
    assert math.isfinite(result.value)
    assert all(math.isfinite(g) or math.isnan(g) for g in result.gradients.values())


@fuzz_settings(1500)
@given(TEXT, st.one_of(st.none(), VALUES), OUTPUTS)
def test_random_text_raises_only_typed_errors(source: str, values: dict | None, output: str | None) -> None:
    check_evaluate(source, values, output)


@fuzz_settings(1500)
@given(mutated_programs())
def test_mutated_programs_raise_only_typed_errors(program: GeneratedProgram) -> None:
    check_evaluate(program.source, program.values, program.output)


@fuzz_settings(300)
@given(mutated_programs(), VALUES, OUTPUTS)
def test_mutated_programs_with_odd_values_and_outputs(program: GeneratedProgram, values: dict,
                                                      output: str | None) -> None:
    check_evaluate(program.source, {**program.values, **values}, output)


# ----- the property, through the command line ------------------------------------------------
def check_cli(args: list[str], stdin: bytes | None = None) -> None:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output, result.exc_info)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, result.output
    if result.exit_code == 0:
        assert result.stdout and not result.stderr
    else:
        assert result.stdout == "", result.stdout
        assert result.stderr.startswith("error: "), result.stderr


SET_OPTIONS = st.lists(
    st.one_of(
        st.builds(lambda n, v: f"{n}={v!r}", st.sampled_from(NAMES), st.floats()),
        st.text(max_size=8),
    ),
    max_size=2,
).map(lambda sets: [a for s in sets for a in ("--set", s)])
OPTIONS = st.tuples(
    SET_OPTIONS,
    st.one_of(st.just([]), OUTPUTS.filter(bool).map(lambda o: ["--of", o])),
    st.sampled_from([[], ["--format", "json"], ["--format", "tree"], ["--format", "table"], ["--format", "xml"]]),
    st.sampled_from([[], ["--precision", "0"], ["--precision", "17"], ["--precision", "18"], ["--precision", "x"]]),
).map(lambda parts: [a for part in parts for a in part])


@fuzz_settings(300)
@given(st.one_of(TEXT, mutated_programs().map(lambda p: p.source)), OPTIONS)
def test_cli_with_program_argument(source: str, options: list[str]) -> None:
    check_cli([*options, "--", source])


@fuzz_settings(200)
@given(st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=40),
                 mutated_programs().map(lambda p: p.source.encode())), OPTIONS)
def test_cli_with_program_on_stdin(data: bytes, options: list[str]) -> None:
    check_cli([*options, "-f", "-"], stdin=data)


@fuzz_settings(200)
@given(programs())
def test_cli_runs_valid_programs(program: GeneratedProgram) -> None:
    sets = [a for name, x in program.values.items() for a in ("--set", f"{name}={x!r}")]
    of = ["--of", program.output] if program.output else []
    check_cli([*sets, *of, "--format", "json", "--", program.source])


# ----- hand-picked hard inputs ------------------------------------------------------------------
HARD = [
    "", " ", "\n", ";", ";;;\n;", "#", "# only a comment", "\ufeffx = 1", "x = 1\r\ny = x\r\n", "x = 1\x00",
    "(" * 10_000 + "1" + ")" * 10_000,  # deep nesting: no recursion anywhere
    "(" * 10_000 + "1",
    "-" * 10_000 + "1",
    "x = 1; y = " + "-" * 10_000 + "x",
    "x = 2; y = x" + " ** x" * 2_000,
    "x = 1; y = " + " + ".join(["x"] * 20_000),
    "x = 1\n" + "x = x * 1.0001\n" * 5_000 + "y = x",
    "y = " + "sin(" * 3_000 + "1" + ")" * 3_000,
    "10**10**10", "2 ** 1024", "1e999", "1e-999 * 0", "9" * 400, "-1e308 * 10", "x = 0; y = 1 / x",
    "x = 0; y = x ** -1", "x = 0; y = sqrt(x)", "x = -1; y = x ** 0.5", "x = -1; n = 2; y = x ** n",
    "x = 0; y = log(x)", "y = exp(710)", "x = 800; y = sigmoid(-x)", "x = 1e200; y = x * x",
    "x = 1e-200; y = 1 / x / x", "x = 0; y = 0 ** x", "x = 1; y = tan(pi / 2) * x",
    "exp = 1; exp(exp)", "x(1)", "foo(1)", "max(1)", "max(1, 2, 3)", "pow()", "sin()", "sin(,)",
    "x = ", "= 1", "1 = x", "x == 1", "x = 1 = 2", "x = (1", "x = 1)", "x = 1 +", "* 2", "2 **", "2 ^^ 3",
    "é = 1; é", "١ + ٣", "x² = 2; x²", "ℌ = 1", "_ = 1; _", "\t\f\r", "x = 1\f; x",
    "unknown", "x = y", "pi = 1; e = 2; pi * e",
]


@pytest.mark.parametrize("source", HARD, ids=lambda s: repr(s[:30]) + (f"…({len(s)})" if len(s) > 30 else ""))
def test_hard_inputs(source: str) -> None:
    check_evaluate(source, count=False)
    check_evaluate(source, {"x": 1.0, "y": float("nan")}, count=False)
    check_evaluate(source, None, "x", count=False)


@pytest.mark.parametrize("source", [s for s in HARD if len(s) < 1000])
def test_hard_inputs_through_the_cli(source: str) -> None:
    check_cli(["--", source])
    check_cli(["--format", "json", "--", source])
    check_cli(["-f", "-"], stdin=source.encode())


# ----- the installed script in hostile environments ----------------------------------------------------
SCRIPT = Path(sys.executable).parent / "gradcli"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ENVIRONMENTS = ["shared TMPDIR", "COLUMNS=0", "COLUMNS=1", "stdout closed", "stderr closed"]


@fuzz_settings(20)
@given(st.one_of(TEXT, mutated_programs().map(lambda p: p.source), programs().map(lambda p: p.source)),
       st.sampled_from(ENVIRONMENTS), st.sampled_from([[], ["--format", "json"], ["--format", "tree"], ["--check"]]))
def test_script_in_hostile_environments(source: str, environment: str, options: list[str]) -> None:
    with tempfile.TemporaryDirectory() as shared:
        os.chmod(shared, 0o1777)  # a temporary folder every user can write to
        planted = Path(shared) / ".lark_cache_planted.tmp"
        planted.write_bytes(b"not a pickle")
        env = {**os.environ, "TMPDIR": shared}
        if environment.startswith("COLUMNS"):
            env["COLUMNS"] = environment.split("=")[1]
        redirect = {"stdout closed": " >&-", "stderr closed": " 2>&-"}.get(environment, "")
        done = subprocess.run(f"'{SCRIPT}' {' '.join(options)} -- \"$PROGRAM\"{redirect}", shell=True,
                              env={**env, "PROGRAM": source.replace("\x00", "")}, capture_output=True,
                              timeout=60)
        assert sorted(os.listdir(shared)) == [planted.name] and planted.read_bytes() == b"not a pickle"
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode in (0, 1, 2), (done.returncode, err)
    assert "Traceback" not in err and not RAW_CONTROL.search(err), err
    if environment == "stdout closed":
        assert done.returncode == 1 and err == "error: cannot write the output: standard output is closed\n"
    elif done.returncode == 0:
        assert done.stdout and (environment == "stderr closed" or not err)
    elif environment != "stderr closed":
        assert err.startswith("error: "), err
        # a failed --check prints its table, then says so; any other failure prints nothing on stdout
        assert done.stdout == b"" or err.startswith("error: gradient check failed"), (done.stdout[:100], err)
