"""gradcli: a command-line expression differentiator, and its Python library.

``Value`` works like micrograd's (``from gradcli import Value``);
``evaluate(source, values, output)`` runs a program written in gradcli's
language and returns a Result with every node's value and gradient.
"""

from __future__ import annotations

from typing import Any

from .engine import Value, backward, topological_order
from .errors import GradcliError, GradcliSyntaxError, MathError

__version__ = "0.1.0"

__all__ = ["Value", "backward", "topological_order", "grad", "draw", "evaluate", "Result", "GradcliError",
           "GradcliSyntaxError", "MathError", "__version__"]


def __getattr__(name: str) -> Any:
    # the language (and lark) load only when a program is evaluated
    if name in ("evaluate", "Result"):
        from . import program

        return getattr(program, name)
    if name == "grad":
        from .higher import grad

        return grad
    if name == "draw":
        from .drawing import draw

        return draw
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
