"""Resolving recorded conflicts (sortui/sync/conflicts.py) on a real working copy, field by field.

A conflict is recorded here as the sync engine records one after the service's 409 (the chain's
first old value, its last new value, the service's value and version); then ``resolve`` keeps mine,
takes the service's or sets a new value, and the journal, the working copy and the conflict table
are read back row by row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import Any

import pytest
from conftest import NEW_GLN, new_location

from sortui.store import edits
from sortui.store.journal import JournalEntry
from sortui.sync import bookkeeping, conflicts, state
from sortui.sync.conflicts import ResolveError

AFSNIT = "347831000016005"  # an OE under AFDELING, ean_mode none
AFDELING = "347821000016008"
HOSPITAL = "347811000016004"  # the SI above both
PRACTICE = "8331000016009"  # an SI elsewhere
APOTEK_GLN = "5790000173624"
PRACTICE_GLN = "5790000141227"
OTHER_GLN = "5790000999989"
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
DETECTED = "2026-01-01T00:00:00+00:00"
ORIGINAL_NAME = "Roskilde Øjenklinik, beh. afsnit"


@pytest.fixture
def conn(sor_conn: sqlite3.Connection) -> sqlite3.Connection:
    return sor_conn


def record(conn: sqlite3.Connection, chain: list[JournalEntry], server: Any, version: int | None) -> state.Conflict:
    """Record a conflict of the chain's field as the engine does after a 409, and read it back."""
    first, last = chain[0], chain[-1]
    recorded = state.Conflict(
        0,
        last.id,
        first.target,
        first.key,
        first.field,
        first.old_value,
        last.new_value,
        server,
        first.base_version,
        version,
        DETECTED,
    )
    with conn:
        state.record_conflict(conn, recorded)
    found = state.conflict_for_entry(conn, last.id)
    assert found is not None
    return found


def journal(conn: sqlite3.Connection) -> list[tuple]:
    """Every journal row, raw (JSON text as stored)."""
    return conn.execute(
        "SELECT id, op, field, old_value, new_value, base_version, status, changeset_id FROM journal ORDER BY id"
    ).fetchall()


def one(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    return conn.execute(sql, params).fetchall()


def set_name(conn: sqlite3.Connection, *names: str) -> list[JournalEntry]:
    return [edits.set_fields(conn, AFSNIT, {"name": n})[0] for n in names]


# -- refusals ----------------------------------------------------------------------------


def test_an_unknown_choice_is_refused_naming_the_three_choices(conn: sqlite3.Connection) -> None:
    chain = set_name(conn, "Lokalt navn")
    recorded = record(conn, chain, "Server-navn", 2)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, chain[0].id, "theirs")
    assert str(refused.value) == "choose one of mine, server, value"
    assert state.conflicts(conn) == [recorded]
    assert one(conn, "SELECT name FROM entity WHERE sor_id = ?", AFSNIT) == [("Lokalt navn",)]


def test_an_entry_without_a_conflict_is_refused_naming_the_entry(conn: sqlite3.Connection) -> None:
    name, note = edits.set_fields(conn, AFSNIT, {"name": "Lokalt navn", "note": "Lokal note"})
    recorded = record(conn, [name], "Server-navn", 2)
    for entry_id, choice in ((note.id, "mine"), (9999, "server")):
        with pytest.raises(ResolveError) as refused:
            conflicts.resolve(conn, entry_id, choice)
        assert str(refused.value) == f"change #{entry_id} has no conflict to resolve (see `sortui conflicts`)"
    assert state.conflicts(conn) == [recorded]


def test_message_types_and_location_number_modes_take_no_new_value(conn: sqlite3.Connection) -> None:
    added = edits.add_message(conn, APOTEK_GLN, URN, "2025-01-01")
    assert added is not None
    message = record(conn, [added], {"from_date": "2024-01-01", "to_date": None}, 1)
    moded = edits.set_ean_mode(conn, AFSNIT, "inherited")
    assert moded is not None
    ean = record(conn, [moded], {"ean_mode": "own", "location": None, "messages": []}, 1)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, added.id, "value", "2026-01-01")
    assert str(refused.value) == "a message type is either registered or not: use --mine or --server"
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, moded.id, "value", "own")
    assert str(refused.value) == "a location-number mode is kept or taken from the service: use --mine or --server"
    assert state.conflicts(conn) == [message, ean]


