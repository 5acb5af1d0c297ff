"""What every command shares: exit codes, the two consoles, errors, opening the working copy.

With ``--json`` only JSON is written to stdout (``print_json``); messages go to stderr (``err``).
Everything printed shows data and never obeys it (``SafeConsole``, ``print_json``, and
``SafeArgumentParser`` for argparse's own messages): no escape sequence, control character or
bidi control from a unit's name, a file name or a typed argument reaches the terminal raw.
"""

from __future__ import annotations

import argparse
import functools
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from sortui.domain.text import json_printable, printable
from sortui.store import db as store_db
from sortui.widgets.safe import safe_text

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


class SafeConsole(Console):
    """A rich console that prints data as text: no markup, no emoji codes, no control characters.

    Each ``str`` or ``Text`` printed is one line: its control characters, line feeds included, are
    shown as symbols (``domain.text.printable``; multi-line output is printed a line at a time).
    Under that, every segment of text rendered by any means (tables, progress bars) is made
    printable too, keeping only its line breaks, so nothing printed can carry an escape sequence.
    Rich's own control codes (styles, cursor moves) are not text and pass.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(highlight=False, soft_wrap=True, markup=False, emoji=False, **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_one_line(o) for o in objects), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(printable(segment.text, keep_newlines=True), segment.style)


def _one_line(value: object) -> object:
    if isinstance(value, Text):
        return safe_text(value, keep_newlines=False)
    if isinstance(value, str):
        return Text(printable(value))
    return value


def safe_line(text: str, style: str = "") -> Text:
    """A line of output: ``text`` with its control characters as symbols, before rich would drop some."""
    return Text(printable(text), style=style)


def print_lines(console: Console, text: Text) -> None:
    """Print a multi-line ``text`` (its data made printable already) a line at a time."""
    for line in text.split("\n"):
        console.print(line)


out = SafeConsole()
err = SafeConsole(stderr=True)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def iso_date(text: str) -> str:
    """An argparse type: a date as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def print_json(data: object) -> None:
    """``data`` as JSON on stdout; what a terminal would obey is escaped (``\\u009b``), not dropped."""
    sys.stdout.write(json_printable(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")


MAKE_ONE = "make one with `sortui import FILE...` (or `sortui login URL --create`, then `sortui sync`)"


def existing_working_copy(path: Path) -> Path:
    """``path`` if a working copy is there; else a CliError saying so and how to make one.

    Only ``import`` (and ``login --create``) make a working copy: a mistyped ``--db`` never
    leaves a new file behind.
    """
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a working copy (--db names the SQLite file)")
    if not path.exists():
        raise CliError(f"no working copy at {path}: {MAKE_ONE}", EXIT_NOT_FOUND)
    if path.stat().st_size == 0:
        raise CliError(f"{path} is an empty file, not a working copy: {MAKE_ONE}", EXIT_NOT_FOUND)
    return path


def open_db(args: argparse.Namespace, readonly: bool | None = None) -> sqlite3.Connection:
    """The working copy for reading (read-only with --readonly or ``readonly``): it must exist."""
    path = existing_working_copy(args.db)
    return store_db.open_working_copy(path, readonly=args.readonly if readonly is None else readonly)


def writable(args: argparse.Namespace, create: bool = False) -> sqlite3.Connection:
    """The working copy for a command that writes it: it must exist (unless ``create``); --readonly refuses."""
    if args.readonly:
        raise CliError("this command writes the working copy; drop --readonly")
    if not (create and not args.db.exists()):
        existing_working_copy(args.db)
    return store_db.open_working_copy(args.db)


class progress:
    """A rich progress bar with rate and time left on a terminal, once a run has lasted a second
    (``unit``: what ``done`` and ``total`` count, "bytes" or "units"); nothing when stderr is not a terminal."""

    DELAY_S = 1.0  # a run shorter than this shows no bar

    def __init__(self, unit: str = "bytes") -> None:
        self.unit = unit

    def __enter__(self) -> Callable[[str, int, int], None] | None:
        self._bar: Any = None
        if not err.is_terminal:
            return None
        self._started = time.monotonic()
        self._tasks: dict[str, int] = {}
        return self.update

    def _start(self) -> Any:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        if self.unit == "bytes":
            amount: tuple[Any, ...] = (DownloadColumn(), TransferSpeedColumn())
        else:
            amount = (MofNCompleteColumn(), TextColumn(f"{{task.fields[rate]}} {self.unit}/s", markup=False))
        bar = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            *amount,
            TextColumn("left", markup=False),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        bar.start()
        return bar

    def update(self, label: str, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._started < self.DELAY_S:
                return
            self._bar = self._start()
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(printable(Path(label).name), total=total, rate="–")
        task = self._tasks[label]
        self._bar.update(task, completed=done, total=total)
        speed = next(t.speed for t in self._bar.tasks if t.id == task)
        self._bar.update(task, rate=f"{speed:,.0f}" if speed else "–")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def service_errors(func: Command) -> Command:
    """Turn the errors of sync and of the service's set-up into CLI errors with their exit codes."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from sortui.server.loader import LoadError
        from sortui.server.users import UserError
        from sortui.sync.client import ServiceRefused, SyncError
        from sortui.sync.conflicts import ResolveError

        try:
            return func(args)
        except SyncError as exc:
            signed_out = isinstance(exc, ServiceRefused) and exc.status == 401 and exc.code != "bad_credentials"
            hint = " (run `sortui login URL` again, or use --password-stdin)" if signed_out else ""
            raise CliError(exc.message + hint, exc.exit_code) from None
        except (LoadError, UserError, ResolveError) as exc:
            raise CliError(str(exc), EXIT_BAD_INPUT) from None

    return run
