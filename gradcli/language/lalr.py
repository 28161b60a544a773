"""lark's LALR parser, run by a loop of gradcli's own: the same parse, about twice as fast.

lark makes everything from the grammar (``grammars/gradcli.lark``): the LALR table, the
lexer's one regular expression, each rule's shape. Its own loop spends most of a big
program's parse on generality gradcli does not use: a token object with a line and
column for every token, a lexer generator and a method call per token, and a callback
per reduction even where a rule only passes its one child on (``?sum: product``).
``Driver`` runs the same table and the same regular expression with those left out:

- the lexer is ``re.match`` of lark's own scanner at each position; a token that no rule
  keeps (``=``, ``*``, ``;``) is never made; one that a rule keeps is a lark ``Token``
  with ``type``, ``value``, ``start_pos`` and ``end_pos`` (``line`` and ``column`` are
  None: ``parser.location`` finds them from the position). ``Driver.skipping`` is that
  expression with the ignored text before a token matched with it (``shapes`` reads a
  big program's statements with it: half its tokens are spaces);
- a reduction by a rule that passes its one child on only moves the LALR state; any
  other calls the transformer's method with the children lark would give it (tokens
  filtered, ``_rules`` inlined, ``?rules`` of one child passed on, None for an ``[item]``
  not matched, ``__default__`` for a rule without a method), in the same order as lark's loop.

Anything the loop does not run the way lark does (a lexer callback, a template, more
than one regular expression, ``v_args``, ...) makes ``Driver`` refuse the parser: then
lark's own loop is used. On an input that is not in the language the loop stops with
``NotInLanguage``; the caller parses it again with lark, whose exception (and any
callback's error before it) is then exactly lark's.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from lark import Lark, Token, Transformer
from lark.grammar import Rule
from lark.parsers.lalr_analysis import Shift


def _filter(include: list[tuple[int, bool, int]], size: int, after: int) -> tuple[tuple[int, bool, int], ...] | None:
    """The children to pass on, or None where they are all passed on as they are."""
    if len(include) == size and not after and not any(inline or nones for _, inline, nones in include):
        return None
    return tuple(include)


class Unsupported(Exception):
    """The parser uses something ``Driver`` does not run as lark does: use lark's own loop."""


class NotInLanguage(Exception):
    """The input is no program of the grammar: parse it again with lark for lark's own error."""


def _skipping(pattern: re.Pattern[str], terminals: list[tuple[str, str]], ignore: frozenset[str]
              ) -> re.Pattern[str]:
    """``pattern``, lark's alternation of ``terminals`` in their order, made to match the ignored text
    before a token with the token: ``match`` gives the next token kept, named by ``lastgroup``, the
    ignored text before it skipped exactly as a loop over ``pattern``'s matches would skip it.

    ``pattern`` at a place matches its first alternative that matches there, so an ignored terminal
    is skipped where it matches and no terminal before it does (where one does, that one is the
    token). The skipping is possessive: a token that then fails to match never makes it give text
    back (no token from the middle of a comment). What follows it cannot be an ignored terminal, so
    the token is the alternation of the others, in their order.
    """
    if "|".join(f"(?P<{name}>{regexp})" for name, regexp in terminals) != pattern.pattern:
        raise Unsupported("a lexer expression that is not lark's alternation of its terminals")
    skips, before = [], []
    for name, regexp in terminals:
        if name not in ignore:
            before.append(f"(?:{regexp})")
        elif before:
            skips.append(f"(?={regexp})(?!{'|'.join(before)})(?:{regexp})")
        else:
            skips.append(f"(?:{regexp})")
    skip = "|".join(skips)
    token = "|".join(f"(?P<{name}>{regexp})" for name, regexp in terminals if name not in ignore)
    if not skip:
        skipping = token
    elif sys.version_info >= (3, 11):
        skipping = f"(?:{skip})*+(?:{token})"
    else:  # (no possessive repeat before 3.11: a lookahead, which is atomic, and a backreference to it)
        skipping = f"(?=((?:{skip})*))\\1(?:{token})"
    try:
        return re.compile(skipping, pattern.flags)
    except re.error as e:
        raise Unsupported(f"a lexer expression that cannot skip its ignored terminals: {e}") from None


_SHIFT, _PASS, _CALL, _INLINE = 0, 1, 2, 3  # what an action does
_new_str = str.__new__


