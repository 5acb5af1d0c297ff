"""Giving a unit its own lokationsnummer, or making it inherit its parent's again (``L`` on the main
screen, f6/f7 on the unit editor's Lokationsnummer line).

``EanFlow`` is a hidden widget of the screen that starts it: it reads the unit's location-number
state in a worker, asks (the new number's form, or a confirmation), writes through the journal in a
worker at once (these are saved when confirmed, not with the editor's f2) and ends with ``Done``,
which bubbles to its screen with the keys whose display changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget

from sortui.domain.words import plural
from sortui.store import journal
from sortui.store.journal import EditError
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

if TYPE_CHECKING:  # the editing machinery loads with the first edit, not with the main screen
    from sortui.widgets.edit_data import EanInfo


class EanFlow(Widget):
    """Runs the own/inherited lokationsnummer dialogue (not shown)."""

    DEFAULT_CSS = "EanFlow { display: none; }"

    class Loaded(Message):
        def __init__(self, info: EanInfo | None, want: str | None) -> None:
            super().__init__()
            self.info = info
            self.want = want

    class Written(Message):
        def __init__(self, notice: str, severity: str, keys: list[str]) -> None:
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.keys = keys

    class Done(Message):
        """The unit's location-number state changed (``keys``: the SOR-koder and GLNs to show again)."""

        def __init__(self, keys: list[str]) -> None:
            super().__init__()
            self.keys = keys

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.from_date = ""

    def start(self, sor_id: str, from_date: str, want: str | None = None) -> None:
        """Switch ``sor_id`` between own and inherited; ``want`` ("own", "inherited") refuses the other way."""
        self.from_date = from_date
        self._read(sor_id, want)

    @work(thread=True, group="ean-read")
    @reports_errors
    def _read(self, sor_id: str, want: str | None) -> None:
        from sortui.widgets import edit_data

        with self.source.connection() as conn:
            info = edit_data.load_ean_info(conn, sor_id)
        self.post_message(self.Loaded(info, want))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        info = message.info
        if info is None:
            self.notify("The unit is no longer in the working copy", severity="error", markup=False)
        elif info.ean_mode == "own" and message.want == "own":
            self.notify(f"{clean(info.name)} has its own lokationsnummer already: f7 makes it inherit", markup=False)
        elif info.ean_mode != "own" and message.want == "inherited":
            self.notify(f"{clean(info.name)} has no lokationsnummer of its own: f6 gives it one", markup=False)
        elif info.ean_mode == "own":
            self._confirm_inherit(info)
        else:
            self._ask_number(info)

    def _ask_number(self, info: EanInfo) -> None:
        from sortui.screens.edi import NewLocationScreen

        def saved(entry: journal.JournalEntry | None) -> None:
            if entry is not None:
                gln = entry.new_value["location"]["gln"]
                self.notify(f"{clean(info.name)} has its own lokationsnummer {gln}", markup=False)
                self.post_message(self.Done([info.sor_id]))

        self.app.push_screen(NewLocationScreen(self.source, info, self.from_date), saved)

    def _confirm_inherit(self, info: EanInfo) -> None:
        from sortui.screens.confirm import ConfirmScreen

        mode = "none" if info.kind == "IE" else "inherited"
        gln = info.own.gln if info.own else "?"
        body = Text(f"The own lokationsnummer {gln} of {clean(info.name)}")
        body.append(f" and its {plural(info.own_messages, 'message type')} are removed (undo brings them back).\n")
        if mode == "inherited":
            body.append(f"It will receive on its parent's number: {info.parent_gln or 'none'}.")
        else:
            body.append("An owner has no parent: it will have no lokationsnummer.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(info, mode, gln)

        title = "Inherit the parent's lokationsnummer?" if mode == "inherited" else "Remove the lokationsnummer?"
        self.app.push_screen(ConfirmScreen(title, body, "yes"), answered)

    @work(thread=True, group="ean-write")
    @reports_errors
    def _write(self, info: EanInfo, mode: str, gln: str) -> None:
        from sortui.store import edits

        try:
            with self.source.connection() as conn:
                edits.set_ean_mode(conn, info.sor_id, mode)
        except EditError as exc:
            self.post_message(self.Written("Refused: " + "; ".join(p.message for p in exc.problems), "error", []))
            return
        notice = f"{info.name} inherits its parent's lokationsnummer" if mode == "inherited" else "Number removed"
        self.post_message(self.Written(notice, "information", [info.sor_id, gln]))

    @on(Written)
    def _written(self, message: Written) -> None:
        message.stop()
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.keys:
            self.post_message(self.Done(message.keys))
