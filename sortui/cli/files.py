"""Files in and out of the working copy: ``import`` and ``export``."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from sortui.cli.common import EXIT_OK, CliError, err, open_db, progress

if TYPE_CHECKING:
    from sortui.store.importer import ImportReport


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="import register files into the working copy (all or nothing)")
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="SOR XML or zip, sor.csv, SorEntity_daily.csv, SHAKCOMPLETE.TXT, SHAKregion.txt, "
        "location-number/message-type CSV, MedCom catalogue CSV",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the working copy")
    p.add_argument("--format", choices=("xml", "csv", "json"), required=True)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.add_argument("--with-pending", action="store_true", help="include pending edits from the journal")
    p.set_defaults(func=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    from sortui.store.importer import import_files

    if args.readonly:
        raise CliError("import writes the working copy; drop --readonly")
    with progress() as report_progress:
        report = import_files(args.db, args.files, report_progress)
    print_import_report(report, args.db)
    return EXIT_OK


def print_import_report(report: ImportReport, db_path: Path) -> None:
    """What an import read (rows, warnings), did with pending edits, and changed (to stderr)."""
    from sortui.cli.updates import summary_lines

    for f in report.files:
        err.print(Text(f"imported {f.rows} rows ({f.kind}) from {f.path}"))
        for w in f.warnings:
            err.print(Text(str(w), style="yellow"))
        if f.warning_count > len(f.warnings):
            err.print(Text(f"... and {f.warning_count - len(f.warnings)} more warnings", style="yellow"))
    notes = report.notes
    if notes.reapplied or notes.orphaned:
        orphaned = f"; {notes.orphaned} refer to units no longer there" if notes.orphaned else ""
        err.print(Text(f"pending edits applied again on the new data: {notes.reapplied}{orphaned}"))
    for line in summary_lines(report.changes):
        err.print(line)
    if report.changes.counts:
        err.print(Text("`sortui diff --since-snapshot` lists every change (in the app: w, What changed)"))
    err.print(Text(f"working copy: {db_path}"))


def cmd_export(args: argparse.Namespace) -> int:
    from sortui.store.export import export

    with closing(open_db(args)) as conn:
        try:
            count = export(conn, args.format, args.output, with_pending=args.with_pending)
        except ValueError as exc:  # a value the format cannot carry (the writers name unit and field)
            raise CliError(f"cannot export to {args.output}: {exc}") from None
    err.print(Text(f"exported {count} entities to {args.output}"))
    return EXIT_OK
