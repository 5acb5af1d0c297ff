"""The unit editor: a scrolling form of a unit's own values, checked as you type, saved to the journal.

Keys: f2 (or ctrl+o) save, esc cancel (asks when there are unsaved changes, as quitting does), f4
pick a code (every coded field shows its code's name), f3 edit the focused text field (the note) in
$EDITOR. A section the unit inherits (an address, the contact data) is one line saying what it takes
and from whom; f6 on it makes those values the unit's own to edit, f7 in an own section empties it so
the unit inherits again (both saved with f2). The Lokationsnummer line says whether the number is
own or inherited; f6/f7 there give the unit its own or make it inherit, saved at once.
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
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from sortui.domain import provisional
from sortui.domain.fields import ENTITY_FLAGS, field_label
from sortui.domain.validation import Problem
from sortui.domain.words import plural
from sortui.screens.code_fields import CodeFields
from sortui.screens.ean_flow import EanFlow
from sortui.screens.unsaved import AsksBeforeLeaving
from sortui.store import edits
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets import edit_data
from sortui.widgets.debounced import DebouncedLoad
from sortui.widgets.edit_data import EditorData, Inherited, Section, editor_sections
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
from sortui.widgets.safe import Hanging, clean
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Badges

LABEL_WIDTH = 24
VALUE_COLUMN = LABEL_WIDTH + 1  # where a field's value starts (after its Input's padding)
OnChange = Callable[[list[str]], None]  # told the SOR-koder whose lokationsnummer changed meanwhile


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
        t.append(f"  ✗ {plural(errors, 'error')}", style="bold")
    if warnings:
        t.append(f"  ! {plural(warnings, 'warning')}")
    return t


class InheritedRow(Static, can_focus=True):
    """A section the unit inherits: what it takes and where from; f6 makes the values its own."""

    def __init__(self, key: str, inherited: Inherited) -> None:
        super().__init__(classes="inherited-row")
        self.key = key
        self.inherited = inherited

    def render(self) -> Hanging:
        t = Text(f"{'Inherited':<{VALUE_COLUMN}}", style="bold")
        t.append(clean(self.inherited.words))
        t.append("  · f6 own values", style="dim")
        return Hanging(t, VALUE_COLUMN)


class LocationRow(Static, can_focus=True):
    """The unit's lokationsnummer, own or inherited; f6 gives it its own, f7 makes it inherit (saved at once)."""

    def __init__(self, words: str, mode: str, new: bool) -> None:
        super().__init__(classes="inherited-row")
        self.words = words
        self.mode = mode
        self.new = new

    def show(self, words: str, mode: str) -> None:
        self.words, self.mode = words, mode
        self.refresh()

    def render(self) -> Hanging:
        t = Text(f"{'Lokationsnummer':<{VALUE_COLUMN}}", style="bold")
        t.append(clean(self.words))
        if self.new:
            hint = "  · after f2 saves the unit, L gives it its own"
        elif self.mode == "own":
            hint = "  · f7 makes it inherit the parent's (saved at once)"
        else:
            hint = "  · f6 gives it its own (saved at once)"
        t.append(hint, style="dim")
        return Hanging(t, VALUE_COLUMN)


