"""``sortui status``: test your access: the service, the sign-in, the keyring and the working copy."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from sortui.cli.common import err, out, print_json, service_errors
from sortui.cli.sync import EXIT_CODES
from sortui.domain.words import plural
from sortui.store import db as store_db

if TYPE_CHECKING:
    from sortui.sync.access import AccessReport
    from sortui.sync.client import ServiceStatus


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "status",
        help="test your access: service, version, sign-in and rights, keyring, working copy",
        description="Check everything a sync needs, as the register's 'test your access' page does: is the service "
        "reachable and how fast, its version and availability, whether you are signed in and until when, your "
        "rights, which keyring backend holds the token, and whether the working copy is healthy (integrity "
        "check, pending edits, conflicts, last sync). Nothing is changed.",
        epilog=EXIT_CODES,
    )
    p.add_argument("url", nargs="?", metavar="URL", help="the service (default: the one this working copy signs in to)")
    p.add_argument("--user", metavar="NAME", help="user name (default: the one this working copy signs in as)")
    p.add_argument("--insecure", action="store_true", help="do not verify the service's TLS certificate")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_status)


@service_errors
def cmd_status(args: argparse.Namespace) -> int:
    from sortui.sync import access, state
    from sortui.sync.client import normalise_url

    url, user, wc = args.url, args.user, None
    if args.db.exists():
        with closing(store_db.open_working_copy(args.db, readonly=True)) as conn:
            known = state.read_state(conn)
            wc = access.working_copy_health(conn, str(args.db))
        same = url is None or normalise_url(url) == known.service_url
        url = url or known.service_url
        user = user or (known.user_name if same else None)
    report = access.check_access(normalise_url(url) if url else None, user, wc, args.insecure)
    if args.json:
        print_json(report.as_json())
    else:
        _print(report, args.db)
    return report.exit_code


def _print(r: AccessReport, db: Path) -> None:
    from sortui.domain.text import printable as clean
    from sortui.server.rights import summary

    svc = r.service
    lines: list[tuple[str, str, bool]] = []  # label, text, fine?
    if r.url is None:
        lines.append(("service", "none: this working copy is not connected to a service", False))
    elif svc is not None and svc.reachable and not svc.error:
        lines.append(("service", f"{r.url}: reachable, answered in {svc.latency_ms:.0f} ms", True))
        lines.append(("version", _version(svc), True))
        if svc.availability:
            a = svc.availability
            verdict = "meets" if a.get("meets_sla") else "BELOW"
            text = (
                f"{a.get('percent')} % of the minutes since {a.get('since')} (the last {a.get('window_days')} days "
                f"at most; {verdict} the {a.get('sla_percent')} % SLA)"
            )
            lines.append(("availability", text, bool(a.get("meets_sla"))))
    else:
        lines.append(("service", f"{r.url}: {svc.error if svc else 'not checked'}", False))
    s = r.sign_in
    if s.signed_in:
        lines.append(("signed in", f"as {s.user}, the token is valid until {s.expires_at or 'unknown'}", True))
        lines.append(("rights", f"{s.role}: {summary(s.role or '', s.subtrees)}", True))
    elif s.problem:
        lines.append(("signed in", f"no: {s.problem}", False))
    else:
        lines.append(("signed in", "not checked: the service did not answer", False))
    holder = f"holds the token ({s.keyring})" if s.token_from == "keyring" else s.keyring
    if s.token_from and s.token_from != "keyring":
        holder = f"not used: the token comes from ${s.token_from} ({s.keyring})"
    lines.append(("keyring", holder if s.keyring_available else f"none ({s.keyring})", s.keyring_available))
    wc = r.working_copy
    if wc is None:
        lines.append(("working copy", f"none at {db}", False))
    else:
        health = "integrity ok" if wc.integrity == "ok" else f"DAMAGED: {wc.integrity}"
        synced = f"last sync {wc.last_sync_at}, feed position {wc.last_seq}" if wc.last_sync_at else "never synced"
        if svc is not None and svc.head_seq is not None and wc.last_sync_at:
            synced += f" of {svc.head_seq}"
        text = (
            f"{wc.path}: {health}, {plural(wc.pending, 'pending edit')}, {plural(wc.conflicts, 'conflict')}, {synced}"
        )
        lines.append(("working copy", text, wc.integrity == "ok" and not wc.conflicts))
    for label, text, fine in lines:  # what the service answered is data: never a control character raw
        line = Text(f"{label:<13} ", style="bold")
        line.append(clean(text), style="" if fine else "yellow")
        out.print(line)
    for problem in r.problems:
        err.print(Text(f"sortui: {clean(problem)}", style="red"))


def _version(v: ServiceStatus) -> str:
    parts = [f"sortui service {v.version or 'unknown'}"]
    if v.database:
        parts.append(f"on {v.database}")
    if v.uptime_s is not None:
        parts.append(f"up {_duration(v.uptime_s)}")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"
