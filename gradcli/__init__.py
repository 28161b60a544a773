"""gradcli: a command-line expression differentiator, and its Python library.

``Value`` works like micrograd's (``from gradcli import Value``);
``evaluate(source, values, output)`` runs a program written in gradcli's
language and returns a Result with every node's value and gradient.
"""

from __future__ import annotations

from typing import Any

from .errors import GradcliError, GradcliSyntaxError, MathError
from .interpret.engine import Value, backward, topological_order

__version__ = "0.1.0"

__all__ = ["Value", "backward", "topological_order", "grad", "draw", "evaluate", "Result", "GradcliError",
           "GradcliSyntaxError", "MathError", "__version__"]


def _repr_svg_(self: Value) -> str | None:
    """Jupyter shows a Value as the picture of its graph (None past the picture budget).

    Set on Value here, at the top of the package: the engine knows nothing of pictures.
    """
    from .views.drawing import MAX_NODES, draw, render

    if len(topological_order(self)) > MAX_NODES:
        return None
    return render(draw(self).source, "svg").decode("utf-8")


setattr(Value, "_repr_svg_", _repr_svg_)


def __getattr__(name: str) -> Any:
    # the language (and lark) load only when a program is evaluated
    if name in ("evaluate", "Result"):
        from .front import api

        return getattr(api, name)
    if name == "grad":
        from .interpret.higher import grad

        return grad
    if name == "draw":
        from .views.drawing import draw

        return draw
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
