"""What changed: ``diff`` (two snapshots, or the last import) and ``update`` (fetch and import a download)."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from sortui.cli.common import EXIT_BAD_INPUT, EXIT_OK, CliError, err, out, progress, service_errors
from sortui.domain.text import json_printable
from sortui.formats.sorcsv import spreadsheet_safe
from sortui.store.diff import CHANGE_KINDS, TARGETS, Change, Summary, change_counts, read_changes
from sortui.widgets.change_text import (
    GROUP_TITLES,
    TARGET_TITLES,
    change_title,
    field_line,
    institution_line,
    shown_fields,
)
from sortui.widgets.safe import clean

if TYPE_CHECKING:
    from sortui.store.diff_files import Side
    from sortui.sync.download import Fetched

EXIT_CHANGES = 1  # as diff(1): 0 the same, 1 changes listed, 2 trouble

DIFF_HELP = (
    "Lists what changed from OLD to NEW, unit by unit: units, location numbers (GLN) and their message "
    "types, and SHAK codes added, removed, closed (Gyldig til set), reopened, moved (a new parent or owner) and "
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

CSV_COLUMNS = ("target", "key", "detail", "change", "name", "field", "old", "new")


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
    from sortui.store.diff_files import diff_files

    with progress() as report, diff_files(_side(args.sides[0]), _side(args.sides[1]), report) as result:
        for note in [*result.old.notes, *result.new.notes]:
            err.print(Text(note, style="yellow"))
        header = [
            Text(f"OLD: {_side_text(result.old)}"),
            Text(f"NEW: {_side_text(result.new)}"),
        ]
        return _print_changes(args, result.conn, result.summary, header, "diff")


def _side_text(side: Side) -> str:
    names = ", ".join(str(f.path) for f in side.files)
    return f"{names} (snapshot {side.snapshot_date})" if side.snapshot_date else names


def _diff_last_import(args: argparse.Namespace) -> int:
    from sortui.cli.common import open_db
    from sortui.store.diff import last_import

    with closing(open_db(args)) as conn:
        found = last_import(conn)
        if found is None:
            raise CliError("no import has been recorded in this working copy yet", EXIT_BAD_INPUT)
        stamp, summary = found
        summary.counts = change_counts(conn)
        return _print_changes(args, conn, summary, [Text(f"The last import, {stamp}:")], "import")


def _print_changes(
    args: argparse.Namespace, conn: sqlite3.Connection, summary: Summary, header: list[Text], what: str
) -> int:
    counts = summary.counts
    changes = read_changes(conn)
    if args.json:
        _write_json(changes)
    elif args.csv:
        _write_csv(changes)
    else:
        for line in [*header, *summary_lines(summary, what)]:
            out.print(line)
        _write_text(changes, counts)
    for line in [] if not (args.json or args.csv) else summary_lines(summary, what):
        err.print(line)
    return EXIT_CHANGES if counts else EXIT_OK


def summary_lines(summary: Summary, what: str = "import") -> list[Text]:
    """One line a kind of record with its numbers of changes, and the kinds of data not compared."""
    counts = summary.counts
    lines = []
    for target in TARGETS:
        parts = [f"{counts[target, kind]:,} {kind}" for kind in CHANGE_KINDS if counts.get((target, kind))]
        if parts:
            lines.append(Text(f"{TARGET_TITLES[target]}: {', '.join(parts)}"))
    if not counts and summary.compared:
        compared = ", ".join(GROUP_TITLES[g] for g in summary.compared)
        lines.append(Text(f"No changes ({compared} compared)"))
    for group, rows in summary.only_new.items():
        if what == "import":
            lines.append(
                Text(f"{GROUP_TITLES[group]}: {rows:,} rows loaded for the first time (not listed as changes)")
            )
        else:
            lines.append(Text(f"{GROUP_TITLES[group]}: only in NEW ({rows:,} rows), not compared", style="yellow"))
    for group, rows in summary.only_old.items():
        lines.append(Text(f"{GROUP_TITLES[group]}: only in OLD ({rows:,} rows), not compared", style="yellow"))
    return lines


def _write_text(changes: Iterator[Change], counts: dict[tuple[str, str], int]) -> None:
    """The changes by kind (a heading each) and institution (a line each), then each change and its fields."""
    current, place = None, None
    for change in changes:
        group = (change.target, change.change)
        if group != current:
            current, place = group, None
            title = f"{TARGET_TITLES[change.target]} {change.change} ({counts[group]:,})"
            out.print()
            out.print(Text(title, style="bold underline"))
        if change.target != "shak" and (place is None or change.institution != place[0]):
            place = (change.institution,)
            out.print(institution_line(change))
        out.print(change_title(change, "    "))
        for path, (old, new) in shown_fields(change).items():
            out.print(field_line(path, old, new, "        "))


def _write_json(changes: Iterable[Change]) -> None:
    write = sys.stdout.write
    write("[")
    for i, change in enumerate(changes):
        write(",\n" if i else "\n")
        write(json_printable(json.dumps(change.as_json(), ensure_ascii=False)))
    write("\n]\n")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet shows and never runs: control characters made visible, formulas quoted."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | bool) else str(value)
    return spreadsheet_safe(clean(text))


def _write_csv(changes: Iterable[Change]) -> None:
    writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        for path, (old, new) in change.fields.items():
            values = (change.target, change.key, change.detail, change.change, change.name, path, old, new)
            writer.writerow([csv_cell(v) for v in values])


# -- update ----------------------------------------------------------------------------------------------


@service_errors
def cmd_update(args: argparse.Namespace) -> int:
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
