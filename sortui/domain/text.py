"""Text folding for search: Danish letters typed the ASCII way still find what they should."""

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
    folded = text.casefold().translate(_DANISH)
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    for old, new in _COLLAPSE:
        folded = folded.replace(old, new)
    return folded


# -- showing text from data in a terminal ------------------------------------------------------
#
# Register text is shown, never obeyed. What a terminal would act on instead of showing is replaced
# one character for one (so styles laid over the text stay where they were): the C0 controls (ESC
# starts every CSI and OSC sequence) and DEL become their control pictures (␛, ␡, ...); the C1
# controls (U+0080-U+009F: 8-bit CSI, OSC, NEL), the Unicode bidi controls (embeddings, overrides,
# isolates and marks, which reorder what follows them on the line) and lone surrogates (which cannot
# even be written as UTF-8) become U+FFFD.
_C1 = range(0x80, 0xA0)
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_SURROGATES = range(0xD800, 0xE000)
_REPLACED = (*_C1, *_BIDI, *_SURROGATES)
_PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | dict.fromkeys(_REPLACED, 0xFFFD)
_PICTURES_KEEP_NEWLINES = {c: v for c, v in _PICTURES.items() if c != 0x0A}
# JSON escapes the C0 controls itself; the rest is escaped as \uXXXX (the same text once parsed).
_JSON_ESCAPED = (0x7F, *_REPLACED)


def _any_of(code_points: Iterable[int]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in code_points) + "]")


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
