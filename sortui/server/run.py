"""Running the service with uvicorn, with logs that never carry a secret.

uvicorn's access log writes the client, request line and status only (never headers,
so never the Authorization header); query values that look like secrets and any
``Bearer ...`` text are masked in every log line as well.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|access_token|password|passwd|secret|key)=)[^&\s]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1***", _SECRET_QUERY.sub(r"\1***", text))


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


def serve(
    database_url: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token_minutes: int | None = None,
    body_limit: int | None = None,
    log_level: str = "info",
    files_dir: Path | None = None,
) -> None:
    """Run the service until interrupted."""
    import uvicorn

    from sortui.server.api import DEFAULT_BODY_LIMIT, create_app
    from sortui.server.db import make_engine
    from sortui.server.users import DEFAULT_TOKEN_MINUTES

    engine = make_engine(database_url)
    app = create_app(engine, token_minutes or DEFAULT_TOKEN_MINUTES, body_limit or DEFAULT_BODY_LIMIT, files_dir)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=log_config(log_level),
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        engine.dispose()