# -- mine ----------------------------------------------------------------------------------


def test_mine_rebases_the_unsynced_chain_onto_the_service_version_and_keeps_the_local_value(
    conn: sqlite3.Connection,
) -> None:
    (synced,) = set_name(conn, "Synkroniseret")
    bookkeeping.mark_sent(conn, [synced.id], "cs-0")
    bookkeeping.mark_synced(conn, "cs-0", {("entity", AFSNIT): 1})
    first, second = set_name(conn, "Første", "Anden")
    (note,) = edits.set_fields(conn, AFSNIT, {"note": "Lokal note"})
    recorded = record(conn, [first, second], "Sengeafsnit Øst", 3)

    resolution = conflicts.resolve(conn, first.id, "mine")

    assert resolution == conflicts.Resolution(recorded, "mine", "Anden", [first.id, second.id])
    assert journal(conn) == [
        (synced.id, "set", "name", f'"{ORIGINAL_NAME}"', '"Synkroniseret"', 0, "synced", "cs-0"),
        (first.id, "set", "name", '"Sengeafsnit Øst"', '"Første"', 3, "pending", None),
        (second.id, "set", "name", '"Første"', '"Anden"', 3, "pending", None),
        (note.id, "set", "note", "null", '"Lokal note"', 1, "pending", None),
    ]
    assert one(conn, "SELECT name, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Anden", 1)]
    assert state.conflicts(conn) == []


def test_mine_without_a_service_version_rebases_onto_version_zero(conn: sqlite3.Connection) -> None:
    (entry,) = set_name(conn, "Lokalt navn")
    record(conn, [entry], "Server-navn", None)
    assert conflicts.resolve(conn, entry.id, "mine").entries == [entry.id]
    assert journal(conn) == [(entry.id, "set", "name", '"Server-navn"', '"Lokalt navn"', 0, "pending", None)]


def test_mine_on_a_location_number_mode_keeps_the_local_mode(conn: sqlite3.Connection) -> None:
    entry = edits.set_ean_mode(conn, AFSNIT, "own", new_location(NEW_GLN))
    assert entry is not None
    server = {"ean_mode": "inherited", "location": None, "messages": []}
    record(conn, [entry], server, 2)
    resolution = conflicts.resolve(conn, entry.id, "mine")
    assert (resolution.value, resolution.entries) == (entry.new_value, [entry.id])
    assert one(conn, "SELECT old_value, base_version FROM journal") == [
        ('{"ean_mode": "inherited", "location": null, "messages": []}', 2)
    ]
    assert one(conn, "SELECT ean_mode FROM entity WHERE sor_id = ?", AFSNIT) == [("own",)]
    assert one(conn, "SELECT owner_sor_id FROM location WHERE gln = ?", NEW_GLN) == [(AFSNIT,)]


# -- server --------------------------------------------------------------------------------


def test_server_writes_the_service_value_drops_the_chain_and_raises_the_version(conn: sqlite3.Connection) -> None:
    first, second = set_name(conn, "Første", "Anden")
    (note,) = edits.set_fields(conn, AFSNIT, {"note": "Lokal note"})
    recorded = record(conn, [first, second], "Sengeafsnit Øst", 3)

    resolution = conflicts.resolve(conn, second.id, "server")

    assert resolution == conflicts.Resolution(recorded, "server", "Sengeafsnit Øst", [])
    assert journal(conn) == [(note.id, "set", "note", "null", '"Lokal note"', 0, "pending", None)]
    assert one(conn, "SELECT name, note, version FROM entity WHERE sor_id = ?", AFSNIT) == [
        ("Sengeafsnit Øst", "Lokal note", 3)
    ]
    assert state.conflicts(conn) == []


def test_server_without_a_service_version_leaves_the_version_as_it_is(conn: sqlite3.Connection) -> None:
    (entry,) = set_name(conn, "Lokalt navn")
    record(conn, [entry], "Server-navn", None)
    conflicts.resolve(conn, entry.id, "server")
    assert one(conn, "SELECT name, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Server-navn", 0)]
    assert journal(conn) == []


