"""SOR ids issued by the service for units created in a working copy.

A working copy gives a new unit a provisional id (``<seq>100001699<check>``, see
``domain.provisional``); the service replaces it with a real one in the SOR-id layout
``<item>1000016<partition 00><Verhoeff check digit>``. Items come from the service's
own sequence (table ``id_sequence``), which starts after the highest item in the
register and skips any id that exists already, so an issued id never collides.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from sortui.domain import codes
from sortui.server.schema import EntityRecord, IdSequence

SUFFIX = "100001600"  # namespace 1000016, partition 00
SEQUENCE = "sor_id"


def sor_id_for(item: int) -> str:
    body = f"{item}{SUFFIX}"
    return body + codes.verhoeff_digit(body)


def _item_of(sor_id: str) -> int | None:
    body = sor_id[:-1]
    if not sor_id.isdigit() or not body.endswith(SUFFIX) or len(body) == len(SUFFIX):
        return None
    return int(body[: -len(SUFFIX)])


def _first_item(conn: Connection) -> int:
    """One past the highest item of the register's ids in this layout (1 for an empty register)."""
    rows = conn.execute(select(EntityRecord.sor_id).where(EntityRecord.sor_id.like(f"%{SUFFIX}_"))).scalars()
    items = [i for i in map(_item_of, rows) if i is not None]
    return max(items, default=0) + 1


def _exists(conn: Connection, sor_id: str) -> bool:
    return conn.execute(select(EntityRecord.sor_id).where(EntityRecord.sor_id == sor_id)).first() is not None


def issue(conn: Connection, count: int) -> list[str]:
    """``count`` new SOR ids (inside the caller's write transaction: a rollback gives them back)."""
    if count <= 0:
        return []
    current = conn.execute(select(IdSequence.next_value).where(IdSequence.name == SEQUENCE)).scalar()
    item = current if current is not None else _first_item(conn)
    issued: list[str] = []
    while len(issued) < count:
        candidate = sor_id_for(item)
        item += 1
        if not _exists(conn, candidate):
            issued.append(candidate)
    if current is None:
        conn.execute(insert(IdSequence).values(name=SEQUENCE, next_value=item))
    else:
        conn.execute(update(IdSequence).where(IdSequence.name == SEQUENCE).values(next_value=item))
    return issued
