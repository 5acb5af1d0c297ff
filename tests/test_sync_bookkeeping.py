"""Sync's bookkeeping (sortui/sync/bookkeeping.py) on a real working copy: entries going out and
coming back, versions, conflicts' rebases, pulled changes written without journaling, and a unit
created here taking the SOR id the service issued, everywhere. Rows are read back as stored."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from typing import Any

import pytest
from conftest import NEW_GLN, new_location

from sortui.store import edits, review
from sortui.sync import bookkeeping, state

AFSNIT = "347831000016005"  # an OE under AFDELING, ean_mode none
AFDELING = "347821000016008"
HOSPITAL = "347811000016004"
PRACTICE = "8331000016009"
APOTEK = "306011000016003"
APOTEK_GLN = "5790000173624"  # the pharmacy's own number, version 0
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
REAL = "999991000016004"  # the id the service issues for a unit created here
DETECTED = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def conn(sor_conn: sqlite3.Connection) -> sqlite3.Connection:
    return sor_conn


def rows(conn: sqlite3.Connection, sql: str, *params: object) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def status(conn: sqlite3.Connection) -> list[tuple]:
    return rows(conn, "SELECT id, status, changeset_id, base_version FROM journal ORDER BY id")


def version(conn: sqlite3.Connection, table: str, key: str) -> int:
    column = "sor_id" if table == "entity" else "gln"
    return rows(conn, f"SELECT version FROM {table} WHERE {column} = ?", key)[0][0]


# -- pushing -------------------------------------------------------------------------------


def test_mark_sent_sends_the_pending_entries_only(conn: sqlite3.Connection) -> None:
    first, second = edits.set_fields(conn, AFSNIT, {"name": "Et", "note": "To"})
    bookkeeping.mark_sent(conn, [first.id], "cs-1")
    bookkeeping.mark_synced(conn, "cs-1", {})
    (third,) = edits.set_fields(conn, AFSNIT, {"name": "Tre"})

    bookkeeping.mark_sent(conn, [first.id, second.id, third.id], "cs-2")

    assert status(conn) == [
        (first.id, "synced", "cs-1", 0),
        (second.id, "sent", "cs-2", 0),
        (third.id, "sent", "cs-2", 0),
    ]


def test_mark_pending_returns_one_changesets_sent_entries_to_pending(conn: sqlite3.Connection) -> None:
    first, second, third = edits.set_fields(conn, AFSNIT, {"name": "Et", "note": "To", "local_code": "3"})
    bookkeeping.mark_sent(conn, [first.id, second.id], "cs-a")
    bookkeeping.mark_sent(conn, [third.id], "cs-b")

    assert bookkeeping.mark_pending(conn, "cs-a") == 2

    assert status(conn) == [
        (first.id, "pending", None, 0),
        (second.id, "pending", None, 0),
        (third.id, "sent", "cs-b", 0),
    ]
    assert bookkeeping.mark_pending(conn, "cs-a") == 0


def test_mark_synced_gives_records_their_versions_and_moves_later_edits_onto_them(conn: sqlite3.Connection) -> None:
    sent = edits.set_fields(conn, AFSNIT, {"name": "Navn ø", "note": "Note"})
    sent += edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "12345"})
    ean = edits.set_ean_mode(conn, AFDELING, "own", new_location())
    assert ean is not None
    sent.append(ean)
    bookkeeping.mark_sent(conn, [e.id for e in sent], "cs-1")
    (elsewhere,) = edits.set_fields(conn, PRACTICE, {"note": "I en anden"})
    bookkeeping.mark_sent(conn, [elsewhere.id], "cs-2")
    # made while cs-1 was out, on the versions before it
    (on_unit,) = edits.set_fields(conn, AFSNIT, {"note": "Senere"})
    (on_location,) = edits.set_location_fields(conn, APOTEK_GLN, {"region_code": "1085"})
    on_message = edits.add_message(conn, APOTEK_GLN, URN, "2024-01-01")
    on_new_number = edits.add_message(conn, NEW_GLN, URN, "2024-01-01")
    (on_moded_unit,) = edits.set_fields(conn, AFDELING, {"note": "Efter nummeret"})
    (not_sent,) = edits.set_fields(conn, HOSPITAL, {"note": "Ikke sendt"})
    assert on_message is not None and on_new_number is not None

    versions = {
        ("entity", HOSPITAL): 9,
        ("entity", AFSNIT): 4,
        ("location", APOTEK_GLN): 7,
        ("entity", AFDELING): 5,
        ("location", NEW_GLN): 1,
    }
    assert bookkeeping.mark_synced(conn, "cs-1", versions) == 4

    assert status(conn) == [
        *[(e.id, "synced", "cs-1", 0) for e in sent],
        (elsewhere.id, "sent", "cs-2", 0),
        (on_unit.id, "pending", None, 4),
        (on_location.id, "pending", None, 7),
        (on_message.id, "pending", None, 7),
        (on_new_number.id, "pending", None, 1),
        (on_moded_unit.id, "pending", None, 5),
        (not_sent.id, "pending", None, 0),
    ]
    assert [version(conn, t, k) for t, k in versions] == [9, 4, 7, 5, 1]
    assert version(conn, "entity", PRACTICE) == 0


def test_set_version_raises_a_version_and_never_lowers_it(conn: sqlite3.Connection) -> None:
    bookkeeping.set_version(conn, "entity", AFSNIT, 5)
    bookkeeping.set_version(conn, "entity", AFSNIT, 3)
    bookkeeping.set_version(conn, "location", APOTEK_GLN, 2)
    bookkeeping.set_version(conn, "location", APOTEK_GLN, 1)
    assert (version(conn, "entity", AFSNIT), version(conn, "location", APOTEK_GLN)) == (5, 2)
    assert rows(conn, "SELECT count(*) FROM entity WHERE version != 0") == [(1,)]
    assert rows(conn, "SELECT count(*) FROM location WHERE version != 0") == [(1,)]


def test_own_changeset_ids_are_every_changeset_this_working_copy_sent(conn: sqlite3.Connection) -> None:
    assert bookkeeping.own_changeset_ids(conn) == set()
    first, second, third = edits.set_fields(conn, AFSNIT, {"name": "Et", "note": "To", "local_code": "3"})
    bookkeeping.mark_sent(conn, [first.id, second.id], "cs-a")
    bookkeeping.mark_sent(conn, [third.id], "cs-b")
    bookkeeping.mark_synced(conn, "cs-b", {})
    edits.set_fields(conn, AFSNIT, {"name": "Fire"})
    assert bookkeeping.own_changeset_ids(conn) == {"cs-a", "cs-b"}


# -- after a conflict ----------------------------------------------------------------------


def test_field_chain_is_the_unsynced_entries_of_one_field_oldest_first(conn: sqlite3.Connection) -> None:
    (synced,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    bookkeeping.mark_sent(conn, [synced.id], "cs-0")
    bookkeeping.mark_synced(conn, "cs-0", {})
    (sent,) = edits.set_fields(conn, AFSNIT, {"name": "To"})
    bookkeeping.mark_sent(conn, [sent.id], "cs-1")
    (pending,) = edits.set_fields(conn, AFSNIT, {"name": "Tre"})
    edits.set_fields(conn, AFSNIT, {"note": "Andet felt"})
    edits.set_fields(conn, AFDELING, {"name": "Anden enhed"})
    created = edits.create_unit(conn, AFDELING, "Ny enhed", "2024-06-01")
    (located,) = edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "12345"})

    chain = bookkeeping.field_chain(conn, "entity", AFSNIT, "name")
    assert [(e.id, e.status, e.new_value) for e in chain] == [(sent.id, "sent", "To"), (pending.id, "pending", "Tre")]
    assert [e.id for e in bookkeeping.field_chain(conn, "entity", created.key, None)] == [created.id]
    assert [e.id for e in bookkeeping.field_chain(conn, "location", APOTEK_GLN, "location.system_type")] == [located.id]
    assert bookkeeping.field_chain(conn, "entity", APOTEK_GLN, "location.system_type") == []


def test_rebase_bases_entries_anew_and_gives_only_the_first_the_services_value(conn: sqlite3.Connection) -> None:
    first, second = (edits.set_fields(conn, AFSNIT, {"name": n})[0] for n in ("Et", "To"))
    (other,) = edits.set_fields(conn, AFSNIT, {"note": "Note"})
    bookkeeping.mark_sent(conn, [first.id, second.id, other.id], "cs-1")

    bookkeeping.rebase(conn, [first.id, second.id], 6, "Sengeafsnit Øst")
    bookkeeping.rebase(conn, [], 7, "ingen")

    assert rows(
        conn, "SELECT id, old_value, new_value, base_version, status, changeset_id FROM journal ORDER BY id"
    ) == [
        (first.id, '"Sengeafsnit Øst"', '"Et"', 6, "pending", None),
        (second.id, '"Et"', '"To"', 6, "pending", None),
        (other.id, "null", '"Note"', 0, "sent", "cs-1"),
    ]


def test_drop_entries_deletes_them_without_reverting_their_change(conn: sqlite3.Connection) -> None:
    first, second, third = (edits.set_fields(conn, AFSNIT, {"name": n})[0] for n in ("Et", "To", "Tre"))
    bookkeeping.drop_entries(conn, [first.id, third.id])
    bookkeeping.drop_entries(conn, [])
    assert [r[0] for r in status(conn)] == [second.id]
    assert rows(conn, "SELECT name FROM entity WHERE sor_id = ?", AFSNIT) == [("Tre",)]


def test_set_entry_value_changes_what_one_entry_sets(conn: sqlite3.Connection) -> None:
    first, second = edits.set_fields(conn, AFSNIT, {"name": "Et", "note": "To"})
    bookkeeping.set_entry_value(conn, first.id, "Ny værdi ø")
    assert rows(conn, "SELECT id, new_value FROM journal ORDER BY id") == [
        (first.id, '"Ny værdi ø"'),
        (second.id, '"To"'),
    ]
    bookkeeping.set_entry_value(conn, second.id, ["a", None])
    assert rows(conn, "SELECT new_value FROM journal WHERE id = ?", second.id) == [('["a", null]',)]


# -- changes pulled from the service -------------------------------------------------------


def test_apply_remote_writes_a_units_field_raises_its_version_and_journals_nothing(conn: sqlite3.Connection) -> None:
    assert bookkeeping.apply_remote(conn, "entity", AFSNIT, "set", "name", "Fra tjenesten ø", 3) is True
    assert bookkeeping.apply_remote(conn, "entity", AFSNIT, "set", "postal.street", "Køgevej", 2) is True
    assert bookkeeping.apply_remote(conn, "entity", AFSNIT, "move", "parent_sor_id", HOSPITAL, 4) is True
    assert rows(conn, "SELECT name, parent_sor_id, version FROM entity WHERE sor_id = ?", AFSNIT) == [
        ("Fra tjenesten ø", HOSPITAL, 4)
    ]
    assert rows(conn, "SELECT street FROM address WHERE sor_id = ? AND kind = 'postal'", AFSNIT) == [("Køgevej",)]
    assert rows(conn, "SELECT count(*) FROM search WHERE search MATCH 'tjenesten'") == [(1,)]
    assert rows(conn, "SELECT count(*) FROM journal") == [(0,)]


def test_apply_remote_writes_a_location_attribute_and_raises_the_numbers_version(conn: sqlite3.Connection) -> None:
    assert bookkeeping.apply_remote(conn, "location", APOTEK_GLN, "set", "location.system_type", "12345", 3) is True
    assert bookkeeping.apply_remote(conn, "location", APOTEK_GLN, "set", "location.non_active", True, 2) is True
    assert rows(conn, "SELECT system_type, non_active, version FROM location WHERE gln = ?", APOTEK_GLN) == [
        ("12345", 1, 3)
    ]
    assert version(conn, "entity", APOTEK) == 0


def test_apply_remote_registers_and_unregisters_a_message_type(conn: sqlite3.Connection) -> None:
    registration = {"from_date": "2024-01-01", "to_date": "2030-12-31"}
    assert bookkeeping.apply_remote(conn, "message", APOTEK_GLN, "add", URN, registration, 2) is True
    assert rows(conn, "SELECT gln, message_urn, from_date, to_date FROM location_message") == [
        (APOTEK_GLN, URN, "2024-01-01", "2030-12-31")
    ]
    assert version(conn, "location", APOTEK_GLN) == 2
    assert bookkeeping.apply_remote(conn, "message", APOTEK_GLN, "remove", URN, None, 3) is True
    assert rows(conn, "SELECT count(*) FROM location_message") == [(0,)]
    assert version(conn, "location", APOTEK_GLN) == 3


def test_apply_remote_on_a_record_not_here_writes_nothing(conn: sqlite3.Connection) -> None:
    before = rows(conn, "SELECT * FROM entity ORDER BY sor_id")
    assert bookkeeping.apply_remote(conn, "entity", "123451000016009", "set", "name", "X", 2) is False
    assert bookkeeping.apply_remote(conn, "location", NEW_GLN, "set", "location.system_type", "1", 2) is False
    assert (
        bookkeeping.apply_remote(conn, "message", NEW_GLN, "add", URN, {"from_date": None, "to_date": None}, 2) is False
    )
    assert rows(conn, "SELECT * FROM entity ORDER BY sor_id") == before
    assert rows(conn, "SELECT count(*) FROM location_message") == [(0,)]
    assert rows(conn, "SELECT count(*) FROM location WHERE version != 0") == [(0,)]


def test_write_value_writes_a_field_without_journal_or_version(conn: sqlite3.Connection) -> None:
    bookkeeping.write_value(conn, "entity", AFSNIT, "set", "note", "Skrevet")
    bookkeeping.write_value(conn, "location", APOTEK_GLN, "set", "location.region_code", "1085")
    bookkeeping.write_value(conn, "message", APOTEK_GLN, "add", URN, {"from_date": "2024-01-01", "to_date": None})
    assert rows(conn, "SELECT note, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Skrevet", 0)]
    assert rows(conn, "SELECT region_code, version FROM location WHERE gln = ?", APOTEK_GLN) == [("1085", 0)]
    assert rows(conn, "SELECT message_urn, from_date, to_date FROM location_message") == [(URN, "2024-01-01", None)]
    assert rows(conn, "SELECT count(*) FROM journal") == [(0,)]


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("entity", "sor_id"),
        ("entity", "version"),
        ("entity", None),
        ("entity", "location.system_type"),
        ("location", "name"),
        ("location", "location.gln"),
        ("location", "location.owner_sor_id"),
        ("location", "system_type"),
        ("location", None),
        ("message", None),
        ("message", ""),
        ("conflict", "name"),
    ],
)
def test_a_field_sortui_cannot_change_is_refused_before_it_reaches_sql(
    conn: sqlite3.Connection, target: str, path: str | None
) -> None:
    key = AFSNIT if target == "entity" else APOTEK_GLN
    before = [rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("entity", "location", "location_message")]
    message = f"{target} {path!r} is not a field sortui can change"
    with pytest.raises(ValueError) as refused:
        bookkeeping.write_value(conn, target, key, "set", path, "1")
    assert str(refused.value) == message
    with pytest.raises(ValueError) as refused:  # checked even when the record is not here
        bookkeeping.apply_remote(conn, target, "123451000016009", "set", path, "1", 2)
    assert str(refused.value) == message
    assert [rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("entity", "location", "location_message")] == before


def test_apply_remote_create_adds_a_unit_made_elsewhere_under_a_parent_here(conn: sqlite3.Connection) -> None:
    values = {"kind": "OE", "name": "Nyt afsnit", "parent_sor_id": AFDELING, "from_date": "2024-06-01"}
    assert bookkeeping.apply_remote_create(conn, REAL, values, 1) is True
    assert rows(conn, "SELECT kind, name, parent_sor_id, from_date, version FROM entity WHERE sor_id = ?", REAL) == [
        ("OE", "Nyt afsnit", AFDELING, "2024-06-01", 1)
    ]
    assert rows(conn, "SELECT count(*) FROM search WHERE search MATCH 'nyt'") == [(1,)]
    orphan = {**values, "parent_sor_id": "123451000016009"}
    assert bookkeeping.apply_remote_create(conn, "999981000016001", orphan, 1) is False
    assert rows(conn, "SELECT count(*) FROM entity WHERE sor_id = '999981000016001'") == [(0,)]
    assert bookkeeping.apply_remote_create(conn, "999971000016008", {"kind": "OE", "name": "Ingen"}, 1) is False


def own_state(gln: str = NEW_GLN) -> dict[str, Any]:
    return {
        "ean_mode": "own",
        "location": asdict(new_location(gln, AFSNIT)),
        "messages": [[URN, "2024-01-01", None]],
    }


def test_write_ean_state_makes_a_state_the_units_without_journal_or_version(conn: sqlite3.Connection) -> None:
    assert bookkeeping.write_ean_state(conn, AFSNIT, own_state()) is True
    assert rows(conn, "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("own", 0)]
    assert rows(conn, "SELECT gln, system_type FROM location WHERE owner_sor_id = ?", AFSNIT) == [
        (NEW_GLN, "221000045007")
    ]
    assert rows(conn, "SELECT gln, message_urn, from_date, to_date FROM location_message") == [
        (NEW_GLN, URN, "2024-01-01", None)
    ]
    assert rows(conn, "SELECT count(*) FROM journal") == [(0,)]
    assert bookkeeping.write_ean_state(conn, "123451000016009", own_state("5790000999989")) is False
    assert rows(conn, "SELECT count(*) FROM location WHERE gln = '5790000999989'") == [(0,)]


def test_apply_remote_ean_takes_the_state_and_the_version(conn: sqlite3.Connection) -> None:
    assert bookkeeping.apply_remote_ean(conn, AFSNIT, own_state(), 2) is True
    assert rows(conn, "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("own", 2)]
    inherited = {"ean_mode": "inherited", "location": None, "messages": []}
    assert bookkeeping.apply_remote_ean(conn, AFSNIT, inherited, 3) is True
    assert rows(conn, "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("inherited", 3)]
    assert rows(conn, "SELECT count(*) FROM location WHERE gln = ?", NEW_GLN) == [(0,)]
    assert bookkeeping.apply_remote_ean(conn, "123451000016009", own_state(), 4) is False
    assert rows(conn, "SELECT count(*) FROM location WHERE gln = ?", NEW_GLN) == [(0,)]


# -- a unit created here gets its real SOR id ----------------------------------------------


def test_adopt_sor_id_renames_a_created_unit_everywhere(conn: sqlite3.Connection) -> None:
    created = edits.create_unit(conn, AFDELING, "Nyt afsnit ø", "2024-06-01")
    prov = created.key
    below = edits.create_unit(conn, prov, "Under det nye", "2024-06-01")
    edits.set_fields(conn, prov, {"note": "Oprettet her", "postal.street": "Nyvej"})
    moved = edits.move_unit(conn, AFSNIT, prov)
    ean = edits.set_ean_mode(conn, prov, "own", new_location())
    message = edits.add_message(conn, NEW_GLN, URN, "2024-01-01", "2030-12-31")
    assert ean is not None and message is not None
    nested = {"units": [prov, [prov, "x", None]], "parent": {"sor_id": prov, "to_date": None}}
    with conn:
        state.record_conflict(
            conn, state.Conflict(0, moved.id, "entity", AFSNIT, "parent_sor_id", AFDELING, prov, nested, 0, 1, DETECTED)
        )
        state.record_conflict(
            conn, state.Conflict(0, 1, "entity", prov, "note", None, "Oprettet her", "ø", 0, 1, DETECTED)
        )
    review.start(conn, "gennemgang", "2024-06-01", subtree=prov)

    with conn:
        bookkeeping.adopt_sor_id(conn, prov, REAL)

    assert rows(conn, "SELECT count(*) FROM entity WHERE sor_id = ?", prov) == [(0,)]
    assert rows(conn, "SELECT name, parent_sor_id FROM entity WHERE sor_id = ?", REAL) == [("Nyt afsnit ø", AFDELING)]
    assert rows(conn, "SELECT sor_id FROM entity WHERE parent_sor_id = ? ORDER BY sor_id", REAL) == sorted(
        [(AFSNIT,), (below.key,)]
    )
    assert rows(conn, "SELECT sor_id, street FROM address WHERE street = 'Nyvej'") == [(REAL, "Nyvej")]
    assert rows(conn, "SELECT owner_sor_id FROM location WHERE gln = ?", NEW_GLN) == [(REAL,)]
    assert rows(conn, "SELECT count(*) FROM search WHERE search MATCH 'nyt'") == [(1,)]

    entries = {r[0]: r[1:] for r in rows(conn, "SELECT id, target, key, old_value, new_value FROM journal")}
    assert entries[created.id][:3] == ("entity", REAL, "null")
    assert json.loads(entries[created.id][3])["name"] == "Nyt afsnit ø"
    assert '"Nyt afsnit ø"' in entries[created.id][3]  # stored as the journal stores values, not \u-escaped
    below_values = json.loads(entries[below.id][3])
    assert entries[below.id][1] == below.key
    assert below_values == {**below.new_value, "parent_sor_id": REAL}
    assert entries[moved.id] == ("entity", AFSNIT, f'"{AFDELING}"', f'"{REAL}"')
    ean_new = json.loads(entries[ean.id][3])
    assert entries[ean.id][1] == REAL and ean_new["location"]["owner_sor_id"] == REAL and ean_new["messages"] == []
    assert entries[message.id][:2] == ("message", NEW_GLN)
    assert json.loads(entries[message.id][3]) == {"from_date": "2024-01-01", "to_date": "2030-12-31"}
    assert {r[0] for r in rows(conn, "SELECT key FROM journal")} == {REAL, below.key, AFSNIT, NEW_GLN}

    moved_conflict, note_conflict = state.conflicts(conn)
    assert (moved_conflict.key, moved_conflict.base_value, moved_conflict.local_value) == (AFSNIT, AFDELING, REAL)
    assert moved_conflict.server_value == {
        "units": [REAL, [REAL, "x", None]],
        "parent": {"sor_id": REAL, "to_date": None},
    }
    assert (note_conflict.key, note_conflict.server_value) == (REAL, "ø")
    assert rows(conn, "SELECT server_value FROM conflict WHERE key = ?", REAL) == [('"ø"',)]
    reviewed = rows(conn, "SELECT target, key FROM review_item ORDER BY seq")
    assert reviewed[0] == ("entity", REAL) and sorted(reviewed) == sorted(
        [("entity", REAL), ("entity", AFSNIT), ("entity", below.key)]
    )


def test_adopt_sor_id_leaves_a_real_sor_id_alone(conn: sqlite3.Connection) -> None:
    edits.set_fields(conn, AFSNIT, {"note": "Rettet"})
    before = [rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("entity", "journal")]
    with conn:
        bookkeeping.adopt_sor_id(conn, AFSNIT, REAL)
    assert [rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("entity", "journal")] == before
    created = edits.create_unit(conn, AFDELING, "Nyt afsnit", "2024-06-01")
    with conn:
        bookkeeping.adopt_sor_id(conn, created.key, created.key)
    assert rows(conn, "SELECT key FROM journal WHERE id = ?", created.id) == [(created.key,)]
