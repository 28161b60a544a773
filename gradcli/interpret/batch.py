"""--each-line: every line of the input is its own program.

Lines are evaluated one by one with the same given values; a line that fails
is reported with its line number and the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from ..errors import GradcliError
from ..language.parser import NO_LIMIT, parse
from .program import Result, run


@dataclass
class Ran:
    """What a table shows of a line that ran: small, so a worker process can send it back."""

    output_name: str
    value: float
    partials: dict[str, float]


@dataclass
class LineResult:
    line: int  # 1-based, in the whole input
    source: str
    result: Result | Ran | None = None
    error: GradcliError | None = None

    def slim(self) -> LineResult:
        """This line without its graph: its value and partials, or its error's message and exit code."""
        result = self.result
        ran = None if result is None else Ran(result.output_name, result.value, dict(result.partials))
        error = None
        if self.error is not None:
            error = GradcliError(self.error.message)
            error.exit_code = self.error.exit_code
        return LineResult(self.line, self.source, ran, error)

    @property
    def message(self) -> str:
        """The error, placed in the whole input: 'line 7: unknown name 'q' at column 5 (...)'."""
        assert self.error is not None
        return f"line {self.line}: " + self.error.message.replace(" at line 1, column ", " at column ")


def programs(text: str) -> list[tuple[int, str]]:
    """The non-empty, non-comment lines of ``text`` with their line numbers.

    Only ``\n`` ends a line (a ``\r`` before it is dropped), as in a program's
    own line numbers: a U+2028 or a lone ``\r`` inside a line does not split it.
    """
    lines = text.split("\n")
    return [(n, line.removesuffix("\r")) for n, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def unused_values(lines: list[tuple[int, str]], values: Mapping[str, float]) -> list[str]:
    """The names given values that no line mentions as a variable (a word outside comments, not a call).

    A line that mentions a name is held to it (an error if it computes the name
    before reading the value); a name no line mentions would be ignored unsaid.
    """
    import re

    code = re.sub(r"#[^\n]*", "", "\n".join(line for _, line in lines))
    return [name for name in values if re.search(rf"(?<!\w){re.escape(name)}(?!\w)(?![ \t\f\r]*\()", code) is None]


def run_lines(lines: list[tuple[int, str]], values: Mapping[str, float], output: str | None = None,
              max_code: int = NO_LIMIT, option: str | Mapping[str, str] = "--set") -> Iterator[LineResult]:
    """Evaluate each line on its own; errors become part of the line's result.

    A line of more than ``max_code`` instructions fails as its own error.
    """
    for n, source in lines:
        try:
            # one set of values for every line: a line need not use them all
            yield LineResult(n, source, result=run(parse(source, max_code), values, output, strict=False, option=option))
        except GradcliError as e:
            yield LineResult(n, source, error=e)
