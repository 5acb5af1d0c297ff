"""Titled sections of rows, as the help and a SHAK-kode's history show them (no Textual here).

A section is its title, underlined, then a line a row: the row's label in bold in a column of
its own, its text, and where it has one a dimmed note on the next line, under the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from sortui.widgets.safe import clean


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    text: str
    note: str | None = None  # None: no line for it ("" is an empty line)


def append_title(t: Text, title: str) -> None:
    t.append(f"\n{clean(title)}\n", style="bold underline")


def append_rows(t: Text, rows: Sequence[Row], width: int | None = None, indent: str = "") -> None:
    """The rows, each label padded to ``width`` (None: the longest label and two spaces), after ``indent``."""
    if width is None:
        width = max((len(row.label) for row in rows), default=0) + 2
    for row in rows:
        t.append(f"{indent}{clean(row.label):<{width}}", style="bold")
        t.append(f"{clean(row.text)}\n")
        if row.note is not None:
            t.append(f"{indent}{'':<{width}}{clean(row.note)}\n", style="dim")


def append_section(t: Text, title: str, rows: Sequence[Row], width: int | None = None, indent: str = "") -> None:
    append_title(t, title)
    append_rows(t, rows, width, indent)
