"""Journal operations beyond field edits: created units, location-number modes, validity and bulk
message types; each reverted by undo / discard_all and applied again by reapply."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NEW_GLN, new_location

from sortui.domain import codes, provisional
from sortui.store import db, edits, journal
from sortui.store.importer import import_files
from sortui.store.journal import EditError

AFSNIT = "347831000016005"  # OE, ean_mode none
AFDELING = "347821000016008"  # its parent OE
APOTEK_IE = "306011000016003"  # owns APOTEK_GLN
APOTEK_SI = "306021000016007"  # inherits it
APOTEK_GLN = "5790000173624"
XREF = "XREF15:XH1530R"


def name_of(conn: object, sor_id: str) -> str | None:
    row = conn.execute("SELECT name FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()  # type: ignore[attr-defined]
    return row[0] if row else None


def test_provisional_ids_follow_the_layout_and_cannot_be_real() -> None:
    first = provisional.provisional_sor_id(1)
    assert first == "1100001699" + codes.verhoeff_digit("1100001699")
    assert not codes.sor_id_errors(first) and codes.verhoeff_valid(first)
    assert provisional.is_provisional(first) and provisional.is_provisional(provisional.provisional_sor_id(42))
    assert not provisional.is_provisional(AFSNIT) and not provisional.is_provisional("100001699")


def test_create_unit_and_undo(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    entry = edits.create_unit(conn, AFDELING, "Nyt afsnit", "2024-06-01")
    sor_id = entry.key
    assert (entry.op, entry.new_value["kind"], entry.new_value["parent_sor_id"]) == ("create", "OE", AFDELING)
    assert provisional.is_provisional(sor_id) and name_of(conn, sor_id) == "Nyt afsnit"
    assert conn.execute(
        "SELECT e.sor_id FROM search JOIN entity e ON e.rowid = search.rowid WHERE search MATCH 'nyt afsnit'"
    ).fetchall() == [(sor_id,)]
    second = edits.create_unit(conn, APOTEK_IE, "Filial")
    assert second.new_value["kind"] == "SI" and second.key == provisional.provisional_sor_id(2)
    (renamed,) = edits.set_fields(conn, sor_id, {"name": "Omdøbt"})
    with pytest.raises(EditError, match=f"undo change {renamed.id} first"):
        journal.undo(conn, entry.id)
    journal.undo(conn, renamed.id)
    journal.undo(conn, entry.id)
    assert name_of(conn, sor_id) is None
    assert conn.execute("SELECT count(*) FROM search WHERE search MATCH 'nyt afsnit'").fetchone()[0] == 0
    with pytest.raises(EditError, match="Navn"):
        edits.create_unit(conn, AFDELING, "")
    conn.close()


def test_a_new_unit_from_the_editor_is_made_whole_or_not_at_all(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    before = conn.execute("SELECT count(*) FROM entity").fetchone()[0]
    draft = {"name": "Nyt afsnit", "from_date": "2024-06-01", "postal.street": "Nyvej", "contact.phone": "123"}
    with pytest.raises(EditError, match="Telefon"):  # one field wrong: nothing made, nothing journalled
        edits.create_new_unit(conn, AFDELING, draft)
    with pytest.raises(EditError, match="Gyldig fra is required"):
        edits.create_new_unit(conn, AFDELING, {"name": "Uden dato"})
    with pytest.raises(EditError, match="Enhedstype is required"):  # an SI's InstitutionType (the schema's)
        edits.create_new_unit(conn, APOTEK_IE, {"name": "Filial", "from_date": "2024-06-01"})
    assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == before and journal.pending(conn) == []
    entries = edits.create_new_unit(conn, AFDELING, {**draft, "contact.phone": "12345678", "admitted": True})
    sor_id = entries[0].key
    assert [(e.key, e.op, e.field) for e in entries] == [
        (sor_id, "create", None),
        (sor_id, "set", "postal.street"),
        (sor_id, "set", "contact.phone"),
    ]
    assert entries[0].new_value["admitted"] is True and entries[0].new_value["first_from_date"] == "2024-06-01"
    assert name_of(conn, sor_id) == "Nyt afsnit"
    for entry in reversed(entries):
        journal.undo(conn, entry.id)
    assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == before
    conn.close()


def test_the_edi_editors_save_is_one_transaction(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01")
    before = journal.pending_count(conn)
    dis01 = edits.resolve_message(conn, "DIS01:D0134L")
    with pytest.raises(EditError):  # a bad attribute refuses the whole save
        edits.save_location(conn, APOTEK_GLN, {"region_code": "1"}, {XREF: None, dis01: (None, None)})
    assert journal.pending_count(conn) == before
    entries = edits.save_location(
        conn, APOTEK_GLN, {"note": "samlet"}, {XREF: ("2024-01-01", "2030-12-31"), dis01: (None, None)}
    )
    assert [(e.target, e.op) for e in entries] == [
        ("location", "set"),
        ("message", "remove"),  # a new validity is journalled as removal and new addition
        ("message", "add"),
        ("message", "add"),
    ]
    assert edits.save_location(conn, APOTEK_GLN, {}, {XREF: ("2024-01-01", "2030-12-31")}) == []  # already so
    assert [e.op for e in edits.save_location(conn, APOTEK_GLN, {}, {XREF: None})] == ["remove"]
    conn.close()


def test_undo_of_a_create_waits_for_units_created_or_moved_under_it(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    parent = edits.create_unit(conn, AFDELING, "Forælder")
    child = edits.create_unit(conn, parent.key, "Barn")
    with pytest.raises(EditError, match=f"undo change {child.id} first"):
        journal.undo(conn, parent.id)
    journal.undo(conn, child.id)
    moved = edits.move_unit(conn, AFSNIT, parent.key)
    with pytest.raises(EditError, match=f"undo change {moved.id} first"):
        journal.undo(conn, parent.id)
    assert journal.discard_all(conn) == 2
    assert name_of(conn, parent.key) is None
    assert conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0] == AFDELING
    conn.close()


def test_created_units_survive_a_reimport(sor_wc: Path, sor_samples: list[Path]) -> None:
    conn = db.open_working_copy(sor_wc)
    entry = edits.create_unit(conn, AFDELING, "Nyt afsnit")
    edits.set_fields(conn, entry.key, {"postal.street": "Nyvej"})
    conn.close()
    report = import_files(sor_wc, sor_samples)
    assert report.notes.reapplied == 2
    conn = db.open_working_copy(sor_wc)
    assert name_of(conn, entry.key) == "Nyt afsnit"
    assert conn.execute("SELECT street FROM address WHERE sor_id = ?", (entry.key,)).fetchone() == ("Nyvej",)
    conn.close()


def test_own_location_number_is_validated(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    with pytest.raises(EditError, match="check digit"):
        edits.set_ean_mode(conn, AFSNIT, "own", new_location("5790000999990"))
    with pytest.raises(EditError) as info:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location(system_type=None, region_code=None))  # type: ignore[arg-type]
    assert {p.field for p in info.value.problems} == {"location.system_type", "location.region_code"}
    with pytest.raises(EditError, match="already used by 306011000016003"):
        edits.set_ean_mode(conn, AFSNIT, "own", new_location(APOTEK_GLN))
    with pytest.raises(EditError, match="no parent"):
        edits.set_ean_mode(conn, APOTEK_IE, "inherited")
    assert journal.pending_count(conn) == 0
    conn.close()


def test_own_location_number_and_back(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    entry = edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    assert entry is not None and entry.op == "ean" and entry.old_value["ean_mode"] == "none"
    assert conn.execute("SELECT owner_sor_id FROM location WHERE gln = ?", (NEW_GLN,)).fetchone() == (AFSNIT,)
    added = edits.add_message(conn, NEW_GLN, XREF)
    assert added is not None
    with pytest.raises(EditError, match=f"undo change {added.id} first"):
        journal.undo(conn, entry.id)
    journal.undo(conn, added.id)
    journal.undo(conn, entry.id)
    assert conn.execute("SELECT count(*) FROM location WHERE gln = ?", (NEW_GLN,)).fetchone()[0] == 0
    assert conn.execute("SELECT ean_mode FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == ("none",)
    assert edits.set_ean_mode(conn, AFSNIT, "none") is None  # nothing to change
    conn.close()


def test_inheriting_removes_the_own_number_and_undo_brings_it_back(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01")
    entry = edits.set_ean_mode(conn, APOTEK_SI, "own", new_location())
    assert entry is not None
    back = edits.set_ean_mode(conn, APOTEK_SI, "inherited")
    assert back is not None and back.old_value["location"]["gln"] == NEW_GLN
    assert conn.execute("SELECT count(*) FROM location WHERE owner_sor_id = ?", (APOTEK_SI,)).fetchone()[0] == 0
    assert edits.effective_glns(conn, [APOTEK_SI]) == [APOTEK_GLN]
    journal.undo(conn, back.id)
    assert edits.effective_glns(conn, [APOTEK_SI]) == [NEW_GLN]
    assert journal.discard_all(conn) == 2  # the new number and the message type
    assert conn.execute("SELECT ean_mode FROM entity WHERE sor_id = ?", (APOTEK_SI,)).fetchone() == ("inherited",)
    assert conn.execute("SELECT count(*) FROM location_message").fetchone()[0] == 0
    conn.close()


def test_location_checks_and_message_validity(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    problems = edits.check_location_changes(conn, APOTEK_GLN, {"region_code": None, "from_date": "2024-13-01"})
    assert {p.field for p in problems} == {"location.region_code", "location.from_date"}
    assert edits.check_location_changes(conn, APOTEK_GLN, {"note": "ok"}) == []
    with pytest.raises(EditError, match="before"):
        edits.set_location_fields(conn, APOTEK_GLN, {"from_date": "2024-02-01", "to_date": "2024-01-01"})
    edits.add_message(conn, APOTEK_GLN, XREF)
    with pytest.raises(EditError, match="before"):
        edits.set_message_validity(conn, APOTEK_GLN, XREF, "2025-01-01", "2024-01-01")
    removed, added = edits.set_message_validity(conn, APOTEK_GLN, XREF, "2025-01-01", None)
    assert (removed.op, added.op, added.new_value) == ("remove", "add", {"from_date": "2025-01-01", "to_date": None})
    assert conn.execute("SELECT from_date FROM location_message").fetchall() == [("2025-01-01",)]
    journal.undo(conn, added.id)
    journal.undo(conn, removed.id)
    assert conn.execute("SELECT from_date FROM location_message").fetchall() == [(None,)]
    conn.close()


def test_bulk_message_types(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    assert edits.subtree_glns(conn, APOTEK_IE) == [APOTEK_GLN]
    edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    numbers = edits.subtree_glns(conn, "347801000016001")
    assert numbers == [NEW_GLN]
    numbers = [APOTEK_GLN, NEW_GLN]
    edits.add_message(conn, APOTEK_GLN, XREF)
    assert edits.glns_with_message(conn, numbers, XREF) == {APOTEK_GLN}
    entries = edits.add_message_to_many(conn, numbers, XREF, "2024-06-01")
    assert [e.key for e in entries] == [NEW_GLN]
    assert edits.glns_with_message(conn, numbers, XREF) == set(numbers)
    removed = edits.remove_message_from_many(conn, numbers, XREF)
    assert sorted(e.key for e in removed) == sorted(numbers)
    assert [e.key for e in journal.pending_for(conn, [NEW_GLN])] == [NEW_GLN, NEW_GLN]
    conn.close()
