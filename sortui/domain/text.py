"""Text folding for search: Danish letters typed the ASCII way still find what they should."""

from __future__ import annotations

import re
import unicodedata

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
