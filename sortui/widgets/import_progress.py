"""An import's (or an export's) progress in the app: what is read, a bar, the rate and the time left.

Fed by the importer's ``progress(label, done, total)`` callback from a thread worker: ``report``
only posts a message (thread-safe), and the widget updates itself on the event loop (``advance``
updates it there directly).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar, Static

from sortui.widgets.safe import clean


class ImportProgress(Vertical):
    DEFAULT_CSS = """
    ImportProgress { height: auto; padding: 1 2; }
    ImportProgress > Static { height: 1; }
    """

    class Advanced(Message):
        def __init__(self, label: str, done: int, total: int) -> None:
            super().__init__()
            self.label, self.done, self.total = label, done, total

    def __init__(self, title: str, unit: str = "bytes", id: str | None = None, started: float | None = None) -> None:
        """``started``: when the work began (``time.monotonic``), if before this widget (the rate is since then)."""
        super().__init__(id=id)
        self.title, self.unit = title, unit
        self._started = time.monotonic() if started is None else started

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title), id="import-progress-title")
        yield ProgressBar(show_eta=True, id="import-progress-bar")
        yield Static(Text(""), id="import-progress-rate")

    def report(self, label: str, done: int, total: int) -> None:
        """The progress callback: may be called from any thread."""
        self.post_message(self.Advanced(label, done, total))

    def on_import_progress_advanced(self, message: Advanced) -> None:
        message.stop()
        self.advance(message)

    def advance(self, message: Advanced) -> None:
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)
        self.query_one("#import-progress-rate", Static).update(self.rate_text(message))

    def rate_text(self, message: Advanced) -> Text:
        elapsed = max(time.monotonic() - self._started, 1e-3)
        rate = message.done / elapsed
        shown = f"{rate / 1e6:,.1f} MB/s" if self.unit == "bytes" else f"{rate:,.0f} {self.unit}/s"
        return Text(f"{clean(Path(message.label).name)}: {shown}")
