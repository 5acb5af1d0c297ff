"""The status bar: view date, demo or not, working copy, snapshot date, pending edits, mode."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.widgets import Static

from sortui.widgets.safe import clean


@dataclass(frozen=True, slots=True)
class Status:
    view_date: str
    path: str
    snapshot_date: str | None = None
    pending_edits: int = 0
    readonly: bool = False
    show_closed: bool = False
    label: str | None = None  # shown instead of the path (e.g. the file inspected offline)
    service: str | None = None  # the central service: "online", "offline", "syncing…" (None: none configured)
    service_ok: bool = True
    message: str | None = None  # the service's newest operating message (driftsbesked)
    message_severity: str = "info"  # info / warning / critical
    demo: bool = False  # the demo's own working copy, not the user's: said early, so it is never cut off


_SEVERITY_STYLES = {"info": "italic", "warning": "bold", "critical": "bold reverse"}


def status_text(s: Status) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f" {s.view_date} ", style="bold reverse")
    if s.demo:
        t.append(" ")
        t.append(" DEMO DATA ", style="bold reverse")
    t.append(" snapshot ")
    t.append(s.snapshot_date or "–", style="bold")
    t.append(f"  {s.pending_edits} pending")
    if s.readonly:
        t.append("  READ-ONLY", style="bold")
    if s.show_closed:
        t.append("  +closed")
    if s.service:
        t.append("  ")
        t.append(clean(s.service), style="bold" if s.service_ok else "bold reverse")
    if s.message:
        t.append("  ")
        t.append(clean(s.message), style=_SEVERITY_STYLES.get(s.message_severity, "italic"))
    t.append("  ")
    t.append(clean(s.label or s.path), style="dim")
    return t


class StatusBar(Static):
    """One line; the screen calls ``set`` with what changed."""

    def __init__(self, status: Status, **kwargs: object) -> None:
        super().__init__(status_text(status), **kwargs)  # type: ignore[arg-type]
        self.status = status

    def set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        self.update(status_text(self.status))
