"""The terminal app from the command line: plain ``sortui``, and ``sortui open FILE``.

``open`` inspects a downloaded snapshot offline, read-only, without the working copy: the files
are imported into a working copy in a temporary folder, the app opens that read-only, and the
folder is deleted when the app exits. The user's own working copy is never opened.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sortui import paths
from sortui.cli.common import CliError, existing_working_copy, progress


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "open",
        help="inspect snapshot files offline and read-only (your working copy is not touched)",
        description="Import FILE(s) into a temporary working copy and browse it read-only; "
        "the temporary copy is deleted on exit.",
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="SOR XML or zip, sor.csv, SorEntity CSV, SHAKCOMPLETE.TXT, SHAKregion.txt, location-number CSV",
    )
    p.set_defaults(func=cmd_open)


@contextmanager
def offline_copy(files: Sequence[Path]) -> Iterator[Path]:
    """A read-only-to-be working copy of ``files`` in a temporary folder, removed afterwards."""
    from sortui.store.importer import import_files

    folder = Path(tempfile.mkdtemp(prefix="sortui-open-"))
    try:
        path = folder / "snapshot.sqlite"
        with progress() as report_progress:
            import_files(path, files, report_progress)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cmd_open(args: argparse.Namespace, runner: Callable[[argparse.Namespace], int] | None = None) -> int:
    from sortui.app import run

    names = ", ".join(Path(f).name for f in args.files)
    with offline_copy(args.files) as path:
        app_args = argparse.Namespace(db=path, readonly=True, label=f"{names} (offline)", demo=False)
        return (runner or run)(app_args)


def run_app(args: argparse.Namespace) -> int:
    """Plain ``sortui``: the app on the working copy; before there is one, on the demo's own file.

    A working copy named with --db or $SORTUI_DB must exist: a mistyped name is an error, not a
    new file full of demo data.
    """
    try:
        from sortui.app import run
    except ImportError:
        raise CliError("the terminal app is not available in this build; see `sortui --help`") from None
    if not paths.is_demo(args.db) and (args.db.exists() or args.db_named):
        existing_working_copy(args.db)
        return run(args)
    from sortui.generator.demo import demo_files

    if not demo_files():
        existing_working_copy(args.db)  # no demo in this build: say there is no working copy
    return run(argparse.Namespace(db=paths.demo_db_path(), readonly=args.readonly, demo=True))
