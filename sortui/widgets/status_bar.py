"""The status bar: view date, demo or not, working copy, snapshot date, pending edits, mode, the service;
and ``Badges``, the demo and view-date badges every other screen shows in its bottom-right corner."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from sortui.widgets.marks import MARKED_STYLE
from sortui.widgets.safe import clean


@dataclass(frozen=True, slots=True)
class Status:
    view_date: str
    path: str
    snapshot_date: str | None = None
    pending_edits: int = 0
    marked: int = 0  # units marked with space
    readonly: bool = False
    show_closed: bool = False
    label: str | None = None  # shown instead of the path (e.g. the file inspected offline)
    service: str | None = None  # "online", "offline", "syncing…", "not configured" (None: not asked yet)
    service_ok: bool = True
    last_sync: str | None = None  # when this working copy last synchronised, in words ("12:03", "2026-11-30")
    message: str | None = None  # the service's newest operating message (driftsbesked)
    message_severity: str = "info"  # info / warning / critical
    demo: bool = False  # the demo's own working copy, not the user's: said early, so it is never cut off
    today: str = field(default_factory=lambda: date.today().isoformat())


_SEVERITY_STYLES = {"info": "italic", "warning": "bold", "critical": "bold reverse"}
DEMO_STYLE = "bold black on yellow"
OTHER_DATE_STYLE = "bold white on dark_magenta"


def badge_text(demo: bool, view_date: str | None, today: str) -> Text:
    """`` DEMO DATA `` while the demo is shown, `` VIEWING 2024-06-01 `` on a date that is not today."""
    t = Text(no_wrap=True)
    if demo:
        t.append(" DEMO DATA ", style=DEMO_STYLE)
    if view_date and view_date != today:
        t.append(" " if demo else "")
        t.append(f" VIEWING {view_date} ", style=OTHER_DATE_STYLE)
    return t


def status_text(s: Status) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if s.view_date == s.today:
        t.append(f" {s.view_date} ", style="bold reverse")
        if s.demo:
            t.append(" ")
            t.append_text(badge_text(True, None, s.today))
    else:
        t.append_text(badge_text(s.demo, s.view_date, s.today))
    t.append(" snapshot ")
    t.append(s.snapshot_date or "–", style="bold")
    t.append(f"  {s.pending_edits} pending")
    if s.marked:
        t.append(f"  {s.marked:,} marked", style=MARKED_STYLE)
    if s.readonly:
        t.append("  READ-ONLY", style="bold")
    if s.show_closed:
        t.append("  +closed")
    if s.label:  # what is open instead of a working copy (a file inspected offline): said before the service
        t.append("  ")
        t.append(clean(s.label), style="dim")
    if s.service:
        t.append("  ")
        t.append(clean(s.service), style="bold" if s.service_ok else "bold reverse")
        if s.last_sync:
            t.append(f" · synced {clean(s.last_sync)}", style="dim")
    if s.message:
        t.append("  ")
        t.append(clean(s.message), style=_SEVERITY_STYLES.get(s.message_severity, "italic"))
    if not s.label:
        t.append("  ")
        t.append(clean(s.path), style="dim")
    return t


class StatusBar(Static):
    """One line; the screen calls ``set`` with what changed."""

    def __init__(self, status: Status, **kwargs: object) -> None:
        super().__init__(status_text(status), **kwargs)  # type: ignore[arg-type]
        self.status = status

    def set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        self.update(status_text(self.status))


class Badges(Static):
    """The demo and view-date badges in the bottom-right corner of a screen (over the end of its key
    line), for as long as the screen is shown: the app's ``demo`` and ``view_date`` say what to show."""

    DEFAULT_CSS = "Badges { position: absolute; overlay: screen; width: auto; height: 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text(), **kwargs)

    def on_mount(self) -> None:
        app = self.app
        text = badge_text(bool(getattr(app, "demo", False)), getattr(app, "view_date", None), date.today().isoformat())
        self.update(text)
        self.display = bool(text.plain)
        self.screen.screen_layout_refresh_signal.subscribe(self, self._place)

    def _place(self, screen: Screen[Any]) -> None:
        # Over the right end of the key line (where the palette's hint is), never over a title: the
        # screens' first lines say what they show, to their last column.
        x, y = max(0, screen.size.width - self.size.width), max(0, screen.size.height - 1)
        if (self.styles.offset.x.value, self.styles.offset.y.value) != (x, y):
            self.styles.offset = (x, y)
