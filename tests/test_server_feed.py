"""The change feed numbered after the commit: a process that dies between a changeset's commit and its
numbering loses nothing, a replay answers the numbers of the first time, a snapshot taken between the
two is safe for the client that pulls the change again, and a database of the old layout is migrated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ON_BOTH_DATABASES, Desk, Service
from sqlalchemy import Engine, create_engine, text
from test_server_processes import set_op as op_json

from sortui.domain.provisional import provisional_sor_id
from sortui.server.changesets import Operation, commit_changeset
from sortui.server.db import make_engine
from sortui.server.feed import number_feed
from sortui.server.users import list_users

AFSNIT = "347831000016005"
AFDELING = "347821000016008"

pytestmark = ON_BOTH_DATABASES


@pytest.fixture
def engine(service_db: str) -> Iterator[Engine]:
    made = make_engine(service_db)
    yield made
    made.dispose()


def set_op(key: str, field: str, value: Any, base: int) -> Operation:
    return Operation("entity", key, "set", field, None, value, base)


def commit_only(engine: Engine, changeset_id: str, *ops: Operation) -> dict[str, Any]:
    """Phase one of a changeset and not phase two: as if its process died right after the commit."""
    alice = next(u for u in list_users(engine) if u.name == "alice")
    return commit_changeset(engine, alice, changeset_id, list(ops))


def whole_feed(service: Service) -> list[dict[str, Any]]:
    with service.http("alice") as http:
        page = http.get("/changes", params={"since": 0, "limit": 5000}).json()
    assert not page["more"]
    assert [c["seq"] for c in page["changes"]] == list(range(1, page["head"] + 1))
    return page["changes"]


def test_rows_committed_and_not_numbered_are_numbered_by_the_next_changeset(service: Service, engine: Engine) -> None:
    commit_only(engine, "lost-1", set_op(AFSNIT, "name", "Uden nummer", 0), set_op(AFSNIT, "note", "a", 0))
    with service.http("alice") as http:
        assert http.get("/status").json()["head_seq"] == 0
        assert http.get("/changes").json()["changes"] == []  # no reader sees a row without a number
        assert http.get(f"/units/{AFSNIT}/history").json()["changes"] == []
        assert http.get(f"/units/{AFSNIT}").json()["version"] == 1  # but the change is committed
        after = http.post("/changesets", json={"id": "next", "operations": [op_json(AFDELING, "note", "b", 0)]})
        replay = http.post(
            "/changesets",
            json={
                "id": "lost-1",
                "operations": [op_json(AFSNIT, "name", "Uden nummer", 0), op_json(AFSNIT, "note", "a", 0)],
            },
        )
    assert after.status_code == 200 and (after.json()["first_seq"], after.json()["last_seq"]) == (3, 3)
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert (replay.json()["first_seq"], replay.json()["last_seq"]) == (1, 2)
    feed = whole_feed(service)
    assert [(c["changeset"], c["field"]) for c in feed] == [("lost-1", "name"), ("lost-1", "note"), ("next", "note")]


def test_a_replay_numbers_what_its_first_time_left_unnumbered(service: Service, engine: Engine) -> None:
    ops = [op_json(AFSNIT, "postal.street", "Køgevej", 0)]
    commit_only(engine, "lost-2", set_op(AFSNIT, "postal.street", "Køgevej", 0))
    with service.http("alice") as http:
        first = http.post("/changesets", json={"id": "lost-2", "operations": ops}).json()
        again = http.post("/changesets", json={"id": "lost-2", "operations": ops}).json()
        status = http.get("/status").json()
    assert first["replayed"] and again["replayed"]
    assert first == again and (first["first_seq"], first["last_seq"]) == (1, 1)
    assert status["head_seq"] == 1


def test_the_service_numbers_what_was_left_at_its_start(tmp_path: Path, service_db: str, engine: Engine) -> None:
    commit_only(engine, "lost-3", set_op(AFSNIT, "name", "Før start", 0))
    commit_only(engine, "lost-4", set_op(AFDELING, "name", "Også før", 0))
    assert number_feed(engine) == 2  # what a start runs; then nothing is left
    commit_only(engine, "lost-5", set_op(AFSNIT, "name", "Igen", 1))
    service = Service(service_db, tmp_path / "service.log")
    service.start()
    try:
        feed = whole_feed(service)
    finally:
        service.stop()
    assert [(c["seq"], c["changeset"], c["version"]) for c in feed] == [
        (1, "lost-3", 1),
        (2, "lost-4", 1),
        (3, "lost-5", 2),
    ]


def test_a_snapshot_between_commit_and_numbering_is_safe_to_pull_after(desk: Desk, service_db: str) -> None:
    """The snapshot holds a change that the feed numbers after the snapshot's head: the client pulls it
    again on top of the snapshot, which changes nothing and fails nothing (a create, a field, a move)."""
    engine = make_engine(service_db)
    try:
        created = commit_only(engine, "before-snapshot", create_op(provisional_sor_id(1), AFDELING))["created"]
        unit = created[provisional_sor_id(1)]
        commit_only(engine, "also-before", set_op(AFSNIT, "name", "Snapshot og feed", 0))
        desk.login("a", "viv")
        filled = desk.sync("a", "--json")  # an empty working copy: filled from the snapshot
        assert desk.sql("a", "SELECT last_seq FROM sync_state") == [(0,)]
        assert desk.name_of("a") == "Snapshot og feed" and desk.name_of("a", unit) == "Ny enhed"
        number_feed(engine)
    finally:
        engine.dispose()
    pulled = json.loads(desk.sync("a", "--json").out)
    assert json.loads(filled.out)["pulled"] == 0 and pulled["pulled"] == 2
    assert desk.sql("a", "SELECT last_seq FROM sync_state") == [(2,)]
    assert desk.sql("a", "SELECT name, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Snapshot og feed", 1)]
    assert desk.sql("a", "SELECT name, parent_sor_id, version FROM entity WHERE sor_id = ?", unit) == [
        ("Ny enhed", AFDELING, 1)
    ]
    assert desk.journal("a") == []


def create_op(key: str, parent: str) -> Operation:
    return Operation(
        "entity", key, "create", None, None, {"kind": "OE", "name": "Ny enhed", "parent_sor_id": parent}, 0
    )


# -- a database from before the feed was numbered after the commit ---------------------------------------

OLD_CHANGE = (
    "CREATE TABLE change (seq INTEGER NOT NULL, changeset_id VARCHAR(100) NOT NULL, target VARCHAR(10) NOT NULL,"
    " key VARCHAR(18) NOT NULL, op VARCHAR(10) NOT NULL, field VARCHAR(200), old_value TEXT, new_value TEXT,"
    " new_version INTEGER NOT NULL, account VARCHAR(100) NOT NULL, created_at VARCHAR NOT NULL, PRIMARY KEY (seq))",
    "CREATE INDEX ix_change_item ON change (target, key, seq)",
    "CREATE INDEX ix_change_changeset ON change (changeset_id)",
)


def make_old_layout(url: str) -> None:
    """The change table keyed by its sequence number, with one changeset of two operations in it."""
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(text("DROP TABLE change"))
        for statement in OLD_CHANGE:
            conn.execute(text(statement))
        for seq, field in ((1, "name"), (2, "note")):
            conn.execute(
                text(
                    "INSERT INTO change VALUES (:seq, 'old', 'entity', :key, 'set', :field, 'null', '\"x\"', 1,"
                    " 'alice', '2026-01-01T00:00:00')"
                ),
                {"seq": seq, "key": AFSNIT, "field": field},
            )
        conn.execute(text("UPDATE register_state SET head_seq = 2, changesets = 1"))
        conn.execute(text("UPDATE entity SET version = 1 WHERE sor_id = :key"), {"key": AFSNIT})
    old.dispose()


def test_a_database_of_the_old_layout_is_migrated(tmp_path: Path, service_db: str) -> None:
    make_old_layout(service_db)
    service = Service(service_db, tmp_path / "service.log")
    service.start()
    try:
        with service.http("alice") as http:
            answer = http.post("/changesets", json={"id": "new", "operations": [op_json(AFSNIT, "note", "y", 1)]})
        feed = whole_feed(service)
    finally:
        service.stop()
    assert answer.status_code == 200, answer.text
    assert (answer.json()["first_seq"], answer.json()["last_seq"]) == (3, 3)
    assert [(c["seq"], c["changeset"], c["field"]) for c in feed] == [
        (1, "old", "name"),
        (2, "old", "note"),
        (3, "new", "note"),
    ]
    engine = make_engine(service_db)  # once migrated, a start finds nothing to do
    try:
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT id, seq FROM change ORDER BY seq")).all()
    finally:
        engine.dispose()
    assert [seq for _, seq in ids] == [1, 2, 3] and len({i for i, _ in ids}) == 3
