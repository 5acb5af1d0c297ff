"""How available the service has been: its own record of the minutes it was running.

Every service process writes a heartbeat once a minute (a thread started with the app): the
current minute (UTC, minutes since 1970) goes into ``heartbeat``, once however many processes
run. Availability over the last 30 days is the share of minutes with a heartbeat, counted from
the first recorded minute when the service is younger than that; a minute in which no process
ran (stopped, crashed, the host down, the database unreachable) has none. It is measured by the
service itself, so it says "a process was running and could write to its database", not that
the network reached it. Rows older than the window (and a day) are deleted as the beats go on.
The register's service-level agreement is 95 % (``SLA_PERCENT``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from sortui.server.schema import Heartbeat

SLA_PERCENT = 95.0
WINDOW_DAYS = 30
INTERVAL_S = 60.0
_KEEP_MINUTES = (WINDOW_DAYS + 1) * 24 * 60
log = logging.getLogger("sortui.server")


def current_minute(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // 60)


def beat(engine: Engine, minute: int | None = None) -> None:
    """Record that the service runs in ``minute`` (now by default); prune what is past the window."""
    minute = current_minute() if minute is None else minute
    with engine.begin() as conn:
        conn.execute(_insert_ignoring_duplicates(engine).values(minute=minute))
        conn.execute(delete(Heartbeat).where(Heartbeat.minute < minute - _KEEP_MINUTES))


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Heartbeat).on_conflict_do_nothing(index_elements=["minute"])


def availability(conn: Connection, now_minute: int | None = None) -> dict[str, Any]:
    """Minutes up of the minutes in the window (the last 30 days, or since the first heartbeat)."""
    now_minute = current_minute() if now_minute is None else now_minute
    window_start = now_minute - WINDOW_DAYS * 24 * 60 + 1
    first = conn.execute(select(func.min(Heartbeat.minute)).where(Heartbeat.minute >= window_start)).scalar()
    start = max(window_start, first if first is not None else now_minute)
    up = conn.execute(
        select(func.count()).select_from(Heartbeat).where(Heartbeat.minute >= start, Heartbeat.minute <= now_minute)
    ).scalar_one()
    total = now_minute - start + 1
    percent = round(100.0 * up / total, 3)
    return {
        "window_days": WINDOW_DAYS,
        "since": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(start * 60)),
        "minutes": total,
        "minutes_up": up,
        "percent": percent,
        "sla_percent": SLA_PERCENT,
        "meets_sla": percent >= SLA_PERCENT,
    }


class Heartbeats:
    """A daemon thread that beats every ``interval`` seconds until ``stop``."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_S):
        self.engine, self.interval = engine, interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sortui-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                beat(self.engine)
            except SQLAlchemyError as exc:  # the database is away: this minute stays without a heartbeat
                log.warning("heartbeat not recorded: %s", type(exc).__name__)
            self._stopped.wait(self.interval)
