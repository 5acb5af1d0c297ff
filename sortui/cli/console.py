"""The CLI's rich console: data printed as text, never obeyed (loaded only when a command prints with it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from sortui.domain.text import printable
from sortui.widgets.safe import safe_text


class SafeConsole(Console):
    """A rich console that prints data as text: no markup, no emoji codes, no control characters.

    Each ``str`` or ``Text`` printed is one line: its control characters, line feeds included, are
    shown as symbols (``domain.text.printable``; multi-line output is printed a line at a time).
    Under that, every segment of text rendered by any means (tables, progress bars) is made
    printable too, keeping only its line breaks, so nothing printed can carry an escape sequence.
    Rich's own control codes (styles, cursor moves) are not text and pass.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(highlight=False, soft_wrap=True, markup=False, emoji=False, **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_one_line(o) for o in objects), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(printable(segment.text, keep_newlines=True), segment.style)


def _one_line(value: object) -> object:
    if isinstance(value, Text):
        return safe_text(value, keep_newlines=False)
    if isinstance(value, str):
        return Text(printable(value))
    return value