def test_server_on_a_move_puts_the_unit_where_the_service_has_it(conn: sqlite3.Connection) -> None:
    entry = edits.move_unit(conn, AFSNIT, HOSPITAL)
    record(conn, [entry], PRACTICE, 2)
    conflicts.resolve(conn, entry.id, "server")
    assert one(conn, "SELECT parent_sor_id, version FROM entity WHERE sor_id = ?", AFSNIT) == [(PRACTICE, 2)]
    assert journal(conn) == []


def test_server_on_a_location_attribute_raises_the_location_version(conn: sqlite3.Connection) -> None:
    (entry,) = edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "12345"})
    record(conn, [entry], "67890", 4)
    assert conflicts.resolve(conn, entry.id, "server").value == "67890"
    assert one(conn, "SELECT system_type, version FROM location WHERE gln = ?", APOTEK_GLN) == [("67890", 4)]
    assert one(conn, "SELECT version FROM entity WHERE sor_id = '306011000016003'") == [(0,)]
    assert journal(conn) == []


@pytest.mark.parametrize(
    ("server", "rows"),
    [
        ({"from_date": "2024-01-01", "to_date": None}, [(URN, "2024-01-01", None)]),
        (None, []),
    ],
    ids=["registered-there", "not-registered-there"],
)
def test_server_on_a_message_type_registers_it_as_the_service_has_it(
    conn: sqlite3.Connection, server: Any, rows: list[tuple]
) -> None:
    entry = edits.add_message(conn, APOTEK_GLN, URN, "2025-01-01")
    assert entry is not None
    record(conn, [entry], server, 2)
    conflicts.resolve(conn, entry.id, "server")
    assert one(conn, "SELECT message_urn, from_date, to_date FROM location_message WHERE gln = ?", APOTEK_GLN) == rows
    assert one(conn, "SELECT version FROM location WHERE gln = ?", APOTEK_GLN) == [(2,)]
    assert journal(conn) == []


