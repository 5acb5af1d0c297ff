"""Making register text safe to show: control characters become visible symbols.

Entity names may contain ``[bold]x[/]`` or escape sequences; they are shown as
``rich.text.Text`` (never markup), and C0/C1 control characters, DEL and ESC are
replaced one for one so that styles (spans) stay where they were.
"""

from __future__ import annotations

from rich.text import Text

_CONTROL = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}
_KEEP_LINES = {c: v for c, v in _CONTROL.items() if c != 0x0A}


def clean(value: str, keep_newlines: bool = False) -> str:
    """``value`` with control characters replaced by visible symbols (␛ for ESC)."""
    return value.translate(_KEEP_LINES if keep_newlines else _CONTROL)


def safe_text(text: Text, keep_newlines: bool = True) -> Text:
    """A copy of ``text`` whose characters are all printable (same length, same spans)."""
    plain = clean(text.plain, keep_newlines)
    if plain == text.plain:
        return text
    out = Text(plain, style=text.style, justify=text.justify, no_wrap=text.no_wrap, end=text.end)
    for span in text.spans:
        out.stylize(span.style, span.start, span.end)
    return out


def plain(value: object) -> Text:
    """Text of a value from the register, safe and literal."""
    return Text(clean("" if value is None else str(value)))