class UnitEditor(AsksBeforeLeaving, CodeFields, DebouncedLoad[list[Problem]], Screen[list[JournalEntry] | None]):
    """Edits one unit, or a new one; answers the saved journal entries, or None when cancelled."""

    HELP_TITLE = "Unit editor"

    HELP = (
        "Edit the unit's own values; every field is checked as you type and nothing is saved until f2. "
        "A line 'Inherited' is a section the unit takes from a unit above it (or from its Postadresse): f6 "
        "on it makes the values its own, f7 in an own section lets it inherit again."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", tooltip="Validate and save the changes to the journal", id="editor.save"),
        Binding(
            "escape", "cancel", "Cancel", tooltip="Leave the editor (asks if there are changes)", id="editor.cancel"
        ),
        Binding("f4", "pick", "Pick", tooltip="Pick a code from the code list of the field", id="editor.pick"),
        Binding("f3", "external", "$EDITOR", tooltip="Edit the focused text field in $EDITOR", id="editor.external"),
        Binding(
            "f6",
            "own",
            "Own",
            tooltip="Make an inherited section (or the lokationsnummer) the unit's own",
            id="editor.own",
        ),
        Binding(
            "f7",
            "inherit",
            "Inherit",
            tooltip="Let the section (or the lokationsnummer) inherit again",
            id="editor.inherit",
        ),
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

    class EanRead(Message):
        def __init__(self, words: str, mode: str) -> None:
            super().__init__()
            self.words = words
            self.mode = mode

    def __init__(
        self, source: Source, data: EditorData, debounce: float = 0.1, on_change: OnChange | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.data = data
        self.debounce = debounce
        self.on_change = on_change
        self.original: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.saving = False
        self.code_choices = data.choices
        self.inheriting: set[str] = set()  # the sections shown as inherited (their fields empty and hidden)

    # -- building the form ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="editor-title")
        with FormScroll(id="editor-form"):
            for section in editor_sections(self.data.kind):
                with Vertical(classes="form-box", id=f"section-{section.key}"):
                    yield Static(Text(section.title, style="bold"), classes="form-section")
                    if section.key in self.data.inherited:
                        yield InheritedRow(section.key, self.data.inherited[section.key])
                    for path in section.paths:
                        yield self._row(path)
            with Vertical(classes="form-box", id="section-ean"):
                yield Static(Text("Lokationsnummer", style="bold"), classes="form-section")
                yield LocationRow(self.data.ean, self.data.ean_mode, self.data.is_new)
        yield Static(problem_summary([], 0, self.data.is_new), id="editor-status")
        yield EanFlow(self.source)
        yield Footer(compact=True)
        yield Badges()

    def _title(self) -> Text:
        if self.data.is_new:
            t = Text.assemble(("New unit ", "bold"), (f"({self.data.kind}) under ", "bold"))
            t.append(clean(self.data.path[-1] if self.data.path else ""), style="bold")
            return t
        t = Text.assemble(("Edit ", "bold"), (clean(self.data.name), "bold"))
        t.append(f"  {self.data.kind} {self.data.sor_id}", style="dim")
        if provisional.is_provisional(self.data.sor_id):
            t.append("  (provisional SOR-kode)", style="dim")
        return t

    def _row(self, path: str) -> FieldRow:
        value = self.data.values.get(path)
        if path in ENTITY_FLAGS:
            return flag_row(path, value, field_label(path))
        placeholder = "codes separated by spaces · f4 pick" if path == "specialities" else ""
        if path in self.code_choices and not placeholder:
            placeholder = "a code · f4 picks from the list"
        label = field_label(path) if "." not in path or path.startswith("contact.") else None
        return text_row(path, value, label, placeholder)

    def on_mount(self) -> None:
        self.original = {path: widget.text for path, widget in self.fields().items()}
        for section in editor_sections(self.data.kind):
            if section.key in self.data.inherited:
                own = any(self.original.get(p) for p in section.paths)
                self._show_inheriting(section, not own)
        self.update_code_hints()
        first = self.query(FieldInput).first()
        first.focus()

    def fields(self) -> dict[str, FieldInput | FlagField]:
        return form_fields(self)

    def row(self, path: str) -> FieldRow:
        return next(r for r in self.query(FieldRow) if r.path == path)

    # -- inherited sections -----------------------------------------------------------------

    def _show_inheriting(self, section: Section, inheriting: bool) -> None:
        """Show ``section`` as the line of what it inherits, or as its fields."""
        box = self.query_one(f"#section-{section.key}", Vertical)
        for child in box.children:
            if isinstance(child, InheritedRow):
                child.display = inheriting
            elif "form-section" not in child.classes:
                child.display = not inheriting
        (self.inheriting.add if inheriting else self.inheriting.discard)(section.key)

    def _section_of(self, widget: Widget | None) -> Section | None:
        while widget is not None and not (widget.id or "").startswith("section-"):
            widget = widget.parent  # type: ignore[assignment]
        key = (widget.id or "").removeprefix("section-") if widget is not None else ""
        return next((s for s in editor_sections(self.data.kind) if s.key == key), None)

    def action_own(self) -> None:
        """f6: the inherited section under the cursor becomes the unit's own (starting from what it inherits);
        on the Lokationsnummer line, the unit gets its own number."""
        focused = self.focused
        if isinstance(focused, LocationRow):
            self._ean("own")
            return
        section = self._section_of(focused)
        if not isinstance(focused, InheritedRow) or section is None:
            self.notify("f6 works on a line that says Inherited (or on the Lokationsnummer line)", markup=False)
            return
        fields = self.fields()
        for path in section.paths:
            value = focused.inherited.values.get(path)
            widget = fields.get(path)
            if isinstance(widget, FieldInput):
                widget.value = "" if value is None else str(value)
        self._show_inheriting(section, False)
        next(w for p, w in fields.items() if p in section.paths).focus()
        self._schedule_check()

    def action_inherit(self) -> None:
        """f7: the own section under the cursor is emptied and inherits again (saved with f2); on the
        Lokationsnummer line, the unit inherits its parent's number."""
        focused = self.focused
        if isinstance(focused, LocationRow):
            self._ean("inherited")
            return
        section = self._section_of(focused)
        if section is None or section.key not in self.data.inherited or section.key in self.inheriting:
            self.notify("f7 works in an address or contact section of the unit's own", markup=False)
            return
        for path, widget in self.fields().items():
            if path in section.paths and isinstance(widget, FieldInput):
                widget.value = ""
        self._show_inheriting(section, True)
        self.query_one(f"#section-{section.key} InheritedRow", InheritedRow).focus()
        self._schedule_check()

    def _ean(self, want: str) -> None:
        if self.data.is_new:
            self.notify("The new unit is not made yet: f2 saves it, then L gives it its own", markup=False)
            return
        if self.source.readonly:
            self.notify("Read-only: the lokationsnummer cannot be changed", severity="warning", markup=False)
            return
        self.query_one(EanFlow).start(self.data.sor_id, self.data.values.get("from_date") or "", want)

    @on(EanFlow.Done)
    def _ean_done(self, message: EanFlow.Done) -> None:
        message.stop()
        if self.on_change is not None:
            self.on_change(message.keys)
        self._read_ean(self.data.sor_id)

    @work(thread=True, group="editor-ean")
    @reports_errors
    def _read_ean(self, sor_id: str) -> None:
        with self.source.connection() as conn:
            words, mode = edit_data.unit_ean(conn, sor_id)
        self.post_message(self.EanRead(words, mode))

    @on(EanRead)
    def _ean_read(self, message: EanRead) -> None:
        self.data.ean, self.data.ean_mode = message.words, message.mode
        self.query_one(LocationRow).show(message.words, message.mode)

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
        if path in self.code_choices:
            self.update_code_hints()
        self._schedule_check()

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
            self.notify(f"Created {name} with the provisional SOR-kode {created.key}", markup=False)
        else:
            self.notify(f"Saved {plural(count, 'change')} to {clean(self.data.name)}", markup=False)
        for warning in dict.fromkeys(w for e in message.entries for w in e.warnings):
            self.notify(clean(warning), title="Warning", severity="warning", markup=False, timeout=8)
        self.dismiss(message.entries)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.show_problems(message.problems)
        errors = [p for p in message.problems if p.is_error]
        self.notify(f"Not saved: {plural(len(errors), 'error')} (shown by the fields)", severity="error", markup=False)
        first = next((r for r in self.query(FieldRow) if r.has_class("-error")), None)
        if first is not None:
            section = self._section_of(first)
            if section is not None and section.key in self.inheriting:
                self._show_inheriting(section, False)
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
        return Text(f"{plural(count, 'changed field')} of {clean(self.data.name)} will be lost.")

    def action_pick(self) -> None:
        self.pick_code()

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
