"""What changed: ``diff`` (two snapshots, or the last import) and ``update`` (fetch and import a download)."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from sortui.cli.common import EXIT_BAD_INPUT, EXIT_OK, CliError, err, progress, service_errors

if TYPE_CHECKING:
    from sortui.store.diff_files import Side
    from sortui.sync.download import Fetched

DIFF_HELP = (
    "Lists what changed from OLD to NEW, unit by unit: units, lokationsnumre (GLN) and their message "
    "types, and SHAK-koder added, removed, closed (Gyldig til set), reopened, moved (a new parent or owner) and "
    "changed (each field, old → new). OLD and NEW are any files `import` reads, a folder of them, or several "
    "joined with commas; each kind of data is compared when both sides have it. --since-snapshot lists what "
    "the last import (or update) changed in the working copy instead: its previous snapshot against the "
    "current one (pending edits are on both sides, so they are not listed)."
)
DIFF_EXIT = "Exit codes (as diff(1)): 0 no changes; 1 changes listed; 2 bad input or usage."
UPDATE_HELP = (
    "Fetches the register's download files, from URL or from the central service this working copy "
    "syncs with (its /files/sor.zip, SHAKCOMPLETE.TXT and LocationsCodeEDITypeMap.csv), with a "
    "conditional GET: a file that is not modified changes nothing. What is new is imported as one "
    "snapshot, all or nothing; pending edits are applied again on it; the summary of what changed is "
    "printed (`sortui diff --since-snapshot` lists every change). A download that breaks off is resumed "
    "by running `update` again."
)
UPDATE_EXIT = (
    "Exit codes: 0 done (or nothing changed); 2 bad input (a URL the server refuses, a file that is not "
    "the register's); 3 the server is unreachable or the download broke off (nothing was imported)."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        help="what changed between two snapshots (files, or the last import)",
        usage="sortui diff OLD NEW [--json | --csv]\n       sortui [--db PATH] diff --since-snapshot [--json | --csv]",
        description=DIFF_HELP,
        epilog=DIFF_EXIT,
    )
    p.add_argument("sides", nargs="*", metavar="OLD NEW", help="the old and the new file, folder or FILE,FILE...")
    p.add_argument("--since-snapshot", action="store_true", help="what the last import changed in the working copy")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="one JSON object per change (a JSON array) on stdout")
    how.add_argument("--csv", action="store_true", help="one CSV row per changed field (;-separated) on stdout")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "update", help="fetch the register's download and import it", description=UPDATE_HELP, epilog=UPDATE_EXIT
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="download addresses (default: the service's files)")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    p.set_defaults(func=cmd_update)


# -- diff ----------------------------------------------------------------------------------------------


def _side(text: str) -> list[Path]:
    """A side as typed: a file or folder, or several joined with commas (unless that names a file)."""
    if Path(text).exists() or "," not in text:
        return [Path(text)]
    return [Path(part) for part in text.split(",") if part]


def cmd_diff(args: argparse.Namespace) -> int:
    if args.since_snapshot:
        if args.sides:
            raise CliError("--since-snapshot compares the working copy's snapshots: give no OLD and NEW")
        return _diff_last_import(args)
    if len(args.sides) != 2:
        raise CliError("give OLD and NEW (files, folders or FILE,FILE...), or --since-snapshot")
    from rich.text import Text

    from sortui.cli.changes_output import print_changes
    from sortui.store.diff_files import diff_files

    with progress() as report, diff_files(_side(args.sides[0]), _side(args.sides[1]), report) as result:
        for note in [*result.old.notes, *result.new.notes]:
            err.print(Text(note, style="yellow"))
        header = [
            Text(f"OLD: {_side_text(result.old)}"),
            Text(f"NEW: {_side_text(result.new)}"),
        ]
        return print_changes(args, result.conn, result.summary, header, "diff")


def _side_text(side: Side) -> str:
    names = ", ".join(str(f.path) for f in side.files)
    return f"{names} (snapshot {side.snapshot_date})" if side.snapshot_date else names


def _diff_last_import(args: argparse.Namespace) -> int:
    from rich.text import Text

    from sortui.cli.changes_output import print_changes
    from sortui.cli.common import open_db
    from sortui.store.diff import change_counts, last_import

    with closing(open_db(args)) as conn:
        found = last_import(conn)
        if found is None:
            raise CliError("no import has been recorded in this working copy yet", EXIT_BAD_INPUT)
        stamp, summary = found
        summary.counts = change_counts(conn)
        return print_changes(args, conn, summary, [Text(f"The last import, {stamp}:")], "import")


# -- update ----------------------------------------------------------------------------------------------


@service_errors
def cmd_update(args: argparse.Namespace) -> int:
    from rich.text import Text

    from sortui.cli.files import print_import_report
    from sortui.store import db
    from sortui.sync.download import check_url
    from sortui.sync.state import read_state
    from sortui.sync.update import Source, service_sources, update

    if args.readonly:
        raise CliError("update writes the working copy; drop --readonly")
    if args.urls:
        sources = [Source(check_url(url)) for url in args.urls]
    else:
        with closing(db.open_working_copy(args.db)) as conn:
            service = read_state(conn).service_url
        if service is None:
            raise CliError("give a URL, or sign in to a central service first (`sortui login URL`)")
        sources = service_sources(service)
    with progress() as report:
        result = update(args.db, sources, report, insecure=args.insecure)
    for got in result.fetched:
        err.print(Text(_fetched_text(got)))
    if result.report is None:
        same = " (the same bytes as the file imported last time)" if result.same else ""
        err.print(Text(f"Nothing changed: the working copy is up to date{same}"))
        return EXIT_OK
    print_import_report(result.report, args.db)
    return EXIT_OK


def _fetched_text(got: Fetched) -> str:
    if got.status == "not-modified":
        return f"{got.url}: not modified"
    if got.status == "absent":
        return f"{got.url}: not on the server (skipped)"
    resumed = f", resumed after {got.resumed_at:,}" if got.resumed_at else ""
    return f"{got.url}: downloaded {got.size:,} bytes{resumed}"
