"""A longer, coverage-guided fuzz run with atheris (optional; not part of the test suite).

What it does
    Feeds atheris' byte strings to gradcli as program text (and a few of the bytes as
    --set values and an output name) through the library and the CLI's entry point.
    Only gradcli's own typed errors (GradcliError) may come out; anything else, or
    a CLI exit code other than 0, 1 or 2, or a traceback, stops the run with the input
    that caused it. The test suite's hypothesis fuzzers (tests/test_fuzz.py) run in CI;
    this is for hours-long runs.

How to run
    pip install atheris
    python benchmarks/fuzz_atheris.py -atheris_runs=100000        # a fixed number of inputs
    python benchmarks/fuzz_atheris.py -max_total_time=3600 corpus/ # an hour, keeping a corpus
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from click.testing import CliRunner

    from gradcli import evaluate
    from gradcli.errors import GradcliError
    from gradcli.front.cli import cli

RUNNER = CliRunner()


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    value = fdp.ConsumeRegularFloat()
    output = fdp.ConsumeUnicodeNoSurrogates(3) or None
    source = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        evaluate(source, {"x": value}, output)
    except GradcliError:
        pass
    result = RUNNER.invoke(cli, ["--set", f"x={value!r}", "--format", "json", source])
    if result.exit_code not in (0, 1, 2) or "Traceback" in result.stderr:
        raise AssertionError(f"exit {result.exit_code}: {result.stderr[-2000:]}")
    if result.exit_code != 0 and result.stdout:
        raise AssertionError("output on stdout for a failing call")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
