"""Filling the service's register from the register's files (``sortui server init``).

The files go through the same readers and checks as ``sortui import`` (into a
throw-away working copy), so anything ``import`` accepts can seed the service.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import Engine, func, insert, select

from sortui.domain import wire
from sortui.domain.model import Entity, Location, ShakCode
from sortui.server.changesets import dumps
from sortui.server.schema import EntityRecord, LocationRecord, ShakCodeRecord
from sortui.store.rows import load_entities, location_from_row

BATCH = 2000
Progress = Callable[[str, int, int], None]


class LoadError(Exception):
    """The service's register cannot be loaded as asked."""


@dataclass
class LoadReport:
    entities: int = 0
    locations: int = 0
    messages: int = 0
    skipped_messages: int = 0  # registered on a location number that is not in the files
    shak_codes: int = 0  # SHAK code versions (lines of SHAKCOMPLETE.TXT)


def init_from_files(engine: Engine, files: Iterable[Path], progress: Progress | None = None) -> LoadReport:
    """Load the files into an empty service register (refused when it has units already)."""
    from sortui.store.importer import import_files

    _require_empty(engine)
    with tempfile.TemporaryDirectory(prefix="sortui-server-init-") as folder:
        staging = Path(folder) / "staging.sqlite"
        import_files(staging, [Path(f) for f in files], progress)
        with closing(sqlite3.connect(staging)) as conn:
            return load_working_copy(engine, conn)


def _require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(EntityRecord)).scalar_one()
    if count:
        raise LoadError(f"the service's register already has {count} units; init needs an empty database")


def load_working_copy(engine: Engine, conn: sqlite3.Connection) -> LoadReport:
    """Copy units, location numbers and their message types from a working copy into the service."""
    messages = _messages(conn)
    conn.row_factory = sqlite3.Row
    locations = [location_from_row(r) for r in conn.execute("SELECT * FROM location ORDER BY gln")]
    known = {loc.gln for loc in locations}
    report = LoadReport(
        messages=sum(len(v) for g, v in messages.items() if g in known),
        skipped_messages=sum(len(v) for g, v in messages.items() if g not in known),
    )
    report.entities = load_records(engine, (ent for _, ent in load_entities(conn)), locations, messages)
    report.locations = len(locations)
    report.shak_codes = _load_shak_codes(engine, conn)
    return report


def _load_shak_codes(engine: Engine, conn: sqlite3.Connection) -> int:
    """Copy the working copy's SHAK codes (every version) into the service, which publishes them again."""
    conn.row_factory = sqlite3.Row
    names = [f.name for f in fields(ShakCode) if f.name != "source_line"]
    count = 0
    with engine.begin() as target:
        rows = conn.execute(f"SELECT {', '.join(names)} FROM shak_code ORDER BY code, valid_from")
        while part := rows.fetchmany(BATCH):
            records = [{"code": r["code"], "valid_from": r["valid_from"], "data": dumps(dict(r))} for r in part]
            target.execute(insert(ShakCodeRecord), records)
            count += len(records)
    return count


def load_records(
    engine: Engine,
    entities: Iterable[Entity],
    locations: Iterable[Location],
    messages: dict[str, dict[str, dict[str, str | None]]] | None = None,
) -> int:
    """Insert units and location numbers at version 0 in one transaction; returns the number of units."""
    count = 0
    with engine.begin() as conn:
        rows: list[dict[str, object]] = []
        for ent in entities:
            rows.append(
                {
                    "sor_id": ent.sor_id,
                    "parent_sor_id": ent.parent_sor_id,
                    "kind": ent.kind,
                    "version": 0,
                    "data": dumps(wire.entity_to_data(ent)),
                }
            )
            count += 1
            if len(rows) >= BATCH:
                conn.execute(insert(EntityRecord), rows)
                rows = []
        if rows:
            conn.execute(insert(EntityRecord), rows)
        loc_rows = [
            {
                "gln": loc.gln,
                "owner_sor_id": loc.owner_sor_id,
                "version": 0,
                "data": dumps(wire.location_to_data(loc, (messages or {}).get(loc.gln))),
            }
            for loc in locations
        ]
        for i in range(0, len(loc_rows), BATCH):
            conn.execute(insert(LocationRecord), loc_rows[i : i + BATCH])
    return count


def _messages(conn: sqlite3.Connection) -> dict[str, dict[str, dict[str, str | None]]]:
    out: dict[str, dict[str, dict[str, str | None]]] = {}
    for gln, urn, from_date, to_date in conn.execute(
        "SELECT gln, message_urn, from_date, to_date FROM location_message ORDER BY gln, message_urn"
    ):
        out.setdefault(gln, {})[urn] = {"from_date": from_date, "to_date": to_date}
    return out
