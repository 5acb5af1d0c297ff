"""What every command shares: exit codes, the two consoles, errors, opening the working copy.

With ``--json`` only JSON is written to stdout (``print_json``); messages go to stderr (``err``).
Everything printed shows data and never obeys it (``console.SafeConsole``, ``print_styled``,
``print_json``, and ``SafeArgumentParser`` for argparse's own messages): no escape sequence, control character or
bidi control from a unit's name, a file name or a typed argument reaches the terminal raw.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sortui.domain.text import Styled, json_printable, printable
from sortui.store import db as store_db

if TYPE_CHECKING:
    from rich.text import Text

    from sortui.cli.console import SafeConsole

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


class _LazyConsole:
    """``console.SafeConsole``, made when first used: a lookup that prints to a pipe never loads rich."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs, self._made = kwargs, None

    def console(self) -> SafeConsole:
        if self._made is None:
            from sortui.cli.console import SafeConsole

            self._made = SafeConsole(**self._kwargs)
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console(), name)


def safe_line(text: str, style: str = "") -> Text:
    """A line of output: ``text`` with its control characters as symbols, before rich would drop some."""
    from rich.text import Text

    return Text(printable(text), style=style)


def print_styled(text: Styled) -> None:
    """Print ``text`` on stdout, a line at a time: styled on a terminal (unless NO_COLOR or TERM=dumb),
    plain elsewhere (FORCE_COLOR styles it anyway), without loading rich."""
    styled = (sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))) and not (
        os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    )
    lines = text.lines()
    try:
        for line in lines:
            sys.stdout.write((line.ansi() if styled else line.plain) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``| head``): quietly, as rich's console does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


out: Any = _LazyConsole()
err: Any = _LazyConsole(stderr=True)


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
            console=err.console(),
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
