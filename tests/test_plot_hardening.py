"""Plots of extreme sweeps: huge, tiny, infinite and undefined values.

A plot draws the finite values, scaled by a power of ten its labels name, or
fails with one ``error:`` line; never a traceback, a blank plot or NumPy's
warnings. Through the API (SweepResult made directly, or by sweep()) and the CLI.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

np = pytest.importorskip("numpy")

from gradcli import evaluate  # noqa: E402
from gradcli.errors import GradcliError  # noqa: E402
from gradcli.front.cli import cli  # noqa: E402
from gradcli.interpret.sweep import SweepResult, sweep  # noqa: E402
from gradcli.views.plot import file_plot, scaled, terminal_plot  # noqa: E402

INF, NAN, BIG = math.inf, math.nan, 1.7e308


def result(x: list[float], y: list[float], dy: list[float] | None = None) -> SweepResult:
    dy = y if dy is None else dy
    undefined = sum(1 for a, b in zip(y, dy) if not (math.isfinite(a) and math.isfinite(b)))
    return SweepResult("y", {"x": np.array(x)}, {}, np.array(y), {"x": np.array(dy)}, undefined)


def marks(plot: str) -> int:
    """Markers plotext drew for the curves inside the frame (the legend's entries left out)."""
    from gradcli.views.plot import MARKERS

    count = 0
    for line in plot.splitlines():
        left = re.search("[│┤]", line)  # the frame's left side: plain, or with a tick
        if left is None or not line.rstrip().endswith("│"):
            continue
        inner = re.sub(r"(\S)\1 \S+", "", line[left.end() : line.rindex("│")])  # a legend entry left out
        count += sum(inner.count(m) for m in MARKERS)
    return count


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "100", "LINES": "30"})


def no_traceback(r) -> None:  # type: ignore[no-untyped-def]
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and "Warning" not in r.output


# --- terminal plots ---------------------------------------------------------------------


@pytest.mark.parametrize("program, sweep_spec, power", [
    ("y = exp(x)", "x=700:709:5", "×1e307"),  # up to 8.2e307: plotext's OverflowError before
    ("y = x * 1e300", "x=1:3:5", "×1e300"),  # a blank plot before
    ("y = x * 1e-300", "x=1:3:5", "×1e-300"),  # a blank plot before
    ("y = x * 1e-30", "x=1:3:5", "×1e-30"),
])
def test_terminal_plot_of_extreme_values_draws_them_scaled(program: str, sweep_spec: str, power: str) -> None:
    r = invoke(program, "--sweep", sweep_spec, "--plot")
    no_traceback(r)
    assert r.exit_code == 0
    assert f"(values {power})" in r.stdout and marks(r.stdout) > 20


def test_terminal_plot_leaves_out_infinite_and_undefined_points() -> None:
    plot = terminal_plot(result([1, 2, 3, 4, 5], [1e300, INF, 3e300, NAN, -INF], [2.0, 2.0, INF, 2.0, 2.0]), 80, 20)
    assert "(values ×1e300)" in plot and marks(plot) > 20
    assert "inf" not in plot.lower() and "nan" not in plot.lower()


def test_terminal_plot_of_huge_x_and_huge_spread() -> None:
    plot = terminal_plot(result([-BIG, 0.0, BIG], [BIG, 1.0, -BIG]), 80, 20)  # spans overflow to inf
    assert "x (×1e308)" in plot and "(values ×1e308)" in plot and marks(plot) > 20


def test_terminal_plot_of_ordinary_values_is_not_scaled() -> None:
    plot = terminal_plot(sweep(evaluate("x = 1; y = x * x"), {"x": np.linspace(-3, 3, 21)}), 80, 20)
    assert "×1e" not in plot and "y and its derivatives against x " in plot
    assert marks(plot) > 20


@pytest.mark.parametrize("y, dy", [
    ([INF, INF, INF], [INF, INF, INF]),
    ([NAN, NAN, NAN], [NAN, NAN, NAN]),
    ([INF, NAN, -INF], [NAN, -INF, INF]),
])
def test_nothing_finite_is_one_clear_error(y: list[float], dy: list[float]) -> None:
    for draw in (lambda r: terminal_plot(r, 80, 20), lambda r: file_plot(r, "p.png")):
        with pytest.raises(GradcliError) as caught:
            draw(result([1.0, 2.0, 3.0], y, dy))
        assert caught.value.exit_code == 2
        assert caught.value.message == ("--plot: nothing to draw: y and its derivatives are not finite numbers"
                                        " (infinite or undefined) at any of the 3 points of the sweep")


def test_nothing_finite_through_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # sweeps turn overflow into NaN and stop when every point is undefined; make one that got through
    import gradcli.interpret.sweep

    real = gradcli.interpret.sweep.run_sweep

    def all_infinite(*args, **kwargs):  # type: ignore[no-untyped-def]
        r = real(*args, **kwargs)
        return SweepResult(r.output_name, r.axes, r.held, r.values * INF, {k: g * INF for k, g in r.gradients.items()}, 0)

    monkeypatch.setattr(gradcli.interpret.sweep, "run_sweep", all_infinite)
    r = invoke("y = x + 1", "--sweep", "x=1:3:3", "--plot")
    no_traceback(r)
    assert r.exit_code == 2
    assert [line for line in r.stderr.splitlines() if line.startswith("error:")] == [
        "error: --plot: nothing to draw: y and its derivatives are not finite numbers (infinite or undefined)"
        " at any of the 3 points of the sweep"]


def test_plots_say_nothing_from_numpy() -> None:
    extreme = result([-BIG, -1.0, 0.0, BIG], [BIG, INF, NAN, -BIG], [-BIG, 5e-324, -INF, BIG])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        scaled(extreme)
        terminal_plot(extreme, 80, 20)
        file_plot(extreme, "p.svg")


def test_scaling_reaches_the_smallest_and_largest_doubles() -> None:
    data = scaled(result([5e-324, 1e-323], [BIG, 1e308]))
    assert data.x_power == -324 and data.y_power == 308
    assert np.all(np.isfinite(data.x)) and np.all(np.isfinite(data.curves[0][1]))
    assert data.curves[0][1].max() == pytest.approx(1.7)


# --- file plots ---------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".svg", ".png", ".pdf"])
@pytest.mark.parametrize("program, sweep_spec", [
    ("y = exp(x)", "x=700:710:5"),  # the last point overflows
    ("y = x * 1e300", "x=1:3:5"),
    ("y = x * 1e-300", "x=1:3:5"),
])
def test_file_plot_of_extreme_values(tmp_path: Path, ext: str, program: str, sweep_spec: str) -> None:
    path = tmp_path / f"plot{ext}"
    r = invoke(program, "--sweep", sweep_spec, "--plot", str(path))
    no_traceback(r)
    assert r.exit_code == 0
    assert path.read_bytes().startswith({".svg": b"<?xml", ".png": b"\x89PNG", ".pdf": b"%PDF"}[ext])


def test_file_plot_of_infinite_and_huge_values_from_the_api() -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, to read the labels
        data = file_plot(result([-BIG, 0.0, BIG], [BIG, INF, -BIG], [NAN, 1.0, -INF]), "p.svg")
    assert data.startswith(b"<?xml")
    assert "x (×1e308)" in data.decode() and "(values ×1e308)" in data.decode()
