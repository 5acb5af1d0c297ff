"""The unit editor: a scrolling form of a unit's own values, checked as you type, saved to the journal.

Keys: f2 (or ctrl+o) save, esc cancel (asks when there are unsaved changes, as quitting does), f4
pick a code (unit type, specialities), f3 edit the focused text field (the note) in $EDITOR.
Validation runs ``edits.check_entity_changes`` in a worker after typing rests; saving runs
``edits.set_fields`` in a worker and says "saved" only once it returned (the journal is committed
then). A new unit (``EditorData.is_new``) is a draft here: nothing is written until f2, and then
``edits.create_new_unit`` creates and journals it only if it is valid; leaving drops the draft.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import tempfile
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from sortui.domain import provisional
from sortui.domain.fields import ENTITY_FLAGS, field_label
from sortui.domain.validation import Problem
from sortui.screens.unsaved import AsksBeforeLeaving
from sortui.store import edits
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets.debounced import DebouncedLoad
from sortui.widgets.edit_data import Choice, EditorData, editor_sections
from sortui.widgets.form import (
    FieldInput,
    FieldRow,
    FlagField,
    FormScroll,
    apply_problems,
    flag_row,
    form_changes,
    form_fields,
    text_row,
)
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

PICKABLE = ("entity_type_code", "specialities")


def check_changes(conn: sqlite3.Connection, sor_id: str, changes: dict[str, Any]) -> list[Problem]:
    """What validation says of the changed fields of unit ``sor_id`` (nothing changed: nothing to say)."""
    return edits.check_entity_changes(conn, sor_id, changes) if changes else []


def check_new(conn: sqlite3.Connection, parent_sor_id: str, values: dict[str, Any]) -> list[Problem]:
    """What validation says of the new unit ``values`` would make under ``parent_sor_id``."""
    return edits.check_new_unit(conn, parent_sor_id, values)


def edit_externally(app: App[Any], text: str) -> str:
    """``text`` after the user edited it in $VISUAL / $EDITOR (the app is suspended meanwhile)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        path = Path(fh.name)
    try:
        command = [*shlex.split(editor), str(path)]
        try:
            with app.suspend():
                code = subprocess.call(command)
        except SuspendNotSupported:
            if not app.is_headless:
                raise
            code = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        if code != 0:
            raise OSError(f"{editor} exited with status {code}")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)


