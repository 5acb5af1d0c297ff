"""The ``sortui`` command: the terminal app by default, and scriptable sub-commands.

Exit codes: 0 done, 1 not found, 2 bad input or usage. With ``--json`` only JSON
is written to stdout; messages go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text

from sortui import __version__, paths
from sortui.domain.errors import InputError
from sortui.store import db as store_db
from sortui.store import queries

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT = 0, 1, 2

# Modules that add their own sub-commands: each has add_parser(subparsers), and
# the parser it adds sets ``func`` to a function(args) -> exit code.
EXTRA_COMMAND_MODULES: tuple[str, ...] = (
    "sortui.cli_edit",
    "sortui.cli_check",
    "sortui.cli_review",
    "sortui.generator.command",
    "sortui.app_command",
    "sortui.cli_sync",
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


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

    p = sub.add_parser("show", help="show a unit, location number or SHAK code")
    p.add_argument(
        "key",
        metavar="KEY",
        help="SOR-kode, lokationsnummer (GLN), SHAK-kode or ydernummer; "
        "prefix with sor:, gln:, shak: or yder: to say which",
    )
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("search", help="full-text search over names, codes and addresses")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="counts of units, location numbers, message types and SHAK codes")
    p.add_argument("--on", type=_iso_date, metavar="DATE", help="only what is valid on DATE (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("shak", help="SHAK codes: the hospitals, or one code with its history and children")
    p.add_argument("code", nargs="?", metavar="CODE")
    p.add_argument("--valid-on", type=_iso_date, metavar="DATE", help="only versions valid on DATE")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_shak)

    p = sub.add_parser("export", help="export the working copy")
    p.add_argument("--format", choices=("xml", "csv", "json"), required=True)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.add_argument("--with-pending", action="store_true", help="include pending edits from the journal")
    p.set_defaults(func=cmd_export)

    for module in EXTRA_COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)

    p = sub.add_parser("locate", help="print the paths in use (working copy, config, data)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_locate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None:
        args.db = paths.default_db_path()
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        if func is None:
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


def run_app(args: argparse.Namespace) -> int:
    try:
        from sortui.app import run
    except ImportError:
        raise CliError("the terminal app is not available in this build; see `sortui --help`") from None
    return run(args)


def open_db(args: argparse.Namespace) -> sqlite3.Connection:
    """The working copy for reading: it must exist (a query never creates one)."""
    path: Path = args.db
    if not path.exists():
        raise CliError(f"no working copy at {path}; run `sortui import FILE` first", EXIT_NOT_FOUND)
    return store_db.open_working_copy(path, readonly=args.readonly)


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- import -----------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    from sortui.store.importer import import_files

    if args.readonly:
        raise CliError("import writes the working copy; drop --readonly")
    with _progress() as progress:
        report = import_files(args.db, args.files, progress)
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
    err.print(Text(f"working copy: {args.db}"))
    return EXIT_OK


class _progress:
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


# -- show -------------------------------------------------------------------


_PREFIXES = {"sor": "sor_id", "gln": "gln", "shak": "shak", "yder": "provider_number"}


def resolve_key(conn: sqlite3.Connection, key: str) -> list[tuple[str, str]]:
    prefix, sep, rest = key.partition(":")
    if sep and prefix.lower() in _PREFIXES:
        wanted = _PREFIXES[prefix.lower()]
        return [m for m in queries.find_key(conn, rest) if m[0] == wanted]
    return queries.find_key(conn, key)


def cmd_show(args: argparse.Namespace) -> int:
    from sortui import describe

    with closing(open_db(args)) as conn:
        matches = resolve_key(conn, args.key)
        if not matches:
            raise CliError(
                f"{args.key}: not found (no SOR-kode, lokationsnummer, SHAK-kode or ydernummer)", EXIT_NOT_FOUND
            )
        objects = []
        for kind, value in matches:
            if kind == "provider_number":
                objects += [describe.unit(conn, sid) for sid in queries.sor_ids_for_provider(conn, value)]
            else:
                objects.append(describe.describe(conn, kind, value))
    if args.json:
        print_json(objects[0] if len(objects) == 1 else objects)
    else:
        for i, obj in enumerate(objects):
            if i:
                out.print()
            out.print(describe.as_text(obj))
    return EXIT_OK


# -- search -----------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        hits = queries.search(conn, args.text, limit=args.limit)
    if args.json:
        print_json(
            [
                {"sor_id": h.sor_id, "kind": h.kind, "name": h.name, "to_date": h.to_date, "match": h.detail}
                for h in hits
            ]
        )
    else:
        for h in hits:
            line = Text()
            line.append(f"{h.sor_id:>18}  ", style="cyan")
            line.append(f"{h.kind}  ")
            line.append(h.name, style="dim" if h.to_date else "")
            if h.to_date:
                line.append(f"  (lukket {h.to_date})", style="dim")
            out.print(line)
    return EXIT_OK if hits else EXIT_NOT_FOUND


# -- stats ------------------------------------------------------------------


def cmd_stats(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        data = queries.stats(conn, args.on)
        data["snapshots"] = queries.snapshots(conn)
    if args.json:
        print_json(data)
        return EXIT_OK
    title = f"valid on {args.on}" if args.on else "all"
    out.print(Text(f"Working copy {args.db} ({title})", style="bold"))
    shak = data["shak_codes"]
    assert isinstance(shak, dict)
    for label, value in (
        ("Institutionsejere (IE)", data["IE"]),
        ("Sundhedsinstitutioner (SI)", data["SI"]),
        ("Organisatoriske enheder (OE)", data["OE"]),
        ("Lokationsnumre", data["location_numbers"]),
        ("Meddelelsestyper registreret", data["message_type_registrations"]),
        ("SHAK sygehuse", shak["sgh"]),
        ("SHAK afdelinger", shak["afd"]),
        ("SHAK afsnit", shak["afsnit"]),
    ):
        out.print(Text(f"  {label:<30} {value:>9}"))
    for snap in data["snapshots"]:  # type: ignore[union-attr]
        out.print(
            Text(
                f"  {snap['kind']}: {snap['source_file']} (snapshot {snap['snapshot_date'] or '-'}, "
                f"imported {snap['imported_at']})",
                style="dim",
            )
        )
    return EXIT_OK


# -- shak -------------------------------------------------------------------


def cmd_shak(args: argparse.Namespace) -> int:
    from sortui import describe

    with closing(open_db(args)) as conn:
        if args.code is None:
            rows = queries.shak_children(conn, None, args.valid_on)
            data: object = [describe.shak_row(r) for r in rows]
        else:
            code = args.code.strip().upper()
            data = describe.shak(conn, code, args.valid_on)
            if not data["versions"] and not data["sor_ids"]:  # type: ignore[index]
                raise CliError(f"SHAK-kode {code}: not found", EXIT_NOT_FOUND)
    if args.json:
        print_json(data)
    elif isinstance(data, list):
        for row in data:
            out.print(describe.shak_line(row))
    else:
        out.print(describe.as_text(data))
    return EXIT_OK


# -- export -----------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from sortui.store.export import export

    with closing(open_db(args)) as conn:
        try:
            count = export(conn, args.format, args.output, with_pending=args.with_pending)
        except ValueError as exc:  # a value the format cannot carry (the writers name unit and field)
            raise CliError(f"cannot export to {args.output}: {exc}") from None
    err.print(Text(f"exported {count} entities to {args.output}"))
    return EXIT_OK


# -- locate -----------------------------------------------------------------


def cmd_locate(args: argparse.Namespace) -> int:
    data = {
        "working_copy": str(args.db),
        "working_copy_exists": args.db.exists(),
        "config_file": str(paths.config_file()),
        "data_dir": str(paths.data_dir()),
    }
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            out.print(Text(f"{key:<20} {value}"))
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main())
