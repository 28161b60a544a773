"""--emit through the installed script, as a user takes it home: write the file, run it, compare."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "gradcli"
ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "x = 0.5; w = 2; y = tanh(w * x) + x**2 * log(w)"


def gradcli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True)


def engine(*args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(gradcli(PROGRAM, "--format", "json", *args).stdout)


def test_emitted_python_run_from_a_file_gives_the_engines_numbers(tmp_path: Path) -> None:
    r = gradcli("--emit", "python", "--order", "2", PROGRAM)
    assert r.returncode == 0 and r.stderr == ""
    (tmp_path / "grad.py").write_text(r.stdout)
    run = subprocess.run([sys.executable, "-c", "import json, grad; print(json.dumps(grad.value_and_grad(0.5, 2.0)))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    value, grads, hess = json.loads(run.stdout)
    doc = engine("--order", "2")
    assert value == pytest.approx(doc["value"], rel=1e-12)
    assert grads == pytest.approx([doc["gradients"]["x"], doc["gradients"]["w"]], rel=1e-12)
    flat = [x for row in hess for x in row]
    assert flat == pytest.approx([doc["hessian"][r][c] for r in ("x", "w") for c in ("x", "w")], rel=1e-9)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (.ci/run installs it)")
def test_emitted_javascript_runs_in_node(tmp_path: Path) -> None:
    (tmp_path / "grad.mjs").write_text(gradcli("--emit", "javascript", PROGRAM).stdout)
    run = subprocess.run(["node", "-e", "import('./grad.mjs').then(m => console.log(JSON.stringify(m.valueAndGrad(0.5, 2))))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    value, grads = json.loads(run.stdout)
    doc = engine()
    assert value == pytest.approx(doc["value"], rel=1e-12)
    assert grads == pytest.approx([doc["gradients"]["x"], doc["gradients"]["w"]], rel=1e-12)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (.ci/run installs one)")
def test_emitted_c_compiles_and_runs(tmp_path: Path) -> None:
    (tmp_path / "grad.h").write_text(gradcli("--emit", "c", PROGRAM).stdout)
    (tmp_path / "main.c").write_text('#include <stdio.h>\n#include "grad.h"\nint main(void) {\n'
                                     "  double g[2]; double v = value_and_grad(0.5, 2.0, g);\n"
                                     '  printf("%.17g %.17g %.17g\\n", v, g[0], g[1]); return 0;\n}\n')
    subprocess.run(["cc", "-O2", "-std=c99", "-Wall", "-Werror", "-o", "main", "main.c", "-lm"], cwd=tmp_path, check=True)
    value, dx, dw = map(float, subprocess.run(["./main"], cwd=tmp_path, capture_output=True, text=True,
                                              check=True).stdout.split())
    doc = engine()
    assert [value, dx, dw] == pytest.approx([doc["value"], doc["gradients"]["x"], doc["gradients"]["w"]], rel=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--emit", "python", "--format", "json"], "--emit does not go with --format json"),
    (["--emit", "c", "--set", "x=1"], "--set does not go with --emit"),
    (["--emit", "python", "--order", "2", "--limit", "derivatives=2"], "needs 3 derivatives, over the limit of 2"),
    (["--emit", "c", "--order", "3"], "--emit writes the gradient (--order 1) and the Hessian (--order 2), not --order 3"),
])
def test_emit_refuses_what_it_cannot_honour(args: list[str], message: str) -> None:
    r = gradcli(*args, PROGRAM)
    assert r.returncode == 2 and r.stdout == "" and message in r.stderr


# ----- several outputs: the Jacobian ----------------------------------------------------------
JACOBIAN = PROGRAM + "; z = y * w; u = sin(z) - x"


def jacobian_engine() -> tuple[list[float], list[list[float]]]:
    doc = json.loads(gradcli(JACOBIAN, "--format", "json", "--of", "y", "--of", "z", "--of", "u").stdout)
    assert doc["outputs"] == ["y", "z", "u"] and list(doc["inputs"]) == ["x", "w"]
    return [doc["values"][o] for o in doc["outputs"]], [[doc["jacobian"][o][i] for i in ("x", "w")]
                                                         for o in doc["outputs"]]


def test_emitted_jacobian_in_python_run_from_a_file(tmp_path: Path) -> None:
    r = gradcli("--emit", "python", "--of", "y", "--of", "z", "--of", "u", JACOBIAN)
    assert r.returncode == 0 and r.stderr == "" and "# outputs, in order: y, z, u" in r.stdout
    (tmp_path / "jac.py").write_text(r.stdout)
    run = subprocess.run([sys.executable, "-c", "import json, jac; print(json.dumps(jac.value_and_grad(0.5, 2.0)))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    got_values, got_rows = json.loads(run.stdout)
    values, rows = jacobian_engine()
    assert got_values == pytest.approx(values, rel=1e-12)
    assert [len(row) for row in got_rows] == [2, 2, 2]
    assert [x for row in got_rows for x in row] == pytest.approx([x for row in rows for x in row], rel=1e-12)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (.ci/run installs one)")
def test_emitted_jacobian_in_c_compiles_and_runs(tmp_path: Path) -> None:
    (tmp_path / "jac.h").write_text(gradcli("--emit", "c", "--of", "y", "--of", "z", "--of", "u",
                                                  JACOBIAN).stdout)
    (tmp_path / "main.c").write_text('#include <stdio.h>\n#include "jac.h"\nint main(void) {\n'
                                     "  double v[3], j[6]; value_and_grad(0.5, 2.0, v, j);\n"
                                     '  for (int i = 0; i < 3; i++) printf("%.17g ", v[i]);\n'
                                     '  for (int i = 0; i < 6; i++) printf("%.17g ", j[i]);\n  return 0;\n}\n')
    subprocess.run(["cc", "-O2", "-std=c99", "-Wall", "-Werror", "-o", "main", "main.c", "-lm"], cwd=tmp_path, check=True)
    numbers = [float(x) for x in subprocess.run(["./main"], cwd=tmp_path, capture_output=True, text=True,
                                                check=True).stdout.split()]
    values, rows = jacobian_engine()
    assert numbers == pytest.approx([*values, *[x for row in rows for x in row]], rel=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--of", "y", "--of", "q"], "--of q: the program has no variable 'q'"),
    (["--of", "y", "--of", "z", "--of", "y"], "--of y is given more than once; give each output once"),
    (["--of", "y", "--of", "z", "--order", "2"], "--of given more than once does not go with --order"),
])
def test_emitted_jacobian_refuses_what_it_cannot_honour(args: list[str], message: str) -> None:
    r = gradcli("--emit", "python", *args, JACOBIAN)
    assert r.returncode == 2 and r.stdout == "" and message in r.stderr
