"""An in-app import's box: its progress while it runs, then what it did, or why it was refused.

Esc while it runs hides it (the import goes on, ``I`` shows it again), ``x`` cancels it (nothing is
imported); once it is done the box shows the result until esc closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sortui.screens.text_modal import scroll_bindings
from sortui.widgets.import_progress import ImportProgress
from sortui.widgets.safe import clean


class ImportScreen(ModalScreen[None]):
    HELP_TITLE = "Import"
    HELP = "An import of a file into the working copy: all of it or, on any error, nothing."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Hide (the import goes on) or close", id="import.close"),
        Binding("x", "cancel", "Cancel the import (nothing is imported)", id="import.cancel"),
        *scroll_bindings("import"),
    ]

    def __init__(self, names: str, started: float, cancel: Callable[[], None]) -> None:
        """The import of the files ``names``, begun at ``started`` (``time.monotonic``); ``cancel`` stops it."""
        super().__init__()
        self.stop_import = cancel
        self.progress = ImportProgress(f"Importing {clean(names)}…", id="import-progress", started=started)
        self.done = False
        self.result = Text()  # what the import did, or why it was refused, once it is over

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield self.progress
            yield Static(Text(), id="import-stage")
            with VerticalScroll(id="import-result"):
                yield Static(Text(), id="import-result-body")
            keys = "esc hides this (the import goes on) · x cancels it"
            yield Static(Text(keys, style="dim"), id="import-keys")

    def advance(self, message: ImportProgress.Advanced) -> None:
        """The import's newest progress; once a file is read, that the checks and the rest follow."""
        self.progress.advance(message)
        read = message.total and message.done >= message.total
        stage = f"{clean(Path(message.label).name)} read; checking it and what it changes…" if read else ""
        self.query_one("#import-stage", Static).update(Text(stage, style="dim"))

    def show_result(self, title: str, lines: list[Text], ok: bool) -> None:
        """The import is over: what it did (``ok``) or why nothing was imported."""
        self.done = True
        self.result = Text()
        self.result.append(title + "\n", style="bold" if ok else "bold red")
        self.result.append_text(Text("\n").join(lines))
        self.query_one("#import-result-body", Static).update(self.result)
        self.progress.display = False
        self.query_one("#import-stage").display = False
        self.query_one("#import-result").display = True
        self.query_one("#import-keys", Static).update(Text("esc closes · j/k scroll", style="dim"))

    def action_close(self) -> None:
        self.dismiss()

    def action_cancel(self) -> None:
        if not self.done:
            self.stop_import()

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#import-result", VerticalScroll)
        box.scroll_relative(y=1 if direction == "down" else -1, animate=False)
