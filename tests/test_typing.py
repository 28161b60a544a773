"""The public API is typed (py.typed ships with the package) and mypy accepts the whole package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gradcli

ROOT = Path(__file__).resolve().parent.parent


def test_py_typed_ships_with_the_package() -> None:
    assert (Path(gradcli.__file__).parent / "py.typed").exists()


def test_mypy_accepts_the_package() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                           str(ROOT / "gradcli")], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
