"""The command's options as one request, and the one table of which options combine.

Every option either works with every other, with both effects visible in
the output, or the pair is refused here (exit 2, a message naming both):
``REFUSED`` lists the pairs, ``NEEDS`` the options that do nothing alone.
The README's table of combinations is generated from these
(``combination_table``), and a test runs every pair through the command.
"""

from __future__ import annotations

from typing import Any

from ..errors import GradcliError

#: the formats, each a feature of its own ("--format json")
FORMATS = ("table", "json", "tree", "latex", "csv")

#: the options as users write them; "--of (repeated)" is the Jacobian, "--plot FILE" a plot to a file
OPTIONS = ("--set", "--values", "--of", "--of (repeated)", "--precision", "--limit", "--graph", "--max-nodes",
           "--rankdir", "--sweep", "--plot", "--plot FILE", "--each-line", "--explain", "--symbolic", "--expand",
           "--order", "--check", "--atol", "--rtol", "--emit", "--jobs", "--scheduler", "--interactive")
FEATURES = OPTIONS + tuple(f"--format {f}" for f in FORMATS if f != "table")

#: an option that does nothing without another: it needs one of these
NEEDS: dict[str, tuple[str, ...]] = {
    "--max-nodes": ("--graph",),
    "--rankdir": ("--graph",),
    "--plot": ("--sweep",),
    "--plot FILE": ("--sweep",),
    "--format csv": ("--sweep",),
    "--jobs": ("--sweep", "--each-line"),
    "--scheduler": ("--sweep", "--each-line"),
    "--atol": ("--check",),
    "--rtol": ("--check",),
    "--expand": ("--symbolic", "--format latex"),
    # JSON and CSV write numbers in full, LaTeX writes formulas: decimals are for tables and pictures
    "--precision": ("--format table", "--format tree", "--graph"),
}

#: the options a sweep, a batch and their processes take from the rest: the values, the output,
#: the decimals and the budgets
_VALUES = {"--set", "--values", "--of", "--precision", "--limit"}
#: what --jobs and --scheduler go with: the work they share out, and what that work goes with
_SHARED = _VALUES | {"--sweep", "--each-line", "--plot", "--plot FILE", "--format table", "--format json",
                     "--format csv"}

#: what each option that limits its company goes with, and why
_ONLY = {
    "--sweep": (_VALUES | {"--plot", "--plot FILE", "--format table", "--format json", "--format csv", "--jobs",
                           "--scheduler"}, "a sweep gives the output and its gradients at every point"),
    "--each-line": (_VALUES | {"--format table", "--format json", "--jobs", "--scheduler"},
                    "each line gives one row: its value and gradients"),
    "--jobs": (_SHARED, "--jobs shares out the points of a sweep or the lines of --each-line"),
    "--scheduler": (_SHARED, "--scheduler sends the points of a sweep or the lines of --each-line to a Dask cluster"),
    "--of (repeated)": ({"--set", "--values", "--precision", "--limit", "--check", "--atol", "--rtol", "--symbolic",
                         "--emit", "--expand", "--format table", "--format json", "--format latex"},
                        "the Jacobian has one gradient per output, not one graph"),
    "--format latex": ({"--set", "--values", "--of", "--of (repeated)", "--limit", "--graph", "--max-nodes",
                        "--rankdir", "--symbolic", "--expand", "--order"}, "LaTeX writes the derivatives as formulas"),
    "--emit": ({"--of", "--of (repeated)", "--order", "--limit"},
               "--emit writes the gradient function's source code, whose inputs are its parameters"),
    # what a session starts with; its views are its commands (:table, :tree, :explain, :graph FILE, ...)
    "--interactive": ({"--set", "--values", "--of", "--precision", "--order", "--limit"},
                      "a session shows its views on request, with commands such as :tree, :explain and :graph"),
}

#: pairs refused for a reason of their own
_PAIRS = {
    frozenset({"--plot", "--format json"}): "both would write to standard output; give --plot a file name",
    frozenset({"--plot", "--format csv"}): "both would write to standard output; give --plot a file name",
    frozenset({"--jobs", "--scheduler"}): "--jobs counts processes on this machine; a cluster has its own workers",
}


def _refusals() -> dict[frozenset[str], str]:
    refused = dict(_PAIRS)
    for option, (company, why) in _ONLY.items():
        others = ", ".join(sorted(company))
        for feature in FEATURES:
            if feature != option and feature not in company:
                refused.setdefault(frozenset({option, feature}), f"{why} ({option} goes with {others})")
    # an option that needs another is refused wherever what it needs is
    for option, needs in NEEDS.items():
        if len(needs) != 1:
            continue
        for pair, why in list(refused.items()):
            if needs[0] in pair and option not in pair:
                (other,) = pair - {needs[0]}
                if other != option:
                    refused.setdefault(frozenset({option, other}), f"{option} needs {needs[0]}, and {why}")
    return refused


REFUSED: dict[frozenset[str], str] = _refusals()


def refused(features: set[str]) -> tuple[str, str, str] | None:
    """The first pair of ``features`` that does not combine, in FEATURES order, and why; else None."""
    ordered = [f for f in FEATURES if f in features]
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            why = REFUSED.get(frozenset({a, b}))
            if why is not None:
                return a, b, why
    return None


def missing(features: set[str]) -> tuple[str, tuple[str, ...]] | None:
    """An option of ``features`` that needs another that is not there, and what it needs."""
    for option, needs in NEEDS.items():
        if option in features and not any(n in features or n == "--format table" and _is_table(features)
                                           for n in needs):
            return option, needs
    return None


