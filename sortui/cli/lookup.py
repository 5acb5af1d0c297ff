"""Looking things up in the working copy: ``show``, ``search``, ``stats``, ``shak`` and ``locate``."""

from __future__ import annotations

import argparse
from contextlib import closing
from dataclasses import replace

from sortui import paths
from sortui.cli.common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    CliError,
    err,
    iso_date,
    open_db,
    out,
    print_json,
    print_styled,
    safe_line,
)
from sortui.domain.text import Styled
from sortui.store import queries, search
from sortui.store.search_index import Terms


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "show",
        help="show a unit, lokationsnummer, SHAK-kode or ydernummer",
        description="KEY is a SOR-kode (a unit), a lokationsnummer (GLN), a SHAK-kode or a ydernummer (the "
        "units with it). Codes are shown with their names from the code lists (`sortui codes`), and inherited "
        "values with the unit they come from.",
    )
    p.add_argument(
        "key",
        metavar="KEY",
        help="SOR-kode, lokationsnummer (GLN), SHAK-kode or ydernummer; "
        "prefix with sor:, gln:, shak: or yder: to say which",
    )
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "search",
        help="search units by name, address or code",
        description="Search units by any part of a word of their name or address (3 letters or more; 1-2 letters "
        "match word starts; æ ø å may be typed ae oe aa), or by the start of a SOR-kode, lokationsnummer, "
        "SHAK-kode or ydernummer. Whole words and word starts rank first. Exit 1 when nothing matches.",
    )
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--limit", type=_positive, default=20, metavar="N", help="show N hits (default 20)")
    p.add_argument("--offset", type=_not_negative, default=0, metavar="N", help="skip the first N hits")
    p.add_argument("--under", metavar="SOR_ID", help="only the unit SOR_ID and what is below it")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="counts of units, lokationsnumre, message types and SHAK-koder")
    p.add_argument("--on", type=iso_date, metavar="DATE", help="only what is valid on DATE (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("shak", help="SHAK-koder: the hospitals, or one code with its history and children")
    p.add_argument("code", nargs="?", metavar="CODE")
    p.add_argument("--valid-on", type=iso_date, metavar="DATE", help="only versions valid on DATE")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_shak)

    p = sub.add_parser("locate", help="print the paths in use (working copy, demo, config, data)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_locate)


def cmd_show(args: argparse.Namespace) -> int:
    from sortui.store import describe
    from sortui.store.lookup import resolve_key

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
                print_styled(Styled())
            print_styled(describe.as_styled(obj))
    return EXIT_OK


def _positive(text: str) -> int:
    value = _not_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _not_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def cmd_search(args: argparse.Namespace) -> int:
    from sortui.widgets.hit_line import hit_line

    if not Terms.parse(args.text):
        raise CliError("nothing to search for: give part of a name or an address, or a code", EXIT_NOT_FOUND)
    with closing(open_db(args)) as conn:
        scope = None
        if args.under:
            scope = search.subtree_scope(conn, args.under.strip())
            if scope is None:
                raise CliError(f"{args.under}: no unit with that SOR-kode", EXIT_NOT_FOUND)
        page = search.search(conn, args.text, limit=args.limit, offset=args.offset, scope=scope)
    where = f" under {scope.name} ({scope.sor_id})" if scope else ""
    if args.json:
        print_json(_search_json(args, page, scope))
    else:
        width = max(len(h.sor_id) for h in page.hits) if page.hits else 0
        for h in page.hits:
            line = safe_line(f"{h.sor_id:<{width}}  ", style="cyan")
            shown = replace(h, matched=None) if h.matched and h.matched[0] == "SOR-kode" else h  # it is on the left
            line.append_text(hit_line(shown, max(20, out.width - width - 2)))
            out.print(line, no_wrap=True, overflow="ellipsis", crop=True)
    if not page.total:
        err.print(safe_line(f"no units match {args.text!r}{where}"))
        return EXIT_NOT_FOUND
    if not page.hits:
        err.print(safe_line(f"{page.count_text()}{where}: none after --offset {args.offset}"))
        return EXIT_NOT_FOUND
    if not args.json:
        end = args.offset + len(page.hits)
        more = end < page.total or page.more
        if args.offset == 0 and not more:
            err.print(safe_line(f"{page.count_text()}{where}", style="dim"))
        else:
            hint = f"; --offset {end} for more" if more else ""
            total = f"{page.total:,}{'+' if page.more else ''}"
            err.print(safe_line(f"hits {args.offset + 1}-{end} of {total}{where}{hint}", style="dim"))
    return EXIT_OK


def _search_json(args: argparse.Namespace, page: search.SearchPage, scope: search.Scope | None) -> dict[str, object]:
    return {
        "query": args.text,
        "under": scope.sor_id if scope else None,
        "total": page.total,
        "more": page.more,
        "offset": page.offset,
        "hits": [
            {
                "sor_id": h.sor_id,
                "kind": h.kind,
                "name": h.name,
                "to_date": h.to_date,
                "match": {"field": h.matched[0], "value": h.matched[1]} if h.matched else None,
                "path": [{"sor_id": i, "kind": k, "name": n} for i, k, n in h.path],
            }
            for h in page.hits
        ],
    }


def cmd_stats(args: argparse.Namespace) -> int:
    with closing(open_db(args)) as conn:
        data = queries.stats(conn, args.on)
        data["snapshots"] = queries.snapshots(conn)
    if args.json:
        print_json(data)
        return EXIT_OK
    title = f"valid on {args.on}" if args.on else "all"
    out.print(safe_line(f"Working copy {args.db} ({title})", style="bold"))
    shak = data["shak_codes"]
    assert isinstance(shak, dict)
    for label, value in (
        ("Institutionsejere (IE)", data["IE"]),
        ("Sundhedsinstitutioner (SI)", data["SI"]),
        ("Organisatoriske enheder (OE)", data["OE"]),
        ("Lokationsnumre", data["location_numbers"]),
        ("Message types registered", data["message_type_registrations"]),
        ("SHAK sygehuse", shak["sgh"]),
        ("SHAK afdelinger", shak["afd"]),
        ("SHAK afsnit", shak["afsnit"]),
    ):
        out.print(safe_line(f"  {label:<30} {value:>9}"))
    for snap in data["snapshots"]:  # type: ignore[union-attr]
        out.print(
            safe_line(
                f"  {snap['kind']}: {snap['source_file']} (snapshot {snap['snapshot_date'] or '-'}, "
                f"imported {snap['imported_at']})",
                style="dim",
            )
        )
    return EXIT_OK


def cmd_shak(args: argparse.Namespace) -> int:
    from sortui.store import describe

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
            print_styled(describe.shak_line(row))
    else:
        print_styled(describe.as_styled(data))
    return EXIT_OK


def cmd_locate(args: argparse.Namespace) -> int:
    demo = paths.demo_db_path()
    data = {
        "working_copy": str(args.db),
        "working_copy_exists": args.db.exists(),
        "demo_working_copy": str(demo),  # what plain `sortui` opens while there is no working copy
        "demo_working_copy_exists": demo.exists(),
        "config_file": str(paths.config_file()),
        "data_dir": str(paths.data_dir()),
    }
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            out.print(safe_line(f"{key:<25} {value}"))
    return EXIT_OK
