"""Counting in words: ``1 hit``, ``2 hits``, ``1 lokationsnummer``, ``3 lokationsnumre``."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the word for that many: ``many`` (default ``singular`` + s) unless it is one."""
    word = singular if count == 1 else (many or f"{singular}s")
    return f"{count:,} {word}"
