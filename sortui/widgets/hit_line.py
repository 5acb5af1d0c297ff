"""A search hit on one line: kind, name, what matched and where the unit sits, cut to a width with "…".

Plain Rich (no Textual): the search pane and ``sortui search`` show hits with it. Never wrapped:
when the line is too long the place is cut first (its far end, the owner, goes first), then an
address that matched, then the name; a code that matched is cut last.
"""

from __future__ import annotations

from rich.text import Text

from sortui.domain.text import ascii_fold
from sortui.store.search import Hit
from sortui.widgets.safe import clean

SEPARATOR = " · "
_ADDRESS_LIKE = ("adresse",)  # matched parts that may be cut like the place, before the name


def place_names(hit: Hit) -> list[str]:
    """Where the unit sits, nearest first: its parent unit (when that is not the institution), its
    institution (SI), and the owner (IE) when its name says more than the institution's."""
    return [name for name, _ in _place(hit)]


def _place(hit: Hit) -> list[tuple[str, int]]:
    """(name, order in which it gives way: the owner first, then the parent, the institution last)."""
    if not hit.path:
        return []
    place: list[tuple[str, int]] = []
    _, parent_kind, parent_name = hit.path[-1]
    if hit.kind == "OE" and parent_kind == "OE":
        place.append((parent_name, 1))
    institution = hit.name if hit.kind == "SI" else next((n for _, k, n in hit.path if k == "SI"), None)
    if institution is not None and hit.kind != "SI":
        place.append((institution, 2))
    _, owner_kind, owner = hit.path[0]
    if owner_kind == "IE" and (institution is None or not _same_place(owner, institution)):
        place.append((owner, 0))
    return place


def _same_place(owner: str, institution: str) -> bool:
    """Whether the owner's name tells nothing the institution's does not ("Tandlæge X" owning "Tandlæge X")."""
    a, b = ascii_fold(owner), ascii_fold(institution)
    return a in b or b in a


def hit_line(hit: Hit, width: int) -> Text:
    """``hit`` on one line of at most ``width`` cells: kind, name, (closed), what matched, · place.

    When it is too long, the place gives way first (down to ``MIN_PLACE``), then an address that
    matched, then the name (down to ``MIN_NAME``), then the place again; a code is never cut.
    """
    closed = f" (lukket {hit.to_date})" if hit.to_date else ""
    matched = f"  {hit.matched[0]} {clean(hit.matched[1])}" if hit.matched else ""
    name = clean(hit.name)
    place = [(clean(n), order) for n, order in _place(hit)]
    room = width - len(hit.kind) - 1 - len(closed)
    wanted = min(MIN_PLACE, sum(len(SEPARATOR) + len(n) for n, _ in place))  # what the place keeps
    short = wanted - (room - len(name) - len(matched))
    if short > 0 and hit.matched and hit.matched[0] in _ADDRESS_LIKE:
        matched = _cut(matched, max(MIN_PART, len(matched) - short))
        short = wanted - (room - len(name) - len(matched))
    if short > 0:
        name = _cut(name, max(MIN_NAME, len(name) - short))
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{hit.kind} ", style="dim")
    line.append(name, style="dim strike" if closed else "bold")
    line.append(closed, style="dim")
    line.append(matched, style="cyan")
    line.append(_fit_place(place, room - len(name) - len(matched)), style="dim")
    line.truncate(width, overflow="ellipsis")
    return line


MIN_NAME = 20  # a name is cut to no less than this, and only when the place has less than MIN_PLACE
MIN_PLACE = 24
MIN_PART = 18  # a name of the place is cut to no less than this; when that is not enough, one gives way


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(0, size - 1)] + "…"


def _fit_place(names: list[tuple[str, int]], room: int) -> str:
    """`` · a · b`` in at most ``room`` cells: the names cut to fit, and while they do not, the one
    that gives way first dropped (``_place``); the last one left is cut to what room there is."""
    names = list(names)
    while names:
        width = sum(len(SEPARATOR) + len(n) for n, _ in names)
        if width <= room:
            return "".join(SEPARATOR + n for n, _ in names)
        over = width - room
        cuttable = sum(max(0, len(n) - MIN_PART) for n, _ in names)
        if len(names) == 1 or cuttable >= over:
            return "".join(SEPARATOR + n for n in _cut_longest([n for n, _ in names], over))[: max(0, room)]
        names.remove(min(names, key=lambda entry: entry[1]))
    return ""


def _cut_longest(names: list[str], over: int) -> list[str]:
    """``names`` shortened by ``over`` cells in all, the longest first."""
    sizes = [len(n) for n in names]
    for _ in range(over):
        longest = max(range(len(sizes)), key=lambda i: sizes[i])
        if sizes[longest] <= 1:
            break
        sizes[longest] -= 1
    return [_cut(n, size) for n, size in zip(names, sizes, strict=True)]
