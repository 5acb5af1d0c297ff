"""Filling an empty working copy from the service's snapshot (GET /api/v1/snapshot), all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from sortui.domain import wire
from sortui.domain.model import LocationMessage, Snapshot
from sortui.store.rows import LOCATION_COLS, EntityBatch, insert_sql, location_row
from sortui.store.search_index import rebuild_search
from sortui.store.tables import LOCATION_MESSAGE, SNAPSHOT
from sortui.sync import state
from sortui.sync.client import BadAnswer, ServiceClient

BATCH = 5000
Progress = Callable[[str, int, int], None]


def is_empty(conn: sqlite3.Connection) -> bool:
    """No units and no location numbers: a working copy that was never imported into."""
    return (
        conn.execute("SELECT 1 FROM entity LIMIT 1").fetchone() is None
        and conn.execute("SELECT 1 FROM location LIMIT 1").fetchone() is None
    )


class _Filler:
    def __init__(self, conn: sqlite3.Connection, report: Progress):
        self.conn = conn
        self.report = report
        self.batch = EntityBatch()
        self.locations: list[tuple] = []
        self.messages: list[tuple] = []
        self.header: dict | None = None
        self.entities = self.location_count = 0

    def add(self, record: dict) -> bool:
        """Take one snapshot record; True at the end record."""
        kind = record["type"]
        if kind == "header":
            self.header = record
        elif self.header is None:
            raise BadAnswer("the service's snapshot does not start with a header")
        elif kind == "entity":
            self._entity(record)
        elif kind == "location":
            self._location(record)
        return kind == "end"

    def _entity(self, record: dict) -> None:
        try:
            ent = wire.entity_from_data(record["data"], record["version"])
        except (KeyError, TypeError) as exc:
            raise BadAnswer(f"the service's snapshot has a malformed unit ({exc})") from None
        self.batch.add(ent)
        self.entities += 1
        if self.batch.count >= BATCH:
            self.batch.flush(self.conn)
            self.report("snapshot", self.entities, self.header.get("entities", 0) if self.header else 0)

    def _location(self, record: dict) -> None:
        data = record["data"]
        try:
            loc = wire.location_from_data(data, record["version"])
            messages = data.get("messages") or {}
            self.messages += [
                LOCATION_MESSAGE.values(LocationMessage(loc.gln, urn, v.get("from_date"), v.get("to_date")))
                for urn, v in messages.items()
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise BadAnswer(f"the service's snapshot has a malformed lokationsnummer ({exc})") from None
        self.locations.append(location_row(loc))
        self.location_count += 1

    def finish(self, url: str) -> None:
        self.batch.flush(self.conn)
        self.conn.executemany(insert_sql("location", LOCATION_COLS), self.locations)
        self.conn.executemany(
            insert_sql("location_message", LOCATION_MESSAGE.names, "INSERT OR REPLACE"), self.messages
        )
        rebuild_search(self.conn)
        assert self.header is not None
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        snapshot = Snapshot("sor", f"{url} (change feed {self.header['seq']})")
        self.conn.execute(
            insert_sql("snapshot", SNAPSHOT.names, "INSERT OR REPLACE"),
            SNAPSHOT.values(snapshot, imported_at=stamp, rows=self.entities),
        )
        state.write_state(self.conn, last_seq=self.header["seq"], service_id=self.header.get("service_id"))


def fill_from_snapshot(conn: sqlite3.Connection, client: ServiceClient, report: Progress) -> tuple[int, int]:
    """Load every unit and location number; (units, location numbers). A broken stream loads nothing."""
    filler = _Filler(conn, report)
    ended = False
    records = client.snapshot()
    try:
        with conn:
            for record in records:
                if filler.add(record):
                    ended = True
                    break
            if not ended:
                raise BadAnswer("the service's snapshot ended early; nothing was loaded")
            filler.finish(client.url)
    except sqlite3.IntegrityError as exc:
        raise BadAnswer(f"the service's snapshot has a duplicate record ({exc})") from None
    finally:
        records.close()
    report("snapshot", filler.entities, filler.entities)
    return filler.entities, filler.location_count
