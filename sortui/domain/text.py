"""Text rules shared by every layer: folding for search, and which characters are not text.

``ascii_fold`` is for matching, never for display. ``unsafe_character`` is the one definition of
the characters a register value must not hold (validation refuses them on every way in: import,
the CLI, the app's forms and the central service); ``is_control`` is the per-character predicate
behind it, for code that makes text printable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# After spelling æ ø å out, collapse the spellings people use interchangeably on an ASCII keyboard:
# "Værløse", "Vaerloese", "Vaerlose" and "Varlose" all fold to "varlose".
_COLLAPSE = (("aa", "a"), ("ae", "a"), ("oe", "o"))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII skeleton of ``text`` for matching, never for display."""
    return _collapse(ascii_spelled(text))


def ascii_spelled(text: str) -> str:
    """``text`` lower case, æ ø å spelled out (ae oe aa), accents dropped: ``ascii_fold`` before the collapse."""
    folded = text.casefold().translate(_DANISH)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def _collapse(folded: str) -> str:
    for old, new in _COLLAPSE:
        folded = folded.replace(old, new)
    return folded


_WORD = re.compile(r"\w+")


def search_words(text: str) -> list[tuple[str, ...]]:
    """The words of ``text`` as search matches them, each as (folded,) or (folded, spelled out).

    Search folds (``ascii_fold``), so "Vaerlose" and "Varlose" find Værløse. The collapse also turns
    a written "oe", "ae" or "aa" into one letter ("Gastroenterologisk": "gastronterologisk"), which a
    piece like "enterolog" would not find: so a word written with such a pair keeps its spelled-out
    form too, and is matched by either.
    """
    words = []
    for word in _WORD.findall(text):
        written = word.casefold()
        for spelled in _WORD.findall(ascii_spelled(word)):
            folded = _collapse(spelled)
            pair = folded != spelled and any(old in written for old, _ in _COLLAPSE)
            words.append((folded, spelled) if pair else (folded,))
    return words


# Bidirectional formatting characters: embeddings, overrides and isolates (the "Trojan Source"
# set) and the invisible direction marks. They reorder how a terminal or a spreadsheet shows text.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Line and paragraph separators: some terminals and editors break lines at them.
LINE_SEPARATORS = frozenset("\u2028\u2029")


def is_control(ch: str) -> bool:
    """Whether ``ch`` is a control character: C0 (tab, line feed and ESC included), DEL, C1, a
    bidirectional formatting character or a line/paragraph separator."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code < 0xA0 or ch in BIDI_CONTROLS or ch in LINE_SEPARATORS


def is_surrogate(ch: str) -> bool:
    """A lone surrogate: not a character (undecodable bytes of a command line end up as these)."""
    return 0xD800 <= ord(ch) <= 0xDFFF


def unsafe_character(text: str, allow_newline: bool = False) -> str | None:
    """The first character of ``text`` a register value must not hold, or None.

    Control characters (``is_control``) and lone surrogates; with ``allow_newline`` a line feed
    is allowed (a note may have several lines).
    """
    if text.isprintable():  # the common case, answered in C: no control, separator or surrogate at all
        return None
    for ch in text:
        if (is_control(ch) and not (allow_newline and ch == "\n")) or is_surrogate(ch):
            return ch
    return None


def codepoint(ch: str) -> str:
    """``U+001B``: a character named by its code point (safe to print whatever it is)."""
    return f"U+{ord(ch):04X}"


# -- showing text from data in a terminal ------------------------------------------------------
#
# Register text is shown, never obeyed. What a terminal would act on instead of showing is replaced
# one character for one (so styles laid over the text stay where they were): the C0 controls (ESC
# starts every CSI and OSC sequence) and DEL become their control pictures (␛, ␡, ...); the C1
# controls (U+0080-U+009F: 8-bit CSI, OSC, NEL), the Unicode bidi controls (embeddings, overrides,
# isolates and marks, which reorder what follows them on the line), the line and paragraph
# separators and lone surrogates (which cannot even be written as UTF-8) become U+FFFD.
_C1 = range(0x80, 0xA0)
_SURROGATES = range(0xD800, 0xE000)
_REPLACED = (*_C1, *map(ord, BIDI_CONTROLS | LINE_SEPARATORS), *_SURROGATES)
_PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | dict.fromkeys(_REPLACED, 0xFFFD)
_PICTURES_KEEP_NEWLINES = {c: v for c, v in _PICTURES.items() if c != 0x0A}
# JSON escapes the C0 controls itself; the rest is escaped as \uXXXX (the same text once parsed).
_JSON_ESCAPED = (0x7F, *_REPLACED)


def _any_of(code_points: Iterable[int]) -> re.Pattern[str]:
    """A character class of ``code_points``, written as ranges (a class of 2,000 single characters
    costs a lookup's start-up several milliseconds to compile)."""
    ranges: list[list[int]] = []
    for c in sorted(set(code_points)):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return re.compile("[" + "".join(_class_range(a, b) for a, b in ranges) + "]")


def _class_range(first: int, last: int) -> str:
    return re.escape(chr(first)) + (f"-{re.escape(chr(last))}" if last > first else "")


# Searched first, in C: most text has none of them, and is returned as it is.
_UNPRINTABLE = _any_of(_PICTURES)
_JSON_UNSAFE = _any_of(_JSON_ESCAPED)


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to show in a terminal: every control character replaced by a visible symbol."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return text.translate(_PICTURES_KEEP_NEWLINES if keep_newlines else _PICTURES)


def json_printable(dumped: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with what a terminal would obey escaped.

    Lossless: a JSON parser reads the same strings back.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


_SGR = {"bold": "1", "dim": "2", "cyan": "36"}


class Styled:
    """Text with a style on each part ("bold", "dim", "cyan"), built without rich.

    A lookup prints ``plain`` to a pipe and ``ansi()`` to a terminal, and never loads rich (a third
    of its start); the app gets ``to_rich()``. The parts are appended as they are: make data
    ``printable`` first.
    """

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[tuple[str, str]] = []

    def append(self, text: str, style: str = "") -> None:
        self.parts.append((text, style))

    def append_text(self, other: Styled) -> None:
        self.parts += other.parts

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def lines(self) -> list[Styled]:
        """One ``Styled`` per line, each part made printable again (a final line break ends the
        last line: no empty line after it, as rich's ``split``)."""
        out = [Styled()]
        for text, style in self.parts:
            for i, piece in enumerate(text.split("\n")):
                if i:
                    out.append(Styled())
                if piece:
                    out[-1].parts.append((printable(piece), style))
        if len(out) > 1 and not out[-1].parts:
            out.pop()
        return out

    def ansi(self) -> str:
        """The text with its styles as SGR codes (bold, dim, cyan: all that descriptions use)."""
        return "".join(
            f"\x1b[{_SGR[style]}m{text}\x1b[0m" if style in _SGR and text else text for text, style in self.parts
        )

    def to_rich(self):  # -> rich.text.Text (not annotated: rich loads only when this runs)
        from rich.text import Text

        out = Text()
        for text, style in self.parts:
            out.append(text, style=style or None)
        return out
