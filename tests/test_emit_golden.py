"""The README's --emit example in every language, against golden files.

A change to the emitted code shows here as a diff to read; after reading it,
GRADCLI_UPDATE_GOLDEN=1 python -m pytest tests/test_emit_golden.py rewrites them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli

GOLDEN = Path(__file__).resolve().parent / "golden" / "emit"
PROGRAM = "x = 0.5; w = 2; y = tanh(w * x) + x**2"  # the README's example
SUFFIX = {"python": "py", "numpy": "py", "c": "c", "javascript": "mjs"}


@pytest.mark.parametrize("language", list(SUFFIX))
@pytest.mark.parametrize("order", [1, 2])
def test_emitted_code_matches_its_golden_file(language: str, order: int) -> None:
    r = CliRunner().invoke(cli, ["--emit", language, "--order", str(order), PROGRAM])
    assert r.exit_code == 0, r.stderr
    path = GOLDEN / f"{language}-order{order}.{SUFFIX[language]}"
    if os.environ.get("GRADCLI_UPDATE_GOLDEN"):
        path.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == path.read_text(encoding="utf-8")
