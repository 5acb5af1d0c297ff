"""Making register text safe to show in the app: control characters become visible symbols.

Entity names may contain ``[bold]x[/]`` or escape sequences; they are shown as
``rich.text.Text`` (never markup), and control characters are replaced one for one by
``domain.text.printable`` (the same rule the command line prints with), so that styles
(spans) stay where they were. No Textual here: the command line prints with ``safe_text`` too
(fields that show their text safely are ``widgets.form.SafeInput``).
"""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
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


# A code in a line: a run of digits (and capital letters after the first digit) of three or more,
# such as a GLN, a SOR-kode, a SHAK-kode (130101A) or a ydernummer. A line is never cut inside one.
_CODE = re.compile(r"[0-9][0-9A-Z]{2,}")
ELLIPSIS = "…"


def fit(text: Text, width: int) -> Text:
    """``text`` (one line) cut to ``width`` cells with ``…`` where it is cut, never in the middle of a code:
    a code that does not fit whole is left out, with the short word naming it (``lok 5790…``)."""
    if width <= 0 or text.cell_len <= width:
        return text
    cut = max(0, width - len(ELLIPSIS))
    plain = text.plain
    for match in _CODE.finditer(plain):
        if match.start() <= cut + 1 and cut < match.end():  # in the code, or just before it
            cut = match.start()
            named = plain.rfind("  ", max(0, cut - 12), cut)
            cut = named if named > 0 else cut
            break
    out = text[:cut]
    out.rstrip()
    out.append(ELLIPSIS, style="dim")
    return out


class Fitted:
    """A one-line rich renderable: ``text`` fitted (``fit``) to the width it is given."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield fit(self.text, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(options.max_width, len(ELLIPSIS) + 1), self.text.cell_len)


class Hanging:
    """``text`` wrapped to the width it is given, a line that starts with a label column (a bold span
    of ``indent`` cells from its start, as ``describe`` writes its rows) going on under its value,
    not under its label."""

    def __init__(self, text: Text, indent: int) -> None:
        self.text = text
        self.indent = indent

    def _labelled(self, line: Text) -> bool:
        return any(s.start == 0 and s.end == self.indent and str(s.style) == "bold" for s in line.spans)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        out = Text(end="")
        for i, line in enumerate(self.text.split("\n", allow_blank=True)):
            if i:
                out.append("\n")
            if line.cell_len <= width or width <= self.indent + 8 or not self._labelled(line):
                out.append_text(line)
                continue
            head, body = line[: self.indent], line[self.indent :]
            for j, part in enumerate(body.wrap(console, width - self.indent)):
                if j:
                    out.append("\n" + " " * self.indent)
                else:
                    out.append_text(head)
                out.append_text(part)
        yield out

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)
