"""Working with the central service: ``login``, ``logout``, ``sync``, ``conflicts``, ``resolve``."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from typing import Any

from rich.control import Control
from rich.segment import ControlType

from sortui.cli.common import EXIT_OK, CliError, err, open_db, out, print_json, safe_line, service_errors, writable
from sortui.domain.text import printable
from sortui.store import db as store_db
from sortui.sync.exit_codes import EXIT_CONFLICTS, EXIT_REFUSED, EXIT_UNAVAILABLE

EXIT_CODES = (
    f"Exit codes: 0 done; 2 bad input; {EXIT_UNAVAILABLE} the service is unreachable or answered something that "
    f"is not its API (nothing changed locally, edits stay pending); {EXIT_CONFLICTS} conflicts were recorded "
    f"(see `sortui conflicts`); {EXIT_REFUSED} refused by the service (sign-in needed, token expired, not allowed)."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("login", help="sign in to a central service", epilog=EXIT_CODES)
    p.add_argument("url", metavar="URL", help="the service, e.g. https://sor.example.dk or http://127.0.0.1:8470")
    p.add_argument("--user", metavar="NAME", help="user name (default: the one this working copy used)")
    p.add_argument(
        "--create",
        action="store_true",
        help="start a new, empty working copy if there is none (the first `sortui sync` fills it from the service)",
    )
    _password_args(p)
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("logout", help="sign out and forget the stored token", epilog=EXIT_CODES)
    p.add_argument("--insecure", action="store_true", help="do not verify the service's TLS certificate")
    p.set_defaults(func=cmd_logout)

    p = sub.add_parser(
        "sync",
        help="push pending edits to the central service and pull others' changes",
        description="Push the pending journal as one changeset, then pull the change feed. An empty working "
        "copy is first filled from the service's snapshot.",
        epilog=EXIT_CODES,
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be pushed and pulled; change nothing")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _password_args(p)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("conflicts", help="edits the service refused because the field changed there too")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("resolve", help="resolve a conflict: keep mine, take the service's, or set a new value")
    p.add_argument("entry", type=int, metavar="ENTRY_ID", help="the journal entry (see `sortui conflicts`)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--mine", dest="choice", action="store_const", const="mine", help="send my value again")
    how.add_argument("--server", dest="choice", action="store_const", const="server", help="take the service's")
    how.add_argument("--value", metavar="VALUE", help="set this value instead (sent with the next sync)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=cmd_resolve)


def _password_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument(
        "--insecure", action="store_true", help="do not verify the service's TLS certificate (only when asked)"
    )


# -- the client -----------------------------------------------------------------------


@service_errors
def cmd_login(args: argparse.Namespace) -> int:
    from sortui.sync import credentials, session, state
    from sortui.sync.client import normalise_url

    url = normalise_url(args.url)
    new = args.create and not args.db.exists()
    try:
        with closing(writable(args, create=args.create)) as conn:
            known = state.read_state(conn)
            user = args.user or (known.user_name if known.service_url == url else None)
            if not user:
                raise CliError("say who signs in: --user NAME")
            done = session.login(conn, url, user, _password(args, user, url), insecure=args.insecure)
    except BaseException:
        if new:  # a sign-in that failed leaves no new working copy behind
            store_db.remove_database(args.db)
        raise
    err.print(
        safe_line(f"signed in to {url} as {user} ({done.user.get('role')}); the token is valid until {done.expires_at}")
    )
    if done.stored:
        err.print(safe_line(f"the token is kept in the system keyring ({credentials.account(url, user)})"))
    else:
        err.print(
            safe_line(
                f"{done.keyring_reason}: the token is not stored anywhere. `sortui sync` will ask for the "
                f"password once per run (or set {credentials.ENV_TOKEN}).",
                style="yellow",
            )
        )
    return EXIT_OK


def _password(args: argparse.Namespace, user: str, url: str) -> str:
    from sortui.sync.client import host_port
    from sortui.sync.credentials import read_password

    if not args.password_stdin and not sys.stdin.isatty():
        raise CliError(f"no terminal to ask for {user}'s password: use --password-stdin", EXIT_REFUSED)
    password = read_password(args.password_stdin, printable(f"password for {user}@{host_port(url)}: "))
    if not password:
        raise CliError("no password given", EXIT_REFUSED)
    return password


@service_errors
def cmd_logout(args: argparse.Namespace) -> int:
    from sortui.sync import session

    with closing(open_db(args, readonly=True)) as conn:
        done = session.logout(conn, insecure=args.insecure)
    if done.url is None:
        err.print(safe_line("not signed in to a service"))
        return EXIT_OK
    if done.problem:
        err.print(safe_line(f"the service did not revoke the token ({done.problem})", style="yellow"))
    what = "and removed the token from the keyring" if done.forgotten else "(no token was stored)"
    err.print(safe_line(f"signed out of {done.url} {what}"))
    return EXIT_OK


def _signed_in_client(args: argparse.Namespace, conn: sqlite3.Connection) -> Any:
    """A client with a token: $SORTUI_TOKEN, the keyring's, or one got with the password now."""
    from sortui.sync import session

    if args.password_stdin:
        url, user = session.service_of(conn)
        return session.open_client(conn, _password(args, user, url), insecure=args.insecure)
    try:
        return session.open_client(conn, insecure=args.insecure)
    except session.PasswordNeeded as exc:
        url, user = session.service_of(conn)
        err.print(safe_line(f"{exc.message}; asking for it for this run", style="yellow"))
        return session.open_client(conn, _password(args, user, url), insecure=args.insecure)


