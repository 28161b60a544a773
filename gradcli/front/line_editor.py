"""The session's line editor on a terminal (prompt_toolkit): history, completion, highlighting.

Imported only when ``gradcli -i`` runs on a terminal, so the command's start-up
never pays for prompt_toolkit. The history is kept in the user's data folder
(``$XDG_DATA_HOME/gradcli/history``, else ``~/.local/share/gradcli/history``),
made 0700 and 0600, and read only when the folder and the file belong to the
user and no one else can write them (or the folder above); otherwise the
session warns and keeps its history in memory. Ctrl-C clears the line (and
cancels a computation); Ctrl-D on an empty line ends the session.
"""

from __future__ import annotations

import os
import re
import stat
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
)
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from ..language.ops import CALLABLE, CONSTANTS

if TYPE_CHECKING:  # the session hands itself in: importing it would make a cycle
    from .session import Session

#: an entry longer than this stays in the session's memory but is not written to the history file
LONGEST_KEPT = 10_000

STYLE = Style.from_dict({"number": "ansicyan", "function": "ansimagenta", "constant": "ansiyellow",
                         "name": "bold", "unknown": "ansired", "command": "ansigreen", "comment": "ansibrightblack"})
_TOKENS = re.compile(r"(?P<comment>#.*)|(?P<number>(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|(?P<word>(?!\d)\w+)")


def interact(session: Session, input: Any = None, output: Any = None,
             environ: Mapping[str, str] = os.environ) -> None:
    """Read entries with the line editor and hand each to ``session`` until :quit or Ctrl-D."""
    history = open_history(history_path(environ), lambda line: session.say(line, ""))
    prompt: PromptSession[str] = PromptSession(
        history=history, completer=_Completer(session), lexer=_Highlighter(session), style=STYLE,
        complete_while_typing=False, input=input, output=output, enable_history_search=False)
    while True:
        try:
            entry = prompt.prompt(session.prompt)
        except KeyboardInterrupt:  # Ctrl-C at the prompt: the line is cleared
            continue
        except EOFError:  # Ctrl-D
            return
        try:
            if not session.handle(entry):
                return
        except KeyboardInterrupt:  # during a computation: it is cancelled, the session is as it was
            session.say("interrupted: the session is as it was before that entry", "")


def history_path(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "gradcli", "history")


def open_history(path: str, warn: Callable[[str], None]) -> History:
    """The history file at ``path``, made private; in memory (and a warning) when it is not safe."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        problem = unsafe(os.path.dirname(folder), parent=True) or unsafe(folder, folder=True)
        if not problem and os.path.lexists(path):
            problem = unsafe(path)
        if not problem:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600))
            problem = unsafe(path)
    except OSError as e:
        problem = f"cannot be opened ({e.strerror})"
    if problem:
        warn(f"warning: the history is not kept: {path} {problem}")
        return InMemoryHistory()
    return _History(path)


def unsafe(path: str, folder: bool = False, parent: bool = False) -> str:
    """Why ``path`` is no place to keep a history (another user could write it), or ''."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) and not parent:
        return "is a symbolic link"
    if parent:
        st = os.stat(path)
        open_to_others = st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX
        return f"is in a folder that other users can write ({path})" if open_to_others else ""
    if folder != stat.S_ISDIR(st.st_mode) or not folder and not stat.S_ISREG(st.st_mode):
        return "is not a folder" if folder else "is not a regular file"
    if st.st_uid != os.geteuid():
        return "belongs to another user"
    if st.st_mode & 0o022:
        return "can be written by other users"
    return ""


class _History(FileHistory):
    """prompt_toolkit's file history, without the entries too long to be worth keeping."""

    def store_string(self, string: str) -> None:
        if len(string) <= LONGEST_KEPT:
            super().store_string(string)


class _Completer(Completer):
    """Commands at the start of a line; names, functions and constants elsewhere; paths after
    :save, :load and :graph."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        line = text[text.rfind("\n") + 1:].lstrip()
        command = re.match(r":(save!?|load|graph)\s+", line)
        if command:
            rest = line[command.end():]
            yield from self.paths.get_completions(Document(rest, len(rest)), complete_event)
            return
        word = re.search(r":?\w*$", line)
        typed = word.group() if word else ""
        if typed.startswith(":"):
            candidates = [f":{name}" for name in self.session.commands] if line == typed else []
        else:
            candidates = [*self.session.names(), *(f"{f}(" for f in (*self.session.functions, *CALLABLE)),
                          *sorted(CONSTANTS)]
        for candidate in dict.fromkeys(candidates):
            if candidate.startswith(typed) and candidate != typed:
                yield Completion(candidate, start_position=-len(typed))


class _Highlighter(Lexer):
    """Numbers, functions, constants, names defined so far (and names not defined, in red),
    comments and commands, each in its colour."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        names = set(self.session.names())
        lines = document.lines

        def line(n: int) -> StyleAndTextTuples:
            text = lines[n]
            if text.lstrip().startswith(":"):
                return [("class:command", text)]
            parts: StyleAndTextTuples = []
            done = 0
            assigned = set(re.findall(r"(?<![\w.])((?!\d)\w+)\s*=(?!=)", text))
            for m in _TOKENS.finditer(text):
                parts.append(("", text[done:m.start()]))
                kind = m.lastgroup
                if kind == "word":
                    word = m.group()
                    own = word in self.session.functions
                    kind = ("function" if word in CALLABLE or own else "name" if word in names or word in assigned
                            else "constant" if word in CONSTANTS else "unknown")
                parts.append((f"class:{kind}", m.group()))
                done = m.end()
            parts.append(("", text[done:]))
            return parts

        return line
