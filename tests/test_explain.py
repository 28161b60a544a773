"""--explain: the backward pass step by step, with the chain rule's numbers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.front.cli import cli
from gradcli.interpret.explain import partial, steps


def test_steps_of_the_one_liner() -> None:
    r = evaluate("d = (a+3) + a*2", {"a": 2})
    done = steps(r)
    rows = [(r.nodes[s.source].label, r.nodes[s.target].label, s.upstream, s.formula, s.local, s.total) for s in done]
    assert rows == [
        ("d", "a+3", 1.0, "1", 1.0, 1.0),
        ("d", "a*2", 1.0, "1", 1.0, 1.0),
        ("a*2", "a", 1.0, "2", 2.0, 2.0),
        ("a*2", "2", 1.0, "a", 2.0, 2.0),
        ("a+3", "a", 1.0, "1", 1.0, 3.0),
        ("a+3", "3", 1.0, "1", 1.0, 1.0),
    ]
    assert partial(r, done[2]) == "∂(a*2)/∂a"


def test_running_totals_end_at_the_gradients() -> None:
    r = evaluate("x = 0.7; y = x * x; z = sin(y) / (1 + x) + log(1 + y)")
    last = {}
    for s in steps(r):
        last[s.target] = s.total
        assert s.contribution == pytest.approx(s.upstream * s.local)
    for node_id, total in last.items():
        assert total == pytest.approx(r.nodes[node_id].grad, rel=1e-12)


def test_formulas_are_written_over_the_inputs() -> None:
    r = evaluate("x = 3; y = log(x - 1) + x / (x - 2)")
    formulas = {(r.nodes[s.source].label, r.nodes[s.target].label): s.formula for s in steps(r)}
    assert formulas[("log(x - 1)", "x - 1")] == "1/(x - 1)"
    assert formulas[("x / (x - 2)", "x - 2")] == "-x/(x - 2)**2"


def test_explain_in_the_cli() -> None:
    out = CliRunner().invoke(cli, ["--set", "a=2", "d = (a+3) + a*2", "--explain"], env={"COLUMNS": "100"}).stdout
    assert "backward pass, 6 steps" in out
    line = [row for row in out.splitlines() if "a*2 → a" in row][0]
    assert "∂(a*2)/∂a = 2" in line and "1.0000 × 2.0000 = 2.0000" in line and "a: 2.0000" in line
    doc = json.loads(CliRunner().invoke(cli, ["--set", "a=2", "d = (a+3) + a*2", "--explain", "--format", "json"]).stdout)
    assert doc["steps"][2] == {"from": 4, "to": 0, "upstream": 1.0, "formula": "2", "local": 2.0,
                               "contribution": 2.0, "total": 2.0}
    assert doc["steps"][4]["total"] == 3.0
