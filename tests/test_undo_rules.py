"""When undo refuses (sortui.store.journal), each refusal with the field and the words an editor reads,
and what an undone created unit leaves behind: nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import new_location

from sortui.domain.validation import Problem
from sortui.store import edits, journal
from sortui.store.journal import EditError

AFSNIT = "347831000016005"  # Roskilde Øjenklinik, beh. afsnit
AFDELING = "347821000016008"  # its parent


@pytest.fixture
def conn(sor_conn: sqlite3.Connection) -> sqlite3.Connection:
    return sor_conn


def _refusal(conn: sqlite3.Connection, entry_id: int) -> list[Problem]:
    with pytest.raises(EditError) as refused:
        journal.undo(conn, entry_id)
    return refused.value.problems


def _set_status(conn: sqlite3.Connection, entry_id: int, status: str) -> None:
    with conn:
        conn.execute("UPDATE journal SET status = ? WHERE id = ?", (status, entry_id))


@pytest.mark.parametrize(
    ("status", "message"), [("synced", "is already synchronised"), ("sent", "is being sent; sync first")]
)
def test_an_entry_synced_or_being_sent_is_not_undone(conn: sqlite3.Connection, status: str, message: str) -> None:
    (entry,) = edits.set_fields(conn, AFSNIT, {"note": "ny note"})
    _set_status(conn, entry.id, status)
    assert _refusal(conn, entry.id) == [Problem("note", None, f"change {entry.id} {message}")]
    assert conn.execute("SELECT note FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == ("ny note",)
    assert [e.id for e in journal.entries_where(conn, "1")] == [entry.id]


def test_an_entry_is_undone_only_after_the_later_ones_of_its_field(conn: sqlite3.Connection) -> None:
    (first,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    (second,) = edits.set_fields(conn, AFSNIT, {"name": "To"})
    (third,) = edits.set_fields(conn, AFSNIT, {"name": "Tre"})
    (other,) = edits.set_fields(conn, AFSNIT, {"note": "en note"})  # another field blocks nothing
    assert _refusal(conn, first.id) == [
        Problem("name", None, f"undo change {third.id} first: it changed the same field")
    ]
    assert journal.undo(conn, third.id) == [third.id]
    assert _refusal(conn, first.id)[0].message == f"undo change {second.id} first: it changed the same field"
    assert journal.undo(conn, second.id) == [second.id] and journal.undo(conn, first.id) == [first.id]
    assert conn.execute("SELECT name, note FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == (
        "Roskilde Øjenklinik, beh. afsnit",
        "en note",
    )
    assert [e.id for e in journal.pending(conn)] == [other.id]


def test_a_synced_later_change_does_not_block_an_undo(conn: sqlite3.Connection) -> None:
    (first,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    (second,) = edits.set_fields(conn, AFSNIT, {"name": "To"})
    _set_status(conn, second.id, "synced")
    assert journal.undo(conn, first.id) == [first.id]


def _created(conn: sqlite3.Connection, **more: str) -> str:
    (entry, *_) = edits.create_new_unit(conn, AFDELING, {"name": "Ny enhed", "from_date": "2024-01-01", **more})
    return entry.key


def test_a_created_unit_is_undone_only_after_what_builds_on_it(conn: sqlite3.Connection) -> None:
    new = _created(conn)
    create = journal.entries_where(conn, "op = 'create'")[0]
    (child, *_) = edits.create_new_unit(conn, new, {"name": "Barn", "from_date": "2024-01-01"})
    assert _refusal(conn, create.id) == [Problem("", None, f"undo change {child.id} first: it builds on this one")]
    moved = edits.move_unit(conn, AFSNIT, new)
    journal.undo(conn, child.id)
    assert _refusal(conn, create.id)[0].message == f"undo change {moved.id} first: it builds on this one"


def test_an_undone_created_unit_leaves_nothing_behind(conn: sqlite3.Connection, sor_wc: Path) -> None:
    # Every table but the journal and the full-text index's own storage (which keeps deletions as
    # records of its own until it merges them); the index itself is counted through its table.
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        if r[0] != "journal" and not r[0].startswith("search_")
    ]

    def counts() -> dict[str, int]:
        return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}

    before = counts()
    new = _created(conn, **{"postal.street": "Nyvej", "contact.phone": "12345678"})
    edits.set_ean_mode(conn, new, "own", new_location("5790000999996"))
    edits.add_message(conn, "5790000999996", "XH1530R")
    assert counts() != before
    for entry in reversed(journal.pending(conn)):
        journal.undo(conn, entry.id)
    assert counts() == before
    assert conn.execute("SELECT count(*) FROM search WHERE search MATCH 'nyvej OR enhed'").fetchone()[0] == 0


def test_a_new_group_is_one_past_the_highest(conn: sqlite3.Connection) -> None:
    assert journal.new_group(conn) == 1
    entries, refused = edits.set_fields_on_many(conn, [AFSNIT, AFDELING], {"note": "fælles"})
    assert not refused
    assert {e.group_id for e in entries} == {1} and journal.new_group(conn) == 2
    assert [e.id for e in journal.group_entries(conn, 1)] == [e.id for e in entries]
    assert journal.group_entries(conn, 2) == []


def test_entries_by_id_come_in_the_order_asked_without_the_missing(conn: sqlite3.Connection) -> None:
    (first,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    (second,) = edits.set_fields(conn, AFSNIT, {"note": "to"})
    found = journal.entries_by_id(conn, [second.id, 999, first.id])
    assert [(e.id, e.field, e.new_value) for e in found] == [(second.id, "note", "to"), (first.id, "name", "Et")]
    assert journal.entries_by_id(conn, []) == []


def test_an_edit_error_says_each_problem_in_turn() -> None:
    error = EditError([Problem("name", None, "Navn is required"), Problem("note", None, "too long")])
    assert str(error) == "Navn is required; too long" and [p.field for p in error.problems] == ["name", "note"]


def test_a_refusal_of_an_entry_without_a_field_names_no_field(conn: sqlite3.Connection) -> None:
    new = _created(conn)
    (create,) = journal.entries_where(conn, "op = 'create'")
    assert create.key == new and create.field is None
    _set_status(conn, create.id, "sent")
    assert _refusal(conn, create.id) == [Problem("", None, f"change {create.id} is being sent; sync first")]
    _set_status(conn, create.id, "synced")
    assert _refusal(conn, create.id) == [Problem("", None, f"change {create.id} is already synchronised")]
