"""Every pair of options (each --format among them) either works, with both effects visible, or is
refused with exit 2 and a message naming both: the table in gradcli.front.request, run through the command.

"Both effects visible": leaving either option out (where what is left is a valid call) changes
what the call writes, on standard output or in its files. --limit and --jobs are the exceptions: a
budget that is not reached shows nothing (tests/test_hardening.py tests it reached), and --jobs and
--scheduler write the same bytes by design (tests/test_jobs.py, tests/test_scheduler.py).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli
from gradcli.front.request import FEATURES, NEEDS, REFUSED, combination_table

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "x = 1.5; w = 2; y = x * w + sin(x); z = y * x"

#: each feature as arguments ({tmp}: a fresh folder for the files a call writes)
ARGS: dict[str, list[str]] = {
    "--set": ["--set", "w=3"],
    "--values": ["--values", str(ROOT / "tests" / "combination_values.json")],  # w before x: the order of the inputs changes too
    "--of": ["--of", "y"],
    "--of (repeated)": ["--of", "y", "--of", "z"],
    "--precision": ["--precision", "2"],
    "--limit": ["--limit", "work=1e9"],
    "--graph": ["-g", "{tmp}/g.svg"],
    "--max-nodes": ["--max-nodes", "5"],  # the program has 7 values, 4 of them named: folded
    "--rankdir": ["--rankdir", "LR"],  # its shape draws it top to bottom
    "--sweep": ["--sweep", "x=0:1:3"],
    "--plot": ["--plot"],
    "--plot FILE": ["--plot", "{tmp}/p.svg"],
    "--each-line": ["--each-line"],
    "--explain": ["--explain"],
    "--symbolic": ["--symbolic"],
    "--expand": ["--expand"],
    "--order": ["--order", "2"],
    "--check": ["--check"],
    "--atol": ["--atol", "0.5"],
    "--rtol": ["--rtol", "0.25"],
    "--emit": ["--emit", "python"],
    "--jobs": ["--jobs", "2"],
    "--scheduler": ["--scheduler", "tcp://127.0.0.1:9"],  # one chunk, one batch: done here, never sent
    "--interactive": ["-i"],  # a session that starts from the program and reads SESSION from standard input
    **{f"--format {f}": ["--format", f] for f in ("json", "tree", "latex", "csv")},
}
INVISIBLE = {"--limit", "--jobs", "--scheduler"}  # the same output, by design (test_jobs.py, test_scheduler.py)
#: what a session (-i) is given to do: its table, so that --order shows too
SESSION = ":table\n"


def test_every_feature_has_arguments() -> None:
    assert set(ARGS) == set(FEATURES)


def _closure(features: frozenset[str]) -> frozenset[str]:
    """``features`` with what each needs (an option rather than another format), so each can take effect."""
    found = set(features)
    for _ in range(3):
        for feature in list(found):
            needs = NEEDS.get(feature, ())
            if needs and not any(_satisfied(n, found) for n in needs):
                found.add(next(n for n in needs if not n.startswith("--format")))
    return frozenset(found)


def _satisfied(need: str, found: set[str]) -> bool:
    return need in found or need == "--format table" and not any(f.startswith("--format") for f in found)


def _refused_pairs(features: frozenset[str]) -> list[frozenset[str]]:
    return [frozenset(p) for p in itertools.combinations(sorted(features), 2) if frozenset(p) in REFUSED]


class _Runs:
    """Runs of the command by set of features, each once (in its own folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[frozenset[str], tuple[int, str, str, dict[str, bytes]]] = {}

    def __call__(self, features: frozenset[str]) -> tuple[int, str, str, dict[str, bytes]]:
        if features not in self.done:
            tmp = self.root / f"run{len(self.done)}"
            tmp.mkdir()
            args = [a.replace("{tmp}", str(tmp)) for f in sorted(features) for a in ARGS[f]]
            r = CliRunner().invoke(cli, [*args, PROGRAM], env={"COLUMNS": "120"},
                                   input=SESSION if "--interactive" in features else None)
            files = {p.name: p.read_bytes() for p in tmp.iterdir()}
            stdout = r.stdout
            if "--plot FILE" in features:  # matplotlib stamps its SVG with nothing that varies, but be sure
                files = {k: re.sub(rb"<dc:date>.*?</dc:date>", b"", v) for k, v in files.items()}
            self.done[features] = (r.exit_code, stdout, r.stderr, files)
        return self.done[features]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> _Runs:
    return _Runs(tmp_path_factory.mktemp("combinations"))


#: one option with two values at once cannot be asked for
ONE_OPTION = [{"--of", "--of (repeated)"}, {"--plot", "--plot FILE"}, *(
    {a, b} for a, b in itertools.combinations([f for f in FEATURES if f.startswith("--format")], 2))]
PAIRS = [(a, b) for a, b in itertools.combinations(FEATURES, 2) if {a, b} not in ONE_OPTION]
#: a pair where one asks for what the other implies: --format latex is the formulas of --symbolic
REDUNDANT = {frozenset({"--symbolic", "--format latex"})}


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_a_pair_works_with_both_effects_or_is_refused_naming_both(runs: _Runs, a: str, b: str) -> None:
    features = _closure(frozenset({a, b}))
    code, stdout, stderr, files = runs(features)
    refused = _refused_pairs(features)
    if refused:
        assert code == 2, (features, stdout, stderr)
        assert stdout == "" and not files
        line = stderr.strip()
        assert line.startswith("error: ") and "\n" not in line, stderr
        # the message names both options of a pair that does not combine
        assert any(all(_named(f, line) for f in pair) for pair in refused), (line, refused)
        return
    assert code == 0, (features, stderr)
    if frozenset({a, b}) in REDUNDANT:
        return
    for feature in (a, b):
        if feature in INVISIBLE:
            continue
        without = features - {feature}
        other = runs(without)
        if other[0] != 0:
            continue  # what is left is no valid call: the feature made it one
        assert (stdout, files) != (other[1], other[3]), f"{feature} has no visible effect with {features - {feature}}"


def _named(feature: str, message: str) -> bool:
    """Whether ``message`` names ``feature`` (as an option the user wrote)."""
    if feature == "--of (repeated)":
        return "--of given more than once" in message
    if feature == "--plot FILE":
        return "--plot" in message
    return feature in message


def test_the_readme_shows_the_combination_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert combination_table() in readme, "regenerate it: python -c 'from gradcli.front.request import " \
                                          "combination_table as t; print(t())'"


def test_the_combinations_that_should_work_do() -> None:
    """The issue's list: each of these combines (not refused by the table)."""
    for pair in [("--of (repeated)", "--check"), ("--format latex", "--order"), ("--symbolic", "--order"),
                 ("--plot FILE", "--format json"), ("--graph", "--format json"), ("--explain", "--check"),
                 ("--of (repeated)", "--format json"), ("--plot", "--precision")]:
        assert frozenset(pair) not in REFUSED, pair
