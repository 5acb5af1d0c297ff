"""Reading the register on the service: units, location numbers, the change feed, snapshots, status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from sortui.server.changesets import dumps
from sortui.server.db import now
from sortui.server.schema import Change, EntityRecord, LocationRecord, OperatingMessage, RegisterState

MAX_PAGE = 5000
SEVERITIES = ("info", "warning", "critical")


def unit(conn: Connection, sor_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(EntityRecord.version, EntityRecord.data).where(EntityRecord.sor_id == sor_id)).first()
    if row is None:
        return None
    glns = conn.execute(select(LocationRecord.gln).where(LocationRecord.owner_sor_id == sor_id)).scalars().all()
    return {"sor_id": sor_id, "version": row[0], "data": json.loads(row[1]), "location_numbers": list(glns)}


def location(conn: Connection, gln: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(LocationRecord.owner_sor_id, LocationRecord.version, LocationRecord.data).where(
            LocationRecord.gln == gln
        )
    ).first()
    if row is None:
        return None
    return {"gln": gln, "owner_sor_id": row[0], "version": row[1], "data": json.loads(row[2])}


def _change_json(row: Any) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "changeset": row.changeset_id,
        "target": row.target,
        "key": row.key,
        "op": row.op,
        "field": row.field,
        "old": json.loads(row.old_value) if row.old_value is not None else None,
        "new": json.loads(row.new_value) if row.new_value is not None else None,
        "version": row.new_version,
        "user": row.account,
        "time": row.created_at,
    }


def changes(conn: Connection, since: int, limit: int) -> dict[str, Any]:
    """One page of the feed after ``since``; ``more`` says whether another page follows."""
    limit = max(1, min(limit, MAX_PAGE))
    head = _head(conn)  # read first: with several writers, a page never reaches past the head it reports
    query = select(Change).where(Change.seq > since, Change.seq <= head).order_by(Change.seq).limit(limit)
    rows = conn.execute(query).all()
    items = [_change_json(r) for r in rows]
    last = items[-1]["seq"] if items else max(since, 0)
    return {"changes": items, "last_seq": last, "head": head, "more": last < head}


def history(conn: Connection, sor_id: str, limit: int, before: int | None) -> list[dict[str, Any]]:
    """The audit trail of a unit and of the location numbers it owns, newest first."""
    glns = conn.execute(select(LocationRecord.gln).where(LocationRecord.owner_sor_id == sor_id)).scalars().all()
    cond = (Change.target == "entity") & (Change.key == sor_id)
    if glns:
        cond = cond | (Change.target.in_(("location", "message")) & Change.key.in_(glns))
    query = select(Change).where(cond, Change.seq.is_not(None))  # a row is in the trail once it is numbered
    if before is not None:
        query = query.where(Change.seq < before)
    rows = conn.execute(query.order_by(Change.seq.desc()).limit(max(1, min(limit, MAX_PAGE)))).all()
    return [_change_json(r) for r in rows]


def _head(conn: Connection) -> int:
    return conn.execute(select(RegisterState.head_seq).where(RegisterState.id == 1)).scalar_one()


def snapshot_lines(engine: Engine, batch: int = 2000) -> Iterator[bytes]:
    """The whole register as JSON lines: a header (feed position, counts), then units, then location numbers.

    The header's ``seq`` is read first, so the records are at least that new; a client pulls from
    ``seq`` afterwards, and applying a change twice is harmless. The records may hold changes
    numbered after ``seq``: committed, not numbered yet when it was read (or committed since), so
    the client meets them again in the feed (field values written again, versions only raised).
    """
    with engine.connect() as conn:
        head = _head(conn)
        counts = {
            "entities": conn.execute(select(func.count()).select_from(EntityRecord)).scalar_one(),
            "locations": conn.execute(select(func.count()).select_from(LocationRecord)).scalar_one(),
        }
        yield _line({"type": "header", "seq": head, **counts, "service_id": service_id(conn)})
        yield from _records(
            conn, select(EntityRecord.version, EntityRecord.data).order_by(EntityRecord.sor_id), "entity", batch
        )
        yield from _records(
            conn, select(LocationRecord.version, LocationRecord.data).order_by(LocationRecord.gln), "location", batch
        )
        yield _line({"type": "end"})


def _records(conn: Connection, query: Any, kind: str, batch: int) -> Iterator[bytes]:
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions(batch):
        yield b"".join(b'{"type":"%s","version":%d,"data":%s}\n' % (kind.encode(), v, d.encode()) for v, d in part)


def _line(obj: dict[str, Any]) -> bytes:
    return (dumps(obj) + "\n").encode("utf-8")


def service_id(conn: Connection) -> str:
    return conn.execute(select(RegisterState.service_id).where(RegisterState.id == 1)).scalar_one()


# -- status and operating messages -------------------------------------------


def status(conn: Connection, limit: int = 5) -> dict[str, Any]:
    stamp = now()
    rows = conn.execute(
        select(OperatingMessage)
        .where((OperatingMessage.valid_until.is_(None)) | (OperatingMessage.valid_until > stamp))  # type: ignore[union-attr]
        .order_by(OperatingMessage.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    return {
        "service": "sortui",
        "status": "ok",
        "time": stamp,
        "head_seq": _head(conn),
        "service_id": service_id(conn),
        "messages": [
            {"id": r.id, "time": r.created_at, "severity": r.severity, "text": r.text, "valid_until": r.valid_until}
            for r in rows
        ],
    }


def post_message(engine: Engine, author: str, text: str, severity: str, valid_until: str | None) -> dict[str, Any]:
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(OperatingMessage).values(
                created_at=now(), account=author, severity=severity, text=text, valid_until=valid_until
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return {"id": new_id, "severity": severity, "text": text, "valid_until": valid_until}


def delete_message(engine: Engine, message_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(delete(OperatingMessage).where(OperatingMessage.id == message_id)).rowcount > 0
