"""Files in and out of the working copy: ``import`` and ``export``."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from sortui import paths
from sortui.cli.common import EXIT_OK, CliError, err, open_db, progress, safe_line

if TYPE_CHECKING:
    from sortui.store.importer import ImportReport


# store.export's formats, named here so that `import` does not load the exporters to build its parser
# (a test checks that the two agree).
EXPORT_FORMATS = ("xml", "csv", "json", "spreadsheet")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="import register files into the working copy (all or nothing); makes it if there is none",
        description="Import register files into the working copy, all or nothing: on bad input sortui names "
        "the file, line and field, exits 2 and changes nothing. Data of the kinds imported is replaced "
        "(sortui says how much there was before and after); pending edits are applied again on the new data. "
        "While an import runs, edits wait for it or are refused with a message naming it.",
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="SOR XML or zip, sor.csv, SorEntity_daily.csv, SHAKCOMPLETE.TXT, SHAKregion.txt, "
        "location-number/message-type CSV, MedCom catalogue CSV",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="import SOR files that hold no units even though that removes every unit of the working copy",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "export",
        help="export the working copy",
        description="xml: SOR XML; csv: the register's sor.csv, every value as it is (it imports back exactly; "
        "a spreadsheet may run a cell starting with = + - @ as a formula); spreadsheet: sor.csv's columns "
        "for a spreadsheet (UTF-8, a cell that would start a formula gets a leading '), for reading, "
        "not for importing back; json: one object per unit.",
    )
    p.add_argument("--format", choices=EXPORT_FORMATS, required=True)
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
        report = import_files(args.db, args.files, report_progress, allow_empty=args.allow_empty)
    print_import_report(report, args.db)
    return EXIT_OK


def print_import_report(report: ImportReport, db_path: Path) -> None:
    """What an import read (rows, warnings), did with pending edits, replaced and changed (to stderr)."""
    from sortui.widgets.import_text import report_lines

    for line in report_lines(report):
        err.print(line)
    if report.changes.counts:
        err.print(safe_line("`sortui diff --since-snapshot` lists every change (in the app: w, What changed)"))
    err.print(safe_line(f"working copy: {db_path}"))


def cmd_export(args: argparse.Namespace) -> int:
    from sortui.store.export import export

    if args.output.is_dir():
        raise CliError(f"cannot export to {args.output}: it is a directory")
    with closing(open_db(args)) as conn, progress("units") as report:
        try:
            count = export(conn, args.format, args.output, with_pending=args.with_pending, progress=report)
        except ValueError as exc:  # a value the format cannot carry (the writers name unit and field)
            raise CliError(f"cannot export to {args.output}: {exc}") from None
        except OSError as exc:
            raise CliError(f"cannot export to {args.output}: {exc.strerror or exc}") from None
    err.print(safe_line(f"exported {count} entities to {args.output}"))
    return EXIT_OK
