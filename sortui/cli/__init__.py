"""The ``sortui`` command: the terminal app by default, and scriptable sub-commands.

Each module of this package adds the sub-commands of one group (``add_parser(subparsers)``; each
parser sets ``func``, a function(args) -> exit code). Exit codes: 0 done, 1 not found, 2 bad input
or usage (``sync``/``login`` have more, see ``cli/sync.py``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text

from sortui import __version__, paths
from sortui.cli.common import EXIT_BAD_INPUT, CliError, err
from sortui.domain.errors import InputError
from sortui.store import db as store_db

# The command groups, in the order --help lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "sortui.cli.files",
    "sortui.cli.updates",
    "sortui.cli.lookup",
    "sortui.cli.edit",
    "sortui.cli.check",
    "sortui.cli.review",
    "sortui.cli.generate",
    "sortui.cli.offline",
    "sortui.cli.sync",
    "sortui.cli.service",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sortui",
        description="Keyboard-first terminal tool for SOR, the Danish health-care organisation register. "
        "Without a command it opens the terminal app on the working copy.",
    )
    parser.add_argument("--version", action="version", version=f"sortui {__version__}")
    parser.add_argument("--db", type=Path, help="working copy (SQLite file); default: $SORTUI_DB or the user data dir")
    parser.add_argument("--readonly", action="store_true", help="never write to the working copy")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None:
        args.db = paths.default_db_path()
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        if func is None:
            from sortui.cli.offline import run_app

            return run_app(args)
        return func(args)
    except InputError as exc:
        err.print(Text(f"sortui: {exc}", style="red"))
        return EXIT_BAD_INPUT
    except (CliError, store_db.WorkingCopyError) as exc:
        err.print(Text(f"sortui: {exc}", style="red"))
        return getattr(exc, "code", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        err.print(Text("sortui: interrupted", style="red"))
        return 130


def entry_point() -> None:
    sys.exit(main())
