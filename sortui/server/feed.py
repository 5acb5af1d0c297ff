"""Numbering the change feed, after the changesets commit.

A changeset's transaction writes its feed rows without numbers (``change.seq`` NULL) and commits
without touching ``register_state``, so on PostgreSQL commits run side by side and their WAL
flushes are shared. Numbers are given afterwards by a short transaction under ``FEED_LOCK`` (an
advisory lock: it writes nothing), to every committed row that has none: changesets in the order
of their first row, a changeset's rows in the order of its operations, after ``head_seq``, which
moves past them in the same transaction.

Why the feed stays whole: a row is numbered only after its transaction committed, and numberings
run one at a time, each committing before the next takes the lock, so a reader (who reads
``head_seq`` first, then the rows up to it) sees 1..head without gaps or doubles.

Why the order is right: two changes of one record cannot commit side by side (the row lock and
the version check), and the later one writes its feed rows, so takes their ids, after the earlier
one committed. It is numbered after it: by the same numbering, in id order, or by a later one.
The same holds for any changeset that read what another wrote (a unit created, then edited).

Why it is fast: one numbering covers every changeset committed before it, one fsync for them all.
In a process, a request whose rows are still unnumbered waits for a numbering that began after
its commit (``Numbering``): one request leads it, the others take their numbers from its result
without a round trip of their own; and a numbering that finds nothing (another process was
first) writes no WAL. A process that dies between a commit and its numbering leaves rows that the
next numbering, or the service's start (``number_feed``), numbers: nothing is lost, and no reader
ever sees a row without a number.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Connection, Engine, bindparam, text, update

from sortui.server.db import FEED_LOCK, DriverSql, reading, write_transaction
from sortui.server.schema import RegisterState

_STATE = RegisterState.__table__  # type: ignore[attr-defined]
_NUMBER = DriverSql(
    text(
        "UPDATE change SET seq = (SELECT head_seq FROM register_state WHERE id = 1) + t.n"
        " FROM (SELECT id, row_number() OVER (ORDER BY first_id, id) AS n"
        " FROM (SELECT id, min(id) OVER (PARTITION BY changeset_id) AS first_id FROM change WHERE seq IS NULL) AS s)"
        " AS t WHERE change.id = t.id RETURNING change.changeset_id, change.seq"
    )
)
_ADVANCE = DriverSql(
    update(_STATE)
    .where(_STATE.c.id == 1)
    .values(head_seq=_STATE.c.head_seq + bindparam("n"), changesets=_STATE.c.changesets + bindparam("c"))
)
_OWN = DriverSql(text("SELECT min(seq), max(seq), count(*) - count(seq) FROM change WHERE changeset_id = :id"))

Ranges = dict[str, tuple[int, int]]


def number_feed(engine: Engine) -> int:
    """Number every committed feed row that has no number yet (at start-up); how many were numbered."""
    return sum(last - first + 1 for first, last in _number(engine).values())


def changeset_seqs(engine: Engine, changeset_id: str, conn: Connection | None = None) -> tuple[int, int]:
    """The first and last feed numbers of a committed changeset, numbering the feed if it needs it.

    ``conn``: the request's own connection (``db.request_connection``), for the numbering it leads."""
    return _numbering(engine).seqs(changeset_id, conn)


def _number(engine: Engine, conn: Connection | None = None) -> Ranges:
    """One numbering transaction: {changeset id: (first, last)} of the rows it numbered."""
    with write_transaction(engine, FEED_LOCK, conn) as conn:
        return _number_pending(conn)


def _number_pending(conn: Connection) -> Ranges:
    ranges: Ranges = {}
    for changeset_id, seq in _NUMBER(conn):
        first, last = ranges.get(changeset_id, (seq, seq))
        ranges[changeset_id] = (min(first, seq), max(last, seq))
    if ranges:  # nothing numbered: nothing written (on PostgreSQL no WAL, no fsync)
        count = sum(last - first + 1 for first, last in ranges.values())
        _ADVANCE(conn, {"n": count, "c": len(ranges)})
    return ranges


def own_seqs(engine: Engine, changeset_id: str, conn: Connection | None = None) -> tuple[int, int] | None:
    """A changeset's numbers as committed; None while its rows have none."""
    with reading(engine, conn) as conn:
        first, last, unnumbered = _OWN(conn, {"id": changeset_id}).one()
    return None if unnumbered or first is None else (first, last)


class Numbering:
    """This process's numberings of one database, one at a time; the requests waiting share them.

    A request's rows are numbered by any numbering that began after its commit. So a request waits
    while one runs that began before; then, if none has begun since, it leads the next, which
    numbers its rows and those of every request that committed meanwhile. The others take their
    numbers from the leader's result (or, numbered by another process, read them).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._cond = threading.Condition()
        self._running = False
        self._begun = 0  # numberings begun in this process
        self._ended = 0
        self._waiting: set[str] = set()
        self._results: Ranges = {}  # for the waiting requests only

    def seqs(self, changeset_id: str, conn: Connection | None = None) -> tuple[int, int]:
        try:
            while True:
                found, lead = self._wait(changeset_id)
                if found is not None:
                    return found
                if lead:
                    self._lead(conn)
                found = self._result(changeset_id) or own_seqs(self.engine, changeset_id, conn)
                if found is not None:
                    return found  # else the numbering failed (its leader says why): try again
        finally:
            with self._cond:
                self._waiting.discard(changeset_id)
                self._results.pop(changeset_id, None)

    def _wait(self, changeset_id: str) -> tuple[tuple[int, int] | None, bool]:
        """(its numbers, if a numbering gave them) or (None, whether to lead the next numbering)."""
        with self._cond:
            after = self._begun + 1  # the first numbering to begin after this commit
            self._waiting.add(changeset_id)
            while self._running and changeset_id not in self._results:
                self._cond.wait()
            if changeset_id in self._results:
                return self._results.pop(changeset_id), False
            if self._ended >= after:  # one began after the commit and ended: numbered, by another process
                return None, False
            self._running = True
            self._begun += 1
            return None, True

    def _lead(self, conn: Connection | None) -> None:
        ranges: Ranges = {}
        try:
            ranges = _number(self.engine, conn)
        finally:
            with self._cond:
                self._results.update((k, v) for k, v in ranges.items() if k in self._waiting)
                self._running = False
                self._ended = self._begun
                self._cond.notify_all()

    def _result(self, changeset_id: str) -> tuple[int, int] | None:
        with self._cond:
            return self._results.pop(changeset_id, None)


_NUMBERINGS: weakref.WeakKeyDictionary[Engine, Numbering] = weakref.WeakKeyDictionary()
_NUMBERINGS_LOCK = threading.Lock()


def _numbering(engine: Engine) -> Numbering:
    with _NUMBERINGS_LOCK:
        found = _NUMBERINGS.get(engine)
        if found is None:
            found = _NUMBERINGS[engine] = Numbering(engine)
        return found
