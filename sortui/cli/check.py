"""``sortui check shak``: consistency of the SOR tree against the SHAK classification."""

from __future__ import annotations

import argparse
from contextlib import closing
from datetime import date

from sortui.cli.common import EXIT_OK, iso_date, open_db, out, print_json, safe_line


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="consistency checks")
    checks = p.add_subparsers(dest="check", metavar="CHECK", required=True)
    s = checks.add_parser(
        "shak",
        help="SOR units against the SHAK classification",
        description="Reports units whose SHAK-kode does not start with their hospital's code, units carrying a "
        "code not valid on the date or missing from the SHAK file, and department codes valid on the date that "
        "no SOR unit carries. Exit code 0 whatever is found; the counts are in the output.",
    )
    s.add_argument("--on", type=iso_date, metavar="DATE", help="the date to check validity on (default: today)")
    s.add_argument("--json", action="store_true", help="print JSON only")
    s.set_defaults(func=cmd_check_shak)


def cmd_check_shak(args: argparse.Namespace) -> int:
    from sortui.store.shak_checks import CHECKS, check_shak

    on = args.on or date.today().isoformat()
    with closing(open_db(args)) as conn:
        report = check_shak(conn, on)
    if args.json:
        print_json(report.as_json())
        return EXIT_OK
    counts = report.counts()
    out.print(safe_line(f"SHAK check on {on}", style="bold"))
    for key, title in CHECKS.items():
        state = "skipped (no data)" if key in report.skipped else str(counts[key])
        out.print(safe_line(f"  {title:<55} {state}"))
    for f in report.findings:
        line = safe_line(f"{f.check:<9} {f.shak_code:<8} ")
        line.append_text(safe_line(f.sor_id or "", style="cyan"))
        line.append_text(safe_line(f"  {f.name or ''}"))
        if f.detail:
            line.append_text(safe_line(f"  ({f.detail})", style="dim"))
        out.print(line)
    return EXIT_OK
