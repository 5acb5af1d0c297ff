"""The units the user has marked (``space``) on the main screen: plain data, no Textual.

Marks are SOR-koder in the order they were marked. Bulk actions (message types, close, review,
export) act on the marked units when there are any, on the subtree under the cursor otherwise;
a move can take the one marked unit as its new parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.text import Text

from sortui.domain.words import plural

MARKED_MARK = "◆"  # first on the line of a marked row: the tree, the search hits, the SHAK pane
MARKED_STYLE = "bold magenta"


def marked_words(count: int) -> str:
    """How a prompt names the marked units: "the 3 marked units"."""
    return f"the {plural(count, 'marked unit')}"


def marked_prefix(marked: bool) -> Text:
    """What a line starts with: the mark when it is marked, else nothing."""
    return Text(f"{MARKED_MARK} ", style=MARKED_STYLE) if marked else Text()


class Marks:
    """An ordered set of marked SOR-koder."""

    def __init__(self, sor_ids: Iterable[str] = ()) -> None:
        self._ids: dict[str, None] = dict.fromkeys(sor_ids)

    def __contains__(self, sor_id: object) -> bool:
        return sor_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def toggle(self, sor_id: str) -> None:
        """Mark ``sor_id``, or unmark it when it is marked."""
        if sor_id in self._ids:
            del self._ids[sor_id]
        else:
            self._ids[sor_id] = None

    def add(self, sor_ids: Iterable[str]) -> int:
        """Mark ``sor_ids``; answers how many were not marked before."""
        before = len(self._ids)
        self._ids.update(dict.fromkeys(sor_ids))
        return len(self._ids) - before

    def remove(self, sor_ids: Iterable[str]) -> None:
        for sor_id in sor_ids:
            self._ids.pop(sor_id, None)

    def clear(self) -> None:
        self._ids.clear()

    def ids(self) -> list[str]:
        return list(self._ids)
