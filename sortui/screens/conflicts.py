"""Conflicts found by sync: per field the base, my and the service's value, and how to resolve them.

m keeps mine (rebased on the service's version, sent with the next sync), s takes the service's
(my edit is dropped), v sets a new value (sent with the next sync); nothing is lost either way:
``sync.conflicts.resolve`` does the work. enter goes to the unit, esc goes back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sortui.domain.words import plural
from sortui.screens.list_screen import ListScreen, OnChange
from sortui.sync import conflicts, state
from sortui.sync.state import Conflict
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

CHOICE_NOTICES = {
    "mine": "Kept yours: it goes to the service with the next sync",
    "server": "Took the service's value: your edit was dropped",
    "value": "New value set: it goes to the service with the next sync",
}


@dataclass(frozen=True, slots=True)
class ConflictView:
    conflict: Conflict
    sor_id: str | None  # the unit (for a location number: its owner)
    name: str


def load_conflicts(conn: sqlite3.Connection) -> list[ConflictView]:
    """The recorded conflicts with the name of the unit each concerns."""
    views = []
    for c in state.conflicts(conn):
        if c.target == "entity":
            row = conn.execute("SELECT sor_id, name FROM entity WHERE sor_id = ?", (c.key,)).fetchone()
        else:
            row = conn.execute(
                "SELECT e.sor_id, e.name FROM location l JOIN entity e ON e.sor_id = l.owner_sor_id WHERE l.gln = ?",
                (c.key,),
            ).fetchone()
        views.append(ConflictView(c, row[0] if row else None, row[1] if row else "?"))
    return views


def conflict_text(view: ConflictView) -> Text:
    c = view.conflict
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(c.key, style="bold")
    t.append(f" {clean(view.name)}  ")
    t.append(clean(conflicts.field_name(c)), style="bold underline")
    t.append(f"\n  base     {clean(conflicts.show_value(c, c.base_value))}  (version {c.base_version})", style="dim")
    t.append("\n  mine     ")
    t.append(clean(conflicts.show_value(c, c.local_value)), style="bold")
    t.append("\n  service  ")
    t.append(clean(conflicts.show_value(c, c.server_value)), style="bold")
    t.append(f"  (version {c.server_version})", style="dim")
    return t


def editable_text(value: Any) -> str:
    """A value as the user would type it again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


class ConflictList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="conflicts.down"),
        Binding("k", "cursor_up", "Up", show=False, id="conflicts.up"),
    ]


class ConflictsScreen(ListScreen[list[ConflictView], ConflictView]):
    """Answers a SOR-kode to go to (enter), or None."""

    HELP_TITLE = "Conflicts"
    HELP = (
        "Edits the service refused because someone changed the same field first: m keeps mine, s takes the "
        "service's, v sets a new value; the next sync sends what you chose."
    )

    NAME = "conflicts"
    HEADING = "Conflicts"
    LIST = ConflictList
    READONLY_NOTICE = "Read-only: conflicts cannot be resolved"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "m",
            "resolve('mine')",
            "Keep mine",
            tooltip="Keep my value (sent again on top of the service's)",
            id="conflicts.mine",
        ),
        Binding(
            "s",
            "resolve('server')",
            "Take service's",
            tooltip="Take the service's value; drop my edit",
            id="conflicts.server",
        ),
        Binding(
            "v", "new_value", "New value", tooltip="Type a new value (sent with the next sync)", id="conflicts.value"
        ),
        Binding("escape,q", "close", "Back", id="conflicts.close"),
    ]

    def __init__(self, source: Source, on_change: OnChange, service_url: str | None = None) -> None:
        super().__init__(source, on_change)
        self.service_url = service_url

    def read(self, conn: sqlite3.Connection) -> list[ConflictView]:
        self.service_url = state.read_state(conn).service_url
        return load_conflicts(conn)

    def show(self, data: list[ConflictView]) -> None:
        self.rows = data
        listing = self.listing
        old = listing.highlighted or 0
        listing.clear_options()
        if not self.rows and self.service_url is None:
            text = "No central service is set up for this working copy, so there are no conflicts: "
            text += "`sortui login URL --user NAME` in a shell connects one; F5 then syncs."
            listing.add_option(Option(Text(text, style="dim"), disabled=True))
            self.show_title("no service set up")
            return
        if not self.rows:
            listing.add_option(Option(Text("No conflicts: everything is resolved", style="dim"), disabled=True))
        listing.add_options([Option(conflict_text(v)) for v in self.rows])
        if self.rows:
            listing.highlighted = min(old, len(self.rows) - 1)
        changed = f"{plural(len(self.rows), 'field')} changed here and on the service"
        self.show_title(changed if self.rows else "none left")

    def sor_id_of(self, row: ConflictView) -> str | None:
        return row.sor_id

    def action_resolve(self, choice: str) -> None:
        view = self.current()
        if view is not None and not self.refuse_readonly():
            self._resolve(view.conflict, choice, None)

    def action_new_value(self) -> None:
        from sortui.screens.prompts import PromptScreen

        view = self.current()
        if view is None or self.refuse_readonly():
            return
        c = view.conflict
        if c.target == "message" or conflicts.is_ean(c):
            self.notify("This one is kept (m) or taken from the service (s)", severity="warning", markup=False)
            return
        label = conflicts.field_name(c)
        hint = f"A new value of {label}; it goes to the service with the next sync. Empty clears it."

        def chosen(text: str | None) -> None:
            if text is not None:
                self._resolve(c, "value", text)

        prompt = PromptScreen(f"{clean(label)} of {c.key}", hint, editable_text(c.local_value))
        self.app.push_screen(prompt, chosen)

    @work(thread=True, exclusive=True, group="conflicts-write")
    @reports_errors
    def _resolve(self, conflict: Conflict, choice: str, text: str | None) -> None:
        try:
            with self.source.connection() as conn:
                conflicts.resolve(conn, conflict.entry_id, choice, text)
        except conflicts.ResolveError as exc:
            self.post_message(self.Done(f"Not resolved: {exc}", "error", []))
            return
        self.post_message(self.Done(CHOICE_NOTICES[choice], "information", [conflict.key]))
