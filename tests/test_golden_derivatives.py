"""Golden table of textbook derivatives: one case per file in tests/golden_derivatives/.

Adding a case is adding a file; the test lists the folder. A case file:

    # Power rule: d/dx x^n = n x^(n-1).          <- comment lines: what the case shows, worked by hand
    # At x = 2: y = 8, dy/dx = 3 * 2^2 = 12.
    [program]                                    <- the program, verbatim up to the next [section]
    y = x ** 3
    [at]                                         <- optional: values given to evaluate(), NAME = NUMBER
    x = 2.0
    [output]                                     <- optional: the name to differentiate (like --of)
    y
    [expect]                                     <- the value, and d(output)/d(NAME) for EVERY name
    value = 8.0
    d/dx = 12.0
    d/dy = 1.0

Expected numbers are written in the file, worked out by hand or with SymPy when
the case was written, never computed at test time. They must match to 1e-12
relative (1e-12 absolute near zero), and [expect] must list every gradient
that evaluate() reports, no more and no fewer. Outside [program], blank
lines and lines starting with '#' are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gradcli import evaluate

FOLDER = Path(__file__).parent / "golden_derivatives"
SECTION = re.compile(r"^\[(program|at|output|expect)\]\s*$")
REL, ABS = 1e-12, 1e-12


@dataclass
class Case:
    program: str
    at: dict[str, float] = field(default_factory=dict)
    output: str | None = None
    value: float | None = None
    gradients: dict[str, float] = field(default_factory=dict)


def _pairs(lines: list[str], path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: expected 'NAME = NUMBER', got {line!r}"
        pairs.append((key.strip(), value.strip()))
    return pairs


def load(path: Path) -> Case:
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = SECTION.match(line)
        if match:
            current = match.group(1)
            assert current not in sections, f"{path.name}: [{current}] twice"
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        else:
            assert not line.strip() or line.startswith("#"), f"{path.name}: text before [program]: {line!r}"
    assert "program" in sections and "expect" in sections, f"{path.name}: needs [program] and [expect]"
    case = Case("\n".join(sections["program"]))
    case.at = {name: float(number) for name, number in _pairs(sections.get("at", []), path)}
    outputs = [line.strip() for line in sections.get("output", []) if line.strip() and not line.startswith("#")]
    assert len(outputs) <= 1, f"{path.name}: [output] names one variable"
    case.output = outputs[0] if outputs else None
    for key, number in _pairs(sections["expect"], path):
        if key == "value":
            case.value = float(number)
        else:
            assert key.startswith("d/d"), f"{path.name}: expected 'value' or 'd/dNAME', got {key!r}"
            case.gradients[key[3:]] = float(number)
    assert case.value is not None, f"{path.name}: [expect] needs 'value = ...'"
    return case


CASES = sorted(FOLDER.glob("*.txt"))


def test_the_table_is_there() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_derivative(path: Path) -> None:
    case = load(path)
    result = evaluate(case.program, case.at, case.output)
    assert result.value == pytest.approx(case.value, rel=REL, abs=ABS)
    assert sorted(result.gradients) == sorted(case.gradients), "[expect] must list every gradient"
    for name, want in case.gradients.items():
        assert result.gradients[name] == pytest.approx(want, rel=REL, abs=ABS), f"d/d{name}"
