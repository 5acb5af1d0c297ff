"""What the SHAK navigator shows, read a level and a page at a time (no Textual here).

Hospitals (4 characters) → departments (6) → sections (7), by code prefix. Each
level is an SQL page of ``PAGE`` codes; ``View`` says which codes: those valid on
the view date, or all of them (the ones not valid then are marked).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sortui.domain.codes import shak_level
from sortui.store import queries
from sortui.store.queries import ShakEntry

PAGE = 200


@dataclass(frozen=True, slots=True)
class View:
    """Which codes the navigator lists: valid on ``on``, or every code (``all_versions``)."""

    on: str
    all_versions: bool = False


@dataclass(slots=True)
class ShakItem:
    """What one node of the SHAK tree stands for."""

    kind: str  # code | more | earlier | note
    key: str  # the code, or "more" / "earlier" / "note"
    entry: ShakEntry | None = None
    title: str = ""
    start: int = 0  # for containers: the window of children loaded, and how many there are
    end: int = 0
    total: int = 0
    loaded: bool = False
    loading: bool = False

    @property
    def code(self) -> str | None:
        return self.entry.code if self.entry else None

    @property
    def expandable(self) -> bool:
        return self.entry is not None and self.entry.children > 0


@dataclass(slots=True)
class ShakPage:
    """Codes below ``parent`` (None: hospitals) from ``start``; ``total`` of them in all."""

    parent: str | None
    entries: list[ShakEntry]
    start: int
    total: int


@dataclass(slots=True)
class ShakStep:
    """On the way to a code: below ``parent``, the code ``key``; ``page`` holds it."""

    parent: str | None
    key: str
    page: ShakPage


def fetch_page(conn: sqlite3.Connection, parent: str | None, offset: int, view: View) -> ShakPage:
    """The page of ``parent``'s children at ``offset``."""
    keys = queries.shak_level_keys(conn, parent, view.on, view.all_versions, offset, PAGE)
    total = queries.shak_level_count(conn, parent, view.on, view.all_versions)
    return ShakPage(parent, queries.shak_entries(conn, keys, view.on, view.all_versions), offset, total)


def normalise_code(value: str) -> str | None:
    """A SHAK-kode from what was typed: ``shak:`` prefix and SKS form (``A`` + code) accepted; None if not one."""
    code = value.strip().upper()
    if code.startswith("SHAK:"):
        code = code[5:].strip()
    if code.startswith("A") and shak_level(code[1:]):
        code = code[1:]
    return code if shak_level(code) else None


def locate(conn: sqlite3.Connection, code: str, view: View) -> list[ShakStep] | None:
    """How to reach ``code`` from the hospitals, with the page holding it at each level; None if not listed."""
    if not queries.shak_prefix_shown(conn, code, view.on, view.all_versions):
        return None
    steps: list[ShakStep] = []
    parent: str | None = None
    for length in (4, 6, 7):
        if len(code) < length:
            break
        key = code[:length]
        pos = queries.shak_level_position(conn, parent, key, view.on, view.all_versions)
        steps.append(ShakStep(parent, key, fetch_page(conn, parent, max(0, pos - PAGE // 4), view)))
        parent = key
    return steps


@dataclass(slots=True)
class ShakDetails:
    """Everything the detail panel shows about a code."""

    code: str
    entry: ShakEntry | None
    path: list[ShakEntry]  # the hospital and department above the code
    history: list[queries.ShakHistoryRow]
    region: list[queries.ShakRegionRow]
    units: list[queries.Node] = field(default_factory=list)


def details(conn: sqlite3.Connection, code: str, on: str) -> ShakDetails:
    """The code's shown version, its parents, every version, SHAKregion lines and the SOR units carrying it."""
    above = [code[:n] for n in (4, 6) if len(code) > n]
    entries = queries.shak_entries(conn, [*above, code], on, all_versions=True)
    units = [n for n in (queries.node(conn, i) for i in queries.sor_ids_for_shak(conn, code)) if n is not None]
    return ShakDetails(
        code,
        entries[-1] if entries and entries[-1].code == code else None,
        entries[:-1],
        queries.shak_history(conn, code),
        queries.shak_region_rows(conn, code) if len(code) == 4 else [],
        units,
    )
