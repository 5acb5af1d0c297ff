"""Completing a typed path to the files and folders there are: the in-app import's path prompt.

``complete`` reads one folder (at most ``MAX_SCAN`` entries of it, so a huge folder costs no more
than that) and is called from a thread, never on the event loop: ``PathSuggester`` runs it with
``asyncio.to_thread`` for the Input's greyed suggestion (right arrow takes it), and hands the
whole completion to the prompt for its list of matches and for tab.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.suggester import Suggester

from sortui.domain.text import unsafe_character

MAX_SCAN = 5000  # entries of one folder read at most
MAX_MATCHES = 200  # matches kept for the list


@dataclass(frozen=True, slots=True)
class Completion:
    """What ``typed`` can become: ``matches`` are names in its folder (``head``) that start with its
    last part, folders with a ``/`` after them, sorted."""

    typed: str
    head: str = ""  # the typed folder, up to and with its last "/" ("" for the current folder)
    matches: list[str] = field(default_factory=list)
    more: bool = False  # more matches than kept, or the folder had more entries than were read
    problem: str | None = None  # the folder cannot be read: why

    @property
    def common(self) -> str:
        """``typed`` made as long as every match agrees (tab): the one match, or their common start."""
        if not self.matches:
            return self.typed
        longest = os.path.commonprefix(self.matches)  # noqa: RUF071 - names of one folder, by character
        return self.head + longest if len(self.head + longest) > len(self.typed) else self.typed

    @property
    def suggestion(self) -> str | None:
        """The first match, whole (the Input shows the rest of it greyed); None before a name is begun,
        when there is no match, or when its name holds a character that may not reach the terminal."""
        if self.typed == self.head or not self.matches or unsafe_character(self.matches[0]) is not None:
            return None
        return self.head + self.matches[0]

    def value_of(self, match: str) -> str:
        return self.head + match


def expand(typed: str, cwd: Path) -> Path:
    """The path ``typed`` names, absolute and without ``..``: ``~`` is the home folder, a relative path
    is under ``cwd``. As in Emacs, a path typed after the folder the prompt starts with begins again
    at ``//`` (the root) or ``/~`` (the home folder): ``/tmp//work/x`` is ``/work/x``."""
    return Path(os.path.abspath(cwd / os.path.expanduser(restarted(typed))))


def restarted(typed: str) -> str:
    """``typed`` from where it begins again: its last ``//`` (from the second slash) or ``/~``."""
    at = max(typed.rfind("//") + 1, typed.rfind("/~") + 1)
    return typed[at:] if at > 0 else typed


def complete(typed: str, cwd: Path) -> Completion:
    """The files and folders ``typed`` may go on to (hidden ones only when the typed name starts with a dot)."""
    head, stem = typed[: typed.rfind("/") + 1], typed[typed.rfind("/") + 1 :]
    folder = expand(head, cwd) if head else cwd
    matches: list[str] = []
    more = False
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_SCAN:
                    more = True
                    break
                if entry.name.startswith(stem) and (stem.startswith(".") or not entry.name.startswith(".")):
                    matches.append(entry.name + ("/" if _is_dir(entry) else ""))
    except OSError as exc:
        return Completion(typed, head, problem=f"cannot read {folder}: {exc.strerror or exc}")
    matches.sort(key=lambda name: (name.casefold(), name))
    more = more or len(matches) > MAX_MATCHES
    return Completion(typed, head, matches[:MAX_MATCHES], more)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class PathSuggester(Suggester):
    """Suggests the first file or folder a typed path may go on to; ``completed`` gets each completion."""

    def __init__(self, cwd: Path, completed: Callable[[Completion], None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the folder changes; names differ by case
        self.cwd = cwd
        self.completed = completed

    async def get_suggestion(self, value: str) -> str | None:
        found = await asyncio.to_thread(complete, value, self.cwd)
        self.completed(found)
        return found.suggestion
