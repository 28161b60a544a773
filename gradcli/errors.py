"""The errors a gradcli user can meet.

The library raises these; only the CLI prints them and picks the exit code
(each class carries its own: 2 for input the user must fix, 1 for maths).
"""

from __future__ import annotations


class GradcliError(Exception):
    """Base class: a message for the user, and the exit code the CLI uses."""

    exit_code = 2

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        #: extra lines shown under the message (a syntax error's source line and caret)
        self.detail = detail


class GradcliSyntaxError(GradcliError):
    """The program text does not follow the grammar."""

    def __init__(self, message: str, line: int, column: int, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.line = line
        self.column = column


class UnknownNameError(GradcliError):
    """A name used before it was assigned or given with --set."""


class UnknownFunctionError(GradcliError):
    """A call to a function gradcli does not have."""


class ArityError(GradcliError):
    """A function called with the wrong number of arguments."""


class NothingToDifferentiateError(GradcliError):
    """An empty program, or --of naming a variable the program does not have."""


class MathError(GradcliError, ArithmeticError):
    """A forward value or a gradient that is not a finite number.

    ``argument`` is the index of the input that caused it (a divisor, a log's
    argument), or None when no single input is to blame (overflow).
    """

    exit_code = 1

    def __init__(self, message: str, argument: int | None = 0) -> None:
        super().__init__(message)
        self.argument = argument
