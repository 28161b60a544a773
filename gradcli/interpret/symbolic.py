"""Derivatives as formulas: the symbolic interpretation of a program's bindings.

Each node of the bindings becomes an expression (``algebra``: an input a
symbol, a constant a number or its name, an op's application simplified as it
is built); reverse mode then builds each gradient from the op table's
derivative formulas over those expressions.

About 330 lines: the reverse pass, and beside it what changes it for the program's own
functions (a call's value written as the call, a derivative through a call written by the
function's own derivative), which reads the pass's state at every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..bindings import Bindings, bind
from ..language.code import Code
from ..language.formulas import instantiate
from ..language.ops import CONSTANTS, INPUT, OPS, Op
from ..language.parser import EXPR, NAME, PARAM, Call, Function, Instr, Program, is_name
from .algebra import Algebra, Expr, FormulaTooLarge, latex_name, number_text
from .cse import name_repeats, reorder
from .tidy import Tidy

__all__ = ["Algebra", "Derivatives", "Expr", "FormulaTooLarge", "definitions", "derivatives", "latex_name",
           "local_formula", "number_text"]


# ----- derivatives of a program ----------------------------------------------------
@dataclass
class Derivatives:
    """d(output)/d(variable) as a formula for every named variable.

    Unless expanded, the formulas are written in the program's own names (and
    ``t1, t2, ...`` for derivatives used more than once): ``definitions`` gives
    what each of those names stands for.
    """

    output_name: str
    formulas: dict[str, Expr]
    #: the variables the formulas are written in (inputs, given values or free names)
    inputs: list[str]
    #: the algebra the formulas were built in: derivatives of them must be built in it too
    algebra: Algebra
    #: the names whose formula is not the output's own (d(y)/d(y) = 1): what tables show
    partials: list[str]
    #: a variable whose derivative other formulas use by a generated name: variable -> that name (t1)
    named: dict[str, str] = field(default_factory=dict)
    expanded: bool = False

    def definitions(self, roots: Iterable[Expr] | None = None) -> list[tuple[str, Expr]]:
        """The names ``roots`` (default: the partials' formulas) are written in, each with what it
        stands for, in an order where each definition reads only inputs and earlier ones."""
        if roots is None:
            roots = [self.formulas[name] for name in self.partials]
        return definitions(self.algebra, roots)

    @property
    def function_heads(self) -> set[str]:
        """The definitions that define a function (``df_dx(x, y)``: a function's own derivative), not a value."""
        return {head.text for head in self.algebra.instances.values()}


def definitions(alg: Algebra, roots: Iterable[Expr]) -> list[tuple[str, Expr]]:
    """The defined names that ``roots`` need, directly or through other definitions, in the order defined."""
    needed: set[int] = set()
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        e = stack.pop()
        if id(e) in seen or not e.symbolic:
            continue
        seen.add(id(e))
        head = alg.instances.get(id(e))  # df_dx(a, b): the definition of df_dx(x, y)
        if head is not None:
            stack.append(head)
        stack.extend(alg.arguments.get(id(e), ()))  # n(a, t): what its text reads
        body = alg.body(e)
        if body is not None:
            needed.add(id(e))
            stack.append(body)
        stack.extend(e.args)
    return [(s.text, alg.bodies[id(s)]) for s in alg.defined if id(s) in needed]


def derivatives(program: Program | Bindings, given: Mapping[str, float] | Iterable[str] = (),
                output: str | None = None, *, expand: bool = False, algebra: Algebra | None = None,
                by_function: bool = False) -> Derivatives:
    """Differentiate a program symbolically: d(output)/d(name) as a formula for every name.

    ``program`` is parsed text (bound here: ``given`` names, and names read
    without a value, become symbols) or bindings already made. Every input is
    a symbol, whatever its value; a constant is written by its name (pi) unless
    the program also has a variable of that name, then as its number.

    The formulas are written in the program's names: each statement's variable
    is a symbol defined as its expression, and a variable's derivative that is
    passed on to others is named (``t1``). So each formula is about as long as
    the statements it goes through, not as long as the whole program written
    out. ``expand=True`` writes every formula in the inputs alone. Formulas of
    several calls (the outputs of a Jacobian) share names in a shared ``algebra``.

    ``by_function=True`` (in the program's names, first derivatives) may write a
    derivative through a call of the program's own function by that function's own
    derivative (``∂z/∂a = df_dx(a, b) + df_dy(b, a)``, ``where df_dx(x, y) = ...``,
    defined once), when that makes the formulas and definitions shorter in all.
    """
    if isinstance(program, Bindings):
        b = program
    else:
        values = given if isinstance(given, Mapping) else dict.fromkeys(given, math.nan)
        b = bind(program, values, output, free=True)
    if not (by_function and not expand and algebra is None and _outer_calls(b)):
        return _derive(b, algebra or Algebra(), expand, False)
    plain, through = _derive(b, Algebra(), False, False), _derive(b, Algebra(), False, True)
    return through if _length(through) < _length(plain) else plain


def _length(d: Derivatives) -> int:
    """Characters a reader meets: every formula shown, and every definition it needs."""
    return (sum(len(d.formulas[name].text) for name in d.partials)
            + sum(len(name) + len(body.text) for name, body in d.definitions()))


def _derive(b: Bindings, alg: Algebra, expand: bool, by_function: bool) -> Derivatives:
    tidy = Tidy(alg)
    names = None if expand else _Names(b, alg)
    # the value of a call of the program's own function, unnamed by the program: named by the call
    calls = {c.result: c for c in b.program.calls if c.lo <= c.result < c.hi} if names is not None else {}
    called: dict[str, Expr] = {}  # the calls named so far, by their text
    exprs: list[Expr] = []
    for n, (op, args, value, label) in enumerate(zip(b.ops, b.args, b.values, b.labels)):
        if args:
            e = alg.apply(op, *[exprs[a] for a in args])
            if names is not None and e.symbolic and e.op is not None:
                if is_name(label):
                    e = alg.define(names.variable(label), e)
                elif b.origins[n] in calls:
                    call = calls[b.origins[n]]
                    e = _call_symbol(alg, call, [exprs[b.at[j]] for j in call.args], e, b.program, called)
            exprs.append(e)
        elif op is INPUT:
            exprs.append(alg.sym(label))  # an input's label is its name
        elif label in CONSTANTS and label not in b.bound:
            exprs.append(alg.constant(label, value))
        else:
            exprs.append(alg.num(value))

    # reverse mode: each node's gradient is the sum of what its users pass back,
    # summed in the order the users were created (so formulas read like the program)
    out = b.output
    wrt = b.wrt
    rows = {n: name for name, n in wrt.items() if n != out}
    # whether a node's gradient is shown, or passed on to one that is: only those are computed
    shown = [b.variable[n] or n in rows for n in range(len(b.ops))]
    for n, args in enumerate(b.args):
        shown[n] = shown[n] or any(shown[a] for a in args)
    through = _Through(b, alg, exprs, names) if by_function and names is not None else None
    contributions: dict[int, list[tuple[int, Expr]]] = {out: [(len(exprs), alg.one)]}
    total: dict[int, Expr] = {}
    named: dict[str, str] = {}
    for n in range(out, -1, -1):
        parts = contributions.pop(n, None)
        if parts is None:
            continue
        g = alg.zero
        for _, part in sorted(parts, key=lambda p: p[0]):
            g = alg.apply(OPS["add"], g, part)
        if len(parts) > 1 or n in rows:  # shown, or a sum whose terms may meet
            g = tidy(g)
        total[n] = g
        args = b.args[n]
        if not args or g is alg.zero:
            continue
        if names is not None and n in rows and _worth_naming(g, sum(b.variable[a] for a in args)):
            # the row shows g, and g is passed on: the formulas below use its name
            g = alg.define(names.generated(), g)
            named[rows[n]] = g.text
        if through is not None and n in through.calls:  # the call's own derivative, not its body's nodes
            for a, local in through.partials(n):
                if shown[a]:
                    contributions.setdefault(a, []).append((n, alg.apply(OPS["mul"], local, g)))
            continue
        used = b.ops[n]
        arg_exprs = [exprs[a] for a in args]
        for k, a in enumerate(args):
            if not shown[a]:
                continue  # nothing below this argument has a gradient anyone sees
            local = instantiate(used.formulas[k], arg_exprs, alg.num, alg.apply)
            contributions.setdefault(a, []).append((n, alg.apply(OPS["mul"], local, g)))
    formulas = {name: total.get(n, alg.zero) for name, n in wrt.items()}
    partials = [name for name, n in wrt.items() if n != out]
    if names is not None:  # pieces the formulas repeat, named where that is shorter
        roots = name_repeats(alg, [formulas[name] for name in partials], names.generated)
        changed = False
        for name, root in zip(partials, roots):
            if root is not formulas[name]:
                formulas[name], changed = root, True
                if name in named:
                    alg.redefine(alg.sym(named[name]), root)
        if changed:
            reorder(alg)
    return Derivatives(b.output_name, formulas, list(b.inputs), alg, partials, named, expand)


def _outer_calls(b: Bindings) -> list[Call]:
    """The calls of the program's own functions not inside another call's body, that made a node,
    whose body reads nothing but its parameters and constants: a name of the program read in a
    body (w1 in n's) means its value at the call, which a definition read later might not; and
    that call the function's last definition, the one its derivative's definition is made from."""
    calls, code = b.program.calls, b.program.code
    inner: set[int] = set()  # inside a longer call's span: one pass, the outer calls before those inside
    holding: list[Call] = []  # the calls whose span holds the one at hand, the outermost first
    for k in sorted(range(len(calls)), key=lambda k: (calls[k].lo, -calls[k].hi, -k)):
        c = calls[k]
        while holding and holding[-1].hi < c.hi:
            holding.pop()
        if holding and holding[0].hi - holding[0].lo > c.hi - c.lo:
            inner.add(k)
        holding.append(c)
    return [c for k, c in enumerate(calls) if k not in inner and c.lo <= c.result < c.hi
            and _of_last_definition(b.program, c)
            and all(code[i].kind != NAME or code[i].payload in CONSTANTS and code[i].payload not in b.bound
                    for i in range(c.lo, c.hi))]


class _Through:
    """Derivatives through calls by their function's own: for each function called (outside any
    body), d(function)/d(parameter) once as a formula over its parameters (``df_dx(x, y) = y +
    cos(x)``, a definition), and at each call a symbol for it at the call's arguments (``df_dx(a, b)``)."""

    def __init__(self, b: Bindings, alg: Algebra, exprs: list[Expr], names: _Names) -> None:
        self.alg, self.exprs = alg, exprs
        self.calls: dict[int, Call] = {}  # the node of a call's value -> the call
        self.heads: dict[tuple[str, int], _Head | None] = {}  # (function, parameter) -> its head, None: 0
        functions = {f.name: f for f in b.program.functions}
        self.b, self.names, self.functions = b, names, functions
        for call in _outer_calls(b):
            node = b.at[call.result]  # (a call folded to a number a given value overrides has no node left)
            if node < len(b.ops) and b.origins[node] == call.result and b.variable[node] and call.name in functions:
                self.calls[node] = call

    def partials(self, n: int) -> list[tuple[int, Expr]]:
        """(argument's node, d(call)/d(that argument)) for each argument of the call whose value is node n."""
        call = self.calls[n]
        args = [self.b.at[j] for j in call.args]
        found = []
        for k, a in enumerate(args):
            head = self.head(call.name, k)
            if head is None:
                continue
            text = f"{head.name}({', '.join(self.exprs[x].text for x in args)})"
            symbol = self.alg.sym(text)
            symbol.latex = head.latex.rsplit("\\left(", 1)[0] + \
                f"\\left({', '.join(self.exprs[x].latex for x in args)}\\right)"
            self.alg.instances[id(symbol)] = head.head
            self.alg.arguments[id(symbol)] = [self.exprs[x] for x in args]
            found.append((a, symbol))
        return found

    def head(self, name: str, k: int) -> "_Head | None":
        key = (name, k)
        if key not in self.heads:
            self.heads[key] = self._head(self.functions[name], k)
        return self.heads[key]

    def _head(self, function: Function, k: int) -> "_Head | None":
        """d(function)/d(its parameter k) as a definition ``df_dx(x, y) = ...``, or None where it is 0."""
        params = function.params
        code = [Instr(NAME, params[ins.payload], (), ins.start, ins.end) if ins.kind == PARAM else ins
                for ins in function.body]
        code.append(Instr(EXPR, None, (function.result,), 0, 0))
        body_b = bind(Program(self.b.program.source, Code(code)), dict.fromkeys(params, math.nan), free=True, strict=False)
        partial = _derive(body_b, Algebra(), True, False).formulas[params[k]]
        if partial.op is None and partial.is_number and partial.value == 0:
            return None
        short = self.names.fresh_function(f"d{function.name}_d{params[k]}")
        text = f"{short}({', '.join(params)})"
        head = self.alg.define(text, partial)
        head.latex = (f"\\frac{{\\partial {latex_name(function.name)}}}{{\\partial {latex_name(params[k])}}}"
                      f"\\left({', '.join(latex_name(p) for p in params)}\\right)")
        return _Head(short, head.latex, head)


class _Head:
    __slots__ = ("name", "latex", "head")

    def __init__(self, name: str, latex: str, head: Expr) -> None:
        self.name, self.latex, self.head = name, latex, head


def _of_last_definition(program: Program, call: Call) -> bool:
    """Whether ``call`` (whose value its body computes) calls its function's last definition: the
    only one that ``f(y)`` or ``df_dx(y)`` in a formula can mean, read after the program. A body's
    instructions keep their offsets in the definition's text."""
    definition = next(f for f in program.functions if f.name == call.name)
    return definition.start <= program.code[call.result].start < definition.end


def _call_symbol(alg: Algebra, call: Call, args: list[Expr], value: Expr, program: Program,
                 called: dict[str, Expr]) -> Expr:
    """The value of ``call`` as a symbol written as the call, ``n(a, c)``, over its arguments'
    formulas; formulas that read the value read the call, and it is defined once (``where
    n(a, c) = tanh(a*w1 + c*w2 + b)``). The same call again is the same symbol, though its value
    may have simplified another way (``2*sin(x) + 4`` and ``2*(sin(x) + 2)``); ``called`` holds the
    calls named so far. A call of an earlier definition of a function redefined later is left
    written out."""
    if not _of_last_definition(program, call):
        return value
    text = f"{call.name}({', '.join(a.text for a in args)})"
    if text in called:
        return called[text]
    symbol = called[text] = alg.define(text, value)
    alg.arguments[id(symbol)] = args
    symbol.latex = f"{latex_name(call.name)}\\left({', '.join(a.latex for a in args)}\\right)"
    return symbol


def _worth_naming(g: Expr, uses: int) -> bool:
    """Whether a gradient passed on to ``uses`` inputs reads better by a name: when it is used more than
    once and is more than a number, a symbol or -1/p, or when it is long. Used once and short, it stays
    in the formula it goes to, where it can cancel (p*(1 - p)*(-y/p + ...) -> p - y)."""
    if uses == 0 or g.op is None:
        return False
    return len(g.text) > (6 if uses > 1 else 40)


class _Names:
    """Names for definitions: a variable keeps its own unless the program binds it more than once
    (then x_1, x_2, ...), and generated ones are t1, t2, ...; none is a name the program uses."""

    def __init__(self, b: Bindings, alg: Algebra) -> None:
        self.alg = alg
        self.taken = set(b.bound) | set(b.inputs) | set(CONSTANTS) | set(OPS) | set(b.labels)
        self.taken.update(s.text for s in alg.defined)
        self.taken.update(f.name for f in b.program.functions)
        self.last: dict[str, int] = {}  # the number in the last name given with each prefix
        bindings: dict[str, int] = {}
        for args, label in zip(b.args, b.labels):
            if args and is_name(label):
                bindings[label] = bindings.get(label, 0) + 1
        #: names bound by one statement only, and not inputs: they name their definition as they are
        self.once = {name for name, k in bindings.items() if k == 1 and name not in b.inputs}

    def variable(self, label: str) -> str:
        if label in self.once and id(self.alg.sym(label)) not in self.alg.bodies:
            return label
        return self._fresh(label + "_")

    def generated(self) -> str:
        return self._fresh("t")

    def fresh_function(self, name: str) -> str:
        """``name`` (df_dx) for a function's derivative, unless the program uses it (then df_dx_1, ...)."""
        if name not in self.taken:
            self.taken.add(name)
            return name
        return self._fresh(name + "_")

    def _fresh(self, prefix: str) -> str:
        k = self.last.get(prefix, 0) + 1
        while f"{prefix}{k}" in self.taken:
            k += 1
        self.last[prefix] = k
        name = f"{prefix}{k}"
        self.taken.add(name)
        return name


def local_formula(op: Op, k: int, labels: list[str], atomic: list[bool]) -> Expr:
    """∂op/∂(input k) written over the inputs' labels: for log(x - 1), '1/(x - 1)'."""
    alg = Algebra()
    args = [alg.sym(label, a) for label, a in zip(labels, atomic)]
    return instantiate(op.formulas[k], args, alg.num, alg.apply)
