"""Export from the app (ctrl+e): the marked units, or the subtree under the cursor, to a file.

A controller of the main screen (``screens.controller``): a format picker (the formats of
``sortui export``), a path prompt with a name in the current folder, a question before a file is
overwritten, then ``store.export.export_units`` in a thread worker, with a progress bar when it lasts
over a second, and a notice saying where the file went and how many units it holds. The file holds
what the app shows: pending edits included.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message

from sortui.domain.words import plural
from sortui.screens.controller import Controller
from sortui.widgets.import_progress import ImportProgress
from sortui.widgets.marks import marked_words
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

if TYPE_CHECKING:  # the writers load with the first export, not with the app
    from sortui.store.export import Exported, Selection

FORMATS = (  # (format, file name ending, label, what it is): those of `sortui export`
    ("xml", "xml", "SOR XML", "as sor.xml; with the units above, which the file nests them in"),
    ("csv", "csv", "sor.csv", "the register's CSV, every value as it is: imports back"),
    ("spreadsheet", "csv", "CSV for a spreadsheet", "UTF-8, no cell runs as a formula: for reading"),
    ("json", "json", "JSON", "one object per unit"),
)
ENDINGS = {fmt: ending for fmt, ending, _, _ in FORMATS}
PROGRESS_AFTER = 1.0  # seconds: a shorter export shows no bar


@dataclass(frozen=True, slots=True)
class Job:
    """One export: what (``selection``, said as ``words``), how and where."""

    selection: Selection
    words: str  # "the 3 marked units", "the subtree under Region Test"
    stem: str  # the default file name's start
    fmt: str = ""
    path: Path | None = None


def default_path(job: Job, view_date: str, folder: Path) -> Path:
    """``sor-<what>-<date>.<ending>`` in ``folder`` (``-spreadsheet`` for the spreadsheet CSV)."""
    kind = "-spreadsheet" if job.fmt == "spreadsheet" else ""
    return folder / f"sor-{job.stem}-{view_date}{kind}.{ENDINGS[job.fmt]}"


def path_problem(typed: str, working_copy: Path) -> str | None:
    """Why a file cannot be written at ``typed`` (None: it can, perhaps over a file that is there):
    never over the working copy or the files SQLite keeps beside it."""
    if not typed:
        return "type the file to write"
    path = Path(typed).expanduser()
    if path.is_dir():
        return f"{typed} is a folder: type a file name"
    wc = working_copy.resolve()
    if path.resolve().parent == wc.parent and path.name.startswith(wc.name):
        return f"{typed} is the working copy (or one of its files): type another name"
    folder = path.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in {folder}: permission denied"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{typed} exists and cannot be written: permission denied"
    return None


class ExportActions(Controller):
    """Runs the export flow for the main screen."""

    class Done(Message):
        def __init__(self, job: Job, exported: Exported | None, problem: str | None = None) -> None:
            super().__init__()
            self.job = job
            self.exported = exported
            self.problem = problem

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.progress: ImportProgress | None = None
        self.job: Job | None = None  # the export running

    def run(self) -> None:
        """Start with the marked units, or the subtree under the tree's cursor when none is marked."""
        from sortui.store.export import Selection

        if self.job is not None:
            self.notify("An export is running: wait for it to finish", severity="warning", markup=False)
            return
        marks = self.main.marks.ids()
        if marks:
            job = Job(Selection(tuple(marks)), marked_words(len(marks)), "marked")
        else:
            item = self.main.tree.cursor_item()
            if item is None or item.sor_id is None or item.node is None:
                self.notify("No unit under the cursor: move to a unit, or mark units (space)", severity="warning")
                return
            job = Job(Selection((item.sor_id,), subtrees=True), f"the subtree under {item.node.name}", item.sor_id)
        self._pick_format(job)

    def _pick_format(self, job: Job) -> None:
        from sortui.widgets.edit_data import Choice
        from sortui.widgets.picker import PickerScreen

        choices = [Choice(fmt, label, detail) for fmt, _, label, detail in FORMATS]

        def picked(fmt: str | None) -> None:
            if fmt:
                self._ask_path(replace(job, fmt=fmt))

        title = f"Export {clean(job.words)}: format"
        self.app.push_screen(PickerScreen(title, choices, filterable=False), picked)

    def _ask_path(self, job: Job) -> None:
        from sortui.screens.prompts import PromptScreen

        default = default_path(job, self.main.view_date, Path.cwd())

        def typed(value: str | None) -> None:
            if value:
                self._confirm(replace(job, path=Path(value).expanduser().absolute()))

        hint = f"The file to write {clean(job.words)} to (as the app shows them: pending edits included)"
        check = lambda value: path_problem(value, self.source.path)  # noqa: E731
        self.app.push_screen(PromptScreen(f"Export {clean(job.words)} to", hint, str(default), check), typed)

    def _confirm(self, job: Job) -> None:
        from sortui.screens.confirm import ConfirmScreen

        assert job.path is not None
        if not job.path.exists():
            self._start(job)
            return
        body = Text(f"{clean(str(job.path))} exists. Write {clean(job.words)} over it?")
        answered = lambda yes: self._start(job) if yes else None  # noqa: E731
        self.app.push_screen(ConfirmScreen("Overwrite the file?", body, "overwrite"), answered)

    def _start(self, job: Job) -> None:
        self.job = job
        self.notify(f"Exporting {clean(job.words)} to {clean(str(job.path))}…", markup=False, timeout=3)
        self.set_timer(PROGRESS_AFTER, lambda: self._show_progress(job))
        self._export(job)

    def _show_progress(self, job: Job) -> None:
        if self.job is job and self.progress is None:
            self.progress = ImportProgress(f"Exporting {clean(job.words)}", unit="units", id="export-progress")
            self.screen.mount(self.progress)

    @work(thread=True, group="export")
    def _export(self, job: Job) -> None:
        from sortui.store.export import export_units

        assert job.path is not None
        try:
            with self.source.connection() as conn:
                done = export_units(conn, job.fmt, job.path, job.selection, True, self._report)
        except ValueError as exc:  # a value the format cannot carry (the writers name unit and field)
            self.post_message(self.Done(job, None, str(exc)))
        except OSError as exc:
            self.post_message(self.Done(job, None, exc.strerror or str(exc)))
        except sqlite3.Error as exc:
            self.post_message(self.Done(job, None, f"the working copy cannot be read: {exc}"))
        else:
            self.post_message(self.Done(job, done))

    def _report(self, label: str, done: int, total: int) -> None:
        """The export's progress callback (in the worker): the bar, once it is shown, follows it."""
        self.post_message(ImportProgress.Advanced(label, done, total))

    @on(ImportProgress.Advanced)
    def _advanced(self, message: ImportProgress.Advanced) -> None:
        message.stop()
        if self.progress is not None and self.progress.is_attached:
            self.progress.post_message(ImportProgress.Advanced(message.label, message.done, message.total))

    @on(Done)
    def _done(self, message: Done) -> None:
        message.stop()
        self.job = None
        if self.progress is not None:
            self.progress.remove()
            self.progress = None
        job, done = message.job, message.exported
        where = clean(str(job.path))
        if done is None:
            self.notify(f"Not exported to {where}: {clean(message.problem or '')}", severity="error", markup=False)
            return
        above = f" (and the {plural(done.above, 'unit')} above them, which SOR XML nests them in)" if done.above else ""
        self.notify(f"Exported {plural(done.units, 'unit')}{above} to {where}", markup=False, timeout=8)
