"""A full screen list of what the working copy holds, with keys that act on the row under the cursor.

Shared by the pending changes and the conflicts. The rows are read in a thread worker
(``read``) and shown when ``Loaded`` comes back (``show``). A write reports with ``Done``:
a notice, and the keys it changed; when it changed any, ``on_change`` hears of them and the
list is read again. Enter answers the SOR-kode of the row's unit, esc answers None.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static

from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Badges

OnChange = Callable[[list[str]], None]
DataT = TypeVar("DataT")
RowT = TypeVar("RowT")


class ListScreen(Screen[str | None], Generic[DataT, RowT]):
    """Answers a SOR-kode to go to (enter), or None. Subclasses say what to read, how to show it, whose row is whose."""

    NAME: ClassVar[str]  # the ids of the parts: "<NAME>-title", "<NAME>-list"
    HEADING: ClassVar[str]
    LIST: ClassVar[type[OptionList]]
    READONLY_NOTICE: ClassVar[str]  # why the keys that write do nothing in read-only mode

    class Loaded(Message):
        def __init__(self, data: Any) -> None:
            super().__init__()
            self.data = data

    class Done(Message):
        """A write finished: a notice, and the keys it changed (none: nothing changed)."""

        def __init__(self, notice: str, severity: str, keys: list[str]) -> None:
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.keys = keys

    def __init__(self, source: Source, on_change: OnChange) -> None:
        super().__init__()
        self.source = source
        self.on_change = on_change
        self.rows: list[RowT] = []  # one a line of the list

    def compose(self) -> ComposeResult:
        yield Static(Text(self.HEADING, style="bold"), id=f"{self.NAME}-title")
        yield self.LIST(id=f"{self.NAME}-list")
        yield Footer(compact=True)
        yield Badges()

    @property
    def listing(self) -> OptionList:
        return self.query_one(self.LIST)

    def on_mount(self) -> None:
        self.listing.focus()
        self.load()

    @work(thread=True, exclusive=True, group="list-load")
    @reports_errors
    def load(self) -> None:
        with self.source.connection() as conn:
            data = self.read(conn)
        self.post_message(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.show(message.data)

    def show_title(self, detail: Text | str) -> None:
        """The title line: the heading, then ``detail``."""
        self.query_one(f"#{self.NAME}-title", Static).update(Text.assemble((self.HEADING, "bold"), "  ", detail))

    def current(self) -> RowT | None:
        index = self.listing.highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = self.current()
        sor_id = self.sor_id_of(row) if row is not None else None
        if sor_id:
            self.dismiss(sor_id)

    def refuse_readonly(self) -> bool:
        """True (and a warning) when the working copy is read-only."""
        if self.source.readonly:
            self.notify(self.READONLY_NOTICE, severity="warning", markup=False)
        return self.source.readonly

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.keys:
            self.on_change(message.keys)
            self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- what subclasses say --------------------------------------------------------------

    def read(self, conn: sqlite3.Connection) -> DataT:
        """What the list shows, read from the working copy (runs in a thread worker)."""
        raise NotImplementedError

    def show(self, data: DataT) -> None:
        """Fill the list and ``rows`` from ``data``, and the title."""
        raise NotImplementedError

    def sor_id_of(self, row: RowT) -> str | None:
        """The unit enter goes to from ``row`` (None: nowhere)."""
        raise NotImplementedError
