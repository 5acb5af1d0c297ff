"""The progress of a sync: a small modal that says what is being sent and read.

Esc hides it; the sync goes on and the status bar says "syncing…" until it is done.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from sortui.domain.words import plural

STAGES = {"snapshot": "Filling the working copy from the service", "push": "Pushing", "pull": "Pulling"}


def progress_text(stage: str, done: int, total: int) -> str:
    """E.g. "Pushing 12 edits…", "Pulling 340/1200 changes…"."""
    if stage == "push":
        return f"Pushing {plural(total, 'edit')}…" if done < total else f"Pushed {plural(total, 'edit')}"
    if stage == "pull":
        return f"Pulling {done}/{total} changes…" if total else "Pulling…"
    if stage == "snapshot":
        return f"{STAGES['snapshot']}: {done}/{total} units…" if total else f"{STAGES['snapshot']}…"
    return "Synchronising…"


class SyncScreen(ModalScreen[None]):
    """Shows the stages of one sync; ``finish`` closes it (at once, or when it is on top again)."""

    HELP_TITLE = "Sync"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "hide", "Hide (the sync goes on)", id="sync.hide"),
    ]

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where
        self.stages: dict[str, str] = {}  # the newest line of each stage, in the order they came
        self.finished = False
        self.closed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="sync-progress"):
            yield Static(Text(f"Synchronising with {self.where}", style="bold"), id="sync-title")
            yield Static(Text("Connecting…"), id="sync-body")
            yield Static(Text("esc hides this; the sync goes on", style="dim"), id="sync-keys")

    def report(self, stage: str, done: int, total: int) -> None:
        """Show the newest progress of ``stage`` (one line per stage)."""
        self.stages[stage] = progress_text(stage, done, total)
        if self.is_mounted:
            self.query_one("#sync-body", Static).update(Text("\n".join(self.stages.values())))

    def finish(self) -> None:
        self.finished = True
        self._close()

    def on_screen_resume(self) -> None:
        if self.finished:
            self._close()

    def action_hide(self) -> None:
        self._close()

    def _close(self) -> None:
        """Dismiss once, and only while on top (a dismiss pops whatever screen is on top)."""
        if self.closed or not self.is_current:
            return
        self.closed = True
        self.dismiss()
