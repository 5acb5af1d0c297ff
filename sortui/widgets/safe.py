"""Making register text safe to show in the app: control characters become visible symbols.

Entity names may contain ``[bold]x[/]`` or escape sequences; they are shown as
``rich.text.Text`` (never markup), and control characters are replaced one for one by
``domain.text.printable`` (the same rule the command line prints with), so that styles
(spans) stay where they were. No Textual here: the command line prints with ``safe_text`` too
(fields that show their text safely are ``widgets.form.SafeInput``).
"""

from __future__ import annotations

from rich.text import Text

from sortui.domain.text import printable

clean = printable  # ``value`` with control characters replaced by visible symbols (␛ for ESC)


def safe_text(text: Text, keep_newlines: bool = True) -> Text:
    """A copy of ``text`` whose characters are all printable (same length, same spans)."""
    plain = printable(text.plain, keep_newlines)
    if plain == text.plain:
        return text
    out = Text(plain, style=text.style, justify=text.justify, no_wrap=text.no_wrap, end=text.end)
    for span in text.spans:
        out.stylize(span.style, span.start, span.end)
    return out


def plain(value: object) -> Text:
    """Text of a value from the register, safe and literal."""
    return Text(printable("" if value is None else str(value)))
