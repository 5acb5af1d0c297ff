"""Where the user has been on the main screen, for ``[`` (back) and ``]`` (forward): plain data, no Textual.

A place is a unit of the organisation tree or a SHAK-kode of the SHAK pane. Jumps record places
(go-to, search hits, SHAK jumps, the review, the change lists): the place left and the place
reached. As in a browser, going back and then somewhere new drops the places ahead; a place is
not recorded twice in a row; the oldest go when there are ``limit`` of them. Moving the cursor
is not a visit.
"""

from __future__ import annotations

from dataclasses import dataclass

UNIT, SHAK = "unit", "shak"
LIMIT = 100


@dataclass(frozen=True, slots=True)
class Place:
    kind: str  # UNIT or SHAK
    key: str  # the SOR-kode or the SHAK-kode


class History:
    """The places visited, and which of them the user is on."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = max(1, limit)
        self._places: list[Place] = []
        self._index = -1  # the place the user is on (-1: none yet)

    def __len__(self) -> int:
        return len(self._places)

    @property
    def current(self) -> Place | None:
        return self._places[self._index] if self._places else None

    @property
    def position(self) -> int:
        """1-based: which of the places the user is on (0: none)."""
        return self._index + 1

    def visit(self, place: Place) -> None:
        """The user is at ``place`` now: the places ahead are dropped, a repeat of the current one is not kept."""
        if place == self.current:
            return
        del self._places[self._index + 1 :]
        self._places.append(place)
        if len(self._places) > self.limit:
            del self._places[: len(self._places) - self.limit]
        self._index = len(self._places) - 1

    def back(self) -> Place | None:
        """The place before the current one (None: there is none; nothing changes)."""
        if self._index <= 0:
            return None
        self._index -= 1
        return self._places[self._index]

    def forward(self) -> Place | None:
        """The place after the current one (None: there is none; nothing changes)."""
        if self._index >= len(self._places) - 1:
            return None
        self._index += 1
        return self._places[self._index]
