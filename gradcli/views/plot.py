"""Plots of a sweep: the output and its derivatives against the swept variable.

In the terminal with plotext; to an SVG, PNG or PDF file with matplotlib
(an optional extra: pip install "gradcli[plot]"). Each is imported only when
a plot is asked for. Both draw only finite values, scaled by a power of ten
that the axis labels show when they are huge or tiny (plotext overflows or
draws nothing past about 1e100); with no finite value a plot is an error.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GradcliError
from ..language.parser import as_operand

if TYPE_CHECKING:
    from ..interpret.sweep import SweepResult

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


@dataclass
class Scaled:
    """What a plot draws: finite values only (NaN elsewhere), each axis divided by 10**power."""

    name: str
    x: Any
    x_power: int
    curves: list[tuple[str, Any]]
    y_power: int

    def x_label(self) -> str:
        return self.name + (f" ({_times(self.x_power)})" if self.x_power else "")

    def title(self, output_name: str) -> str:
        values = f" (values {_times(self.y_power)})" if self.y_power else ""
        return f"{output_name} and its derivatives against {self.name}{values}"


def scaled(result: "SweepResult") -> Scaled:
    """The finite part of ``result``'s curves, scaled for drawing; a GradcliError when none is finite."""
    import numpy as np

    name, curves = _curves(result)
    with np.errstate(all="ignore"):  # inf and NaN are expected here; NumPy's warnings would name its files
        x = np.asarray(result.axes[name], dtype=float)
        finite_x = np.isfinite(x)
        ys = [(label, np.where(finite_x & np.isfinite(y), np.asarray(y, dtype=float), np.nan)) for label, y in curves]
        drawn = [y[~np.isnan(y)] for _, y in ys]
        if not any(d.size for d in drawn):
            raise GradcliError(
                f"--plot: nothing to draw: {result.output_name} and its derivatives are not finite numbers"
                f" (infinite or undefined) at any of the {x.size:,} points of the sweep"
            )
        x_power = _power(float(np.abs(x[finite_x]).max()))
        y_power = _power(max(float(np.abs(d).max()) for d in drawn if d.size))
        return Scaled(name, _divide(np, x, x_power), x_power, [(label, _divide(np, y, y_power)) for label, y in ys], y_power)


def _power(largest: float) -> int:
    """The power of ten to divide by: 0 for magnitudes that read well as they are."""
    if largest == 0 or 1e-2 <= largest < 1e4:
        return 0
    return math.floor(math.log10(largest))


def _divide(np: Any, values: Any, power: int) -> Any:
    # in two steps: 10.0**power alone is 0 below 1e-323 and inf above 1e308
    half = power // 2
    return values / 10.0**half / 10.0 ** (power - half)


def _times(power: int) -> str:
    return f"×1e{power}"


#: each curve's marker and colour in the terminal: the markers tell the curves apart in black and white too
MARKERS = ("•", "x", "+", "o", "*", "#", "@", "%")
COLOURS = ("blue", "red", "green", "orange", "magenta", "cyan", "gray", "black")


def terminal_plot(result: "SweepResult", width: int | None = None, height: int | None = None,
                  colour: bool = False) -> str:
    """The plot as text (plotext 5), to print in a terminal: a marker of its own for each curve,
    and a colour of its own with ``colour`` (a terminal that does not ask for NO_COLOR)."""
    import plotext as plt

    data = scaled(result)
    x = data.x.tolist()
    plt.clear_figure()
    plt.theme("clear")
    if width and height:
        plt.plotsize(width, height)
    for k, (label, y) in enumerate(data.curves):
        # None: a gap where NaN
        plt.plot(x, [v if v == v else None for v in y.tolist()], label=label, marker=MARKERS[k % len(MARKERS)],
                 color=COLOURS[k % len(COLOURS)] if colour else "default")
    ticks = _ticks([v for _, y in data.curves for v in y.tolist() if math.isfinite(v)])
    if ticks:
        plt.yticks(*ticks)
    plt.xlabel(data.x_label())
    plt.title(data.title(result.output_name))
    text = plt.build()
    return str(text if colour else plt.uncolorize(text)).rstrip("\n")


def _ticks(values: list[float], count: int = 5) -> tuple[list[float], list[str]] | None:
    """Evenly spaced ticks over ``values`` and their labels, to as many decimals as the spacing
    needs; a tick that rounds to zero reads 0, never -0.0 (plotext's own labels can)."""
    if not values:
        return None
    lo, hi = min(values), max(values)
    if lo == hi:
        return None
    step = (hi - lo) / (count - 1)
    decimals = max(0, 1 - math.floor(math.log10(step)))
    ticks = [lo + step * k for k in range(count)]
    return ticks, [f"{round(t, decimals) + 0.0:.{decimals}f}" for t in ticks]


def file_plot(result: "SweepResult", path: str) -> bytes:
    """The plot as the bytes of an SVG, PNG or PDF file (matplotlib)."""
    fmt = plot_format(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GradcliError('--plot FILE needs matplotlib: pip install "gradcli[plot]" (or --plot alone draws in'
                           " the terminal)") from None
    data = scaled(result)
    figure = Figure(figsize=(7, 4.2))
    axes = figure.add_subplot()
    for label, y in data.curves:
        axes.plot(data.x, y, label=label, linewidth=1.6)  # NaN leaves a gap in the line
    axes.set_xlabel(data.x_label())
    axes.set_ylabel(f"value ({_times(data.y_power)})" if data.y_power else "value")
    axes.set_title(data.title(result.output_name))
    axes.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    axes.grid(True, linewidth=0.3)
    axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    # fixed metadata, so the same sweep gives the same file
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt in ("svg", "pdf") else None)
    return buffer.getvalue()
