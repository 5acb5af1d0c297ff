"""The EDI editor (what the register's SOR-EDI tool does) and the location-number forms.

``EdiScreen``: a location number's attributes (checked as you type, f2 saves) and the MedCom
message types it receives (a add from the catalogue, x remove, v validity). ``NewLocationScreen``:
a new own number for a unit (GLN with GS1 check digit and the mandatory attributes).
``ValidityScreen``: from / to dates. Every change goes through the journal in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
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
from sortui.store import edits
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets.edit_data import Choice, EanInfo, EdiData, load_location
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

OnChange = Callable[[list[str]], None]  # told the SOR ids whose display changed
PICK_LISTS = ("location.communication_supplier", "location.region_code")
NEW_NUMBER_FIELDS = ("gln", *LOCATION_MANDATORY, "from_date")


def location_rows(loc: Location | None, names: tuple[str, ...], flags: tuple[str, ...] = ()) -> list[FieldRow]:
    rows = [text_row(f"location.{n}", getattr(loc, n) if loc else None) for n in names]
    rows += [flag_row(f"location.{n}", bool(getattr(loc, n)), field_label(n), False) for n in flags]
    return rows


def code_hint(choices: list[Choice], code: str) -> Text:
    names = {c.value: c.label for c in choices}
    return Text(clean(names.get(code, "")) if code else "", style="dim")


class LocationForm:
    """Picking codes and hints for the net operator and region fields of a location form."""

    operator_choices: list[Choice]
    region_choices: list[Choice]

    def pick_list(self, path: str) -> tuple[str, list[Choice]]:
        if path == "location.region_code":
            return "Region", self.region_choices
        return "Netoperatør", self.operator_choices

    def update_hints(self, screen: Screen[Any]) -> None:
        for row in screen.query(FieldRow):
            if row.path in PICK_LISTS:
                _, choices = self.pick_list(row.path)
                row.set_hint(code_hint(choices, form_fields(row)[row.path].text))

    def pick(self, screen: Screen[Any]) -> None:
        from sortui.widgets.picker import PickerScreen

        focused = screen.focused
        if not isinstance(focused, FieldInput) or focused.path not in PICK_LISTS:
            screen.notify("f4 picks from a code list on Netoperatør and Region", markup=False, timeout=4)
            return
        title, choices = self.pick_list(focused.path)
        marked = [Choice(c.value, c.label, c.detail, c.value == focused.value) for c in choices]

        def picked(code: str | None) -> None:
            if code is not None:
                focused.value = code
            focused.focus()

        screen.app.push_screen(PickerScreen(title, marked), picked)


# -- a new own location number ----------------------------------------------------------------


class NewLocationScreen(LocationForm, ModalScreen[JournalEntry | None]):
    """Give a unit its own location number: GLN and mandatory attributes; f2 saves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", id="location.save"),
        Binding("escape", "cancel", "Cancel", id="location.cancel"),
        Binding("f4", "pick", "Pick", tooltip="Pick a net operator or region", id="location.pick"),
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
        self.operator_choices = info.operator_choices
        self.region_choices = info.region_choices

    def compose(self) -> ComposeResult:
        defaults = self.info.effective
        with Vertical(id="new-location", classes="form-dialog"):
            title = Text.assemble(("Eget lokationsnummer til ", "bold"), (clean(self.info.name), "bold"))
            yield Static(title, classes="dialog-title")
            with FormScroll(classes="dialog-form"):
                yield text_row("location.gln", "")
                yield from location_rows(defaults, LOCATION_MANDATORY)
                yield text_row("location.from_date", self.from_date)
            yield Static("", id="new-location-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.update_hints(self)
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
        self.update_hints(self)
        apply_problems(self, [p for p in self.problems() if p.field != "location.gln" or len(event.value) >= 13])

    def action_pick(self) -> None:
        self.pick(self)

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
        self.dismiss(None)


# -- validity of a message type ---------------------------------------------------------------


class ValidityScreen(ModalScreen[tuple[str | None, str | None] | None]):
    """From and to dates (empty: open); enter or f2 answers them, esc cancels."""

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
        self.dismiss(None)


# -- the EDI editor ------------------------------------------------------------------------------


COLUMNS = ("Format", "Type", "Version", "Titel", "Fra", "Til")


def column_widths(screen_width: int) -> tuple[int, ...]:
    """Fixed widths; the title takes what is left (the table has a border and a scroll bar)."""
    fixed = (8, 10, 8, 10, 10)
    title = max(12, screen_width - 3 - sum(fixed) - 2 * len(COLUMNS))
    return (*fixed[:3], title, *fixed[3:])


class MessageTable(DataTable[Text]):
    """The message types registered on the location number."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_message", "Add", tooltip="Add a message type from the catalogue", id="edi.add"),
        Binding("x,delete", "screen.remove_message", "Remove", tooltip="Remove the message type", id="edi.remove"),
        Binding("v", "screen.validity", "Validity", tooltip="Set the validity dates", id="edi.validity"),
        Binding("j", "cursor_down", "Down", show=False, id="edi.down"),
        Binding("k", "cursor_up", "Up", show=False, id="edi.up"),
    ]


class EdiScreen(LocationForm, Screen[None]):
    """A location number's attributes and message types."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+o", "save", "Save", tooltip="Save the attributes to the journal", id="edi.save"),
        Binding(
            "escape", "close", "Close", tooltip="Back to the tree (asks if attributes are unsaved)", id="edi.close"
        ),
        Binding("f4", "pick", "Pick", tooltip="Pick a net operator or region", id="edi.pick"),
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

    class Done(Message):
        """A journal write finished: a notice, and whether anything changed."""

        def __init__(self, notice: str, severity: str = "information", changed: bool = True, saved: bool = False):
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.changed = changed
            self.saved = saved  # the attributes were saved

    def __init__(self, source: Source, data: EdiData, on_change: OnChange, debounce: float = 0.1) -> None:
        super().__init__()
        self.source = source
        self.data = data
        self.on_change = on_change
        self.debounce = debounce
        self.operator_choices = data.operator_choices
        self.region_choices = data.region_choices
        self.original: dict[str, str] = {}
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="edi-title")
        with FormScroll(id="edi-attrs"):
            yield from location_rows(self.data.location, LOCATION_SCALARS, LOCATION_FLAGS)
        yield Static("", id="edi-status")
        table = MessageTable(id="edi-messages", cursor_type="row", zebra_stripes=False)
        table.border_title = "Meddelelsestyper"
        yield table
        yield Footer(compact=True)

    def _title(self) -> Text:
        d = self.data
        t = Text.assemble(("Lokationsnummer ", "bold"), (d.gln, "bold"))
        if d.inherited:
            t.append(f"  nedarvet fra {clean(d.owner_name)}", style="bold")
        else:
            t.append(f"  eget: {clean(d.owner_name)}")
        t.append(f"  · {d.units_receiving} enheder modtager", style="dim")
        return t

    def on_mount(self) -> None:
        self.original = {path: w.text for path, w in form_fields(self).items()}
        table = self.table
        for label, width in zip(COLUMNS, column_widths(self.app.size.width), strict=True):
            table.add_column(label, width=width, key=label)
        self._fill()
        self.update_hints(self)
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

    def _fill(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        for m in self.data.messages:
            cells = (m.format, m.type_code, m.version_code, m.title, m.from_date or "", m.to_date or "")
            table.add_row(*(Text(clean(c)) for c in cells), key=m.urn)
        if self.data.messages:
            table.move_cursor(row=min(row, len(self.data.messages) - 1))
        table.border_subtitle = f"{len(self.data.messages)} · a add · x remove · v validity"

    # -- attributes -------------------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        return form_changes(self, self.original, "location.")

    @on(Input.Changed)
    @on(FlagField.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self.update_hints(self)
        self.generation += 1
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
        rest = apply_problems(self, problems)
        errors = sum(p.is_error for p in problems)
        status = Text(f" {len(self.changes())} changed" + (f"  ✗ {errors} errors" if errors else ""))
        for p in rest:
            status.append(f"  {clean(p.message)}")
        self.query_one("#edi-status", Static).update(status)

    def action_save(self) -> None:
        changes = self.changes()
        if not changes:
            self.notify("Nothing to save: no attribute was changed", markup=False, timeout=3)
            return
        self._save(changes)

    @work(thread=True, exclusive=True, group="edi-write")
    @reports_errors
    def _save(self, changes: dict[str, Any]) -> None:
        try:
            with self.source.connection() as conn:
                entries = edits.set_location_fields(conn, self.data.gln, changes)
        except EditError as exc:
            self.post_message(self.Checked(self.generation, exc.problems))
            self.post_message(self.Done("Not saved: see the fields", "error", changed=False))
            return
        self.post_message(self.Done(f"Saved {len(entries)} changes to {self.data.gln}", saved=True))

    def action_pick(self) -> None:
        self.pick(self)

    def action_close(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        if not self.changes():
            self.dismiss(None)
            return
        body = Text(f"{len(self.changes())} changed attributes of {self.data.gln} will be lost.")
        self.app.push_screen(
            ConfirmScreen("Discard unsaved changes?", body, "discard"), lambda yes: self.dismiss(None) if yes else None
        )

    # -- message types -------------------------------------------------------------------------------

    def current_message(self) -> Any:
        table = self.table
        if not self.data.messages or table.cursor_row < 0:
            self.notify("No message type under the cursor", severity="warning", markup=False)
            return None
        return self.data.messages[min(table.cursor_row, len(self.data.messages) - 1)]

    def action_add_message(self) -> None:
        from sortui.widgets.picker import PickerScreen

        title = f"Add a message type to {self.data.gln}"

        def picked(urn: str | None) -> None:
            if urn:
                self._write("add", urn)

        self.app.push_screen(PickerScreen(title, self.data.catalogue), picked)

    def action_remove_message(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        m = self.current_message()
        if m is None:
            return
        body = Text(f"{m.version_code} {clean(m.title)}\nfrom location number {self.data.gln}")
        if self.data.units_receiving > 1:
            body.append(f" ({self.data.units_receiving} units receive on it)")
        screen = ConfirmScreen("Remove the message type?", body, "remove")
        self.app.push_screen(screen, lambda yes: self._write("remove", m.urn) if yes else None)

    def action_validity(self) -> None:
        m = self.current_message()
        if m is None:
            return

        def chosen(dates: tuple[str | None, str | None] | None) -> None:
            if dates is not None:
                self._write("validity", m.urn, dates)

        self.app.push_screen(ValidityScreen(f"Validity of {m.version_code}", m.from_date, m.to_date), chosen)

    @work(thread=True, exclusive=True, group="edi-write")
    @reports_errors
    def _write(self, op: str, urn: str, dates: tuple[str | None, str | None] = (None, None)) -> None:
        gln, name = self.data.gln, urn.rsplit(":", 1)[-1].upper()
        try:
            with self.source.connection() as conn:
                if op == "add":
                    done = edits.add_message(conn, gln, urn) is not None
                    notice = f"Added {name} to {gln}" if done else f"{name} is already registered on {gln}"
                elif op == "remove":
                    done = edits.remove_message(conn, gln, urn) is not None
                    notice = f"Removed {name} from {gln}" if done else f"{name} is not registered on {gln}"
                else:
                    done = bool(edits.set_message_validity(conn, gln, urn, *dates))
                    notice = f"Validity of {name} saved" if done else "Validity unchanged"
        except EditError as exc:
            self.post_message(self.Done("; ".join(p.message for p in exc.problems), "error", changed=False))
            return
        self.post_message(self.Done(notice, "information" if done else "warning", changed=done))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.saved:
            self.original = {path: w.text for path, w in form_fields(self).items()}
            self._show([])
        if message.changed:
            self.on_change([self.data.unit_sor_id, self.data.location.owner_sor_id])
            self._reload()

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
            self.notify(f"Location number {self.data.gln} is gone", severity="error", markup=False)
            self.dismiss(None)
            return
        self.data = message.data
        self.query_one("#edi-title", Static).update(self._title())
        self._fill()
