"""The EDI editor (what the register's SOR-EDI tool does) and the lokationsnummer forms.

``EdiScreen``: a lokationsnummer's attributes (checked as you type, each code with its name) and the MedCom message types
it receives (a add from the catalogue, x remove or keep, v validity). One saving model, said on
the screen: every change waits in the form, marked, until f2 saves all of them at once
(``edits.save_location``: one transaction, all or nothing); leaving with changes asks.
``NewLocationScreen``: a new own number for a unit (GLN with GS1 check digit and the mandatory
attributes). ``ValidityScreen``: from / to dates. Writes go through the journal in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from sortui.domain.fields import LOCATION_FLAGS, LOCATION_MANDATORY, LOCATION_SCALARS, field_label
from sortui.domain.model import Location
from sortui.domain.validation import Problem, validate_location
from sortui.domain.words import plural
from sortui.screens.code_fields import CodeFields
from sortui.screens.unsaved import AsksBeforeLeaving
from sortui.store import edits
from sortui.store.edits import Validity
from sortui.store.journal import EditError, JournalEntry
from sortui.store.queries import RegisteredMessage
from sortui.widgets.edit_data import EanInfo, EdiData, catalogue_choices, load_location
from sortui.widgets.form import (
    FieldInput,
    FieldRow,
    FlagField,
    FormScroll,
    apply_problems,
    field_def,
    flag_row,
    form_changes,
    form_fields,
    text_row,
)
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Badges

OnChange = Callable[[list[str]], None]  # told the SOR ids whose display changed
NEW_NUMBER_FIELDS = ("gln", *LOCATION_MANDATORY, "from_date")


def location_rows(loc: Location | None, names: tuple[str, ...], flags: tuple[str, ...] = ()) -> list[FieldRow]:
    rows = [text_row(f"location.{n}", getattr(loc, n) if loc else None) for n in names]
    rows += [flag_row(f"location.{n}", bool(getattr(loc, n)), field_label(n), False) for n in flags]
    return rows


# -- a new own location number ----------------------------------------------------------------


class NewLocationScreen(AsksBeforeLeaving, CodeFields, ModalScreen[JournalEntry | None]):
    """Give a unit its own lokationsnummer: GLN and mandatory attributes; f2 saves."""

    HELP_TITLE = "A new lokationsnummer"

    HELP = "A lokationsnummer of the unit's own: the GLN (13 digits, GS1 check digit) and the attributes a new number must have."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", id="location.save"),
        Binding("escape", "cancel", "Cancel", id="location.cancel"),
        Binding("f4", "pick", "Pick", tooltip="Pick a code from the field's code list", id="location.pick"),
        # Priority: the focus moves before the keys typed next are delivered (a slow link batches keys).
        Binding("down,tab", "app.focus_next", "Next field", show=False, priority=True, id="location.next"),
        Binding(
            "up,shift+tab", "app.focus_previous", "Previous field", show=False, priority=True, id="location.previous"
        ),
    ]

    class Saved(Message):
        def __init__(self, entry: JournalEntry | None, problems: list[Problem]) -> None:
            super().__init__()
            self.entry = entry
            self.problems = problems

    def __init__(self, source: Source, info: EanInfo, from_date: str) -> None:
        super().__init__()
        self.source = source
        self.info = info
        self.from_date = from_date
        self.code_choices = info.choices
        self.original: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        defaults = self.info.effective
        with Vertical(id="new-location", classes="form-dialog"):
            title = Text.assemble(("Own lokationsnummer for ", "bold"), (clean(self.info.name), "bold"))
            yield Static(title, classes="dialog-title")
            with FormScroll(classes="dialog-form"):
                yield text_row("location.gln", "")
                yield from location_rows(defaults, LOCATION_MANDATORY)
                yield text_row("location.from_date", self.from_date)
            yield Static("", id="new-location-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.update_code_hints()
        self.original = {path: w.text for path, w in form_fields(self).items()}
        self.query_one("#f-location-gln", FieldInput).focus()

    def location(self) -> Location:
        values = {path.removeprefix("location."): w.text.strip() or None for path, w in form_fields(self).items()}
        gln = values.pop("gln") or ""
        return Location(gln, self.info.sor_id, **values)  # type: ignore[arg-type]

    def problems(self) -> list[Problem]:
        loc = self.location()
        if not loc.gln:
            return [Problem("location.gln", "EanLocationCode", "Lokationsnummer is required")]
        return validate_location(loc, creating=True)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.update_code_hints()
        apply_problems(self, [p for p in self.problems() if p.field != "location.gln" or len(event.value) >= 13])

    def action_pick(self) -> None:
        self.pick_code()

    def action_save(self) -> None:
        problems = self.problems()
        if any(p.is_error for p in problems):
            apply_problems(self, problems)
            self.notify("Not saved: see the fields", severity="error", markup=False)
            return
        self._save(self.location())

    @work(thread=True, exclusive=True, group="new-location")
    @reports_errors
    def _save(self, loc: Location) -> None:
        try:
            with self.source.connection() as conn:
                entry = edits.set_ean_mode(conn, self.info.sor_id, "own", loc)
        except EditError as exc:
            self.post_message(self.Saved(None, exc.problems))
            return
        self.post_message(self.Saved(entry, []))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        if message.problems:
            rest = apply_problems(self, message.problems)
            self.notify("Not saved: " + "; ".join(p.message for p in rest or message.problems), severity="error")
            return
        self.dismiss(message.entry)

    def action_cancel(self) -> None:
        self.leave(None)

    def unsaved(self) -> Text | None:
        if not form_changes(self, self.original):
            return None
        return Text(f"The new lokationsnummer for {clean(self.info.name)} is not saved: what you typed will be lost.")


# -- validity of a message type ---------------------------------------------------------------


class ValidityScreen(AsksBeforeLeaving, ModalScreen[tuple[str | None, str | None] | None]):
    """From and to dates (empty: open); enter or f2 answers them, esc cancels (asks if they were changed)."""

    HELP_TITLE = "Validity of a message type"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", id="validity.save"),
        Binding("escape", "cancel", "Cancel", id="validity.cancel"),
        # Priority: the focus moves before the keys typed next are delivered (a slow link batches keys).
        Binding("down,tab", "app.focus_next", "Next field", show=False, priority=True, id="validity.next"),
        Binding(
            "up,shift+tab", "app.focus_previous", "Previous field", show=False, priority=True, id="validity.previous"
        ),
    ]

    def __init__(self, title: str, from_date: str | None, to_date: str | None) -> None:
        super().__init__()
        self.title_text = title
        self.dates = (from_date, to_date)

    def compose(self) -> ComposeResult:
        with Vertical(id="validity", classes="form-dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield text_row("location.from_date", self.dates[0])
            yield text_row("location.to_date", self.dates[1])
            yield Static(Text("empty: open-ended · enter or f2 save · esc cancel", style="dim"))

    def on_mount(self) -> None:
        self.query(FieldInput).first().focus()

    def values(self) -> tuple[str | None, str | None]:
        fields = form_fields(self)
        return fields["location.from_date"].text.strip() or None, fields["location.to_date"].text.strip() or None

    def problems(self) -> list[Problem]:
        problems = []
        for path, value in zip(("location.from_date", "location.to_date"), self.values(), strict=True):
            fd = field_def(path)
            assert fd is not None
            problems += [Problem(path, fd.xml, m) for m in fd.check(value)[0]]
        start, end = self.values()
        if not problems and start and end and end < start:
            problems.append(Problem("location.to_date", None, f"Gyldig til {end} is before Gyldig fra {start}"))
        return problems

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        apply_problems(self, self.problems())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        problems = self.problems()
        apply_problems(self, problems)
        if not problems:
            self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.leave(None)

    def unsaved(self) -> Text | None:
        if self.values() == self.dates:
            return None
        return Text("The dates you typed will be lost.")


# -- the EDI editor ------------------------------------------------------------------------------


COLUMNS = ("Format", "Type", "Version", "Title", "From", "To")
MARKS = {"add": ("+", "bold"), "remove": ("−", "dim strike"), "validity": ("~", "bold"), None: (" ", "")}
SAVING_MODEL = "changes wait here, marked, until f2 saves them all at once"


def column_widths(screen_width: int) -> tuple[int, ...]:
    """Fixed widths; the title takes what is left (the table has a border and a scroll bar)."""
    fixed = (8, 10, 8, 10, 10)
    title = max(12, screen_width - 3 - sum(fixed) - 2 * len(COLUMNS))
    return (*fixed[:3], title, *fixed[3:])


class MessageTable(DataTable[Text]):
    """The message types registered on the lokationsnummer, and those to be added or removed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_message", "Add", tooltip="Add a message type from the catalogue", id="edi.add"),
        Binding(
            "x,delete",
            "screen.remove_message",
            "Remove",
            tooltip="Remove the message type (x again keeps it)",
            id="edi.remove",
        ),
        Binding("v", "screen.validity", "Validity", tooltip="Set the validity dates", id="edi.validity"),
        Binding("j", "cursor_down", "Down", show=False, id="edi.down"),
        Binding("k", "cursor_up", "Up", show=False, id="edi.up"),
    ]


