"""What every command shares: exit codes, the two consoles, errors, opening the working copy.

With ``--json`` only JSON is written to stdout (``print_json``); messages go to stderr (``err``).
"""

from __future__ import annotations

import argparse
import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.console import Console

from sortui.store import db as store_db

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT = 0, 1, 2

Command = Callable[[argparse.Namespace], int]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def open_db(args: argparse.Namespace) -> sqlite3.Connection:
    """The working copy for reading: it must exist (a query never creates one)."""
    path: Path = args.db
    if not path.exists():
        raise CliError(f"no working copy at {path}; run `sortui import FILE` first", EXIT_NOT_FOUND)
    return store_db.open_working_copy(path, readonly=args.readonly)


def writable(args: argparse.Namespace) -> sqlite3.Connection:
    """The working copy for a command that writes it: it must exist, and --readonly refuses."""
    if args.readonly:
        raise CliError("this command writes the working copy; drop --readonly")
    if not args.db.exists():
        raise CliError(f"no working copy at {args.db}; run `sortui import FILE` first", EXIT_NOT_FOUND)
    return store_db.open_working_copy(args.db)


class progress:
    """A rich progress bar on a terminal; nothing when stderr is not a terminal."""

    def __enter__(self) -> Callable[[str, int, int], None] | None:
        if not err.is_terminal:
            self._bar = None
            return None
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._bar.start()
        self._tasks: dict[str, int] = {}
        return self.update

    def update(self, label: str, done: int, total: int) -> None:
        assert self._bar is not None
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(Path(label).name, total=total)
        self._bar.update(self._tasks[label], completed=done, total=total)

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
