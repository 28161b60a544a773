"""PlainTable and PlainText print what rich would, byte for byte, and leave to rich what they cannot."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from gradcli.views.plain_table import PlainTable, PlainText
from gradcli.views.render import new_table
from tests.programgen import fuzz_settings

CELL = st.text(st.sampled_from("ab xyz∂²*()-+/.0123456789漢é\t\n"), max_size=12)


def printed(renderable: object, width: int, colour: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=colour, color_system="truecolor" if colour else None,
                      highlight=False, emoji=False)
    console.print(renderable, crop=False)
    return out.getvalue()


def rich_table(headers: list[str], justify: list[str], rows: list[list[str]]) -> object:
    t = new_table()
    for h, how in zip(headers, justify):
        t.add_column(h, justify=how, style="bold" if how == "left" else "green")
    for row in rows:
        t.add_row(*[Text(c) for c in row])
    return t


@given(st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from(["derivative", "formula", "value", "∂"]), min_size=n, max_size=n),
    st.lists(st.sampled_from(["left", "right"]), min_size=n, max_size=n),
    st.lists(st.lists(CELL, min_size=n, max_size=n), max_size=6))),
    st.sampled_from([20, 40, 80, 1000]), st.booleans())
@fuzz_settings(300)
def test_a_plain_table_prints_what_rich_prints(table, width: int, colour: bool) -> None:  # type: ignore[no-untyped-def]
    headers, justify, rows = table
    plain = PlainTable(headers, justify, rows, lambda: rich_table(headers, justify, rows))
    assert printed(plain, width, colour) == printed(rich_table(headers, justify, rows), width, colour)


def test_the_plain_drawing_is_taken_where_it_can_be() -> None:
    called = []

    def fallback() -> object:
        called.append(1)
        return rich_table(["a"], ["left"], [["x"]])

    table = PlainTable(["derivative", "value"], ["left", "right"], [["∂y/∂x", "1.0000"]], fallback)
    assert printed(table, 80) == ("┏━━━━━━━━━━━━┳━━━━━━━━┓\n┃ derivative ┃  value ┃\n┡━━━━━━━━━━━━╇━━━━━━━━┩\n"
                                  "│ ∂y/∂x      │ 1.0000 │\n└────────────┴────────┘\n") and not called
    printed(table, 20)  # too narrow: rich folds the cells
    printed(table, 80, colour=True)  # a terminal's colours: rich writes them
    assert len(called) == 2


@given(st.lists(CELL, min_size=1, max_size=5), st.sampled_from([10, 80]), st.booleans())
@fuzz_settings(200)
def test_plain_text_prints_what_rich_prints(lines: list[str], width: int, colour: bool) -> None:
    text = "\n".join(lines)
    assert printed(PlainText(text), width, colour) == printed(Text(text, overflow="fold"), width, colour)