class Driver:
    """The LALR loop over ``parser``'s table and lexer, calling ``transformer``'s methods."""

    def __init__(self, parser: Lark, transformer: Transformer) -> None:
        options = parser.options
        if options.parser != "lalr" or options.lexer != "basic" or options.postlex is not None \
                or options.lexer_callbacks or options.propagate_positions or options.ambiguity != "auto":
            raise Unsupported("a parser set up in a way the loop does not follow")
        if type(transformer).__default__ is not Transformer.__default__:
            raise Unsupported("a transformer with its own __default__")
        frontend = parser.parser
        lexer = frontend.lexer
        scanner = lexer.scanner
        mres = getattr(scanner, "_mres", None)
        if not isinstance(mres, list) or len(mres) != 1 or lexer.callback:
            raise Unsupported("a lexer of more than one expression, or with callbacks")
        self.pattern = mres[0]
        # (names as plain str: lark's may be Tokens, whose __eq__ is a Python call)
        self.ignore = frozenset(map(str, lexer.ignore_types))
        self.skipping = _skipping(self.pattern, [(str(t.name), t.pattern.to_regexp()) for t in scanner.terminals],
                                  self.ignore)
        table = frontend.parser.parser.parse_table
        maybe_placeholders = options.maybe_placeholders

        kept: set[str] = set()  # terminals some rule passes on to its callback
        reductions: dict[Rule, tuple[Any, ...]] = {}
        for rule in parser.rules:
            reductions[rule] = self._reduction(rule, transformer, maybe_placeholders, kept)
        for terminal in parser.terminals:
            if getattr(transformer, terminal.name, None) is not None:
                raise Unsupported(f"a callback for the terminal {terminal.name}")
        self.kept = frozenset(kept)

        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        states = table.states
        #: per state: the action for each terminal; per state: the state after each rule's reduction
        self.actions: dict[Any, dict[str, tuple[Any, ...]]] = {}
        self.gotos: dict[Any, dict[str, Any]] = {}
        for state, acts in states.items():
            actions: dict[str, tuple[Any, ...]] = {}
            gotos: dict[str, Any] = {}
            for name, (action, arg) in acts.items():
                symbol = str(name)
                if action is Shift:
                    if symbol.isupper() or symbol == "$END":
                        actions[symbol] = (_SHIFT, arg)
                    else:
                        gotos[symbol] = arg
                else:
                    actions[symbol] = reductions[arg]
            self.actions[state] = actions
            self.gotos[state] = gotos

    @staticmethod
    def _reduction(rule: Rule, transformer: Transformer, maybe_placeholders: bool, kept: set[str]
                   ) -> tuple[Any, ...]:
        """What reducing by ``rule`` does, as lark's ParseTreeBuilder would have it do."""
        o = rule.options
        if o.template_source is not None:
            raise Unsupported(f"rule {rule}: a template")
        size = len(rule.expansion)
        origin = str(rule.origin.name)
        # [x] not matched is a None child (maybe_placeholders): how many Nones go before each child, and after
        nones = [0] * (size + 1)
        if maybe_placeholders and o.empty_indices:
            marks = "".join(str(int(b)) for b in o.empty_indices)
            nones = [len(ones) for ones in marks.split("0")]
        include = []  # (index, inline?, Nones before it) of each child lark keeps, in order
        before = 0
        for i, sym in enumerate(rule.expansion):
            before += nones[i]
            if o.keep_all_tokens or not (sym.is_term and getattr(sym, "filter_out", False)):  # a Terminal's
                include.append((i, not sym.is_term and sym.name.startswith("_"), before))
                before = 0
                if sym.is_term:
                    kept.add(str(sym.name))
        after = before + nones[size]
        name = str(rule.alias or origin)
        if o.expand1 and not rule.alias and len(include) == 1 and not include[0][1] and size == 1 \
                and not include[0][2] and not after:
            return (_PASS, origin)  # the one child is the value
        if name.startswith("_"):  # an inlined rule: its children, spliced into its parent's
            if getattr(transformer, name, None) is not None:
                raise Unsupported(f"a callback for the inlined rule {name}")
            return (_INLINE, origin, size, _filter(include, size, after), None, False, after)
        method = getattr(transformer, name, None)
        if method is None:
            default = transformer.__default__

            def method(children: list, data: Any = rule.alias or rule.origin.name) -> Any:
                return default(data, children, None)  # lark's Tree, named as lark names it
        elif getattr(method, "visit_wrapper", None) is not None:
            raise Unsupported(f"rule {name}: a method decorated with v_args")
        expand1 = bool(o.expand1 and not rule.alias)
        return (_CALL, origin, size, _filter(include, size, after), method, expand1, after)

    def parse(self, text: str, begin: int = 0, stop: int | None = None) -> Any:
        """Run the parser over ``text`` (or ``text[begin:stop]``, its tokens at their places in
        ``text``): the value of the start rule. NotInLanguage if it is none."""
        match = self.pattern.match
        ignore, kept = self.ignore, self.kept
        actions, gotos, end_state = self.actions, self.gotos, self.end
        state = self.start
        states = [state]  # the LALR stack; ``state`` is its top
        values: list[Any] = []  # a value per state but the first
        pos, length = begin, len(text) if stop is None else stop
        while True:
            if pos < length:
                m = match(text, pos, length)
                if m is None:
                    raise NotInLanguage(pos)
                typ = m.lastgroup
                end = m.end()
                if typ in ignore:
                    pos = end
                    continue
            else:
                typ, end = "$END", pos
            while True:
                try:
                    action = actions[state][typ]
                except KeyError:
                    raise NotInLanguage(pos) from None
                kind = action[0]
                if kind == _PASS:  # the value stays; only the state moves
                    state = states[-1] = gotos[states[-2]][action[1]]
                elif kind == _SHIFT:
                    state = action[1]
                    states.append(state)
                    if typ in kept:
                        value = text[pos:end]
                        tok = _new_str(Token, value)
                        tok.type = typ
                        tok.value = value
                        tok.start_pos, tok.end_pos = pos, end
                        tok.line = tok.column = tok.end_line = tok.end_column = None
                        values.append(tok)
                    else:
                        values.append(None)
                    break
                else:
                    size = action[2]
                    if size:
                        children = values[-size:]
                        del values[-size:]
                        del states[-size:]
                    else:
                        children = []
                    include = action[3]
                    if include is not None:  # tokens to leave out, inlined children to splice in, Nones to add
                        filtered: list[Any] = []
                        for i, inline, nones in include:
                            if nones:
                                filtered += [None] * nones
                            if not inline:
                                filtered.append(children[i])
                            elif filtered:
                                filtered += children[i]
                            else:
                                filtered = children[i]  # left recursion: the list grows in place
                        if action[6]:
                            filtered += [None] * action[6]
                        children = filtered
                    if kind == _INLINE:
                        values.append(children)
                    elif action[5] and len(children) == 1:
                        values.append(children[0])
                    else:
                        values.append(action[4](children))
                    state = gotos[states[-1]][action[1]]
                    states.append(state)
                if state == end_state and typ == "$END":
                    return values[-1]
            pos = end