def test_server_on_a_location_number_mode_takes_the_services_mode_number_and_message_types(
    conn: sqlite3.Connection,
) -> None:
    entry = edits.set_ean_mode(conn, AFSNIT, "own", new_location(NEW_GLN))
    assert entry is not None
    location = asdict(new_location(OTHER_GLN, AFSNIT))
    server = {"ean_mode": "own", "location": location, "messages": [[URN, "2024-01-01", None]]}
    record(conn, [entry], server, 2)

    assert conflicts.resolve(conn, entry.id, "server").value == server

    assert one(conn, "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("own", 2)]
    assert one(conn, "SELECT gln, system_type FROM location WHERE owner_sor_id = ?", AFSNIT) == [
        (OTHER_GLN, "221000045007")
    ]
    assert one(conn, "SELECT gln, message_urn, from_date FROM location_message") == [(OTHER_GLN, URN, "2024-01-01")]
    assert journal(conn) == []


def test_server_on_a_location_number_mode_without_a_number_removes_the_local_number(
    conn: sqlite3.Connection,
) -> None:
    entry = edits.set_ean_mode(conn, AFSNIT, "own", new_location(NEW_GLN))
    assert entry is not None
    record(conn, [entry], {"ean_mode": "inherited", "location": None, "messages": []}, 3)
    conflicts.resolve(conn, entry.id, "server")
    assert one(conn, "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("inherited", 3)]
    assert one(conn, "SELECT count(*) FROM location WHERE gln = ?", NEW_GLN) == [(0,)]


# -- a new value ---------------------------------------------------------------------------


def test_a_new_value_replaces_the_chain_with_one_entry_on_the_service_version(conn: sqlite3.Connection) -> None:
    first, second, third = set_name(conn, "Et", "To", "Tre")
    (note,) = edits.set_fields(conn, AFSNIT, {"note": "Lokal note"})
    recorded = record(conn, [first, second, third], "Server-navn", 3)

    resolution = conflicts.resolve(conn, third.id, "value", "  Nyt navn ø  ")

    assert resolution == conflicts.Resolution(recorded, "value", "Nyt navn ø", [first.id])
    assert journal(conn) == [
        (first.id, "set", "name", '"Server-navn"', '"Nyt navn ø"', 3, "pending", None),
        (note.id, "set", "note", "null", '"Lokal note"', 0, "pending", None),
    ]
    assert one(conn, "SELECT name, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Nyt navn ø", 0)]
    assert state.conflicts(conn) == []


def test_a_new_value_without_a_service_version_is_based_on_version_zero(conn: sqlite3.Connection) -> None:
    first, second = set_name(conn, "Et", "To")
    record(conn, [first, second], "Server-navn", None)
    conflicts.resolve(conn, first.id, "value", "Tre")
    assert journal(conn) == [(first.id, "set", "name", '"Server-navn"', '"Tre"', 0, "pending", None)]


def test_a_new_value_for_a_unit_field_is_checked_as_an_edit_is(conn: sqlite3.Connection) -> None:
    (entry,) = set_name(conn, "Lokalt navn")
    recorded = record(conn, [entry], "Server-navn", 2)
    for text in ("", "   ", None):
        with pytest.raises(ResolveError) as refused:
            conflicts.resolve(conn, entry.id, "value", text)
        assert str(refused.value) == "refused: Navn is required"
    assert state.conflicts(conn) == [recorded]
    assert one(conn, "SELECT name FROM entity WHERE sor_id = ?", AFSNIT) == [("Lokalt navn",)]


def test_a_new_value_for_a_move_must_name_a_unit_in_the_working_copy(conn: sqlite3.Connection) -> None:
    entry = edits.move_unit(conn, AFSNIT, HOSPITAL)
    recorded = record(conn, [entry], PRACTICE, 2)
    for text in ("999999999999999", "", None):
        with pytest.raises(ResolveError) as refused:
            conflicts.resolve(conn, entry.id, "value", text)
        assert str(refused.value) == f"{text!r} is not a unit in the working copy"
    assert state.conflicts(conn) == [recorded]

    resolution = conflicts.resolve(conn, entry.id, "value", AFDELING)

    assert (resolution.value, resolution.entries) == (AFDELING, [entry.id])
    assert journal(conn) == [(entry.id, "move", "parent_sor_id", f'"{PRACTICE}"', f'"{AFDELING}"', 2, "pending", None)]
    assert one(conn, "SELECT parent_sor_id FROM entity WHERE sor_id = ?", AFSNIT) == [(AFDELING,)]


def test_a_new_value_for_a_location_attribute_is_checked_as_the_attribute_is(conn: sqlite3.Connection) -> None:
    (entry,) = edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "12345"})
    recorded = record(conn, [entry], "67890", 2)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, entry.id, "value", "abc")
    assert str(refused.value) == "refused: EDB-system 'abc' must be digits"
    assert state.conflicts(conn) == [recorded]
    assert one(conn, "SELECT system_type FROM location WHERE gln = ?", APOTEK_GLN) == [("12345",)]

    assert conflicts.resolve(conn, entry.id, "value", " 424242 ").value == "424242"

    assert journal(conn) == [(entry.id, "set", "location.system_type", '"67890"', '"424242"', 2, "pending", None)]
    assert one(conn, "SELECT system_type, version FROM location WHERE gln = ?", APOTEK_GLN) == [("424242", 0)]


def test_a_new_value_for_a_location_flag_is_yes_or_no(conn: sqlite3.Connection) -> None:
    (entry,) = edits.set_location_fields(conn, PRACTICE_GLN, {"non_active": True})
    record(conn, [entry], None, 1)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, entry.id, "value", "kanske")
    assert str(refused.value) == "refused: Ikke aktiv: expected yes or no (ja or nej), not 'kanske'"

    assert conflicts.resolve(conn, entry.id, "value", "nej").value is False

    assert journal(conn) == [(entry.id, "set", "location.non_active", "null", "false", 1, "pending", None)]
    assert one(conn, "SELECT non_active FROM location WHERE gln = ?", PRACTICE_GLN) == [(0,)]


# -- words ---------------------------------------------------------------------------------


def conflict(target: str, key: str, field: str | None) -> state.Conflict:
    return state.Conflict(1, 1, target, key, field, None, None, None, 0, 1, DETECTED)