@service_errors
def cmd_sync(args: argparse.Namespace) -> int:
    from sortui.sync import engine

    if args.dry_run:
        return _dry_run(args)
    if args.readonly:
        raise CliError("sync writes the working copy; drop --readonly (or use --dry-run)")
    with closing(writable(args)) as conn, _signed_in_client(args, conn) as client:
        result = engine.sync(conn, client, _progress_printer())
    _print_result(result, args.json)
    return EXIT_CONFLICTS if result.conflicts else EXIT_OK


def _progress_printer() -> Callable[[str, int, int], None] | None:
    if not err.is_terminal:
        return None

    def report(stage: str, done: int, total: int) -> None:
        err.print(safe_line(f"{stage}: {done}/{total}", style="dim"), end="")
        err.control(Control(ControlType.CARRIAGE_RETURN))

    return report


def _print_result(result: Any, as_json: bool) -> None:
    from dataclasses import asdict

    if as_json:
        data = asdict(result)
        data["conflicts"] = [c.as_json() for c in result.conflicts]
        print_json(data)
        return
    if result.snapshot_entities:
        err.print(
            safe_line(
                f"filled the working copy: {result.snapshot_entities} units, {result.snapshot_locations} location numbers"
            )
        )
    pushed = f"pushed {result.pushed} changes" if result.pushed else "nothing to push"
    if result.replayed:
        pushed += f" ({result.replayed} from an interrupted push, applied once)"
    err.print(safe_line(pushed))
    for provisional, real in result.created.items():
        err.print(safe_line(f"created unit {provisional} has the SOR id {real} now"))
    err.print(
        safe_line(
            f"pulled {result.pulled} changes: {result.applied} applied, {result.own} our own, "
            f"{result.kept_local} kept local (pending edits), {result.missing} not in this working copy"
        )
    )
    if result.conflicts:
        err.print(
            safe_line(
                f"{len(result.conflicts)} conflicts ({result.held_back} edits held back): see `sortui conflicts`, "
                "then `sortui resolve ENTRY_ID --mine|--server|--value VALUE`",
                style="yellow",
            )
        )


def _dry_run(args: argparse.Namespace) -> int:
    from sortui.cli.edit import describe_change, entry_json
    from sortui.sync import engine

    with closing(open_db(args, readonly=True)) as conn, _signed_in_client(args, conn) as client:
        plan = engine.plan(conn, client)
    if args.json:
        print_json(
            {
                "fill_from_snapshot": plan.fill_from_snapshot,
                "retry": {cs: [entry_json(e) for e in es] for cs, es in plan.retry.items()},
                "push": [entry_json(e) for e in plan.push],
                "held_back": [entry_json(e) for e in plan.held_back],
                "pull": plan.pull,
                "pull_by_others": plan.pull_by_others,
                "last_seq": plan.last_seq,
                "head": plan.head,
            }
        )
        return EXIT_OK
    if plan.fill_from_snapshot:
        out.print(safe_line("would fill the empty working copy from the service's snapshot"))
    for cs, entries in plan.retry.items():
        out.print(safe_line(f"would re-send interrupted changeset {cs} ({len(entries)} changes)"))
    out.print(safe_line(f"would push {len(plan.push)} changes" + (":" if plan.push else "")))
    for e in plan.push:
        out.print(safe_line(f"  #{e.id:<5} {e.key} {describe_change(e)}"))
    if plan.held_back:
        out.print(safe_line(f"{len(plan.held_back)} changes held back by conflicts"))
    out.print(
        safe_line(
            f"would pull {plan.pull} changes ({plan.pull_by_others} by others), feed {plan.last_seq} → {plan.head}"
        )
    )
    return EXIT_OK


# -- conflicts -------------------------------------------------------------------------


def cmd_conflicts(args: argparse.Namespace) -> int:
    from sortui.sync import state
    from sortui.sync.conflicts import field_name, show_value

    with closing(open_db(args, readonly=True)) as conn:
        found = state.conflicts(conn)
    if args.json:
        print_json([c.as_json() for c in found])
        return EXIT_OK
    if not found:
        out.print(safe_line("no conflicts"))
    for c in found:
        out.print(safe_line(f"#{c.entry_id:<5} {c.key}  {field_name(c)}", style="bold"))
        out.print(safe_line(f"       base:    {show_value(c, c.base_value)} (version {c.base_version})"))
        out.print(safe_line(f"       mine:    {show_value(c, c.local_value)}"))
        out.print(safe_line(f"       service: {show_value(c, c.server_value)} (version {c.server_version})"))
    return EXIT_OK


@service_errors
def cmd_resolve(args: argparse.Namespace) -> int:
    from sortui.sync.conflicts import field_name, resolve, show_value

    choice = args.choice or "value"
    with closing(writable(args)) as conn:
        done = resolve(conn, args.entry, choice, args.value)
    if args.json:
        print_json(
            {"conflict": done.conflict.as_json(), "choice": done.choice, "value": done.value, "entries": done.entries}
        )
        return EXIT_OK
    after = "sent with the next sync" if done.entries else "the local edit was dropped"
    err.print(
        safe_line(f"{done.conflict.key} {field_name(done.conflict)}: {show_value(done.conflict, done.value)} ({after})")
    )
    return EXIT_OK
