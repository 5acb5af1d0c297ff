"""The ``sortui`` command: the terminal app by default, and scriptable sub-commands.

Each module of this package adds the sub-commands of one group (``add_parser(subparsers)``; each
parser sets ``func``, a function(args) -> exit code). Exit codes: 0 done, 1 not found, 2 bad input
or usage (``sync``/``login`` have more, see ``cli/sync.py``).
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sortui import __version__, paths
from sortui.cli.common import EXIT_BAD_INPUT, CliError, err, safe_line
from sortui.domain.errors import InputError
from sortui.domain.text import codepoint, is_surrogate, printable
from sortui.store import db as store_db
from sortui.store import workfiles

# Each command and the module that defines it, the groups in the order --help lists them. A command
# run loads only its own module, the app (no command) none; --help, and anything that is not a
# command, load them all.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(("import", "export"), "sortui.cli.files"),
    **dict.fromkeys(("diff", "update"), "sortui.cli.updates"),
    **dict.fromkeys(("show", "search", "stats", "shak", "locate"), "sortui.cli.lookup"),
    "codes": "sortui.cli.codes",
    **dict.fromkeys(("set", "edi", "changes"), "sortui.cli.edit"),
    "check": "sortui.cli.check",
    "review": "sortui.cli.review",
    "generate": "sortui.cli.generate",
    "open": "sortui.cli.offline",
    **dict.fromkeys(("login", "logout", "sync", "conflicts", "resolve"), "sortui.cli.sync"),
    "status": "sortui.cli.status",
    **dict.fromkeys(("serve", "server"), "sortui.cli.service"),
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))
APP = ""  # what ``_command_of`` says of a start of the app


class SafeArgumentParser(argparse.ArgumentParser):
    """argparse's usage errors quote what was typed: printed with control characters made visible."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:  # one line ("sortui: error: ..."), whatever the quoted argument holds
            message = printable(message.removesuffix("\n")) + "\n"
        super().exit(status, message)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of those of ``command``'s module, or (``APP``) of none
    (a command's own parser, and the global options', are the same either way)."""
    parser = SafeArgumentParser(
        prog="sortui",
        description="Keyboard-first terminal tool for SOR, the Danish health-care organisation register. "
        "Without a command it opens the terminal app on the working copy; before there is one (on a new "
        "machine), on the demo, a made-up extract of the register in a file of its own. Only `import` "
        "makes a working copy.",
    )
    parser.add_argument("--version", action="version", version=f"sortui {__version__}")
    parser.add_argument(
        "--db",
        type=Path,
        help="working copy (SQLite file); default: $SORTUI_DB or working-copy.sqlite in the user data dir",
    )
    parser.add_argument("--readonly", action="store_true", help="never write to the working copy")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = (COMMANDS[command],) if command in COMMANDS else () if command == APP else COMMAND_MODULES
    for module in modules:
        importlib.import_module(module).add_parser(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (the first word after the global options); ``APP`` when it names
    none and asks for no help (``-h`` or ``--help``, which argparse takes as short as ``--h``)."""
    words = iter(argv)
    for word in words:
        if word == "--db":
            next(words, None)
        elif word == "-h" or (len(word) > 2 and "--help".startswith(word)):
            return None
        elif not word.startswith("-"):
            return word
    return APP


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    args.db_named = args.db is not None or paths.env_db_path() is not None  # not the default: never the demo
    if args.db is None:
        args.db = paths.default_db_path()
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        _refuse_undecodable(args)
        _remove_leftovers(args.db)
        if func is None:
            from sortui.cli.offline import run_app

            return run_app(args)
        return func(args)
    except InputError as exc:
        err.print(safe_line(f"sortui: {exc}", style="red"))
        return EXIT_BAD_INPUT
    except (CliError, store_db.WorkingCopyError) as exc:
        err.print(safe_line(f"sortui: {exc}", style="red"))
        return getattr(exc, "code", EXIT_BAD_INPUT)
    except sqlite3.Error as exc:  # a damaged working copy, a lock held too long (by an import, say)
        message = store_db.busy_message_for(args.db) if store_db.is_busy(exc) else f"{args.db}: {exc}"
        err.print(safe_line(f"sortui: {message}", style="red"))
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file that cannot be read or written: its name and why
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(safe_line(f"sortui: {where}{exc.strerror or exc}", style="red"))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print(safe_line("sortui: interrupted", style="red"))
        return 130


def _refuse_undecodable(args: argparse.Namespace) -> None:
    """A text argument holding bytes that are not UTF-8 (Python keeps them as lone surrogates) is
    refused before anything reads it. File names are left alone: they may be any bytes."""
    for value in vars(args).values():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (bad := next((c for c in text if is_surrogate(c)), None)):
                shown = text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                raise CliError(
                    f"{shown}: holds bytes that are not UTF-8 ({codepoint(bad)}); arguments must be UTF-8 text"
                )


def _remove_leftovers(db: Path) -> None:
    """Remove what imports into the working copy left behind when their process was killed."""
    try:
        removed = workfiles.remove_stale(db)
    except OSError:
        return
    if removed:
        names = ", ".join(p.name for p in removed[:3]) + (", …" if len(removed) > 3 else "")
        err.print(safe_line(f"removed {len(removed)} file(s) an interrupted import left behind ({names})"))


def entry_point() -> None:
    sys.exit(main())