def test_show_value_words_each_kind_of_value(conn: sqlite3.Connection) -> None:
    name, message = conflict("entity", AFSNIT, "name"), conflict("message", APOTEK_GLN, URN)
    ean = conflict("entity", AFSNIT, "ean_mode")
    own = {"ean_mode": "own", "location": {"gln": NEW_GLN}, "messages": [[URN, "2024-01-01", None]]}
    assert conflicts.show_value(name, "Sengeafsnit Øst") == "Sengeafsnit Øst"
    assert conflicts.show_value(name, None) == "(empty)"
    assert conflicts.show_value(message, {"from_date": "2024-01-01", "to_date": None}) == (
        "registered, valid 2024-01-01 – …"
    )
    assert conflicts.show_value(message, None) == "not registered"
    assert conflicts.show_value(ean, own) == f"own {NEW_GLN} (1 message type)"


@pytest.mark.parametrize(
    ("target", "field", "words"),
    [
        ("message", URN, "message type XH1530R"),
        ("message", None, "message type "),
        ("entity", "ean_mode", "Lokationsnummer"),
        ("entity", "parent_sor_id", "parent (moved)"),
        ("entity", "name", "Navn"),
        ("entity", "postal.street", "Vejnavn (Postadresse)"),
        ("location", "location.system_type", "EDB-system"),
        ("entity", None, ""),
    ],
)
def test_field_name_says_the_field_as_the_user_knows_it(target: str, field: str | None, words: str) -> None:
    assert conflicts.field_name(conflict(target, AFSNIT, field)) == words


def test_only_a_units_mode_is_a_location_number_conflict() -> None:
    assert conflicts.is_ean(conflict("entity", AFSNIT, "ean_mode")) is True
    assert conflicts.is_ean(conflict("entity", AFSNIT, "name")) is False
    assert conflicts.is_ean(conflict("location", APOTEK_GLN, "ean_mode")) is False


# -- a new value is checked as the edit it stands for is ------------------------------------------


@pytest.mark.parametrize(
    ("unit", "text", "message"),
    [
        (AFSNIT, AFSNIT, "a unit cannot be moved into its own subtree"),
        (AFDELING, AFSNIT, "a unit cannot be moved into its own subtree"),
        (AFSNIT, "306011000016003", "a unit (OE) must sit under an institution or another unit"),
    ],
    ids=["itself", "below-itself", "under-an-owner"],
)
def test_a_new_value_for_a_move_is_refused_where_the_move_would_be(
    conn: sqlite3.Connection, unit: str, text: str, message: str
) -> None:
    entry = edits.move_unit(conn, unit, PRACTICE)
    recorded = record(conn, [entry], HOSPITAL, 2)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, entry.id, "value", text)
    assert str(refused.value) == f"refused: {message}"
    assert state.conflicts(conn) == [recorded]
    assert one(conn, "SELECT parent_sor_id FROM entity WHERE sor_id = ?", unit) == [(PRACTICE,)]


@pytest.mark.parametrize(
    ("changes", "field", "text", "message"),
    [
        ({"system_type": "12345"}, "system_type", "", "EDB-system is required"),
        ({"to_date": "2030-12-31"}, "to_date", "1990-01-01", "Gyldig til 1990-01-01 is before Gyldig fra 1995-02-20"),
        ({"to_date": "2030-12-31"}, "to_date", "2030-13-01", "Gyldig til '2030-13-01' is not a date (YYYY-MM-DD)"),
    ],
    ids=["mandatory-emptied", "to-before-from", "not-a-date"],
)
def test_a_new_value_for_a_location_attribute_is_refused_where_the_edit_would_be(
    conn: sqlite3.Connection, changes: dict[str, str], field: str, text: str, message: str
) -> None:
    (entry,) = edits.set_location_fields(conn, APOTEK_GLN, changes)
    recorded = record(conn, [entry], "67890" if field == "system_type" else "2031-12-31", 2)
    with pytest.raises(ResolveError) as refused:
        conflicts.resolve(conn, entry.id, "value", text)
    assert str(refused.value) == f"refused: {message}"
    assert state.conflicts(conn) == [recorded]
    assert one(conn, f"SELECT {field} FROM location WHERE gln = ?", APOTEK_GLN) == [(changes[field],)]
