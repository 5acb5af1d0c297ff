"""Scriptable edits: ``set``, ``edi add|remove`` and ``changes``, written to the same journal as the app."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sortui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    CliError,
    err,
    open_db,
    out,
    print_json,
    safe_line,
    writable,
)
from sortui.domain.fields import editable_entity_fields, editable_location_fields, field_label
from sortui.domain.words import plural

if TYPE_CHECKING:
    from sortui.formats.edit_batch import EdiLine
    from sortui.store.batch import BatchResult
    from sortui.store.journal import EditError, JournalEntry

BATCH_HELP = (
    "A batch file is CSV with a header row (comma- or semicolon-separated, UTF-8) or JSON lines (an object "
    "a line) and is applied all or nothing, in one transaction: every line is checked against the working "
    "copy as the lines before it left it; if any is refused, nothing is saved and the first refused lines "
    "are listed by line number (exit code 2)."
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "set",
        help="change fields of a unit (or attributes of a lokationsnummer)",
        description="FIELD is a field's path or its Danish label, in any case (contact.phone, Telefon or telefon). "
        "Fields of a unit: "
        + ", ".join(f"{path} ({field_label(path)})" for path in editable_entity_fields())
        + ". Attributes of a lokationsnummer (KEY is a GLN): "
        + ", ".join(f"{name} ({field_label('location.' + name)})" for name in editable_location_fields())
        + ". An empty VALUE clears a field; flags take yes/no (or ja/nej). Control characters are refused (a note "
        "may hold line feeds). An edit waits for a running import (5 s at most), or is refused naming it.",
        usage="sortui set KEY FIELD=VALUE... [--json]\n       sortui set --from FILE [--json]",
        epilog=BATCH_HELP + " Columns of `set --from`: key (a SOR-kode or a GLN), field, value (empty clears). "
        "Consecutive lines of one key are one edit, validated together.",
    )
    p.add_argument("key", nargs="?", metavar="KEY", help="SOR-kode of a unit, or a lokationsnummer (GLN)")
    p.add_argument("assignments", nargs="*", metavar="FIELD=VALUE")
    p.add_argument(
        "--from",
        "--from-file",
        dest="batch",
        type=Path,
        metavar="FILE",
        help="apply the edits of FILE (columns key, field, value) as one batch",
    )
    p.add_argument("--json", action="store_true", help="print the journal entries as JSON")
    p.set_defaults(func=cmd_set)

    p = sub.add_parser(
        "edi",
        help="add or remove message types on a lokationsnummer",
        usage="sortui edi add|remove GLN MESSAGE... [--from DATE] [--to DATE] [--json]\n"
        "       sortui edi add|remove --from-file FILE [--json]",
        epilog=BATCH_HELP + " Columns of `edi --from-file`: gln, message, and (with add) from and to, "
        "optional; --from and --to are the validity of lines without their own.",
    )
    p.add_argument("action", choices=("add", "remove"))
    p.add_argument("gln", nargs="?", metavar="GLN")
    p.add_argument(
        "messages",
        nargs="*",
        metavar="MESSAGE",
        help="URN, TYPE:VERSION (e.g. XREF15:XH1530R) or a unique version code (e.g. XH1530R)",
    )
    p.add_argument("--from", dest="from_date", metavar="DATE", help="valid from (with add)")
    p.add_argument("--to", dest="to_date", metavar="DATE", help="valid to (with add)")
    p.add_argument(
        "--from-file",
        dest="batch",
        type=Path,
        metavar="FILE",
        help="add or remove the message types of FILE (columns gln, message[, from, to]) as one batch",
    )
    p.add_argument("--json", action="store_true", help="print the journal entries as JSON")
    p.set_defaults(func=cmd_edi)

    p = sub.add_parser(
        "changes",
        help="the pending edits in the journal; undo one or discard all",
        description="The pending edits by unit and lokationsnummer; a bulk change (a message type on many "
        "lokationsnumre, a field on many units in a review) is listed as one, and --undo of any of its "
        "entries undoes all of them, in one step.",
    )
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument(
        "--undo", type=int, metavar="ID", help="revert the pending change with this id (a bulk change whole)"
    )
    p.add_argument("--discard-all", action="store_true", help="revert every pending change (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --discard-all")
    p.set_defaults(func=cmd_changes)


def _parse_assignments(assignments: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"{item!r}: expected FIELD=VALUE")
        pairs.append((name.strip(), value))
    return pairs


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        **entry.operation(),
        "status": entry.status,
        "group": entry.group_id,
        **({"warnings": entry.warnings} if entry.warnings else {}),
    }


def _report(entries: list[JournalEntry], as_json: bool, nothing: str) -> None:
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    if not entries:
        err.print(safe_line(nothing))
    for e in entries:
        err.print(safe_line(f"saved #{e.id}: {e.key} {describe_change(e)}"))
    for warning in dict.fromkeys(w for e in entries for w in e.warnings):
        err.print(safe_line(f"warning: {warning}", style="yellow"))


def describe_change(e: JournalEntry) -> str:
    from sortui.store.describe import change_words

    what, before, after = change_words(e.target, e.op, e.field, e.old_value, e.new_value)
    return f"{what}: {before} → {after}"


def _refused(exc: EditError) -> CliError:
    return CliError("refused: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems), EXIT_BAD_INPUT)


def cmd_set(args: argparse.Namespace) -> int:
    from sortui.store import edits
    from sortui.store.journal import EditError

    if args.batch is not None:
        if args.key is not None:
            raise CliError("give KEY FIELD=VALUE... or --from FILE, not both")
        from sortui.formats.edit_batch import read_set_lines
        from sortui.store.batch import apply_set_batch

        return _run_batch(args, lambda conn: apply_set_batch(conn, read_set_lines(args.batch)))
    if args.key is None or not args.assignments:
        raise CliError("give KEY FIELD=VALUE... (or --from FILE)")
    pairs = _parse_assignments(args.assignments)
    with closing(writable(args)) as conn:
        try:
            entries = edits.set_by_key(conn, args.key, pairs)
        except EditError as exc:
            raise _refused(exc) from None
    if entries is None:
        raise CliError(f"{args.key}: no unit or lokationsnummer with that key", EXIT_NOT_FOUND)
    _report(entries, args.json, "nothing changed: the values are already so")
    return EXIT_OK


def cmd_edi(args: argparse.Namespace) -> int:
    from sortui.store import edits
    from sortui.store.journal import EditError

    if args.batch is not None:
        if args.gln is not None:
            raise CliError("give GLN MESSAGE... or --from-file FILE, not both")
        return _edi_batch(args)
    if args.gln is None or not args.messages:
        raise CliError("give GLN MESSAGE... (or --from-file FILE)")
    entries: list[JournalEntry] = []
    with closing(writable(args)) as conn:
        try:
            for message in args.messages:
                if args.action == "add":
                    entry = edits.add_message(conn, args.gln, message, args.from_date, args.to_date)
                else:
                    entry = edits.remove_message(conn, args.gln, message)
                if entry is None:
                    state = "already registered" if args.action == "add" else "not registered"
                    err.print(safe_line(f"{message}: {state} on {args.gln}", style="yellow"))
                else:
                    entries.append(entry)
        except EditError as exc:
            raise _refused(exc) from None
    _report(entries, args.json, "nothing changed")
    return EXIT_OK


def _edi_batch(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sortui.formats.edit_batch import read_edi_lines
    from sortui.store.batch import apply_edi_batch

    def lines() -> Iterator[EdiLine]:
        for ln in read_edi_lines(args.batch):
            yield replace(ln, from_date=ln.from_date or args.from_date, to_date=ln.to_date or args.to_date)

    return _run_batch(args, lambda conn: apply_edi_batch(conn, args.action, lines()))


def _run_batch(args: argparse.Namespace, apply: Callable[[sqlite3.Connection], BatchResult]) -> int:
    """Apply a batch file and say what it did; refused lines are listed by file and line."""
    from sortui.store import journal
    from sortui.store.batch import BatchError

    with closing(writable(args)) as conn:
        try:
            result = apply(conn)
        except BatchError as exc:
            for p in exc.problems:
                err.print(safe_line(f"sortui: {args.batch}:{p.line}: {p.message}", style="red"))
            more = f" (the first {len(exc.problems)} listed)" if exc.count > len(exc.problems) else ""
            raise CliError(f"{args.batch}: {exc.count} edits refused{more}; nothing was saved") from None
        if args.json:
            done = journal.entries_where(conn, "id BETWEEN ? AND ?", (result.first_id, result.last_id))
            print_json([entry_json(e) for e in done] if result.changes else [])
    if result.changes:
        ids = f"#{result.first_id}" + (f"–#{result.last_id}" if result.last_id != result.first_id else "")
        err.print(safe_line(f"saved {result.changes} changes ({ids}) from {result.lines} lines of {args.batch}"))
        err.print(safe_line(f"one bulk change: sortui changes --undo {result.first_id} undoes it", style="dim"))
    else:
        err.print(safe_line(f"nothing changed: {args.batch} holds no change the working copy does not have"))
    if result.unchanged_count and result.changes:
        shown = ", ".join(map(str, result.unchanged)) + (
            ", …" if result.unchanged_count > len(result.unchanged) else ""
        )
        err.print(safe_line(f"{result.unchanged_count} lines changed nothing (lines {shown})", style="dim"))
    for warning in result.warnings:
        err.print(safe_line(f"warning: {warning}", style="yellow"))
    return EXIT_OK


def cmd_changes(args: argparse.Namespace) -> int:
    from sortui.store import journal

    if args.undo is not None or args.discard_all:
        return _change_journal(args)
    with closing(open_db(args, readonly=True)) as conn:
        entries = journal.pending(conn)
    if args.json:
        print_json([entry_json(e) for e in entries])
        return EXIT_OK
    if not entries:
        out.print(safe_line("no pending changes"))
    for heading, group in _grouped(entries).items():
        out.print(safe_line(heading, style="bold"))
        for e in group:
            out.print(safe_line(f"  #{e.id:<5} {e.created_at}  {e.key}  {describe_change(e)}" if e.group_id is not None
                                else f"  #{e.id:<5} {e.created_at}  {describe_change(e)}"))  # fmt: skip
    return EXIT_OK


def _grouped(entries: list[JournalEntry]) -> dict[str, list[JournalEntry]]:
    """The entries by unit or lokationsnummer, and those of each bulk change together."""
    from sortui.store.describe import group_words

    bulk: dict[int, list[JournalEntry]] = {}
    for e in entries:
        if e.group_id is not None:
            bulk.setdefault(e.group_id, []).append(e)
    groups: dict[str, list[JournalEntry]] = {}
    for e in entries:
        if e.group_id is not None:
            members = bulk[e.group_id]
            heading = f"Bulk change {e.group_id}: {group_words(members)} (--undo {members[0].id} undoes all)"
        else:
            heading = f"{'Lokationsnummer' if e.target != 'entity' else 'Unit'} {e.key}"
        groups.setdefault(heading, []).append(e)
    return groups


def _change_journal(args: argparse.Namespace) -> int:
    from sortui.store import journal
    from sortui.store.journal import EditError

    with closing(writable(args)) as conn:
        try:
            if args.undo is not None:
                try:
                    undone = journal.undo(conn, args.undo)
                except KeyError:
                    raise CliError(f"no change #{args.undo} in the journal", EXIT_NOT_FOUND) from None
                if len(undone) == 1:
                    err.print(safe_line(f"undone #{args.undo}"))
                else:
                    err.print(
                        safe_line(f"undone the bulk change of #{args.undo}: {plural(len(undone), 'entry', 'entries')}")
                    )
            else:
                if not args.yes:
                    raise CliError("--discard-all reverts every pending change; add --yes to confirm")
                count = journal.discard_all(conn)
                err.print(safe_line(f"discarded {plural(count, 'pending change')}"))
        except EditError as exc:
            raise _refused(exc) from None
    return EXIT_OK
