"""The LALR parser as Python data: generated from the grammar when the wheel is built.

``hatch_build.py`` calls ``write_tables`` to put ``gradcli/language/_lalr_tables.py`` into the
wheel; the installed package imports it (a .pyc, like any module) instead of building
the parser from the grammar on every call, and nothing is pickled or cached outside the
package. The data is lark's own serialization of the parser (what ``Lark.save`` pickles
and ``lark.tools.standalone`` prints), written as Python literals.

This module needs only lark and the standard library: the build hook loads it by path,
before gradcli is installed.
"""

from __future__ import annotations

import hashlib
from collections import deque
from typing import Any

# the parser's lark options: the generated tables and the in-memory build use the same
LARK_OPTIONS: dict[str, str] = {"parser": "lalr", "lexer": "basic"}

# where the generated module goes in the wheel; it is never in the source tree
TABLES_MODULE = "_lalr_tables"


def grammar_sha256(grammar: bytes) -> str:
    return hashlib.sha256(grammar).hexdigest()


def tables_source(grammar: bytes) -> str:
    """The text of the tables module for ``grammar`` (the bytes of a .lark file)."""
    import pprint  # here, not above: parser.py imports this module on every call

    import lark
    from lark import Lark
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    parser = Lark(grammar.decode("utf-8"), **LARK_OPTIONS)
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    # as Lark.save does: the options given again at load time (the transformer) are not data
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    data["parser"]["parser"] = _canonical_table(data["parser"]["parser"])
    parts = {
        "GRAMMAR_SHA256": grammar_sha256(grammar),
        "LARK_VERSION": lark.__version__,
        "OPTIONS": LARK_OPTIONS,
        "DATA": data,
        "MEMO": memo,
    }
    lines = [
        '"""gradcli\'s LALR parser as data. Generated from grammars/gradcli.lark by',
        'gradcli/language/_build_tables.py when the wheel was built: do not edit."""',
        "",
    ]
    for name, value in parts.items():
        text = pprint.pformat(value, width=100, sort_dicts=False)
        _check_literal(name, value, text)
        lines.append(f"{name} = {text}")
    return "\n".join(lines) + "\n"


def _canonical_table(table: dict[str, Any]) -> dict[str, Any]:
    """The serialized LALR table with its states and tokens renumbered in a fixed order.

    lark numbers them as its sets iterate, which changes with PYTHONHASHSEED; renumbered,
    the same grammar and lark give a byte-identical module (a reproducible wheel).
    """
    names = table["tokens"]
    actions = {state: {names[t]: act for t, act in acts.items()} for state, acts in table["states"].items()}
    # states in the order a breadth-first walk from the start states reaches them, by token name
    number: dict[int, int] = {}
    queue = deque(table["start_states"][start] for start in sorted(table["start_states"]))
    while queue:
        state = queue.popleft()
        if state in number:
            continue
        number[state] = len(number)
        queue.extend(arg for _, (kind, arg) in sorted(actions[state].items()) if kind == 0)  # 0: shift
    for state in sorted(actions):  # unreachable states (none in an LALR table), kept all the same
        number.setdefault(state, len(number))
    token = {name: i for i, name in enumerate(sorted({n for acts in actions.values() for n in acts}))}
    states = {
        number[state]: {token[n]: (kind, number[arg] if kind == 0 else arg) for n, (kind, arg) in sorted(acts.items())}
        for state, acts in sorted(actions.items(), key=lambda item: number[item[0]])
    }
    return {
        "tokens": {i: name for name, i in token.items()},
        "states": states,
        "start_states": {k: number[v] for k, v in table["start_states"].items()},
        "end_states": {k: number[v] for k, v in table["end_states"].items()},
    }


def _check_literal(name: str, value: Any, text: str) -> None:
    # only plain data may go into the module: it must read back as the same value
    import ast

    if ast.literal_eval(text) != value:
        raise ValueError(f"lark's {name} does not survive as a Python literal")


def write_tables(grammar_file: str, out_file: str) -> None:
    """Generate the tables module for the grammar in ``grammar_file`` into ``out_file``."""
    with open(grammar_file, "rb") as f:
        grammar = f.read()
    with open(out_file, "w", encoding="utf-8") as f:
        f.write(tables_source(grammar))
