"""The pending changes: the local journal grouped by unit / location number with before → after.

u undoes the entry under the cursor (``journal.undo``, which refuses out of order and says why),
D discards every pending change (after a confirmation), enter goes to the unit, esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from sortui.store import journal
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets.edit_data import ChangeGroup, describe_entry, load_changes
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

OnChange = Callable[[list[str]], None]


def entry_text(entry: JournalEntry) -> Text:
    what, before, after = describe_entry(entry)
    t = Text(f"  #{entry.id:<5}", style="dim")
    t.append(clean(what), style="bold")
    t.append(": ")
    t.append(clean(before))
    t.append(" → ", style="bold")
    t.append(clean(after))
    if entry.status != "pending":
        t.append(f"  ({entry.status})", style="dim")
    return t


class ChangeList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="changes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="changes.up"),
    ]


class ChangesScreen(Screen[str | None]):
    """Answers a SOR id to go to (enter), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "Undo", tooltip="Undo the change under the cursor", id="changes.undo"),
        Binding("D", "discard_all", "Discard all", tooltip="Revert every pending change", id="changes.discard"),
        Binding("escape,P", "close", "Back", id="changes.close"),
    ]

    class Loaded(Message):
        def __init__(self, groups: list[ChangeGroup]) -> None:
            super().__init__()
            self.groups = groups

    class Done(Message):
        def __init__(self, notice: str, severity: str, keys: list[str]) -> None:
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.keys = keys

    def __init__(self, source: Source, on_change: OnChange) -> None:
        super().__init__()
        self.source = source
        self.on_change = on_change
        self.groups: list[ChangeGroup] = []
        self.rows: list[tuple[ChangeGroup, JournalEntry | None]] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Ventende ændringer", style="bold"), id="changes-title")
        yield ChangeList(id="changes-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(ChangeList).focus()
        self._load()

    @work(thread=True, exclusive=True, group="changes-load")
    @reports_errors
    def _load(self) -> None:
        with self.source.connection() as conn:
            groups = load_changes(conn)
        self.post_message(self.Loaded(groups))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.groups = message.groups
        self.rows = []
        options = []
        for group in self.groups:
            options.append(Option(Text(clean(group.title), style="bold underline"), disabled=True))
            self.rows.append((group, None))
            for entry in group.entries:
                options.append(Option(entry_text(entry)))
                self.rows.append((group, entry))
        listing = self.query_one(ChangeList)
        old = listing.highlighted
        listing.clear_options()
        listing.add_options(options or [Option(Text("No pending changes", style="dim"), disabled=True)])
        entries = [i for i, (_, e) in enumerate(self.rows) if e is not None]
        if entries:
            listing.highlighted = min(entries, key=lambda i: abs(i - (old or 0)))
        count = sum(len(g.entries) for g in self.groups)
        n = len(self.groups)
        groups = f"{n} {'unit / location number' if n == 1 else 'units / location numbers'}"
        title = Text.assemble(("Ventende ændringer", "bold"), f"  {count} changes on {groups}")
        if self.source.readonly:
            title.append("  READ-ONLY", style="bold")
        self.query_one("#changes-title", Static).update(title)

    def current(self) -> tuple[ChangeGroup, JournalEntry | None] | None:
        index = self.query_one(ChangeList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = self.current()
        if row is not None and row[0].sor_id:
            self.dismiss(row[0].sor_id)

    def _refuse_readonly(self) -> bool:
        if self.source.readonly:
            self.notify("Read-only: the journal cannot be changed", severity="warning", markup=False)
        return self.source.readonly

    def action_undo(self) -> None:
        row = self.current()
        if self._refuse_readonly() or row is None or row[1] is None:
            return
        self._undo(row[1].id, row[0].key)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _undo(self, entry_id: int, key: str) -> None:
        try:
            with self.source.connection() as conn:
                journal.undo(conn, entry_id)
        except (EditError, KeyError) as exc:
            problems = exc.problems if isinstance(exc, EditError) else []
            text = "; ".join(p.message for p in problems) or f"no change #{entry_id}"
            self.post_message(self.Done(f"Not undone: {text}", "error", []))
            return
        self.post_message(self.Done(f"Undone #{entry_id}", "information", [key]))

    def action_discard_all(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        count = sum(len(g.entries) for g in self.groups)
        if self._refuse_readonly() or not count:
            return
        body = Text(f"All {count} pending changes in {len(self.groups)} units / location numbers are reverted.")
        screen = ConfirmScreen("Discard all pending changes?", body, "discard all")
        self.app.push_screen(screen, lambda yes: self._discard() if yes else None)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _discard(self) -> None:
        keys = [g.key for g in self.groups]
        with self.source.connection() as conn:
            count = journal.discard_all(conn)
        self.post_message(self.Done(f"Discarded {count} pending changes", "information", keys))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.keys:
            self.on_change(message.keys)
            self._load()

    def action_close(self) -> None:
        self.dismiss(None)
