"""Plots of a sweep: the output and its derivatives against the swept variable.

In the terminal with plotext; to an SVG, PNG or PDF file with matplotlib
(an optional extra: pip install "gradcli[plot]"). Each is imported only when
a plot is asked for.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GradcliError
from .parser import as_operand

if TYPE_CHECKING:
    from .sweep import SweepResult

FILE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def plot_format(path: str) -> str:
    """The file format for ``path``; a GradcliError for anything but .svg, .png, .pdf."""
    suffix = Path(path).suffix.lower()
    if suffix not in FILE_FORMATS:
        raise GradcliError(
            f"--plot {path}: a plot file ends in .svg, .png or .pdf (with no file, --plot draws in the terminal;"
            " give the program before --plot)"
        )
    return FILE_FORMATS[suffix]


def _curves(result: "SweepResult") -> tuple[str, list[tuple[str, Any]]]:
    if len(result.axes) != 1:
        raise GradcliError(f"--plot: a plot needs one swept variable, not {len(result.axes)}")
    (name,) = result.axes
    out = result.output_name
    curves = [(out, result.values)] + [(f"∂{as_operand(out)}/∂{v}", g) for v, g in result.gradients.items()]
    return name, curves


def terminal_plot(result: "SweepResult", width: int | None = None, height: int | None = None) -> str:
    """The plot as plain text (plotext 5), to print in a terminal."""
    import plotext as plt

    name, curves = _curves(result)
    x = result.axes[name].tolist()
    plt.clear_figure()
    plt.theme("clear")
    if width and height:
        plt.plotsize(width, height)
    for label, y in curves:
        plt.plot(x, [v if v == v else None for v in y.tolist()], label=label)
    plt.xlabel(name)
    plt.title(f"{result.output_name} and its derivatives against {name}")
    return str(plt.uncolorize(plt.build())).rstrip("\n")


def file_plot(result: "SweepResult", path: str) -> bytes:
    """The plot as the bytes of an SVG, PNG or PDF file (matplotlib)."""
    fmt = plot_format(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GradcliError('--plot FILE needs matplotlib: pip install "gradcli[plot]"') from None
    name, curves = _curves(result)
    figure = Figure(figsize=(7, 4.2))
    axes = figure.add_subplot()
    for label, y in curves:
        axes.plot(result.axes[name], y, label=label, linewidth=1.6)
    axes.set_xlabel(name)
    axes.set_ylabel("value")
    axes.set_title(f"{result.output_name} and its derivatives against {name}")
    axes.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    axes.grid(True, linewidth=0.3)
    axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    # fixed metadata, so the same sweep gives the same file
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt in ("svg", "pdf") else None)
    return buffer.getvalue()
