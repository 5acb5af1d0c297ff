"""Files in and out of the working copy: ``import`` and ``export``."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path

from sortui import paths
from sortui.cli.common import EXIT_OK, CliError, err, open_db, progress, safe_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="import register files into the working copy (all or nothing); makes it if there is none",
    )
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
    from sortui.generator.demo import holds_demo
    from sortui.store.importer import import_files

    if args.readonly:
        raise CliError("import writes the working copy; drop --readonly")
    if paths.is_demo(args.db) or holds_demo(args.db):
        raise CliError(
            f"{args.db} holds the demo, not your data: import into a working copy of your own "
            "(leave out --db, or name a new file; move a demo an older sortui made away first)"
        )
    with progress() as report_progress:
        report = import_files(args.db, args.files, report_progress)
    for f in report.files:
        err.print(safe_line(f"imported {f.rows} rows ({f.kind}) from {f.path}"))
        for w in f.warnings:
            err.print(safe_line(str(w), style="yellow"))
        if f.warning_count > len(f.warnings):
            err.print(safe_line(f"... and {f.warning_count - len(f.warnings)} more warnings", style="yellow"))
    notes = report.notes
    if notes.reapplied or notes.orphaned:
        orphaned = f"; {notes.orphaned} refer to units no longer there" if notes.orphaned else ""
        err.print(safe_line(f"pending edits applied again on the new data: {notes.reapplied}{orphaned}"))
    err.print(safe_line(f"working copy: {args.db}"))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from sortui.store.export import export

    with closing(open_db(args)) as conn:
        try:
            count = export(conn, args.format, args.output, with_pending=args.with_pending)
        except ValueError as exc:  # a value the format cannot carry (the writers name unit and field)
            raise CliError(f"cannot export to {args.output}: {exc}") from None
    err.print(safe_line(f"exported {count} entities to {args.output}"))
    return EXIT_OK
