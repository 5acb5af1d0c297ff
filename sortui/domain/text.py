"""Text rules shared by every layer: folding for search, and which characters are not text.

``ascii_fold`` is for matching, never for display. ``unsafe_character`` is the one definition of
the characters a register value must not hold (validation refuses them on every way in: import,
the CLI, the app's forms and the central service); ``is_control`` is the per-character predicate
behind it, for code that makes text printable.
"""

from __future__ import annotations

import unicodedata

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# After spelling æ ø å out, collapse the spellings people use interchangeably on an ASCII keyboard:
# "Værløse", "Vaerloese", "Vaerlose" and "Varlose" all fold to "varlose".
_COLLAPSE = (("aa", "a"), ("ae", "a"), ("oe", "o"))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII skeleton of ``text`` for matching, never for display."""
    folded = text.casefold().translate(_DANISH)
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    for old, new in _COLLAPSE:
        folded = folded.replace(old, new)
    return folded


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
