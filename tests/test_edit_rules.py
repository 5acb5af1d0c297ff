"""The edit operations of ``sortui.store.edits`` checked value by value (issue 19): the exact problems
each check returns, the exact rows each write leaves and the exact journal entries it records, so
that a changed message, a flipped comparison or a dropped argument fails a test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import NEW_GLN, new_location

from sortui.domain.validation import Problem
from sortui.store import db, edits, journal
from sortui.store.journal import EditError

IE = "347801000016001"  # Roskilde Øjenklinik, the owner (IE), no SHAK code
SI = "347811000016004"  # its hospital (SI), SHAK 2529
AFDELING = "347821000016008"  # OE under SI, SHAK 252901
AFSNIT = "347831000016005"  # OE under AFDELING, ean_mode none, from 2009-10-08
APOTEK_IE = "306011000016003"  # owns APOTEK_GLN
APOTEK_SI = "306021000016007"  # inherits APOTEK_GLN
PRAKSIS_GLN = "5790000141227"  # owned by the practice's IE
APOTEK_GLN = "5790000173624"
XREF = "XREF15:XH1530R"
XREF_URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
SHAK_WARNING = "SHAK-kode 999901 does not start with the hospital's code 2529"


@pytest.fixture
def conn(full_wc: Path) -> Iterator[sqlite3.Connection]:
    connection = db.open_working_copy(full_wc)
    yield connection
    connection.close()


def problems_of(call: object, *args: object) -> list[Problem]:
    with pytest.raises(EditError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.problems


def messages(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT gln, message_urn, from_date, to_date FROM location_message ORDER BY gln, message_urn"
    ).fetchall()


def entry_facts(entries: list[journal.JournalEntry]) -> list[tuple]:
    return [(e.target, e.key, e.op, e.field, e.old_value, e.new_value, e.base_version, e.group_id) for e in entries]


# -- a new unit from the editor: check_new_unit and create_new_unit ---------------------------


def test_check_new_unit_names_each_field_that_cannot_be_edited_and_nothing_else(conn: sqlite3.Connection) -> None:
    assert edits.check_new_unit(conn, AFDELING, {"bogus": 1, "name": "X", "zz": 2}) == [
        Problem("bogus", None, "bogus is not a field that can be edited"),
        Problem("zz", None, "zz is not a field that can be edited"),
    ]


@pytest.mark.parametrize("absent", [None, ""])
def test_check_new_unit_requires_a_from_date_of_an_oe_empty_or_absent(
    conn: sqlite3.Connection, absent: str | None
) -> None:
    assert edits.check_new_unit(conn, AFDELING, {"name": "X", "from_date": absent}) == [
        Problem("from_date", "FromDate", "Gyldig fra is required for a new unit")
    ]


def test_check_new_unit_requires_an_institution_type_of_an_si_only(conn: sqlite3.Connection) -> None:
    values = {"name": "X", "from_date": "2024-01-01", "entity_type_code": ""}
    assert edits.check_new_unit(conn, IE, values) == [
        Problem("entity_type_code", None, "Enhedstype is required for a new unit")
    ]
    assert edits.check_new_unit(conn, AFDELING, values) == []  # an OE needs none


def test_check_new_unit_allows_eight_specialities_and_refuses_nine(conn: sqlite3.Connection) -> None:
    values = {"name": "X", "from_date": "2024-01-01"}
    assert edits.check_new_unit(conn, AFDELING, {**values, "specialities": [str(n) for n in range(1, 9)]}) == []
    assert edits.check_new_unit(conn, AFDELING, {**values, "specialities": [str(n) for n in range(1, 10)]}) == [
        Problem("specialities", "ClinicalSpeciality", "at most 8 specialities"),
        Problem("specialities", None, "at most 8 specialities"),
    ]


def test_check_new_unit_warns_of_an_oe_shak_code_outside_its_hospitals(conn: sqlite3.Connection) -> None:
    values = {"name": "X", "from_date": "2024-01-01"}
    assert edits.check_new_unit(conn, AFDELING, {**values, "shak_code": "999901"}) == [
        Problem("shak_code", "ShakIdentifier", SHAK_WARNING, is_error=False)
    ]
    assert edits.check_new_unit(conn, AFDELING, {**values, "shak_code": "252999"}) == []


def test_check_new_unit_has_no_hospital_code_to_compare_for_a_new_si(conn: sqlite3.Connection) -> None:
    values = {"name": "X", "from_date": "2024-01-01", "entity_type_code": "22232009", "shak_code": "999901"}
    assert edits.check_new_unit(conn, IE, values) == []


def test_create_new_unit_journals_its_first_values_then_each_other_value_with_the_warnings(
    conn: sqlite3.Connection,
) -> None:
    values = {
        "name": "Nyt afsnit",
        "from_date": "2024-06-01",
        "shak_code": "999901",
        "specialities": ["1", "2"],
        "postal.street": "Nyvej",
        "contact.email": None,  # as it is on a new unit: no entry
        "visiting.street": None,
    }
    entries = edits.create_new_unit(conn, AFDELING, values)
    sor_id = entries[0].key
    first = {
        "kind": "OE",
        "name": "Nyt afsnit",
        "parent_sor_id": AFDELING,
        "ean_mode": "inherited",
        "geo_parent_relation": "2",
        "from_date": "2024-06-01",
        "shak_code": "999901",
        "first_from_date": "2024-06-01",
    }
    assert entry_facts(entries) == [
        ("entity", sor_id, "create", None, None, first, 0, None),
        ("entity", sor_id, "set", "specialities", [], ["1", "2"], 0, None),
        ("entity", sor_id, "set", "postal.street", None, "Nyvej", 0, None),
    ]
    assert [e.warnings for e in entries] == [[SHAK_WARNING]] * 3
    assert conn.execute("SELECT seq, code FROM speciality WHERE sor_id = ?", (sor_id,)).fetchall() == [
        (1, "1"),
        (2, "2"),
    ]
    assert conn.execute("SELECT kind, street FROM address WHERE sor_id = ?", (sor_id,)).fetchall() == [
        ("postal", "Nyvej")
    ]
    assert conn.execute(
        "SELECT name, shak_code, parent_sor_id, from_date FROM entity WHERE sor_id = ?", (sor_id,)
    ).fetchone() == ("Nyt afsnit", "999901", AFDELING, "2024-06-01")


def test_create_new_unit_refuses_with_the_checks_problems_and_writes_nothing(conn: sqlite3.Connection) -> None:
    before = conn.execute("SELECT count(*) FROM entity").fetchone()[0]
    assert problems_of(edits.create_new_unit, conn, AFDELING, {"name": "X"}) == [
        Problem("from_date", "FromDate", "Gyldig fra is required for a new unit")
    ]
    assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == before
    assert journal.pending(conn) == []


# -- changing a unit: check_entity_changes and what concerns a change ------------------------


def test_check_entity_changes_names_each_field_that_cannot_be_edited(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"bogus": "x", "zz": 1}) == [
        Problem("bogus", None, "bogus is not a field that can be edited"),
        Problem("zz", None, "zz is not a field that can be edited"),
    ]


def test_check_entity_changes_of_an_unknown_unit_says_so(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.check_entity_changes, conn, "999999999999999", {"name": "X"}) == [
        Problem("sor_id", None, "no unit with SOR-kode 999999999999999")
    ]


def test_an_end_before_the_start_concerns_a_changed_end_and_a_changed_start(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"to_date": "2000-01-01"}) == [
        Problem("to_date", "ToDate", "Gyldig til 2000-01-01 is before Gyldig fra 2009-10-08")
    ]
    edits.set_fields(conn, AFSNIT, {"to_date": "2015-01-01"})
    assert edits.check_entity_changes(conn, AFSNIT, {"from_date": "2016-01-01"}) == [
        Problem("to_date", "ToDate", "Gyldig til 2015-01-01 is before Gyldig fra 2016-01-01")
    ]
    assert edits.check_entity_changes(conn, AFSNIT, {"from_date": "2014-01-01"}) == []


def test_a_stored_problem_does_not_concern_a_change_of_another_field(conn: sqlite3.Connection) -> None:
    # The working copy's own values as an older import may have left them: an end before the
    # start, no name, a speciality code longer than the register allows.
    conn.execute("UPDATE entity SET to_date = '2000-01-01', name = '' WHERE sor_id = ?", (AFSNIT,))
    conn.execute(
        "INSERT INTO speciality (sor_id, seq, code, type_code) VALUES (?, 99, ?, '51000095001')", (AFSNIT, "x" * 19)
    )
    conn.commit()
    assert edits.check_entity_changes(conn, AFSNIT, {"note": "ny note"}) == []
    assert edits.check_entity_changes(conn, AFSNIT, {"from_date": "1999-01-01"}) == []  # now before the end


def test_a_bad_speciality_code_concerns_a_change_of_the_specialities(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"specialities": ["x" * 19]}) == [
        Problem("specialities.speciality_code", "SpecialityCode", "Speciale is 19 characters, at most 18 allowed"),
        Problem("specialities.speciality_code", "SpecialityCode", f"Speciale {'x' * 19!r} must be digits"),
    ]


def test_check_entity_changes_refuses_a_ninth_speciality_and_an_empty_name(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"specialities": [str(n) for n in range(1, 10)]}) == [
        Problem("specialities", None, "at most 8 specialities"),
        Problem("specialities", "ClinicalSpeciality", "at most 8 specialities"),
    ]
    assert edits.check_entity_changes(conn, AFSNIT, {"specialities": [str(n) for n in range(1, 9)]}) == []
    assert edits.check_entity_changes(conn, AFSNIT, {"name": ""}) == [Problem("name", "EntityName", "Navn is required")]


def test_check_entity_changes_warns_of_a_shak_code_outside_the_hospitals(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"shak_code": "999901"}) == [
        Problem("shak_code", "ShakIdentifier", SHAK_WARNING, is_error=False)
    ]
    assert edits.check_entity_changes(conn, AFSNIT, {"shak_code": "2529011"}) == []


def test_a_unit_with_no_hospital_above_has_no_shak_prefix_to_keep(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, IE, {"shak_code": "999901"}) == []
    assert edits.check_entity_changes(conn, APOTEK_SI, {"shak_code": "999901"}) == []  # an SI with no SHAK code


# -- unknown field names typed on the command line --------------------------------------------


def test_an_unknown_attribute_of_a_lokationsnummer_is_refused_with_the_close_names(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.set_by_key, conn, APOTEK_GLN, [("Regio", "x")]) == [
        Problem(
            "Regio",
            None,
            "'Regio' is not an attribute of a lokationsnummer that can be edited; did you mean Region, region_code?",
        )
    ]
    assert problems_of(edits.set_by_key, conn, APOTEK_GLN, [("notee", "x")]) == [
        Problem(
            "notee",
            None,
            "'notee' is not an attribute of a lokationsnummer that can be edited; did you mean note, Note, non_active?",
        )
    ]
    assert problems_of(edits.set_by_key, conn, APOTEK_GLN, [("qqqqqq", "x")]) == [
        Problem("qqqqqq", None, "'qqqqqq' is not an attribute of a lokationsnummer that can be edited")
    ]


def test_an_unknown_field_of_a_unit_is_refused_with_the_close_names(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.set_by_key, conn, AFSNIT, [("nmae", "x")]) == [
        Problem("nmae", None, "'nmae' is not a field of a unit that can be edited; did you mean name, note?")
    ]
    assert problems_of(edits.set_by_key, conn, AFSNIT, [("Telefn", "x")]) == [
        Problem("Telefn", None, "'Telefn' is not a field of a unit that can be edited; did you mean Telefon?")
    ]
    assert problems_of(edits.set_by_key, conn, AFSNIT, [("qqqqqq", "x")]) == [
        Problem("qqqqqq", None, "'qqqqqq' is not a field of a unit that can be edited")
    ]


# -- message types on lokationsnumre ----------------------------------------------------------


@pytest.fixture
def versioned(conn: sqlite3.Connection) -> sqlite3.Connection:
    """The sample's lokationsnumre and units at versions other than 0, as after a sync, so an entry's
    base version shows which version it was taken from."""
    conn.execute("UPDATE location SET version = 3 WHERE gln = ?", (APOTEK_GLN,))
    conn.execute("UPDATE location SET version = 5 WHERE gln = ?", (PRAKSIS_GLN,))
    conn.execute("UPDATE entity SET version = 2 WHERE sor_id IN (?, ?, ?)", (AFSNIT, AFDELING, APOTEK_SI))
    conn.commit()
    return conn


def test_add_message_registers_the_validity_and_journals_it(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entry = edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01", "2024-12-31")
    assert entry is not None
    assert entry_facts([entry]) == [
        ("message", APOTEK_GLN, "add", XREF_URN, None, {"from_date": "2024-01-01", "to_date": "2024-12-31"}, 3, None)
    ]
    assert messages(conn) == [(APOTEK_GLN, XREF_URN, "2024-01-01", "2024-12-31")]
    assert edits.add_message(conn, APOTEK_GLN, XREF) is None  # already there: nothing more
    assert len(journal.pending(conn)) == 1


def test_add_message_refuses_bad_dates_an_unknown_number_and_an_unknown_message(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.add_message, conn, APOTEK_GLN, XREF, "2024-06-01", "2024-01-01") == [
        Problem("to_date", None, "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01")
    ]
    assert problems_of(edits.add_message, conn, NEW_GLN, XREF) == [
        Problem("gln", "EanLocationCode", f"no lokationsnummer {NEW_GLN} in the working copy")
    ]
    assert problems_of(edits.add_message, conn, APOTEK_GLN, "nope") == [
        Problem("message", None, "'nope' is not a message type in the MedCom catalogue")
    ]
    assert messages(conn) == [] and journal.pending(conn) == []


def test_remove_message_deletes_the_registration_and_journals_its_validity(versioned: sqlite3.Connection) -> None:
    conn = versioned
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01")
    entry = edits.remove_message(conn, APOTEK_GLN, XREF)
    assert entry is not None
    assert entry_facts([entry]) == [
        ("message", APOTEK_GLN, "remove", XREF_URN, {"from_date": "2024-01-01", "to_date": None}, None, 3, None)
    ]
    assert messages(conn) == []
    assert edits.remove_message(conn, APOTEK_GLN, XREF) is None


def test_set_message_validity_of_an_unregistered_message_is_refused(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.set_message_validity, conn, APOTEK_GLN, XREF, None, None) == [
        Problem("message", None, f"{XREF} is not registered on {APOTEK_GLN}")
    ]


def test_set_message_validity_is_journalled_as_removal_and_addition(versioned: sqlite3.Connection) -> None:
    conn = versioned
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01")
    assert edits.set_message_validity(conn, APOTEK_GLN, XREF, "2024-01-01", None) == []  # as it is
    entries = edits.set_message_validity(conn, APOTEK_GLN, XREF, "2024-02-01", "2024-03-01")
    assert entry_facts(entries) == [
        ("message", APOTEK_GLN, "remove", XREF_URN, {"from_date": "2024-01-01", "to_date": None}, None, 3, None),
        ("message", APOTEK_GLN, "add", XREF_URN, None, {"from_date": "2024-02-01", "to_date": "2024-03-01"}, 3, None),
    ]
    assert messages(conn) == [(APOTEK_GLN, XREF_URN, "2024-02-01", "2024-03-01")]


def test_add_message_to_many_checks_the_validity_first(conn: sqlite3.Connection) -> None:
    numbers = [APOTEK_GLN, PRAKSIS_GLN]
    assert problems_of(edits.add_message_to_many, conn, numbers, XREF, "2024-06-01", "2024-01-01") == [
        Problem("to_date", None, "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01")
    ]
    assert problems_of(edits.add_message_to_many, conn, numbers, XREF, "2024-13-01", None) == [
        Problem("from_date", None, "Gyldig fra '2024-13-01' is not a date (YYYY-MM-DD)")
    ]
    assert problems_of(edits.add_message_to_many, conn, numbers, XREF, None, "2024-13-01") == [
        Problem("to_date", None, "Gyldig til '2024-13-01' is not a date (YYYY-MM-DD)")
    ]
    assert messages(conn) == []


def test_add_message_to_many_registers_the_validity_on_each_number_lacking_it_in_one_group(
    versioned: sqlite3.Connection,
) -> None:
    conn = versioned
    edits.add_message(conn, APOTEK_GLN, XREF)
    entries = edits.add_message_to_many(conn, [PRAKSIS_GLN, APOTEK_GLN, PRAKSIS_GLN], XREF, "2024-06-01", "2024-12-31")
    validity = {"from_date": "2024-06-01", "to_date": "2024-12-31"}
    group = entries[0].group_id
    assert group is not None
    assert entry_facts(entries) == [("message", PRAKSIS_GLN, "add", XREF_URN, None, validity, 5, group)]
    assert messages(conn) == [
        (PRAKSIS_GLN, XREF_URN, "2024-06-01", "2024-12-31"),
        (APOTEK_GLN, XREF_URN, None, None),
    ]


def test_remove_message_from_many_removes_it_from_each_number_in_one_group(versioned: sqlite3.Connection) -> None:
    conn = versioned
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01")
    edits.add_message(conn, PRAKSIS_GLN, XREF, None, "2030-12-31")
    edits.add_message(conn, PRAKSIS_GLN, "XD1530L")
    entries = edits.remove_message_from_many(conn, [PRAKSIS_GLN, APOTEK_GLN, NEW_GLN], XREF)
    group = entries[0].group_id
    assert group is not None and group == entries[1].group_id
    assert entry_facts(entries) == [
        ("message", PRAKSIS_GLN, "remove", XREF_URN, {"from_date": None, "to_date": "2030-12-31"}, None, 5, group),
        ("message", APOTEK_GLN, "remove", XREF_URN, {"from_date": "2024-01-01", "to_date": None}, None, 3, group),
    ]
    assert [m[:2] for m in messages(conn)] == [
        (PRAKSIS_GLN, "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:meddis:xdis15:xd1530l")
    ]
    assert edits.glns_with_message(conn, [PRAKSIS_GLN, APOTEK_GLN], XREF) == set()


def test_the_edi_editors_save_sets_each_message_to_its_validity(versioned: sqlite3.Connection) -> None:
    conn = versioned
    edits.add_message(conn, APOTEK_GLN, XREF, "2024-01-01", "2024-12-31")
    xdis = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:meddis:xdis15:xd1530l"
    entries = edits.save_location(
        conn, APOTEK_GLN, {}, {XREF: ("2024-02-01", "2025-12-31"), "XD1530L": ("2024-03-01", "2024-04-01")}
    )
    assert entry_facts(entries) == [
        (
            "message",
            APOTEK_GLN,
            "remove",
            XREF_URN,
            {"from_date": "2024-01-01", "to_date": "2024-12-31"},
            None,
            3,
            None,
        ),
        ("message", APOTEK_GLN, "add", XREF_URN, None, {"from_date": "2024-02-01", "to_date": "2025-12-31"}, 3, None),
        ("message", APOTEK_GLN, "add", xdis, None, {"from_date": "2024-03-01", "to_date": "2024-04-01"}, 3, None),
    ]
    assert messages(conn) == [
        (APOTEK_GLN, xdis, "2024-03-01", "2024-04-01"),
        (APOTEK_GLN, XREF_URN, "2024-02-01", "2025-12-31"),
    ]
    removed = edits.save_location(conn, APOTEK_GLN, {}, {XREF: None, "XD1530L": ("2024-03-01", "2024-04-01")})
    assert entry_facts(removed) == [
        ("message", APOTEK_GLN, "remove", XREF_URN, {"from_date": "2024-02-01", "to_date": "2025-12-31"}, None, 3, None)
    ]
    assert messages(conn) == [(APOTEK_GLN, xdis, "2024-03-01", "2024-04-01")]


def test_the_edi_editors_save_refuses_a_bad_validity_before_writing(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.save_location, conn, APOTEK_GLN, {"note": "x"}, {XREF: ("2024-06-01", "2024-01-01")}) == [
        Problem("to_date", None, "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01")
    ]
    assert journal.pending(conn) == [] and messages(conn) == []


# -- the same change on many units ------------------------------------------------------------


def test_set_fields_on_many_reports_each_refused_unit_with_its_problems(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries, refused = edits.set_fields_on_many(conn, [AFSNIT, AFDELING, "999"], {"contact.phone": "1"})
    phone = Problem("contact.phone", "TelephoneNumberIdentifier", "Telefon is 1 characters, at least 8 required")
    assert entries == []
    assert refused == {
        AFSNIT: [phone],
        AFDELING: [phone],
        "999": [Problem("sor_id", None, "no unit with SOR-kode 999")],
    }
    entries, refused = edits.set_fields_on_many(conn, [AFSNIT, "999", AFDELING], {"contact.phone": "12345678"})
    assert refused == {"999": [Problem("sor_id", None, "no unit with SOR-kode 999")]}
    group = entries[0].group_id
    assert group is not None
    assert entry_facts(entries) == [
        ("entity", AFSNIT, "set", "contact.phone", None, "12345678", 2, group),
        ("entity", AFDELING, "set", "contact.phone", None, "12345678", 2, group),
    ]


# -- typed values ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ja", "Ja", " TRUE ", "true", "1", "yes", "YES"])
def test_parse_value_reads_yes_in_each_spelling_on_units_and_lokationsnumre(text: str) -> None:
    assert edits.parse_value("admitted", text) is True
    assert edits.parse_value("location.non_active", text) is True


@pytest.mark.parametrize("text", ["nej", "NEJ", " false ", "False", "0", "no", "No"])
def test_parse_value_reads_no_in_each_spelling_on_units_and_lokationsnumre(text: str) -> None:
    assert edits.parse_value("reporting_level", text) is False
    assert edits.parse_value("location.only_internal", text) is False


def test_parse_value_refuses_a_flag_that_is_neither_yes_nor_no() -> None:
    assert problems_of(edits.parse_value, "admitted", " maybe ") == [
        Problem("admitted", None, "Indlagte patienter: expected yes or no (ja or nej), not 'maybe'")
    ]


@pytest.mark.parametrize("text", [None, "", "   "])
def test_parse_value_takes_empty_text_as_absent(text: str | None) -> None:
    assert edits.parse_value("postal.street", text) is None
    assert edits.parse_value("admitted", text) is None
    assert edits.parse_value("specialities", text) == []


def test_parse_value_splits_specialities_uppercases_shak_and_strips_the_rest() -> None:
    assert edits.parse_value("specialities", " 1, 2 3,,4 ") == ["1", "2", "3", "4"]
    assert edits.parse_value("shak_code", " 2529ab ") == "2529AB"
    assert edits.parse_value("name", "  Nyt navn  ") == "Nyt navn"
    assert edits.parse_value("note", "ja") == "ja"  # not a flag: the text as typed


# -- setting a unit's fields -------------------------------------------------------------------


def unit_rows(conn: sqlite3.Connection, sor_id: str) -> tuple:
    return (
        conn.execute("SELECT kind, street FROM address WHERE sor_id = ? ORDER BY kind", (sor_id,)).fetchall(),
        conn.execute("SELECT email, website, phone, fax FROM contact WHERE sor_id = ?", (sor_id,)).fetchall(),
        conn.execute("SELECT seq, code FROM speciality WHERE sor_id = ? ORDER BY seq", (sor_id,)).fetchall(),
        conn.execute("SELECT name, note, admitted, shak_code FROM entity WHERE sor_id = ?", (sor_id,)).fetchone(),
    )


def test_set_fields_writes_and_journals_each_changed_value_and_skips_the_unchanged(
    versioned: sqlite3.Connection,
) -> None:
    conn = versioned
    entries = edits.set_fields(
        conn,
        AFSNIT,
        {
            "postal.street": "Nyvej",
            "visiting.street": "Besøgsvej",
            "contact.email": "a@b.dk",
            "specialities": ["1", "2"],
            "note": "n",
            "name": "Roskilde Øjenklinik, beh. afsnit",  # as it is
            "admitted": False,
        },
    )
    assert entry_facts(entries) == [
        ("entity", AFSNIT, "set", "postal.street", None, "Nyvej", 2, None),
        ("entity", AFSNIT, "set", "visiting.street", None, "Besøgsvej", 2, None),
        ("entity", AFSNIT, "set", "contact.email", None, "a@b.dk", 2, None),
        ("entity", AFSNIT, "set", "specialities", ["394594003"], ["1", "2"], 2, None),
        ("entity", AFSNIT, "set", "note", None, "n", 2, None),
        ("entity", AFSNIT, "set", "admitted", True, False, 2, None),
    ]
    assert [e.warnings for e in entries] == [[]] * 6
    assert unit_rows(conn, AFSNIT) == (
        [("postal", "Nyvej"), ("visiting", "Besøgsvej")],
        [("a@b.dk", None, None, None)],
        [(1, "1"), (2, "2")],
        ("Roskilde Øjenklinik, beh. afsnit", "n", 0, "2529010"),
    )
    assert edits.set_fields(conn, AFSNIT, {"postal.street": "Nyvej", "contact.email": "a@b.dk"}) == []
    entries = edits.set_fields(conn, AFSNIT, {"contact.phone": "12345678", "contact.email": None})
    assert entry_facts(entries) == [
        ("entity", AFSNIT, "set", "contact.phone", None, "12345678", 2, None),
        ("entity", AFSNIT, "set", "contact.email", "a@b.dk", None, 2, None),
    ]
    assert unit_rows(conn, AFSNIT)[1] == [(None, None, "12345678", None)]


def test_set_fields_carries_the_warnings_on_every_entry(versioned: sqlite3.Connection) -> None:
    entries = edits.set_fields(versioned, AFSNIT, {"shak_code": "999901", "note": "n"})
    assert [(e.field, e.warnings) for e in entries] == [("shak_code", [SHAK_WARNING]), ("note", [SHAK_WARNING])]


def test_set_fields_refuses_all_changes_when_one_is_wrong(conn: sqlite3.Connection) -> None:
    before = unit_rows(conn, AFSNIT)
    assert problems_of(edits.set_fields, conn, AFSNIT, {"note": "n", "contact.phone": "1"}) == [
        Problem("contact.phone", "TelephoneNumberIdentifier", "Telefon is 1 characters, at least 8 required")
    ]
    assert unit_rows(conn, AFSNIT) == before and journal.pending(conn) == []
    assert problems_of(edits.set_fields, conn, "999", {"note": "n"}) == [
        Problem("sor_id", None, "no unit with SOR-kode 999")
    ]


def test_set_by_key_sets_a_units_fields_by_label_and_path_from_typed_text(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries = edits.set_by_key(
        conn,
        AFSNIT,
        [("Telefon", "12345678"), ("Indlagte patienter", "nej"), ("shak_code", " 2529012 "), ("specialities", "1, 2")],
    )
    assert entries is not None
    assert entry_facts(entries) == [
        ("entity", AFSNIT, "set", "contact.phone", None, "12345678", 2, None),
        ("entity", AFSNIT, "set", "admitted", True, False, 2, None),
        ("entity", AFSNIT, "set", "shak_code", "2529010", "2529012", 2, None),
        ("entity", AFSNIT, "set", "specialities", ["394594003"], ["1", "2"], 2, None),
    ]


def test_set_by_key_sets_a_lokationsnummers_attributes_by_label_and_name(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries = edits.set_by_key(conn, APOTEK_GLN, [("Note", " ny note "), ("ikke aktiv", "ja"), ("region_code", "1084")])
    assert entries is not None
    assert entry_facts(entries) == [
        ("location", APOTEK_GLN, "set", "location.note", None, "ny note", 3, None),
        ("location", APOTEK_GLN, "set", "location.non_active", False, True, 3, None),
    ]
    assert conn.execute(
        "SELECT note, non_active, region_code FROM location WHERE gln = ?", (APOTEK_GLN,)
    ).fetchone() == (
        "ny note",
        1,
        "1084",
    )


def test_set_by_key_of_a_key_that_is_neither_unit_nor_number_is_none(conn: sqlite3.Connection) -> None:
    assert edits.set_by_key(conn, "12", [("Telefon", "12345678")]) is None
    assert journal.pending(conn) == []


# -- moving a unit -------------------------------------------------------------------------------


def test_move_unit_moves_and_journals_the_old_and_new_parent(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entry = edits.move_unit(conn, AFSNIT, SI)  # an OE under an institution
    assert entry_facts([entry]) == [("entity", AFSNIT, "move", "parent_sor_id", AFDELING, SI, 2, None)]
    assert conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == (SI,)
    other = edits.move_unit(conn, AFSNIT, "306031000016009")  # an OE under another OE
    assert (other.old_value, other.new_value) == (SI, "306031000016009")
    moved = edits.move_unit(conn, APOTEK_SI, IE)  # an SI under another owner
    assert entry_facts([moved]) == [("entity", APOTEK_SI, "move", "parent_sor_id", APOTEK_IE, IE, 2, None)]


def test_move_unit_refuses_each_place_the_kinds_forbid(conn: sqlite3.Connection) -> None:
    subtree = Problem("parent_sor_id", None, "a unit cannot be moved into its own subtree")
    assert problems_of(edits.move_unit, conn, APOTEK_IE, SI) == [
        Problem("parent_sor_id", None, "an institution owner cannot be moved under another unit")
    ]
    assert problems_of(edits.move_unit, conn, APOTEK_SI, AFDELING) == [
        Problem("parent_sor_id", None, "an institution (SI) must sit directly under an owner (IE)")
    ]
    assert problems_of(edits.move_unit, conn, APOTEK_SI, SI) == [
        Problem("parent_sor_id", None, "an institution (SI) must sit directly under an owner (IE)")
    ]
    assert problems_of(edits.move_unit, conn, AFDELING, IE) == [
        Problem("parent_sor_id", None, "a unit (OE) must sit under an institution or another unit")
    ]
    assert problems_of(edits.move_unit, conn, AFDELING, AFSNIT) == [subtree]
    assert problems_of(edits.move_unit, conn, AFDELING, AFDELING) == [subtree]
    assert problems_of(edits.move_unit, conn, SI, AFSNIT) == [
        Problem("parent_sor_id", None, "an institution (SI) must sit directly under an owner (IE)"),
        subtree,
    ]
    assert problems_of(edits.move_unit, conn, AFSNIT, "999") == [Problem("sor_id", None, "no unit with SOR-kode 999")]
    assert journal.pending(conn) == []


# -- creating a unit ----------------------------------------------------------------------------


def test_create_unit_makes_an_oe_under_a_unit_and_an_si_under_an_owner(conn: sqlite3.Connection) -> None:
    from sortui.domain.provisional import provisional_sor_id

    oe = edits.create_unit(conn, AFDELING, "Ny", "2024-01-01", "550851000005109")
    assert entry_facts([oe]) == [
        (
            "entity",
            provisional_sor_id(1),
            "create",
            None,
            None,
            {
                "kind": "OE",
                "name": "Ny",
                "parent_sor_id": AFDELING,
                "ean_mode": "inherited",
                "geo_parent_relation": "2",
                "from_date": "2024-01-01",
                "entity_type_code": "550851000005109",
                "first_from_date": "2024-01-01",
            },
            0,
            None,
        )
    ]
    si = edits.create_unit(conn, APOTEK_IE, "Filial", None, "264372000")
    assert si.key == provisional_sor_id(2)
    assert si.new_value == {
        "kind": "SI",
        "name": "Filial",
        "parent_sor_id": APOTEK_IE,
        "ean_mode": "inherited",
        "geo_parent_relation": "1",
        "from_date": None,
        "entity_type_code": "264372000",
        "first_from_date": None,
    }
    assert conn.execute(
        "SELECT sor_id, kind, parent_sor_id, geo_parent_relation, ean_mode, first_from_date FROM entity"
        " WHERE sor_id IN (?, ?) ORDER BY kind",
        (oe.key, si.key),
    ).fetchall() == [
        (oe.key, "OE", AFDELING, "2", "inherited", "2024-01-01"),
        (si.key, "SI", APOTEK_IE, "1", "inherited", None),
    ]
    assert edits.create_unit(conn, oe.key, "Barn").key == provisional_sor_id(3)


def test_create_unit_refuses_a_unit_without_a_name_or_parent(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.create_unit, conn, AFDELING, "") == [Problem("name", "EntityName", "Navn is required")]
    assert problems_of(edits.create_unit, conn, "999", "X") == [Problem("sor_id", None, "no unit with SOR-kode 999")]
    assert journal.pending(conn) == []


def test_a_provisional_id_follows_the_highest_in_use(conn: sqlite3.Connection) -> None:
    from sortui.domain.provisional import provisional_sor_id

    for _ in range(11):
        last = edits.create_unit(conn, AFDELING, "Ny")
    assert last.key == provisional_sor_id(11)
    journal.undo(conn, journal.pending(conn)[0].id)  # the first: 1 is free again, 11 the highest
    assert edits.create_unit(conn, AFDELING, "Ny").key == provisional_sor_id(12)


# -- a lokationsnummer's attributes -----------------------------------------------------------------


def test_check_location_changes_names_each_attribute_that_cannot_be_edited(conn: sqlite3.Connection) -> None:
    assert edits.check_location_changes(conn, APOTEK_GLN, {"bogus": 1, "gln": 2, "note": "x"}) == [
        Problem("location.bogus", None, "bogus is not an attribute of a lokationsnummer that can be edited"),
        Problem("location.gln", None, "gln is not an attribute of a lokationsnummer that can be edited"),
    ]


def test_check_location_changes_requires_the_mandatory_attributes_only(conn: sqlite3.Connection) -> None:
    assert edits.check_location_changes(conn, APOTEK_GLN, {"region_code": None, "system_type": None, "note": None}) == [
        Problem("location.system_type", "SystemType", "EDB-system is required"),
        Problem("location.region_code", "RegionCode", "Region is required"),
    ]


def test_check_location_changes_checks_each_changed_value(conn: sqlite3.Connection) -> None:
    assert edits.check_location_changes(conn, APOTEK_GLN, {"region_code": "1", "note": "ok"}) == [
        Problem("location.region_code", "RegionCode", "Region is 1 characters, at least 4 required")
    ]
    assert edits.check_location_changes(conn, APOTEK_GLN, {"from_date": "2024-13-01"}) == [
        Problem("location.from_date", "FromDate", "Gyldig fra '2024-13-01' is not a date (YYYY-MM-DD)")
    ]
    assert edits.check_location_changes(conn, APOTEK_GLN, {"non_active": True, "only_internal": True}) == []
    assert problems_of(edits.check_location_changes, conn, NEW_GLN, {"note": "x"}) == [
        Problem("gln", "EanLocationCode", f"no lokationsnummer {NEW_GLN} in the working copy")
    ]


def test_a_lokationsnummers_end_before_its_start_is_refused_with_both_dates(conn: sqlite3.Connection) -> None:
    assert edits.check_location_changes(conn, APOTEK_GLN, {"to_date": "1990-01-01"}) == [
        Problem("location.to_date", "ToDate", "Gyldig til 1990-01-01 is before Gyldig fra 1995-02-20")
    ]
    assert edits.check_location_changes(conn, APOTEK_GLN, {"from_date": "2024-01-01", "to_date": "2023-12-31"}) == [
        Problem("location.to_date", "ToDate", "Gyldig til 2023-12-31 is before Gyldig fra 2024-01-01")
    ]
    assert edits.check_location_changes(conn, APOTEK_GLN, {"to_date": "1995-02-20"}) == []  # the same day


def test_stored_dates_the_wrong_way_round_do_not_refuse_another_change(conn: sqlite3.Connection) -> None:
    # The import takes a lokationsnummer's dates as the register has them; only changing one of
    # them is checked against the other.
    conn.execute("UPDATE location SET to_date = '1990-01-01' WHERE gln = ?", (APOTEK_GLN,))
    conn.commit()
    assert edits.check_location_changes(conn, APOTEK_GLN, {"note": "x"}) == []
    assert [e.field for e in edits.set_location_fields(conn, APOTEK_GLN, {"note": "x"})] == ["location.note"]
    assert [e.op for e in edits.save_location(conn, APOTEK_GLN, {}, {XREF: (None, None)})] == ["add"]
    assert edits.check_location_changes(conn, APOTEK_GLN, {"from_date": "1991-01-01"}) == [
        Problem("location.to_date", "ToDate", "Gyldig til 1990-01-01 is before Gyldig fra 1991-01-01")
    ]


def test_set_location_fields_writes_and_journals_each_changed_attribute(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries = edits.set_location_fields(
        conn, APOTEK_GLN, {"note": "Ny", "non_active": True, "region_code": "1084", "to_date": "2030-01-01"}
    )
    assert entry_facts(entries) == [
        ("location", APOTEK_GLN, "set", "location.note", None, "Ny", 3, None),
        ("location", APOTEK_GLN, "set", "location.non_active", False, True, 3, None),
        ("location", APOTEK_GLN, "set", "location.to_date", None, "2030-01-01", 3, None),
    ]
    assert conn.execute(
        "SELECT note, non_active, region_code, to_date FROM location WHERE gln = ?", (APOTEK_GLN,)
    ).fetchone() == ("Ny", 1, "1084", "2030-01-01")
    assert conn.execute("SELECT note FROM location WHERE gln = ?", (PRAKSIS_GLN,)).fetchone() == (None,)


def test_set_location_fields_refuses_all_when_one_is_wrong(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.set_location_fields, conn, APOTEK_GLN, {"note": "Ny", "region_code": None}) == [
        Problem("location.region_code", "RegionCode", "Region is required")
    ]
    assert conn.execute("SELECT note, region_code FROM location WHERE gln = ?", (APOTEK_GLN,)).fetchone() == (
        None,
        "1084",
    )
    assert journal.pending(conn) == []


# -- a unit's location-number mode ---------------------------------------------------------------


def test_set_ean_mode_refuses_an_unknown_mode_an_owner_inheriting_and_own_without_a_number(
    conn: sqlite3.Connection,
) -> None:
    assert problems_of(edits.set_ean_mode, conn, AFSNIT, "bogus") == [
        Problem("ean_mode", None, "'bogus' is not a location-number mode (own, inherited or none)")
    ]
    assert problems_of(edits.set_ean_mode, conn, IE, "inherited") == [
        Problem("ean_mode", None, "an institution owner has no parent to inherit a lokationsnummer from")
    ]
    assert problems_of(edits.set_ean_mode, conn, AFSNIT, "own") == [
        Problem("location.gln", "EanLocationCode", "a new lokationsnummer is needed")
    ]
    assert journal.pending(conn) == []


def test_a_new_own_number_needs_every_mandatory_attribute_and_a_free_valid_gln(conn: sqlite3.Connection) -> None:
    bare = new_location(
        system_supplier=None, system_type="", communication_supplier=None, region_code=None, edi_administrator=None
    )
    assert problems_of(edits.set_ean_mode, conn, AFSNIT, "own", bare) == [
        Problem("location.system_supplier", "SystemSupplier", "Systemleverandør is required for a new lokationsnummer"),
        Problem("location.system_type", "SystemType", "EDB-system is required for a new lokationsnummer"),
        Problem(
            "location.communication_supplier",
            "CommunicationSupplier",
            "Netoperatør is required for a new lokationsnummer",
        ),
        Problem("location.region_code", "RegionCode", "Region is required for a new lokationsnummer"),
        Problem(
            "location.edi_administrator", "EdiAdministrator", "EDI-administrator is required for a new lokationsnummer"
        ),
    ]
    assert problems_of(edits.set_ean_mode, conn, AFSNIT, "own", new_location(APOTEK_GLN)) == [
        Problem("location.gln", "EanLocationCode", f"lokationsnummer {APOTEK_GLN} is already used by {APOTEK_IE}")
    ]
    assert problems_of(edits.set_ean_mode, conn, AFSNIT, "own", new_location("5790000999990")) == [
        Problem(
            "location.gln", "EanLocationCode", "lokationsnummer 5790000999990 has a wrong GS1 check digit (expected 6)"
        )
    ]
    assert journal.pending(conn) == []


def test_set_ean_mode_journals_the_old_and_new_state(versioned: sqlite3.Connection) -> None:
    conn = versioned
    assert edits.set_ean_mode(conn, AFSNIT, "none") is None  # as it is
    inherited = edits.set_ean_mode(conn, AFSNIT, "inherited")
    assert inherited is not None
    none_state = {"ean_mode": "none", "location": None, "messages": []}
    inherited_state = {"ean_mode": "inherited", "location": None, "messages": []}
    assert entry_facts([inherited]) == [("entity", AFSNIT, "ean", "ean_mode", none_state, inherited_state, 2, None)]
    assert conn.execute("SELECT ean_mode FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == ("inherited",)
    own = edits.set_ean_mode(conn, AFSNIT, "own", new_location(note="n", from_date="2024-01-01", version=7))
    assert own is not None
    location = {
        "gln": NEW_GLN,
        "owner_sor_id": AFSNIT,
        "only_internal": False,
        "non_active": False,
        "system_supplier": "1001000055001",
        "system_type": "221000045007",
        "communication_supplier": "41000035001",
        "region_code": "1085",
        "edi_administrator": "106",
        "note": "n",
        "from_date": "2024-01-01",
        "to_date": None,
        "first_from_date": None,
        "updated_at": None,
        "has_status": True,
        "version": 0,
    }
    assert entry_facts([own]) == [
        (
            "entity",
            AFSNIT,
            "ean",
            "ean_mode",
            inherited_state,
            {"ean_mode": "own", "location": location, "messages": []},
            2,
            None,
        )
    ]
    assert conn.execute(
        "SELECT gln, owner_sor_id, note, from_date, version FROM location WHERE owner_sor_id = ?", (AFSNIT,)
    ).fetchall() == [(NEW_GLN, AFSNIT, "n", "2024-01-01", 0)]
    again = edits.set_ean_mode(conn, AFSNIT, "own", new_location("5790000999989"))  # own to own: a new number
    assert again is not None and again.new_value["location"]["gln"] == "5790000999989"
    assert conn.execute("SELECT gln FROM location WHERE owner_sor_id = ?", (AFSNIT,)).fetchall() == [("5790000999989",)]
    assert edits.set_ean_mode(conn, IE, "none") is None
    assert edits.set_ean_mode(conn, APOTEK_SI, "inherited") is None
    assert [e.key for e in journal.pending(conn)] == [AFSNIT, AFSNIT, AFSNIT]


def test_a_new_value_replaces_the_stored_one_in_the_check_of_an_address_and_the_contact(
    conn: sqlite3.Connection,
) -> None:
    # Values the register's file may hold beyond the rules: a street too long, a phone too short.
    conn.execute("UPDATE address SET street = ? WHERE sor_id = ? AND kind = 'postal'", ("x" * 41, IE))
    conn.execute("UPDATE contact SET phone = '1' WHERE sor_id = ?", (IE,))
    conn.commit()
    assert edits.check_entity_changes(conn, IE, {"postal.street": "Hestetorvet", "contact.phone": "46361266"}) == []
    assert edits.check_entity_changes(conn, IE, {"postal.postcode": "40"}) == [
        Problem("postal.postcode", "PostCodeIdentifier", "Postnummer is 2 characters, at least 3 required")
    ]
    assert edits.check_entity_changes(conn, IE, {"visiting.street": "x" * 41}) == [
        Problem("visiting.street", "StreetName", "Vejnavn is 41 characters, at most 40 allowed")
    ]


def test_check_entity_changes_lists_the_problems_in_the_order_of_the_changes(conn: sqlite3.Connection) -> None:
    assert edits.check_entity_changes(conn, AFSNIT, {"name": "", "specialities": [str(n) for n in range(1, 10)]}) == [
        Problem("name", "EntityName", "Navn is required"),
        Problem("specialities", None, "at most 8 specialities"),
        Problem("specialities", "ClinicalSpeciality", "at most 8 specialities"),
    ]


# -- naming a MedCom message type ---------------------------------------------------------------------

XDIS_URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:meddis:xdis15:xd1530l"
HOSPITAL_NOTIFICATION = (
    "urn:dk:healthcare:medcom:messaging:fhir:structuredefinition::hospitalnotification-message"
    "##urn:dk:medcom:fhir:hospitalnotification-message::3.0"
)


@pytest.mark.parametrize(
    ("key", "urn"),
    [
        (XDIS_URN, XDIS_URN),
        (f"  {XDIS_URN} ", XDIS_URN),
        ("XDIS15:XD1530L", XDIS_URN),
        (" xdis15:xd1530l ", XDIS_URN),
        ("XD1530L", XDIS_URN),
        (" xd1530l", XDIS_URN),
        ("HospitalNotification:3.0", HOSPITAL_NOTIFICATION),  # the catalogue's lower-case FHIR names
        ("3.0", HOSPITAL_NOTIFICATION),
    ],
)
def test_resolve_message_takes_the_urn_type_and_version_or_version_in_any_case(
    conn: sqlite3.Connection, key: str, urn: str
) -> None:
    assert edits.resolve_message(conn, key) == urn


@pytest.mark.parametrize("key", ["nope", "XDIS15:XH1530R", "urn:xdis15:xd1530l", " "])
def test_resolve_message_refuses_what_names_no_message_type(conn: sqlite3.Connection, key: str) -> None:
    assert problems_of(edits.resolve_message, conn, key) == [
        Problem("message", None, f"{key.strip()!r} is not a message type in the MedCom catalogue")
    ]


def test_a_version_code_two_message_types_share_names_neither(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO message_definition (urn, format, grp, type_code, version_code, title)"
        " VALUES ('urn:test:other', 'oioxml', 'test', 'OTHER', 'xd1530l', 'Another with the same version code')"
    )
    conn.commit()
    assert problems_of(edits.resolve_message, conn, "XD1530L") == [
        Problem("message", None, "'XD1530L' is not a message type in the MedCom catalogue")
    ]
    assert edits.resolve_message(conn, "XDIS15:XD1530L") == XDIS_URN
    assert edits.resolve_message(conn, "other:XD1530L") == "urn:test:other"


def test_check_new_unit_requires_a_name(conn: sqlite3.Connection) -> None:
    assert edits.check_new_unit(conn, AFDELING, {"from_date": "2024-01-01"}) == [
        Problem("name", "EntityName", "Navn is required")
    ]


def test_an_unchanged_attribute_does_not_stop_the_changes_after_it(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries = edits.set_location_fields(conn, APOTEK_GLN, {"region_code": "1084", "note": "Ny", "non_active": False})
    assert entry_facts(entries) == [("location", APOTEK_GLN, "set", "location.note", None, "Ny", 3, None)]
    assert conn.execute("SELECT region_code, note FROM location WHERE gln = ?", (APOTEK_GLN,)).fetchone() == (
        "1084",
        "Ny",
    )


def test_two_contact_values_changed_together_are_both_checked(conn: sqlite3.Connection) -> None:
    long_email = "x" * 255
    problem = Problem("contact.email", "EmailAddressIdentifier", "E-mail is 255 characters, at most 254 allowed")
    changes = {"contact.email": long_email, "contact.phone": "12345678"}
    assert edits.check_entity_changes(conn, AFSNIT, changes) == [problem]
    assert edits.check_new_unit(conn, AFDELING, {"name": "X", "from_date": "2024-01-01", **changes}) == [problem]


def test_the_edi_editors_save_writes_attributes_and_message_types_together(versioned: sqlite3.Connection) -> None:
    conn = versioned
    entries = edits.save_location(conn, APOTEK_GLN, {"note": "samlet"}, {XREF: ("2024-01-01", None)})
    assert entry_facts(entries) == [
        ("location", APOTEK_GLN, "set", "location.note", None, "samlet", 3, None),
        ("message", APOTEK_GLN, "add", XREF_URN, None, {"from_date": "2024-01-01", "to_date": None}, 3, None),
    ]
    assert conn.execute("SELECT note FROM location WHERE gln = ?", (APOTEK_GLN,)).fetchone() == ("samlet",)
    assert messages(conn) == [(APOTEK_GLN, XREF_URN, "2024-01-01", None)]


def test_the_edi_editors_save_refuses_a_bad_attribute_and_writes_nothing(conn: sqlite3.Connection) -> None:
    assert problems_of(edits.save_location, conn, APOTEK_GLN, {"region_code": None}, {XREF: (None, None)}) == [
        Problem("location.region_code", "RegionCode", "Region is required")
    ]
    assert messages(conn) == [] and journal.pending(conn) == []
    assert conn.execute("SELECT region_code FROM location WHERE gln = ?", (APOTEK_GLN,)).fetchone() == ("1084",)
