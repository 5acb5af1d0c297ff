"""Sign-in throttling, kept in the database so that every service process sees the same counts.

Failed sign-ins are counted per user name and per client address. After ``FREE`` failures in a
row (5 for a name; 20 for an address, as many users may sit behind one jump host), each further
failure blocks that name or address for a growing time: 1 s, 2 s, 4 s, ... up to 15 minutes.
While blocked, a sign-in is answered 429 with ``Retry-After`` before any password is hashed,
even with the right password (so a guessing loop learns nothing). A success clears its name's
count; counts are forgotten an hour after the last failure. User names are kept as their
SHA-256 only: a name typed into the sign-in may be someone's password. Every checked sign-in
goes into the audit log (``sign_in_event``), with the name only when it is one of the users;
refused ones are counted on their throttle row rather than written one by one.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, case, delete, func, insert, select, update

from sortui.server.db import now
from sortui.server.schema import SignInEvent, SignInThrottle

FREE = {"user": 5, "address": 20}
MAX_BLOCK_S = 15 * 60
FORGET_S = 60 * 60


@dataclass(frozen=True, slots=True)
class Blocked:
    retry_after: int  # seconds


def _keys(name: str, address: str) -> dict[str, str]:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:64]
    return {"user": f"user:{digest}", "address": f"address:{address[:64]}"}


def blocked(engine: Engine, name: str, address: str) -> Blocked | None:
    """Whether a sign-in of ``name`` from ``address`` is refused now (and then counts the refusal)."""
    keys = list(_keys(name, address).values())
    stamp = time.time()
    with engine.begin() as conn:
        until = conn.execute(
            select(func.max(SignInThrottle.blocked_until)).where(
                SignInThrottle.key.in_(keys), SignInThrottle.blocked_until > stamp
            )
        ).scalar()
        if until is None:
            return None
        conn.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key.in_(keys), SignInThrottle.blocked_until > stamp)
            .values(refused=SignInThrottle.refused + 1)
        )
    return Blocked(max(1, math.ceil(until - stamp)))


def failed(engine: Engine, name: str, address: str, account: str | None) -> None:
    """Count a failed sign-in for the name and the address, block them when due, and audit it."""
    stamp = time.time()
    with engine.begin() as conn:
        for kind, key in _keys(name, address).items():
            failures = conn.execute(_count_failure(engine, key, stamp)).scalar_one()
            beyond = failures - FREE[kind]
            if beyond > 0:
                block = min(2 ** min(beyond - 1, 20), MAX_BLOCK_S)
                conn.execute(
                    update(SignInThrottle).where(SignInThrottle.key == key).values(blocked_until=stamp + block)
                )
        conn.execute(
            delete(SignInThrottle).where(
                SignInThrottle.last_failure < stamp - FORGET_S, SignInThrottle.blocked_until < stamp
            )
        )
        conn.execute(insert(SignInEvent).values(at=now(), account=account, address=address[:64], outcome="failed"))


def _count_failure(engine: Engine, key: str, stamp: float) -> Any:
    """INSERT or increment (atomically, whichever process gets there first); returns the new count."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(SignInThrottle).values(key=key, failures=1, last_failure=stamp, blocked_until=0.0, refused=0)
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    forgotten = table.c.last_failure < stamp - FORGET_S
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": case((forgotten, 1), else_=table.c.failures + 1),
            "last_failure": stamp,
        },
    ).returning(table.c.failures)


def succeeded(engine: Engine, name: str, address: str) -> None:
    """A correct sign-in: the name's count starts again (the address's decays by itself); audit it."""
    with engine.begin() as conn:
        conn.execute(delete(SignInThrottle).where(SignInThrottle.key == _keys(name, address)["user"]))
        conn.execute(insert(SignInEvent).values(at=now(), account=name, address=address[:64], outcome="signed_in"))


def recent_events(engine: Engine, limit: int = 100) -> dict[str, Any]:
    """The newest sign-in events and the failures of the last 24 hours, for administrators."""
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 24 * 3600))
    with engine.connect() as conn:
        rows = conn.execute(select(SignInEvent).order_by(SignInEvent.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
        failures = conn.execute(
            select(func.count())
            .select_from(SignInEvent)
            .where(SignInEvent.outcome == "failed", SignInEvent.at >= since)
        ).scalar_one()
        refused = conn.execute(select(func.coalesce(func.sum(SignInThrottle.refused), 0))).scalar_one()
    return {
        "failed_last_24h": failures,
        "refused_while_blocked": int(refused),
        "events": [{"time": r.at, "user": r.account, "address": r.address, "outcome": r.outcome} for r in rows],
    }
