"""Code lists (issue 15): every code shown with its name or as an unknown code, the lists extended
from a file (bad files refused whole, with file, line and column), the migration of an older
working copy, and bulk changes that are one journal group, undone in one step."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import RunCli

from sortui.domain.codelists import CODE_LISTS, FIELD_LISTS, code_words
from sortui.formats.codelist import read_code_list
from sortui.store import codelists, db, edits, journal

APOTEK_GLN = "5790000173624"
APOTEK_SUPPLIER = "1001000055001"  # the Apotek sample's system supplier: in no shipped list
AFSNIT = "347831000016005"
XREF = "XREF15:XH1530R"


def code_rows(path: Path) -> list[tuple[str, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT list, code, text, confirmed, source FROM code_list ORDER BY 1, 2").fetchall()


def test_the_issues_codes_are_named_by_the_shipped_lists(sor_wc: Path) -> None:
    with closing(db.open_working_copy(sor_wc)) as conn:
        assert codelists.name_of(conn, "unit_type", "550851000005109").text == "Klinisk enhed"
        assert codelists.name_of(conn, "geo_parent_relation", "2").text == "Anden geografisk mor"
        assert codelists.name_of(conn, "region", "1084").text == "Region Hovedstaden"
        assert codelists.name_of(conn, "shak_ownership", "1").text == "Offentlig"
        assert codelists.name_of(conn, "system_supplier", APOTEK_SUPPLIER) is None
    assert code_words("550851000005109", codelists.CodeName("Klinisk enhed")) == "Klinisk enhed (550851000005109)"
    assert code_words("1121000055003", None) == "1121000055003 (unknown code)"
    assert (
        code_words("2", codelists.CodeName("Anden geografisk mor", "inferred")) == "Anden geografisk mor (2, inferred)"
    )


def test_every_coded_field_has_a_list_and_every_shipped_name_a_known_list() -> None:
    assert set(FIELD_LISTS.values()) <= set(CODE_LISTS)
    for entry in codelists.shipped_entries():
        assert entry.list in CODE_LISTS and entry.text.strip() == entry.text and entry.text


def test_show_names_every_code_as_the_lists_do(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    loc = run_cli("show", APOTEK_GLN, "--json").json()
    assert loc["code_words"]["system_supplier"] == f"{APOTEK_SUPPLIER} (unknown code)"
    assert loc["code_words"]["region_code"] == "Region Hovedstaden (1084)"
    assert loc["owner_name"] and f"owned by {loc['owner_name']}" in run_cli("show", APOTEK_GLN).out
    # what show says of each unit's type is what the code list says
    with closing(db.open_working_copy(sor_wc)) as conn:
        units = conn.execute("SELECT sor_id, kind, entity_type_code FROM entity").fetchall()
        for sor_id, kind, code in units:
            lst = {"IE": "owner_type", "SI": "institution_type", "OE": "unit_type"}[kind]
            shown = run_cli("show", sor_id, "--json").json()["code_words"]["entity_type_code"]
            assert shown == code_words(code, codelists.name_of(conn, lst, code)), sor_id

    names = tmp_path / "codes.csv"
    names.write_text(f"list;code;text\nSystemleverandør;{APOTEK_SUPPLIER};Systemhuset A/S\n", encoding="utf-8")
    result = run_cli("codes", "--import", names)
    assert result.code == 0 and "1 code added, 0 renamed" in result.err
    loc = run_cli("show", APOTEK_GLN, "--json").json()
    assert loc["code_words"]["system_supplier"] == f"Systemhuset A/S ({APOTEK_SUPPLIER})"
    listed = run_cli("codes", "system_supplier", "--json").json()
    assert {k: v for k, v in next(c for c in listed if c["code"] == APOTEK_SUPPLIER).items() if k != "used"} == {
        "code": APOTEK_SUPPLIER,
        "text": "Systemhuset A/S",
        "confirmed": "yes",
        "source": "codes.csv",
    }


def test_an_import_adds_renames_and_keeps_the_imported_name_over_the_shipped(
    run_cli: RunCli, sor_wc: Path, tmp_path: Path
) -> None:
    names = tmp_path / "names.csv"
    names.write_bytes("list,code,text\nregion,1081,Nordjylland\nEjertype,999,Ny ejertype\n".encode("latin-1"))
    result = run_cli("codes", "--import", names)
    assert result.code == 0, result.err
    assert "1 code added, 1 renamed, 0 as they were (owner_type, region)" in result.err
    with closing(db.open_working_copy(sor_wc)) as conn:
        codelists.load_shipped(conn)  # a newer sortui's lists: never over a name from the register's file
        conn.commit()
        assert codelists.name_of(conn, "region", "1081").text == "Nordjylland"
        assert codelists.name_of(conn, "owner_type", "999").text == "Ny ejertype"
    assert run_cli("codes", "--import", names).err.startswith("names.csv: 0 codes added, 0 renamed, 2 as they were")


@pytest.mark.parametrize(
    ("content", "where", "says"),
    [
        (b"", ":1", "file is empty"),
        (b"code;text\n1;x\n", ":1", "missing column(s): list"),
        (b"list;code;text\nfoo;1;x\n", ":2 (list)", "'foo' is not a code list"),
        (b"list;code;text\nregion;1 2;x\n", ":2 (code)", "is not a code"),
        (b"list;code;text\nregion;1081;\x1b[31mEvil\n", ":2 (text)", "control character U+001B"),
        (b"list;code;text\nregion;1081;\n", ":2 (text)", "1-200 characters"),
        (b"list;code;text;confirmed\nregion;1081;Nord;maybe\n", ":2 (confirmed)", "confirmed is one of"),
        (b"list;code;text\nregion;1081;Nord\nregion;1081;Syd\n", ":3 (text)", "is named twice"),
        (b"list;code;text\nregion;1081;" + b"x" * 2_000_000 + b"\n", ":2", "longer than"),
    ],
)
def test_a_bad_code_list_file_changes_nothing(
    run_cli: RunCli, sor_wc: Path, tmp_path: Path, content: bytes, where: str, says: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("list;code;text\nregion;1081;Nordjylland\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    before = code_rows(sor_wc)
    result = run_cli("codes", "--import", good, bad)  # the good file first: all or nothing
    assert result.code == 2, result.err
    assert f"{bad}{where}" in result.err and says in result.err, result.err
    assert "Traceback" not in result.err
    assert code_rows(sor_wc) == before


def test_codes_lists_and_refuses_an_unknown_list(run_cli: RunCli, sor_wc: Path) -> None:
    result = run_cli("codes")
    assert result.code == 0 and "geo_parent_relation" in result.out and "Geografisk placering" in result.out
    assert "Anden geografisk mor (2, inferred)" in run_cli("codes", "Geografisk placering").out
    result = run_cli("codes", "nope")
    assert result.code == 1 and "'nope' is not a code list" in result.err


def test_the_reader_streams_a_large_list_in_bounded_rows(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("list;code;text\n" + "".join(f"speciality;{n};S {n}\n" for n in range(100_001)), encoding="utf-8")
    with pytest.raises(Exception, match="more than 100,000 codes"):
        for _ in read_code_list(path):
            pass


def test_an_older_working_copy_gets_the_new_columns_and_lists(sor_wc: Path) -> None:
    with closing(sqlite3.connect(sor_wc)) as conn:  # the working copy as the previous version made it
        conn.execute("DROP INDEX ix_journal_group")
        for table, column in (("code_list", "confirmed"), ("code_list", "source"), ("journal", "group_id")):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("DELETE FROM code_list WHERE list = 'shak_ownership'")
        conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION - 1}")
        conn.commit()
    with closing(db.open_working_copy(sor_wc)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert codelists.name_of(conn, "shak_ownership", "2").text == "Privat"
        assert codelists.name_of(conn, "owner_type", "550911000005108").doubt == "unconfirmed"
        edits.set_fields_on_many(conn, [AFSNIT], {"note": "efter opgraderingen"})
        assert [e.group_id for e in journal.pending(conn)] == [1]


def test_a_bulk_change_is_one_group_undone_in_one_step(sor_wc: Path) -> None:
    with closing(db.open_working_copy(sor_wc)) as conn:
        glns = [r[0] for r in conn.execute("SELECT gln FROM location")]
        edits.set_fields(conn, AFSNIT, {"note": "før"})
        added = edits.add_message_to_many(conn, glns, XREF)
        assert len(added) == len(glns) > 1 and len({e.group_id for e in added}) == 1
        changed, refused = edits.set_fields_on_many(conn, [AFSNIT, "347821000016008"], {"contact.phone": "12345678"})
        assert len(changed) == 2 and not refused and changed[0].group_id != added[0].group_id

        assert journal.undo(conn, added[-1].id) == sorted(e.id for e in added)  # any entry: the whole change
        assert conn.execute("SELECT count(*) FROM location_message WHERE message_urn LIKE '%XH1530R'").fetchone() == (
            0,
        )
        assert [e.field for e in journal.pending(conn)] == ["note", "contact.phone", "contact.phone"]
        journal.undo(conn, changed[0].id)
        assert [e.field for e in journal.pending(conn)] == ["note"]
        assert conn.execute("SELECT phone FROM contact WHERE sor_id = ?", (AFSNIT,)).fetchone() in (None, (None,))


# -- one list of editable fields, one word for each thing (the command line) ----------------------


def test_set_takes_a_field_by_its_danish_label_as_the_review_does(run_cli: RunCli, sor_wc: Path) -> None:
    result = run_cli("set", AFSNIT, "Telefon=12345678", "vejnavn (postadresse)=Nyvej")
    assert result.code == 0, result.err
    with closing(db.open_working_copy(sor_wc)) as conn:
        assert [(e.field, e.new_value) for e in journal.pending(conn)] == [
            ("contact.phone", "12345678"),
            ("postal.street", "Nyvej"),
        ]
    result = run_cli("set", AFSNIT, "Telefon=12")
    assert result.code == 2 and "Telefon is 2 characters, at least 8 required" in result.err
    result = run_cli("set", AFSNIT, "Telefonn=12345678")
    assert result.code == 2 and "did you mean" in result.err and "Telefon" in result.err
    result = run_cli("set", APOTEK_GLN, "EDB-system=221000045007")
    assert result.code == 0, result.err


def test_show_help_names_every_kind_of_key(run_cli: RunCli) -> None:
    result = run_cli("show", "--help", db=None)
    assert result.code == 0
    for word in ("SOR-kode", "lokationsnummer", "SHAK-kode", "ydernummer"):
        assert word in result.out


def test_sync_without_a_service_has_its_own_exit_code(run_cli: RunCli, sor_wc: Path) -> None:
    from sortui.sync.exit_codes import EXIT_NO_SERVICE, EXIT_REFUSED

    result = run_cli("sync")
    assert result.code == EXIT_NO_SERVICE != EXIT_REFUSED
    assert "no central service is set up for this working copy" in result.err and "sortui login URL" in result.err
    assert "Traceback" not in result.err
