"""One synchronisation: fill an empty working copy, push the journal, pull the change feed.

``sync`` and ``plan`` report progress through a callback and return result objects, so
the CLI and the app's worker share them. Nothing here prints or imports Textual.

Push: pending entries go out as one changeset (several of ``MAX_CHANGESET``, in order, for a very
long journal). They are marked ``sent`` with its id
before the request, so an interrupted push is retried with the same id and the service
applies it once. On 409 nothing was applied: a field the service still has at the value
the edit started from is rebased and sent again at once; a field changed there too is
recorded as a conflict and held back until resolved. Pull: changes by others are applied
without journaling; a field with a pending local edit keeps the local value.

Units created here go out under their provisional SOR ids; when the service has applied the
changeset, the ids it issued replace the provisional ones everywhere in the working copy (one
transaction, before the entries are marked synced), so later changesets name the real ids.
Location-number modes (``ean``) travel as whole states and are applied by pulls the same way.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sortui.domain import wire
from sortui.store import journal
from sortui.store.journal import JournalEntry
from sortui.sync import bookkeeping, state
from sortui.sync.client import Change, ConflictAnswer, ServiceClient, ServiceRefused, SyncError
from sortui.sync.snapshot import fill_from_snapshot, is_empty

# progress(stage, done, total): stage is "snapshot", "push" or "pull".
Progress = Callable[[str, int, int], None]
PAGE = 2000
MAX_PUSH_ROUNDS = 3  # pushes answered 409 in one sync (each rebases or records what conflicted)
MAX_CHANGESET = 5000  # operations per changeset (about 1 MB); a longer journal goes out in several, in order
Field = tuple[str, str, str | None]


@dataclass
class SyncResult:
    pushed: int = 0  # journal entries the service applied (or had applied: ``replayed``)
    replayed: int = 0  # of those, from an interrupted push the service had already applied
    rebased: int = 0  # entries sent again on a newer version (the field had not changed there)
    pulled: int = 0  # changes read from the feed
    applied: int = 0  # changes by others applied to the working copy
    own: int = 0  # changes of this working copy's own changesets (already here)
    kept_local: int = 0  # changes to a field with a pending local edit (the local value is kept)
    missing: int = 0  # changes to units or location numbers not in this working copy
    snapshot_entities: int = 0  # units loaded into an empty working copy
    snapshot_locations: int = 0
    conflicts: list[state.Conflict] = field(default_factory=list)  # still open after this sync
    held_back: int = 0  # pending entries not sent because their field is in conflict
    last_seq: int = 0
    created: dict[str, str] = field(default_factory=dict)  # units created here: provisional id -> real id


@dataclass
class SyncPlan:
    """What ``sync`` would do (``--dry-run``): nothing is changed to find out."""

    fill_from_snapshot: bool = False
    retry: dict[str, list[JournalEntry]] = field(default_factory=dict)  # interrupted pushes, by changeset id
    push: list[JournalEntry] = field(default_factory=list)
    held_back: list[JournalEntry] = field(default_factory=list)
    pull: int = 0  # changes in the feed after the last pulled one
    pull_by_others: int = 0
    last_seq: int = 0
    head: int = 0


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def operation(entry: JournalEntry) -> dict[str, Any]:
    return entry.operation()


def new_changeset_id() -> str:
    return uuid.uuid4().hex


# -- the whole sync -------------------------------------------------------------


def sync(
    conn: sqlite3.Connection, client: ServiceClient, progress: Progress | None = None, page_size: int = PAGE
) -> SyncResult:
    """Fill (if empty), push, pull. Raises SyncError subclasses; what was done before stays done."""
    report = progress or _noop
    result = SyncResult()
    status = client.status()
    _check_service(conn, status.get("service_id"))
    if is_empty(conn) and not journal.pending(conn):
        result.snapshot_entities, result.snapshot_locations = fill_from_snapshot(conn, client, report)
    push(conn, client, result, report)
    pull(conn, client, result, report, page_size)
    with conn:
        state.write_state(conn, last_sync_at=state.now(), service_id=status.get("service_id"))
    result.conflicts = state.conflicts(conn)
    result.held_back = len(_held_back(conn))
    result.last_seq = state.read_state(conn).last_seq
    return result


def _check_service(conn: sqlite3.Connection, service_id: str | None) -> None:
    known = state.read_state(conn).service_id
    if known and service_id and known != service_id and not is_empty(conn):
        raise SyncError(
            "this working copy was synchronised with another service (its feed positions do not apply here); "
            "import a fresh copy or use an empty working copy"
        )


# -- push -------------------------------------------------------------------------


def _held_back(conn: sqlite3.Connection) -> list[JournalEntry]:
    blocked = state.conflict_fields(conn)
    return [e for e in journal.entries_with_status(conn, "pending") if (e.target, e.key, e.field) in blocked]


def _to_send(conn: sqlite3.Connection) -> list[JournalEntry]:
    blocked = state.conflict_fields(conn)
    return [e for e in journal.entries_with_status(conn, "pending") if (e.target, e.key, e.field) not in blocked]


def _interrupted(conn: sqlite3.Connection) -> dict[str, list[JournalEntry]]:
    groups: dict[str, list[JournalEntry]] = {}
    for entry in journal.entries_with_status(conn, "sent"):
        groups.setdefault(entry.changeset_id or "", []).append(entry)
    return groups


def push(conn: sqlite3.Connection, client: ServiceClient, result: SyncResult, report: Progress) -> None:
    """Re-send interrupted changesets with their ids, then the pending entries as a new one."""
    for changeset_id, entries in _interrupted(conn).items():
        _send(conn, client, changeset_id, entries, result, report)
    refused_rounds = 0
    while refused_rounds < MAX_PUSH_ROUNDS:
        entries = _to_send(conn)[:MAX_CHANGESET]
        if not entries:
            return
        changeset_id = new_changeset_id()
        bookkeeping.mark_sent(conn, [e.id for e in entries], changeset_id)
        if not _send(conn, client, changeset_id, entries, result, report):
            refused_rounds += 1


def _send(
    conn: sqlite3.Connection,
    client: ServiceClient,
    changeset_id: str,
    entries: list[JournalEntry],
    result: SyncResult,
    report: Progress,
) -> bool:
    """Send one changeset; True when applied, False after a 409 (handled). Other refusals raise."""
    report("push", 0, len(entries))
    try:
        answer = client.push(changeset_id, [operation(e) for e in entries])
    except ConflictAnswer as exc:
        bookkeeping.mark_pending(conn, changeset_id)
        _handle_conflicts(conn, entries, exc.conflicts, result)
        return False
    except ServiceRefused:
        bookkeeping.mark_pending(conn, changeset_id)  # refused as a whole: nothing was applied
        raise
    # Unreachable service or a garbled answer: the entries stay 'sent' and the next sync retries the same id.
    with conn:
        for provisional, real in answer.created.items():
            bookkeeping.adopt_sor_id(conn, provisional, real)
    result.created.update(answer.created)
    with conn:
        count = bookkeeping.mark_synced(conn, changeset_id, answer.versions)
        for e in entries:
            conn.execute("DELETE FROM conflict WHERE target = ? AND key = ? AND field IS ?", (e.target, e.key, e.field))
    result.pushed += count
    result.replayed += count if answer.replayed else 0
    report("push", len(entries), len(entries))
    return True


def _handle_conflicts(
    conn: sqlite3.Connection, entries: list[JournalEntry], conflicts: list[dict[str, Any]], result: SyncResult
) -> None:
    """Rebase fields the service still has at their base value; record the others as conflicts."""
    by_field: dict[Field, dict[str, Any]] = {}
    for c in conflicts:
        index = c.get("index")
        if isinstance(index, int) and 0 <= index < len(entries):
            e = entries[index]
            by_field[(e.target, e.key, e.field)] = c
    with conn:
        for (target, key, path), c in by_field.items():
            chain = bookkeeping.field_chain(conn, target, key, path)
            if not chain:
                continue
            server_value, server_version = c.get("server_value"), c.get("server_version")
            if not isinstance(server_version, int):
                continue
            if _same(chain[0], server_value):
                bookkeeping.rebase(conn, [e.id for e in chain], server_version, server_value)
                result.rebased += len(chain)
                continue
            state.record_conflict(
                conn,
                state.Conflict(
                    0,
                    chain[-1].id,
                    target,
                    key,
                    path,
                    chain[0].old_value,
                    chain[-1].new_value,
                    server_value,
                    chain[0].base_version,
                    server_version,
                    state.now(),
                ),
            )


def _same(entry: JournalEntry, server_value: Any) -> bool:
    """The service still has the value the edit started from (so it can be rebased)."""
    if entry.op == "ean":
        return wire.same_ean_state(entry.old_value, server_value)
    return server_value == entry.old_value


# -- pull ---------------------------------------------------------------------------


@dataclass
class _PullContext:
    own: set[str]
    local: set[Field]
    conflicted: set[Field]
    foreign: set[Field] = field(default_factory=set)  # fields changed by others during this pull


def pull(
    conn: sqlite3.Connection, client: ServiceClient, result: SyncResult, report: Progress, page_size: int = PAGE
) -> None:
    """Apply the feed after the last pulled change, a page per transaction (an interrupted pull resumes)."""
    since = start = state.read_state(conn).last_seq
    ctx = _PullContext(bookkeeping.own_changeset_ids(conn), set(), set())
    while True:
        page = client.changes(since, page_size)
        ctx.local = {(e.target, e.key, e.field) for e in journal.pending(conn)}
        ctx.conflicted = state.conflict_fields(conn)
        with conn:
            for change in page.changes:
                _apply_change(conn, change, ctx, result)
            state.write_state(conn, last_seq=page.last_seq)
        result.pulled += len(page.changes)
        since = page.last_seq
        report("pull", since - start, max(page.head - start, since - start))
        if not page.more or not page.changes:
            return


def _apply_change(conn: sqlite3.Connection, ch: Change, ctx: _PullContext, result: SyncResult) -> None:
    key: Field = (ch.target, ch.key, ch.field)
    if ch.changeset in ctx.own:
        result.own += 1
        if key in ctx.foreign and key not in ctx.local:  # an older change by others was applied over ours
            _apply_remote(conn, ch)
        else:
            bookkeeping.set_version(conn, "entity" if ch.target == "entity" else "location", ch.key, ch.version)
        return
    ctx.foreign.add(key)
    if key in ctx.local:
        result.kept_local += 1
        if key in ctx.conflicted:
            _refresh_conflict(conn, ch)
        return
    if _apply_remote(conn, ch):
        result.applied += 1
    else:
        result.missing += 1


def _apply_remote(conn: sqlite3.Connection, ch: Change) -> bool:
    if ch.op == "create":
        return bookkeeping.apply_remote_create(conn, ch.key, ch.new, ch.version)
    if ch.op == "ean":
        return bookkeeping.apply_remote_ean(conn, ch.key, ch.new, ch.version)
    return bookkeeping.apply_remote(conn, ch.target, ch.key, ch.op, ch.field, ch.new, ch.version)


def _refresh_conflict(conn: sqlite3.Connection, ch: Change) -> None:
    """A recorded conflict's field changed again on the service: keep its newest value and version."""
    conn.execute(
        "UPDATE conflict SET server_value = ?, server_version = ? WHERE target = ? AND key = ? AND field IS ?",
        (_json(ch.new), ch.version, ch.target, ch.key, ch.field),
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- dry run ----------------------------------------------------------------------------


def plan(conn: sqlite3.Connection, client: ServiceClient, page_size: int = PAGE) -> SyncPlan:
    """What a sync would push and pull, read without changing the working copy."""
    current = state.read_state(conn)
    status = client.status()
    result = SyncPlan(last_seq=current.last_seq, head=status["head_seq"])
    result.fill_from_snapshot = is_empty(conn) and not journal.pending(conn)
    result.retry = _interrupted(conn)
    result.push = _to_send(conn)
    result.held_back = _held_back(conn)
    if result.fill_from_snapshot:
        return result
    own = bookkeeping.own_changeset_ids(conn)
    since = current.last_seq
    while True:
        page = client.changes(since, page_size)
        result.pull += len(page.changes)
        result.pull_by_others += sum(1 for c in page.changes if c.changeset not in own)
        since = page.last_seq
        if not page.more or not page.changes:
            return result
