"""The register's code lists: ``codes`` lists them and their codes, ``codes --import FILE`` extends them."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path

from sortui.cli.common import EXIT_NOT_FOUND, EXIT_OK, CliError, err, open_db, out, print_json, safe_line, writable
from sortui.domain.codelists import CODE_LISTS, code_words
from sortui.domain.words import plural
from sortui.formats.codelist import list_id
from sortui.store import codelists

FORMAT = (
    "A code-list file is a CSV file with a header row naming the columns list, code and text (and optionally "
    "confirmed: yes, inferred or no), separated by ; or , and in UTF-8 (or Latin-1). list is a list's id or its "
    "Danish name, e.g. `system_supplier;1001000055001;Systemhuset A/S`. Lists: "
    + ", ".join(f"{name} ({label})" for name, label in CODE_LISTS.items())
    + "."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "codes",
        help="the code lists: the names of system suppliers, EDB-systems, unit types, regions ...",
        description="Without LIST: each code list, how many codes it names (and how many of those names are only "
        "inferred or unconfirmed) and how many codes the working copy uses that it has no name for. With LIST: "
        "its codes, their names and where each name came from. With --import: add the codes of code-list files "
        "(each read and checked whole first: a bad row is named by its line and column and nothing is changed; "
        "then written in one transaction). A code the lists know already takes the file's name; no code is "
        "ever removed.",
        epilog=FORMAT,
    )
    p.add_argument("list", nargs="?", metavar="LIST", help="a list's id or Danish name, e.g. system_type or EDB-system")
    p.add_argument("--import", dest="files", nargs="+", type=Path, metavar="FILE", help="extend the lists from FILE")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_codes)


def cmd_codes(args: argparse.Namespace) -> int:
    if args.files:
        if args.list is not None:
            raise CliError("give a LIST to show, or --import FILE..., not both")
        return cmd_import(args)
    if args.list is None:
        return _lists(args)
    lst = list_id(args.list)
    if lst is None:
        raise CliError(f"{args.list!r} is not a code list; lists: {', '.join(CODE_LISTS)}", EXIT_NOT_FOUND)
    with closing(open_db(args)) as conn:
        codes = codelists.codes_of(conn, lst)
        sources = {code: source for code, _, _, source in codelists.entries(conn, lst)}
    if args.json:
        print_json(
            [
                {
                    "code": c.code,
                    "text": c.name.text if c.name else None,
                    "confirmed": c.name.confirmed if c.name else None,
                    "source": sources.get(c.code),
                    "used": c.used,
                }
                for c in codes
            ]
        )
        return EXIT_OK
    out.print(safe_line(f"{lst} ({CODE_LISTS[lst]}): {plural(len(codes), 'code')}", style="bold"))
    for c in codes:
        used = f"  used {c.used:,}×" if c.used else ""
        source = f"  [{sources[c.code]}]" if c.code in sources and sources[c.code] != codelists.SHIPPED else ""
        out.print(safe_line(f"  {code_words(c.code, c.name)}{used}{source}"))
    return EXIT_OK


def _lists(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        found = codelists.summary(conn, CODE_LISTS)
    if args.json:
        print_json([{"list": s.list, "name": CODE_LISTS[s.list], **_counts(s)} for s in found])
        return EXIT_OK
    out.print(safe_line(f"{'list':<24}{'named':>7}{'doubtful':>10}{'imported':>10}{'unknown in use':>16}", "bold"))
    for s in found:
        line = f"{s.list:<24}{s.codes:>7}{s.doubtful:>10}{s.imported:>10}{s.unknown_in_use:>16}  {CODE_LISTS[s.list]}"
        out.print(safe_line(line))
    return EXIT_OK


def _counts(s: codelists.ListSummary) -> dict[str, int]:
    return {"codes": s.codes, "doubtful": s.doubtful, "imported": s.imported, "unknown_in_use": s.unknown_in_use}


def cmd_import(args: argparse.Namespace) -> int:
    missing = [path for path in args.files if not path.is_file()]
    if missing:
        raise CliError(f"{missing[0]}: no such file")
    with closing(writable(args)) as conn:
        results = codelists.import_files(conn, args.files)
    if args.json:
        print_json(
            [
                {"file": str(path), "added": r.added, "renamed": r.renamed, "unchanged": r.unchanged, "lists": r.lists}
                for path, r in zip(args.files, results, strict=True)
            ]
        )
        return EXIT_OK
    for path, r in zip(args.files, results, strict=True):
        lists = ", ".join(r.lists) or "no codes"
        line = (
            f"{path.name}: {plural(r.added, 'code')} added, {r.renamed} renamed, {r.unchanged} as they were ({lists})"
        )
        err.print(safe_line(line))
    return EXIT_OK
