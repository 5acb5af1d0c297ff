"""Running the central service: ``serve``, and ``server init|add-user|users`` to set it up."""

from __future__ import annotations

import argparse
from pathlib import Path

from sortui.cli.common import EXIT_OK, CliError, err, out, print_json, safe_line, service_errors
from sortui.domain.text import printable


def _database_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database",
        metavar="URL",
        help="the service's own database (SQLAlchemy URL, e.g. sqlite:///server.sqlite or "
        "postgresql+psycopg://user@host/sortui); default: $SORTUI_SERVER_DATABASE or server.sqlite in the user "
        "data dir. Not the working copy (--db).",
    )


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="run the central service (HTTP API under /api/v1)",
        description="Run the central service: FastAPI on uvicorn, listening on 127.0.0.1:8470 by default. "
        "Besides the API it publishes the register as its own download files (GET /files/sor.xml, sor.zip, "
        "sor.csv, SorEntity_daily.csv, LocationsCodeEDITypeMap.csv, SHAKCOMPLETE.TXT; no sign-in) and the "
        "operating messages as RSS (GET /status/feed.xml). Put it behind a TLS proxy for anything but a "
        "single machine.",
    )
    _database_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8470, help="port to listen on (default 8470)")
    p.add_argument("--token-minutes", type=int, default=480, metavar="N", help="token lifetime (default 480 = 8 h)")
    p.add_argument("--max-body-mb", type=int, default=5, metavar="N", help="largest request body (default 5 MB)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="service processes on the one port (default 1); they share the database, so several `serve` "
        "processes on other hosts can share it too (PostgreSQL)",
    )
    p.add_argument(
        "--files-dir",
        type=Path,
        metavar="DIR",
        help="where the register's download files (GET /files/...) are written; default: the user cache dir",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("server", help="set up the central service: load the register, manage users")
    server = p.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    q = server.add_parser("init", help="load register files into the service's (empty) database")
    _database_arg(q)
    q.add_argument(
        "--from", dest="files", nargs="+", type=Path, required=True, metavar="FILE", help="any file `import` reads"
    )
    q.set_defaults(func=cmd_server_init)
    q = server.add_parser("add-user", help="add a user (or change one, with --replace)")
    _database_arg(q)
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, choices=("viewer", "editor", "edi-admin", "admin"))
    q.add_argument("--subtree", nargs="+", default=[], metavar="SOR_ID", help="what an editor may change")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q.add_argument("--replace", action="store_true", help="change an existing user (signs them out)")
    q.set_defaults(func=cmd_server_add_user)
    q = server.add_parser("users", help="list the service's users")
    _database_arg(q)
    q.add_argument("--json", action="store_true", help="print JSON only")
    q.set_defaults(func=cmd_server_users)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1-64)")
    return value


def _database_url(args: argparse.Namespace) -> str:
    from sortui.server.db import default_url

    return args.database or default_url()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@service_errors
def cmd_serve(args: argparse.Namespace) -> int:
    from sortui.server.run import serve

    url = _database_url(args)
    processes = f", {args.workers} processes" if args.workers > 1 else ""
    err.print(safe_line(f"sortui service on http://{args.host}:{args.port}/api/v1 (database {_shown(url)}{processes})"))
    serve(
        url,
        args.host,
        args.port,
        args.token_minutes,
        args.max_body_mb * 1024 * 1024,
        args.log_level,
        args.workers,
        args.files_dir,
    )
    return EXIT_OK


@service_errors
def cmd_server_init(args: argparse.Namespace) -> int:
    from sortui.server.db import make_engine
    from sortui.server.loader import init_from_files

    engine = make_engine(_database_url(args))
    try:
        report = init_from_files(engine, args.files)
    finally:
        engine.dispose()
    err.print(
        safe_line(
            f"loaded {report.entities} units, {report.locations} lokationsnumre, {report.messages} "
            f"message-type registrations and {report.shak_codes} SHAK-kode versions into {_shown(_database_url(args))}"
        )
    )
    if report.skipped_messages:
        err.print(
            safe_line(f"skipped {report.skipped_messages} registrations on unknown lokationsnumre", style="yellow")
        )
    return EXIT_OK


@service_errors
def cmd_server_add_user(args: argparse.Namespace) -> int:
    from sortui.server.db import make_engine
    from sortui.server.users import add_user
    from sortui.sync.credentials import read_password

    password = read_password(args.password_stdin, printable(f"password for {args.name}: "))
    if not args.password_stdin and password != read_password(False, "again: "):
        raise CliError("the passwords differ")
    engine = make_engine(_database_url(args))
    try:
        user = add_user(engine, args.name, args.role, password, args.subtree, replace=args.replace)
    finally:
        engine.dispose()
    where = f" (subtrees {', '.join(user.subtrees)})" if user.subtrees else ""
    err.print(safe_line(f"user {user.name}: {user.role}{where}"))
    return EXIT_OK


@service_errors
def cmd_server_users(args: argparse.Namespace) -> int:
    from sortui.server.db import make_engine
    from sortui.server.users import list_users

    engine = make_engine(_database_url(args))
    try:
        found = list_users(engine)
    finally:
        engine.dispose()
    if args.json:
        print_json([u.as_json() for u in found])
    for u in [] if args.json else found:
        out.print(safe_line(f"{u.name:<20} {u.role:<10} {' '.join(u.subtrees)}"))
    return EXIT_OK
