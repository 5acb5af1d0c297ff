"""Running the service with uvicorn, with logs that never carry a secret.

uvicorn's access log writes the client, request line and status only (never headers,
so never the Authorization header); query values that look like secrets and any
``Bearer ...`` text are masked in every log line as well.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from pathlib import Path
from typing import Any

import uvicorn

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|access_token|password|passwd|secret|key)=)[^&\s]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    # Every log line's message and arguments come here (two a request at the info level): most have
    # no '=' and no "bearer", and looking for those costs less than the substitutions.
    if "=" in text:
        text = _SECRET_QUERY.sub(r"\1***", text)
    if "bearer" in text.lower():
        text = _BEARER.sub(r"\1***", text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message and arguments (keeps uvicorn's access-log argument tuple)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    upper = level.upper()
    handler = {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactSecrets}},
        "formatters": {
            "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(asctime)s %(levelprefix)s %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(asctime)s %(levelprefix)s %(client_addr)s "%(request_line)s" %(status_code)s',
            },
        },
        "handlers": {
            "default": {**handler, "filters": ["redact"]},
            "access": {**handler, "formatter": "access", "stream": "ext://sys.stdout", "filters": ["redact"]},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": ["access"], "level": upper, "propagate": False},
            "sortui.server": {"handlers": ["default"], "level": upper, "propagate": False},
        },
    }


ENV_WORKER_SETTINGS = "SORTUI_SERVER_WORKER_SETTINGS"  # how `serve --workers N` hands its settings to the workers


def serve(
    database_url: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token_minutes: int | None = None,
    body_limit: int | None = None,
    log_level: str = "info",
    workers: int = 1,
    files_dir: Path | None = None,
) -> None:
    """Run the service until interrupted: one process, or ``workers`` processes on one port.

    Several processes share the database (PostgreSQL, or an SQLite file on this host): everything
    they must agree on, the changesets, the feed, the sign-in throttling, is kept there.
    """
    from sortui.server.db import make_engine
    from sortui.server.feed import number_feed

    engine = make_engine(database_url)  # creates the tables once, before any worker starts
    number_feed(engine)  # rows committed by a process that did not live to number them
    settings = {
        "database": database_url,
        "token_minutes": token_minutes,
        "body_limit": body_limit,
        "files_dir": str(files_dir) if files_dir else None,
    }
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "log_level": log_level,
        "server_header": False,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 5,
    }
    if workers > 1:
        engine.dispose()
        os.environ[ENV_WORKER_SETTINGS] = json.dumps(settings)
        _run_workers(TcpConfig(f"{__name__}:worker_app", factory=True, workers=workers, **options))
        return
    try:
        uvicorn.Server(uvicorn.Config(_app(engine, settings), **options)).run()
    finally:
        engine.dispose()


def _run_workers(config: Any) -> None:
    """uvicorn.run's way with workers, on the socket ``config`` binds."""
    from uvicorn.supervisors import Multiprocess

    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    except KeyboardInterrupt:
        pass


class TcpConfig(uvicorn.Config):
    """uvicorn binds the workers' socket without naming its protocol, so asyncio does not switch
    Nagle's algorithm off on their connections (it checks for IPPROTO_TCP), and every answer
    waited about 40 ms for the client's delayed ACK. The same socket, with its protocol named."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        named = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        named.set_inheritable(True)
        return named


def worker_app() -> Any:
    """The app of one worker process of ``serve --workers N`` (uvicorn calls this in each)."""
    from sortui.server.db import make_engine

    settings = json.loads(os.environ[ENV_WORKER_SETTINGS])
    return _app(make_engine(settings["database"]), settings)


def _app(engine: Any, settings: dict[str, Any]) -> Any:
    from sortui.server.api import DEFAULT_BODY_LIMIT, create_app
    from sortui.server.users import DEFAULT_TOKEN_MINUTES

    files_dir = settings.get("files_dir")
    return create_app(
        engine,
        settings["token_minutes"] or DEFAULT_TOKEN_MINUTES,
        settings["body_limit"] or DEFAULT_BODY_LIMIT,
        Path(files_dir) if files_dir else None,
    )
