"""``sortui review``: prepare and report on bulk review sessions for scripts."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from dataclasses import asdict
from datetime import date
from pathlib import Path

from sortui.cli.common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    CliError,
    err,
    iso_date,
    open_db,
    out,
    print_json,
    safe_line,
    writable,
)
from sortui.domain.text import json_printable, printable
from sortui.store import review


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="bulk review sessions: start, list, export (reviewing itself is in the app)")
    cmds = p.add_subparsers(dest="review_command", metavar="ACTION", required=True)

    s = cmds.add_parser("start", help="start a named session from a rule, a search or a subtree")
    s.add_argument("name", metavar="NAME")
    source = s.add_argument_group("source (one of them, or --search with --subtree)")
    source.add_argument("--rule", choices=sorted(review.RULES), help="a saved rule (see `sortui review rules`)")
    source.add_argument("--search", metavar="TEXT", help="every unit a search finds, ranked as `sortui search` does")
    source.add_argument("--subtree", metavar="SOR_ID", help="a unit and everything below it (with --search: where)")
    s.add_argument("--on", type=iso_date, metavar="DATE", help="the date rules and validity use (default today)")
    s.set_defaults(func=cmd_start)

    s = cmds.add_parser("rules", help="the saved rules")
    s.add_argument("--json", action="store_true", help="print JSON only")
    s.set_defaults(func=cmd_rules)

    s = cmds.add_parser("list", help="the sessions: size, decided, flagged")
    s.add_argument("--json", action="store_true", help="print JSON only")
    s.set_defaults(func=cmd_list)

    s = cmds.add_parser("export", help="a session's items with decisions and notes, for the record")
    s.add_argument("name", metavar="NAME")
    s.add_argument("--format", choices=("csv", "json"), required=True)
    s.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    s.set_defaults(func=cmd_export)

    s = cmds.add_parser("delete", help="delete a session and its decisions")
    s.add_argument("name", metavar="NAME")
    s.add_argument("--yes", action="store_true", help="confirm")
    s.set_defaults(func=cmd_delete)


def _review_error(exc: review.ReviewError) -> CliError:
    message = str(exc)
    return CliError(message, EXIT_NOT_FOUND if message.startswith("no ") else 2)


def cmd_start(args: argparse.Namespace) -> int:
    on = args.on or date.today().isoformat()
    with closing(writable(args)) as conn:
        try:
            size = review.start(conn, args.name, on, rule=args.rule, search=args.search, subtree=args.subtree)
        except review.ReviewError as exc:
            raise _review_error(exc) from None
    err.print(safe_line(f"review {args.name!r}: {size} items"))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    if args.json:
        print_json([{"name": r.name, "title": r.title} for r in review.RULES.values()])
    else:
        for r in review.RULES.values():
            out.print(safe_line(f"{r.name:<28} {r.title}"))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        found = review.sessions(conn)
    if args.json:
        print_json([asdict(s) for s in found])
        return EXIT_OK
    if not found:
        out.print(safe_line("no review sessions"))
    for s in found:
        out.print(safe_line(f"{s.name:<24} {s.decided:>6}/{s.size:<6} decided, {s.flagged} flagged  ({s.source})"))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        try:
            text = review.export(conn, args.name, args.format, args.output)
        except review.ReviewError as exc:
            raise _review_error(exc) from None
    if args.output is None:  # shown, so made safe (JSON escaped, losslessly); -o writes the exact text
        sys.stdout.write(json_printable(text) if args.format == "json" else printable(text, keep_newlines=True))
    else:
        err.print(safe_line(f"wrote {args.output}"))
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        raise CliError("delete removes the session and its decisions; add --yes to confirm")
    with closing(writable(args)) as conn:
        try:
            review.delete(conn, args.name)
        except review.ReviewError as exc:
            raise _review_error(exc) from None
    err.print(safe_line(f"deleted review {args.name!r}"))
    return EXIT_OK
