"""Text folding for search: Danish letters typed the ASCII way still find what they should."""

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