class EdiScreen(AsksBeforeLeaving, CodeFields, Screen[None]):
    """A lokationsnummer's attributes and message types; f2 saves every change at once."""

    HELP_TITLE = "EDI message types"

    HELP = (
        "The attributes of the lokationsnummer (each code with its name; f4 picks one) and the message types "
        f"registered on it (a adds, x removes or keeps, v sets the validity). The {SAVING_MODEL}."
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f2,ctrl+o", "save", "Save", tooltip="Save every change (attributes, message types) at once", id="edi.save"
        ),
        Binding("escape", "close", "Close", tooltip="Back to the tree (asks if anything is unsaved)", id="edi.close"),
        Binding("f4", "pick", "Pick", tooltip="Pick a code from the field's code list", id="edi.pick"),
        Binding("down", "app.focus_next", "Next field", show=False, id="edi.next"),
        Binding("up", "app.focus_previous", "Previous field", show=False, id="edi.previous"),
    ]

    class Reloaded(Message):
        def __init__(self, data: EdiData | None) -> None:
            super().__init__()
            self.data = data

    class Checked(Message):
        def __init__(self, generation: int, problems: list[Problem]) -> None:
            super().__init__()
            self.generation = generation
            self.problems = problems

    class Saved(Message):
        """The Save finished: the entries written, or the problems that refused it (nothing written)."""

        def __init__(self, entries: list[JournalEntry], problems: list[Problem]) -> None:
            super().__init__()
            self.entries = entries
            self.problems = problems

    def __init__(self, source: Source, data: EdiData, on_change: OnChange) -> None:
        super().__init__()
        self.source = source
        self.data = data
        self.on_change = on_change
        self.code_choices = data.choices
        self.original: dict[str, str] = {}
        self.generation = 0
        self.problems: list[Problem] = []
        self.saving = False
        # What Save makes registered, by URN; the registered ones not in it are removed.
        self.planned = self.registered

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="edi-title")
        with FormScroll(id="edi-attrs"):
            yield from location_rows(self.data.location, LOCATION_SCALARS, LOCATION_FLAGS)
        yield Static("", id="edi-status")
        table = MessageTable(id="edi-messages", cursor_type="row", zebra_stripes=False)
        table.border_title = "Message types"
        yield table
        yield Footer(compact=True)
        yield Badges()

    def _title(self) -> Text:
        d = self.data
        t = Text.assemble(("Lokationsnummer ", "bold"), (d.gln, "bold"))
        if d.inherited:
            t.append(f"  inherited from {clean(d.owner_name)}", style="bold")
        else:
            t.append(f"  own: {clean(d.owner_name)}")
        t.append(f"  · {plural(d.units_receiving, 'unit')} receive on it", style="dim")
        return t

    def on_mount(self) -> None:
        self.original = {path: w.text for path, w in form_fields(self).items()}
        table = self.table
        for label, width in zip(COLUMNS, column_widths(self.app.size.width), strict=True):
            table.add_column(label, width=width, key=label)
        self._fill()
        self._show([])
        self.update_code_hints()
        table.focus()

    def on_resize(self) -> None:
        table = self.table
        for label, width in zip(COLUMNS, column_widths(self.size.width), strict=True):
            column = table.columns.get(label)  # type: ignore[call-overload]
            if column is not None:
                column.width = width
        table.refresh()

    @property
    def table(self) -> MessageTable:
        return self.query_one(MessageTable)

    # -- what changed -----------------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """The attributes changed in the form."""
        return form_changes(self, self.original, "location.")

    @property
    def registered(self) -> dict[str, RegisteredMessage]:
        """The message types registered on the number now (in the working copy), by URN."""
        return {m.urn: m for m in self.data.messages}

    def message_changes(self) -> dict[str, Validity | None]:
        """{URN: its validity to register it with, or None to remove it} for each message type changed."""
        registered = self.registered
        changed: dict[str, Validity | None] = dict.fromkeys(registered.keys() - self.planned.keys())
        for urn, m in self.planned.items():
            old = registered.get(urn)
            if old is None or (old.from_date, old.to_date) != (m.from_date, m.to_date):
                changed[urn] = (m.from_date, m.to_date)
        return changed

    def rows(self) -> list[tuple[RegisteredMessage, str | None]]:
        """Each message type registered or planned, with what Save does to it (add, remove, validity)."""
        registered = self.registered
        changed = self.message_changes()
        shown = {**registered, **self.planned}
        order = sorted(shown.values(), key=lambda m: (m.format, m.type_code, m.version_code, m.urn))
        return [(m, _mark(m.urn, registered, changed)) for m in order]

    def unsaved(self) -> Text | None:
        attributes, messages = len(self.changes()), len(self.message_changes())
        if not attributes and not messages:
            return None
        return Text(f"The changes to lokationsnummer {self.data.gln} ({_count(attributes, messages)}) will be lost.")

    # -- the form -----------------------------------------------------------------------------------

    def _fill(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        rows = self.rows()
        for m, mark in rows:
            symbol, style = MARKS[mark]
            cells = (m.format, m.type_code, m.version_code, m.title, m.from_date or "", m.to_date or "")
            first, *rest = (Text(clean(c), style=style) for c in cells)
            table.add_row(Text(symbol, style="bold") + first, *rest, key=m.urn)
        if rows:
            table.move_cursor(row=min(max(row, 0), len(rows) - 1))
        table.border_subtitle = f"{len(rows)} · a add · x remove/keep · v validity"

    @on(Input.Changed)
    @on(FlagField.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self.update_code_hints()
        self.generation += 1
        self._show(self.problems)
        self._check(self.generation, self.changes())

    @work(thread=True, exclusive=True, group="edi-check")
    @reports_errors
    def _check(self, generation: int, changes: dict[str, Any]) -> None:
        with self.source.connection() as conn:
            problems = edits.check_location_changes(conn, self.data.gln, changes) if changes else []
        self.post_message(self.Checked(generation, problems))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.generation == self.generation:
            self._show(message.problems)

    def _show(self, problems: list[Problem]) -> None:
        """The problems by their fields; the status line says what is unsaved and how it is saved."""
        self.problems = problems
        rest = apply_problems(self, problems)
        attributes, messages = len(self.changes()), len(self.message_changes())
        if attributes or messages:
            status = Text(f" Not saved: {_count(attributes, messages)} changed · f2 saves all at once", style="bold")
        else:
            status = Text(f" No changes. {SAVING_MODEL.capitalize()}.", style="dim")
        errors = sum(p.is_error for p in problems)
        if errors:
            status.append(f"  ✗ {plural(errors, 'error')}", style="bold")
        for p in rest:
            status.append(f"  {clean(p.message)}")
        self.query_one("#edi-status", Static).update(status)

    def _changed_messages(self) -> None:
        self._fill()
        self._show(self.problems)

    # -- saving and leaving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        attributes, messages = self.changes(), self.message_changes()
        if not attributes and not messages:
            self.notify("Nothing to save: nothing was changed", markup=False, timeout=3)
            return
        self.saving = True
        self._save(attributes, messages)

    @work(thread=True, exclusive=True, group="edi-write")
    @reports_errors
    def _save(self, attributes: dict[str, Any], messages: dict[str, Validity | None]) -> None:
        try:
            with self.source.connection() as conn:
                entries = edits.save_location(conn, self.data.gln, attributes, messages)
        except EditError as exc:
            self.post_message(self.Saved([], exc.problems))
            return
        finally:
            self.saving = False
        self.post_message(self.Saved(entries, []))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        if message.problems:
            self._show(message.problems)
            self.notify("Not saved: see the fields", severity="error", markup=False)
            return
        count = len(message.entries)
        self.notify(f"Saved {plural(count, 'change')} to {self.data.gln}", markup=False)
        self.original = {path: w.text for path, w in form_fields(self).items()}
        self.on_change([self.data.unit_sor_id, self.data.location.owner_sor_id])
        self._reload()

    def action_pick(self) -> None:
        self.pick_code()

    def action_close(self) -> None:
        self.leave(None)

    # -- message types -------------------------------------------------------------------------------

    def current_message(self) -> RegisteredMessage | None:
        rows = self.rows()
        table = self.table
        if not rows or table.cursor_row < 0:
            self.notify("No message type under the cursor", severity="warning", markup=False)
            return None
        return rows[min(table.cursor_row, len(rows) - 1)][0]

    def action_add_message(self) -> None:
        from sortui.widgets.picker import PickerScreen

        title = f"Add a message type to {self.data.gln}"
        choices = catalogue_choices(self.data.catalogue, set(self.planned))
        self.app.push_screen(PickerScreen(title, choices), self._add)

    def _add(self, urn: str | None) -> None:
        if not urn:
            return
        name = urn.rsplit(":", 1)[-1].upper()
        if urn in self.planned:
            self.notify(f"{name} is already registered on {self.data.gln}", severity="warning", markup=False)
            return
        definition = next(d for d in self.data.catalogue if d.urn == urn)
        self.planned[urn] = self.registered.get(urn, definition)  # one being removed: kept as it was
        self._changed_messages()
        self.table.move_cursor(row=[m.urn for m, _ in self.rows()].index(urn))

    def action_remove_message(self) -> None:
        """Mark the message type under the cursor to be removed by Save; on one so marked, keep it."""
        m = self.current_message()
        if m is None:
            return
        if m.urn in self.planned:
            del self.planned[m.urn]
        else:
            self.planned[m.urn] = m
        self._changed_messages()

    def action_validity(self) -> None:
        m = self.current_message()
        if m is None:
            return
        if m.urn not in self.planned:
            self.notify(f"{m.version_code} is to be removed: x keeps it", severity="warning", markup=False)
            return

        def chosen(dates: Validity | None) -> None:
            if dates is not None:
                self.planned[m.urn] = replace(m, from_date=dates[0], to_date=dates[1])
                self._changed_messages()

        self.app.push_screen(ValidityScreen(f"Validity of {m.version_code}", m.from_date, m.to_date), chosen)

    @work(thread=True, exclusive=True, group="edi-reload")
    @reports_errors
    def _reload(self) -> None:
        d = self.data
        with self.source.connection() as conn:
            data = load_location(conn, d.gln, d.unit_sor_id, d.unit_name)
        self.post_message(self.Reloaded(data))

    @on(Reloaded)
    def _reloaded(self, message: Reloaded) -> None:
        if message.data is None:
            self.notify(f"Lokationsnummer {self.data.gln} is gone", severity="error", markup=False)
            self.dismiss(None)
            return
        self.data = message.data
        self.planned = self.registered
        self.query_one("#edi-title", Static).update(self._title())
        self._fill()
        self._show([])


def _mark(urn: str, registered: dict[str, RegisteredMessage], changed: dict[str, Validity | None]) -> str | None:
    if urn not in changed:
        return None
    if changed[urn] is None:
        return "remove"
    return "validity" if urn in registered else "add"


def _count(attributes: int, messages: int) -> str:
    """``2 attributes, 1 message type``: what is changed, in words."""
    counts = ((attributes, "attribute"), (messages, "message type"))
    return ", ".join(plural(n, word) for n, word in counts if n)
