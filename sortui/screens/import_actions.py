"""Importing a file from the app (``I``): the path prompt, the import in a thread worker with its
progress, and the result; the same all-or-nothing import as ``sortui import`` (``store.importer``).

A controller of the main screen (``screens.controller``). On bad input nothing is imported, the
working copy is as it was, and the box says where the file is wrong (file, line, field); after an
import the tree, the SHAK navigator and the status bar are read again, the cursor kept where it was.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message

from sortui.domain.errors import InputError
from sortui.paths import is_demo
from sortui.screens.controller import Controller
from sortui.store.db import WorkingCopyBusy, WorkingCopyError
from sortui.widgets.import_progress import ImportProgress
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

if TYPE_CHECKING:
    from sortui.screens.import_screen import ImportScreen
    from sortui.store.importer import ImportReport


NOTICE_LINES = 8  # of what an import did, in the notice when its box was hidden


class Cancelled(Exception):
    """Raised in the import's progress callback when the user cancelled: the import rolls back."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Why nothing was imported."""

    title: str
    message: str


class ImportActions(Controller):
    """Runs in-app imports for the main screen, one at a time."""

    class Done(Message):
        def __init__(self, paths: list[Path], outcome: ImportReport | Refused) -> None:
            super().__init__()
            self.paths = paths
            self.outcome = outcome

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.running: list[Path] = []  # the files being imported
        self.started = 0.0
        self.box: ImportScreen | None = None  # the import's box while it is shown
        self.last: ImportProgress.Advanced | None = None  # the newest progress (for a box shown again)
        self.folder: str | None = None  # where the last file imported came from (the next prompt starts there)
        self.cancelled = threading.Event()  # set by the box's cancel key; the import's next progress stops it

    def run(self) -> None:
        """``I``: ask for a file and import it (or show the running import's progress again)."""
        from sortui.screens.path_prompt import PathPrompt

        if self.running:
            self._show_box()
            return
        refusal = self._refusal()
        if refusal:
            self.notify(refusal, title="Import", severity="warning", timeout=10, markup=False)
            return

        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self.start(paths)

        cwd = Path.cwd()
        start = self.folder or _folder_text(cwd)
        self.app.push_screen(PathPrompt("Import files into the working copy", start, cwd), chosen)

    def _refusal(self) -> str | None:
        if self.source.readonly:
            return "Read-only: import is not possible in read-only mode"
        if getattr(self.app, "demo", False) or is_demo(self.source.path):
            return (
                "This is the demo, not your data: import into a working copy of your own "
                "(`sortui import FILE` in a shell makes one; `sortui` then opens it)"
            )
        return None

    def start(self, paths: list[Path]) -> None:
        """Import ``paths`` (existing files) together in a worker, all or nothing, its progress shown."""
        self.running, self.started, self.last = paths, time.monotonic(), None
        self.cancelled.clear()
        self.folder = _folder_text(paths[-1].parent)
        self._show_box()
        self._import(paths)

    def _show_box(self) -> None:
        from sortui.screens.import_screen import ImportScreen

        assert self.running
        if self._box_shown():
            return
        self.box = ImportScreen(_names(self.running), self.started, self.cancel)
        self.app.push_screen(self.box, self._box_closed)
        if self.last is not None:
            self.call_after_refresh(self._advance, self.last)

    def in_progress(self) -> Text | None:
        """What quitting now would stop, in a sentence (the app's quit asks first); None when nothing."""
        if not self.running:
            return None
        return Text(f"An import of {_names(self.running)} is running: quitting cancels it (nothing is imported).")

    def on_unmount(self) -> None:
        self.cancelled.set()  # quitting: the import stops at its next step instead of keeping the process

    def cancel(self) -> None:
        """Stop the running import at its next step (a SOR file's next batch); nothing is imported.
        An import that gets to its end first is committed, and says so."""
        self.cancelled.set()
        self.notify("Cancelling the import…", markup=False, timeout=3)

    def _box_shown(self) -> bool:
        return self.box is not None and self.box in self.app.screen_stack

    def _box_closed(self, _: None) -> None:
        self.box = None
        if self.running:
            self.notify("The import goes on; I shows its progress again", markup=False, timeout=4)

    @work(thread=True, exclusive=True, group="import")
    def _import(self, paths: list[Path]) -> None:
        from sortui.store.importer import import_files

        def report(label: str, done: int, total: int) -> None:
            if self.cancelled.is_set():
                raise Cancelled
            self.post_message(ImportProgress.Advanced(label, done, total))

        try:
            outcome: ImportReport | Refused = import_files(self.source.path, paths, report)
        except Cancelled:
            outcome = Refused("Not imported: cancelled", "The import was cancelled before it committed.")
        except InputError as exc:
            outcome = Refused("Not imported: the file is refused", str(exc))
        except WorkingCopyBusy as exc:
            outcome = Refused("Not imported: the working copy is busy", str(exc))
        except WorkingCopyError as exc:
            outcome = Refused("Not imported", str(exc))
        except (sqlite3.Error, OSError) as exc:
            outcome = Refused("Not imported: writing the working copy failed", str(exc))
        self.post_message(self.Done(paths, outcome))

    @on(ImportProgress.Advanced)
    def _progress(self, message: ImportProgress.Advanced) -> None:
        message.stop()
        self.last = message
        self._advance(message)

    def _advance(self, message: ImportProgress.Advanced) -> None:
        if self.box is not None and self._box_shown():
            self.box.advance(message)

    @on(Done)
    def _done(self, message: Done) -> None:
        from sortui.widgets.import_text import report_lines

        message.stop()
        self.running = []
        outcome = message.outcome
        if isinstance(outcome, Refused):
            title = outcome.title
            lines = [Text(clean(outcome.message)), Text("The working copy is as it was.")]
        else:
            title = f"Imported {_names(message.paths)}"
            if self.cancelled.is_set():
                title += " (it was done before it could be cancelled)"
            lines = [*report_lines(outcome)]
            if outcome.changes.counts:
                lines.append(Text("w lists every change (What changed)"))
            self._reload()
        if self.box is not None and self._box_shown():
            self.box.show_result(title, lines, ok=not isinstance(outcome, Refused))
        else:  # the box was hidden: a notice, as long as a notice can be
            severity = "error" if isinstance(outcome, Refused) else "information"
            shown = [line.plain for line in lines[:NOTICE_LINES]]
            if len(lines) > NOTICE_LINES:
                shown.append(f"… and {len(lines) - NOTICE_LINES} more lines")
            self.notify("\n".join(shown), title=title, severity=severity, timeout=15, markup=False)

    def _reload(self) -> None:
        """Read the new data; the cursor stays on its unit (or the nearest one still there)."""
        main = self.main
        item = main.tree.cursor_item()
        main.reload()
        if item is not None and item.sor_id:
            main.jump_to(item.sor_id, force=False)


def _names(paths: list[Path]) -> str:
    return ", ".join(clean(p.name) for p in paths)


def _folder_text(folder: Path) -> str:
    """A folder as the prompt starts with it: its path and a ``/`` (the files in it are listed at once)."""
    text = str(folder)
    return text if text.endswith("/") else text + "/"