def _is_table(features: set[str]) -> bool:
    return not any(f.startswith("--format ") for f in features)


class Request:
    """One call of the command: what to read, compute and write. Built from the options, checked by
    ``validate``, then answered by ``dispatch.answer``; a plain class (no dataclass at start-up)."""

    def __init__(self, **fields: Any) -> None:
        self.program: str | None = None
        self.file: str | None = None
        self.values: dict[str, float] = {}
        #: the option that gave each value, for messages: "--set", or "--values" (--set overrides the file)
        self.sources: dict[str, str] = {}
        self.values_file: str | None = None  # --values FILE ("-": standard input)
        self.outputs: list[str] = []  # --of, in order (none: the last statement)
        self.format = "table"
        self.precision = 4
        self.graph: str | None = None
        self.max_nodes = 500
        self.rankdir: str | None = None  # the picture's direction, TB or LR (None: by the graph's shape)
        self.sweeps: tuple[str, ...] = ()
        self.plot: str | None = None  # "-": in the terminal
        self.each_line = False
        self.explain = False
        self.symbolic = False
        self.expand = False  # formulas in the inputs alone, without the program's names
        self.order = 1
        self.check = False
        self.atol = 1e-5
        self.rtol = 1e-3
        self.limit_texts: tuple[str, ...] = ()
        self.emit: str | None = None  # a language: python, numpy, c, javascript
        self.jobs: int | None = None  # processes for --sweep and --each-line (None: every core)
        self.scheduler: str | None = None  # a Dask scheduler's address: the work goes to its cluster
        self.interactive = False  # -i: a session (front/session.py)
        #: options the user gave (defaults that were not given do not count)
        self.given: set[str] = set()
        for name, value in fields.items():
            if not hasattr(self, name):
                raise TypeError(f"Request has no field {name!r}")
            setattr(self, name, value)

    @property
    def output(self) -> str | None:
        """The one output asked for, or None for the last statement (several: the Jacobian)."""
        return self.outputs[0] if len(self.outputs) == 1 else None

    @property
    def jacobian(self) -> bool:
        return len(self.outputs) > 1

    def features(self) -> set[str]:
        """The request as the features of the combination table."""
        found = {option for option, on in (
            ("--set", "--set" in self.sources.values()), ("--values", self.values_file is not None),
            ("--of", len(self.outputs) == 1), ("--of (repeated)", self.jacobian),
            ("--precision", "--precision" in self.given), ("--limit", bool(self.limit_texts)),
            ("--graph", self.graph is not None), ("--max-nodes", "--max-nodes" in self.given),
            ("--rankdir", self.rankdir is not None), ("--sweep", bool(self.sweeps)), ("--plot", self.plot == "-"),
            ("--plot FILE", self.plot not in (None, "-")), ("--each-line", self.each_line),
            ("--explain", self.explain), ("--symbolic", self.symbolic), ("--order", self.order > 1),
            ("--check", self.check), ("--atol", "--atol" in self.given), ("--rtol", "--rtol" in self.given),
            ("--emit", self.emit is not None), ("--expand", self.expand), ("--jobs", self.jobs is not None),
            ("--scheduler", self.scheduler is not None), ("--interactive", self.interactive),
        ) if on}
        if self.format != "table":
            found.add(f"--format {self.format}")
        return found


def validate(request: Request) -> None:
    """Refuse a request that cannot be answered as asked, before any work: a file name of an
    unknown format, or options that do not combine (a GradcliError, exit 2, naming both)."""
    if request.graph is not None:
        from ..views.drawing import picture_format

        # a .dot file is never laid out, so never folded: --max-nodes would do nothing
        if picture_format(request.graph) == "dot" and "--max-nodes" in request.given:
            raise GradcliError(f"--max-nodes does not go with --graph {request.graph}: a .dot or .gv file holds"
                               " the whole graph (the budget is for pictures Graphviz lays out)")
    if request.emit is not None and request.order > 2:
        raise GradcliError(f"--emit writes the gradient (--order 1) and the Hessian (--order 2), not --order {request.order}")
    if request.plot not in (None, "-"):
        import importlib.util

        from ..views.plot import plot_format

        plot_format(request.plot)
        if importlib.util.find_spec("matplotlib") is None:  # before any work, not after the sweep
            raise GradcliError('--plot FILE needs matplotlib: pip install "gradcli[plot]" (or --plot alone draws in'
                               " the terminal)")
    features = request.features()
    pair = refused(features)
    if pair is not None:
        a, b, why = pair
        raise GradcliError(f"{_shown(a)} does not go with {_shown(b)}: {why}")
    need = missing(features)
    if need is not None:
        option, needs = need
        shown = [_shown(n) for n in needs]
        alternatives = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        raise GradcliError(f"{_shown(option)} goes with {alternatives}")


def _shown(feature: str) -> str:
    return {"--of (repeated)": "--of given more than once", "--interactive": "-i (--interactive)"}.get(feature, feature)


def combination_table() -> str:
    """The README's table: for each option, what it needs and what it does not go with."""
    lines = ["| option | needs | does not go with |", "| --- | --- | --- |"]
    for feature in FEATURES:
        needs = " or ".join(f"`{n}`" for n in NEEDS.get(feature, ())) or ""
        refused_with = [f"`{other}`" for other in FEATURES
                        if other != feature and frozenset({feature, other}) in REFUSED]
        lines.append(f"| `{feature}` | {needs} | {', '.join(refused_with) or 'works with every other'} |")
    return "\n".join(lines) + "\n"
