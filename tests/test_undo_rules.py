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


def test_an_entry_that_is_not_there_is_a_key_error(conn: sqlite3.Connection) -> None:
    (entry,) = edits.set_fields(conn, AFSNIT, {"note": "en note"})
    assert journal.get_entry(conn, entry.id) == entry
    with pytest.raises(KeyError) as missing:
        journal.get_entry(conn, entry.id + 1)
    assert missing.value.args == (entry.id + 1,)


def test_what_is_pending_leaves_out_the_synced_and_keeps_what_is_being_sent(conn: sqlite3.Connection) -> None:
    (noted,) = edits.set_fields(conn, AFSNIT, {"note": "en note"})
    (renamed,) = edits.set_fields(conn, AFSNIT, {"name": "Nyt navn"})
    (sent,) = edits.set_fields(conn, AFDELING, {"note": "sendes"})
    _set_status(conn, renamed.id, "synced")
    _set_status(conn, sent.id, "sent")
    assert journal.pending_count(conn) == 2
    assert [e.id for e in journal.pending(conn)] == [noted.id, sent.id]
    assert journal.pending_keys(conn) == {AFSNIT, AFDELING}
    assert [e.id for e in journal.pending_for(conn, [AFSNIT])] == [noted.id]
    assert [e.id for e in journal.pending_for(conn, [AFDELING, AFSNIT])] == [noted.id, sent.id]
    assert journal.pending_for(conn, ["999999999999999"]) == []
    assert [e.id for e in journal.entries_with_status(conn, "synced")] == [renamed.id]
    _set_status(conn, noted.id, "synced")
    assert journal.pending_keys(conn) == {AFDELING} and journal.pending_count(conn) == 1


def test_a_reimport_rebases_each_pending_entry_on_the_new_data(
    sor_wc: Path, sor_samples: list[Path], tmp_path: Path
) -> None:
    """Each pending entry's old value becomes what the new file holds, so that undo gives the new data;
    an entry whose unit the new files lack is skipped and counted; a synced entry is left alone."""
    from sortui.store import db
    from sortui.store.importer import import_files

    apotek_unit = "306021000016007"
    conn = db.open_working_copy(sor_wc)
    (renamed,) = edits.set_fields(conn, AFDELING, {"name": "Mit navn"})
    (noted,) = edits.set_fields(conn, AFSNIT, {"note": "ny note"})
    edits.set_fields(conn, apotek_unit, {"note": "forsvinder"})
    (synced,) = edits.set_fields(conn, AFSNIT, {"name": "Synket"})
    _set_status(conn, synced.id, "synced")
    conn.close()
    by_name = {p.name: p for p in sor_samples}
    sygehus = tmp_path / "ONE_SYGEHUS.xml"
    data = by_name["ONE_SYGEHUS.xml"].read_text(encoding="utf-8")
    sygehus.write_text(data.replace("Roskilde Øjenklinik, afdeling<", "Roskilde Øjenklinik, ny afdeling<"), "utf-8")

    report = import_files(sor_wc, [sygehus, by_name["ONE_PRAKSIS.xml"]])

    assert (report.notes.reapplied, report.notes.orphaned) == (2, 1)
    conn = db.open_working_copy(sor_wc)
    try:
        assert journal.get_entry(conn, renamed.id).old_value == "Roskilde Øjenklinik, ny afdeling"
        raw = conn.execute("SELECT old_value FROM journal WHERE id = ?", (renamed.id,)).fetchone()[0]
        assert raw == '"Roskilde Øjenklinik, ny afdeling"'  # readable in the file, not \\u-escaped
        assert journal.get_entry(conn, noted.id).old_value is None
        assert journal.get_entry(conn, synced.id).old_value == "Roskilde Øjenklinik, beh. afsnit"
        names = dict(conn.execute("SELECT sor_id, name FROM entity WHERE sor_id IN (?, ?)", (AFDELING, AFSNIT)))
        assert names == {AFDELING: "Mit navn", AFSNIT: "Roskilde Øjenklinik, beh. afsnit"}
        journal.undo(conn, renamed.id)
        assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFDELING,)).fetchone() == (
            "Roskilde Øjenklinik, ny afdeling",
        )
    finally:
        conn.close()