def one_line(text: str) -> str:
    """An edited text as one line (the register's fields have no line breaks)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def problem_summary(problems: list[Problem], changed: int, new: bool = False) -> Text:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if new:
        t = Text(" new unit: made (with a provisional SOR-kode) only when f2 saves it")
    else:
        t = Text(f" {changed} changed" if changed else " no changes")
    if errors:
        t.append(f"  ✗ {errors} error{'s' if errors != 1 else ''}", style="bold")
    if warnings:
        t.append(f"  ! {warnings} warning{'s' if warnings != 1 else ''}")
    return t


class UnitEditor(AsksBeforeLeaving, DebouncedLoad[list[Problem]], Screen[list[JournalEntry] | None]):
    """Edits one unit, or a new one; answers the saved journal entries, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", tooltip="Validate and save the changes to the journal", id="editor.save"),
        Binding(
            "escape", "cancel", "Cancel", tooltip="Leave the editor (asks if there are changes)", id="editor.cancel"
        ),
        Binding("f4", "pick", "Pick", tooltip="Pick a unit type or speciality from the code list", id="editor.pick"),
        Binding("f3", "external", "$EDITOR", tooltip="Edit the focused text field in $EDITOR", id="editor.external"),
        # Priority: the focus moves before the keys typed next are delivered (a slow link batches keys).
        Binding("down,tab", "app.focus_next", "Next field", show=False, priority=True, id="editor.next"),
        Binding(
            "up,shift+tab", "app.focus_previous", "Previous field", show=False, priority=True, id="editor.previous"
        ),
    ]

    class Saved(Message):
        def __init__(self, entries: list[JournalEntry]) -> None:
            super().__init__()
            self.entries = entries

    class Refused(Message):
        def __init__(self, problems: list[Problem]) -> None:
            super().__init__()
            self.problems = problems

    def __init__(self, source: Source, data: EditorData, debounce: float = 0.1) -> None:
        super().__init__()
        self.source = source
        self.data = data
        self.debounce = debounce
        self.original: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.saving = False
        self._choices: dict[str, dict[str, str]] = {
            "entity_type_code": {c.value: c.label for c in data.type_choices},
            "specialities": {c.value: c.label for c in data.speciality_choices},
        }

    # -- building the form ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="editor-title")
        with FormScroll(id="editor-form"):
            for section, paths in editor_sections(self.data.kind):
                yield Static(Text(section, style="bold"), classes="form-section")
                for path in paths:
                    yield self._row(path)
        yield Static(problem_summary([], 0, self.data.is_new), id="editor-status")
        yield Footer(compact=True)

    def _title(self) -> Text:
        if self.data.is_new:
            t = Text.assemble(("Ny enhed ", "bold"), (f"({self.data.kind}) under ", "bold"))
            t.append(clean(self.data.path[-1] if self.data.path else ""), style="bold")
            return t
        t = Text.assemble(("Rediger ", "bold"), (clean(self.data.name), "bold"))
        t.append(f"  {self.data.kind} {self.data.sor_id}", style="dim")
        if provisional.is_provisional(self.data.sor_id):
            t.append("  (foreløbig SOR-kode)", style="dim")
        return t

    def _row(self, path: str) -> FieldRow:
        value = self.data.values.get(path)
        if path in ENTITY_FLAGS:
            return flag_row(path, value, field_label(path))
        placeholder = "codes separated by spaces · f4 pick" if path == "specialities" else ""
        if path == "entity_type_code":
            placeholder = "f4 pick from the code list"
        label = field_label(path) if "." not in path or path.startswith("contact.") else None
        return text_row(path, value, label, placeholder)

    def on_mount(self) -> None:
        self.original = {path: widget.text for path, widget in self.fields().items()}
        for path in PICKABLE:
            self._update_hint(path)
        first = self.query(FieldInput).first()
        first.focus()

    def fields(self) -> dict[str, FieldInput | FlagField]:
        return form_fields(self)

    def row(self, path: str) -> FieldRow:
        return next(r for r in self.query(FieldRow) if r.path == path)

    # -- what changed --------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """{field path: new value} of every field whose text differs from what was loaded."""
        return form_changes(self, self.original)

    def to_save(self) -> dict[str, Any]:
        """What f2 saves: the changes, or for a new unit every value filled in (the defaults too)."""
        if not self.data.is_new:
            return self.changes()
        return {path: value for path, value in form_changes(self, {}).items() if value not in (None, [])}

    @on(Input.Changed)
    @on(FlagField.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        path = getattr(getattr(event, "input", None) or getattr(event, "flag", None), "path", None)
        if path in PICKABLE:
            self._update_hint(path)
        self._schedule_check()

    def _update_hint(self, path: str) -> None:
        if not any(r.path == path for r in self.query(FieldRow)):
            return
        names = self._choices[path]
        codes = self.fields()[path].text.split()
        hint = Text(", ".join(clean(names.get(code, f"{code}?")) for code in codes), style="dim")
        self.row(path).set_hint(hint)

    def _schedule_check(self) -> None:
        if self.data.is_new:
            assert self.data.parent_sor_id is not None
            self.load_later(partial(check_new, parent_sor_id=self.data.parent_sor_id, values=self.to_save()))
        else:
            self.load_later(partial(check_changes, sor_id=self.data.sor_id, changes=self.changes()))

    def loaded(self, result: list[Problem]) -> None:
        self.show_problems(result)

    def show_problems(self, problems: list[Problem]) -> None:
        """Each problem by its field; those of no field in the status line."""
        self.problems = problems
        summary = problem_summary(problems, len(self.changes()), self.data.is_new)
        for p in apply_problems(self, problems):
            summary.append(f"  {clean(p.message)}")
        self.query_one("#editor-status", Static).update(summary)

    # -- saving ----------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        changes = self.to_save()
        if not changes and not self.data.is_new:
            self.notify("Nothing to save: no field was changed", markup=False, timeout=3)
            return
        self.saving = True
        self._save(changes)

    @work(thread=True, exclusive=True, group="editor-save")
    @reports_errors
    def _save(self, changes: dict[str, Any]) -> None:
        parent = self.data.parent_sor_id
        try:
            with self.source.connection() as conn:
                if parent is not None:
                    entries = edits.create_new_unit(conn, parent, changes)
                else:
                    entries = edits.set_fields(conn, self.data.sor_id, changes)
        except EditError as exc:
            self.post_message(self.Refused(exc.problems))
            return
        finally:
            self.saving = False
        self.post_message(self.Saved(entries))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        count = len(message.entries)
        if self.data.is_new:
            created = message.entries[0]
            name = clean(created.new_value["name"])
            self.notify(f"Created {name} with the provisional SOR id {created.key}", markup=False)
        else:
            self.notify(f"Saved {count} change{'s' if count != 1 else ''} to {clean(self.data.name)}", markup=False)
        for warning in dict.fromkeys(w for e in message.entries for w in e.warnings):
            self.notify(clean(warning), title="Warning", severity="warning", markup=False, timeout=8)
        self.dismiss(message.entries)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.show_problems(message.problems)
        errors = [p for p in message.problems if p.is_error]
        self.notify(
            f"Not saved: {len(errors)} error{'s' if len(errors) != 1 else ''} (shown by the fields)",
            severity="error",
            markup=False,
        )
        first = next((r for r in self.query(FieldRow) if r.has_class("-error")), None)
        if first is not None:
            first.field.focus()

    # -- leaving, picking, $EDITOR -----------------------------------------------------------

    def action_cancel(self) -> None:
        self.leave(None)

    def unsaved(self) -> Text | None:
        count = len(self.changes())
        if not count:
            return None
        if self.data.is_new:
            return Text(f"The new unit under {clean(self.data.path[-1])} is not made: what you typed will be lost.")
        return Text(f"{count} changed field{'s' if count != 1 else ''} of {clean(self.data.name)} will be lost.")

    def action_pick(self) -> None:
        from sortui.widgets.picker import PickerScreen

        focused = self.focused
        path = getattr(focused, "path", None)
        if path not in PICKABLE or not isinstance(focused, FieldInput):
            self.notify("f4 picks from a code list on Enhedstype and Specialer", markup=False, timeout=4)
            return
        current = focused.value.split()
        choices = [Choice(c.value, c.label, c.detail, c.value in current) for c in self._code_choices(path)]
        title = "Speciale (pick to add or remove)" if path == "specialities" else field_label(path)
        self.app.push_screen(PickerScreen(title, choices), lambda code: self._picked(focused, code))

    def _code_choices(self, path: str) -> list[Choice]:
        return self.data.speciality_choices if path == "specialities" else self.data.type_choices

    def _picked(self, field: FieldInput, code: str | None) -> None:
        if code is None:
            return
        if field.path == "specialities":
            codes = field.value.split()
            codes = [c for c in codes if c != code] if code in codes else [*codes, code]
            field.value = " ".join(codes)
        else:
            field.value = code
        field.focus()

    def action_external(self) -> None:
        focused = self.focused
        field = focused if isinstance(focused, FieldInput) else None
        if field is None:
            field = next((w for w in self.query(FieldInput) if w.path == "note"), None)
        if field is None:
            return
        try:
            edited = edit_externally(self.app, field.value)
        except (OSError, SuspendNotSupported) as exc:
            self.notify(f"Could not run the editor: {exc}", severity="error", markup=False)
            return
        field.value = one_line(edited)
        field.focus()
