"""What changed between two snapshots (issue 16): ``sortui diff``, and what an import records.

The NEW side is a copy of the real extracts edited in the test (a rename, a close, a move, a unit
added, a location number's attribute and a message type added), so the changes expected are known.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from edited_extracts import (
    DEPARTMENT,
    NEW_UNIT,
    PHARMACY_GLN,
    SECTION,
    SI_HOSPITAL,
    SI_PRACTICE,
    URN_B,
    make_sides,
    q,
    unit_element,
    write_tree,
)
from lxml import etree
from old_versions import make_version

from sortui.domain.errors import InputError
from sortui.store import db, diff
from sortui.store.importer import import_files


def _side_arg(paths: list[Path]) -> str:
    return ",".join(map(str, paths))


def _by_key(changes: list[dict]) -> dict[tuple, dict]:
    return {(c["target"], c.get("sor_id") or c.get("gln"), c.get("message_urn"), c["change"]): c for c in changes}


@pytest.fixture
def sides(tmp_path: Path, sor_samples: list[Path]) -> tuple[list[Path], list[Path]]:
    return make_sides(tmp_path, sor_samples)


# -- sortui diff ------------------------------------------------------------------------------


def test_a_file_set_against_itself_gives_nothing(run_cli, sides: tuple[list[Path], list[Path]]) -> None:
    old, _ = sides
    result = run_cli("diff", _side_arg(old), _side_arg(old), "--json", db=None)
    assert result.code == 0, result.err
    assert result.json() == []
    text = run_cli("diff", _side_arg(old), _side_arg(old), db=None)
    assert text.code == 0 and "No changes (the SOR tree, message types compared)" in text.out


def test_known_edits_are_listed_exactly(run_cli, sides: tuple[list[Path], list[Path]]) -> None:
    old, new = sides
    result = run_cli("diff", _side_arg(old), _side_arg(new), "--json", db=None)
    assert result.code == 1, result.err  # as diff(1): changes were found
    changes = _by_key(result.json())
    assert set(changes) == {
        ("entity", SECTION, None, "moved"),
        ("entity", SECTION, None, "changed"),
        ("entity", NEW_UNIT, None, "added"),
        ("entity", SI_PRACTICE, None, "closed"),
        ("location", PHARMACY_GLN, None, "changed"),
        ("message", PHARMACY_GLN, URN_B, "added"),
    }
    assert changes["entity", SECTION, None, "moved"]["fields"] == {"parent_sor_id": [DEPARTMENT, SI_HOSPITAL]}
    renamed = changes["entity", SECTION, None, "changed"]
    assert renamed["fields"] == {"name": ["Roskilde Øjenklinik, beh. afsnit", "Roskilde Øjenklinik, behandling"]}
    assert changes["entity", SI_PRACTICE, None, "closed"]["fields"] == {"to_date": [None, "2010-02-01"]}
    added = changes["entity", NEW_UNIT, None, "added"]["fields"]
    assert added["name"] == [None, "Roskilde Øjenklinik, ny klinik"] and added["parent_sor_id"] == [None, SI_HOSPITAL]
    assert added["kind"] == [None, "OE"] and all(old is None for old, _ in added.values())
    located = changes["location", PHARMACY_GLN, None, "changed"]
    assert located["fields"] == {"location.system_type": ["221000045007", "1611000045003"]}
    assert located["owner_sor_id"] == "306011000016003"
    message = changes["message", PHARMACY_GLN, URN_B, "added"]
    assert message["fields"] == {"message.from_date": [None, "2010-01-01"]} and message["owner_sor_id"]
    assert "Units: 1 added, 1 closed, 1 moved, 1 changed" in result.err  # the summary goes to stderr with --json


def test_text_groups_the_changes_by_kind_and_institution(run_cli, sides: tuple[list[Path], list[Path]]) -> None:
    old, new = sides
    result = run_cli("diff", _side_arg(old), _side_arg(new), db=None)
    assert result.code == 1
    lines = result.out.splitlines()
    moved = lines.index("Units moved (1)")
    assert lines[moved + 1].strip().startswith("Roskilde Øjenklinik") and SI_HOSPITAL in lines[moved + 1]
    assert lines[moved + 2].split() == [SECTION, "Roskilde", "Øjenklinik,", "behandling"]
    assert f"parent_sor_id: {DEPARTMENT} → {SI_HOSPITAL}" in lines[moved + 3]
    assert "Units closed (1)" in lines and "Message types added (1)" in lines
    assert "to_date: – → 2010-02-01" in result.out


def test_csv_has_a_row_per_changed_field_and_is_safe_in_a_spreadsheet(
    run_cli, sides: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    old, new = sides
    hostile = tmp_path / "hostile.xml"
    tree = etree.parse(str(new[0]))
    unit_element(tree, SECTION).find(q("EntityName")).text = '=HYPERLINK("x")\u009b31m'  # C1 CSI: an escape
    write_tree(tree, hostile)
    result = run_cli("diff", _side_arg(old[:1]), str(hostile), "--csv", db=None)
    assert result.code == 1, result.err
    rows = list(csv.reader(io.StringIO(result.out), delimiter=";"))
    assert rows[0] == ["target", "key", "detail", "change", "name", "field", "old", "new"]
    renamed = next(r for r in rows if r[5] == "name" and r[3] == "changed")
    assert renamed[6] == "Roskilde Øjenklinik, beh. afsnit"
    assert renamed[7].startswith("'=HYPERLINK") and "\u009b" not in result.out  # never a formula, never an escape
    assert next(r for r in rows if r[3] == "moved")[5:] == ["parent_sor_id", DEPARTMENT, SI_HOSPITAL]


def test_bad_input_names_the_file_and_line_and_exits_2(
    run_cli, sides: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    old, _ = sides
    broken = tmp_path / "broken.xml"
    broken.write_bytes(old[0].read_bytes()[:3000])
    for args in ((str(broken), str(old[0])), (str(old[0]), str(broken))):  # the old side is read by the worker
        result = run_cli("diff", *args, db=None)
        assert result.code == 2
        assert "broken.xml:" in result.err and "Traceback" not in result.err
    twice = tmp_path / "twice"
    twice.mkdir()
    shutil.copy(old[0], twice / "a.xml")
    shutil.copy(old[0], twice / "b.xml")
    result = run_cli("diff", str(old[0]), str(twice), db=None)
    assert result.code == 2 and "duplicate SOR-kode 347801000016001" in result.err and "b.xml:" in result.err
    assert run_cli("diff", str(old[0]), db=None).code == 2  # NEW missing
    assert run_cli("diff", str(old[0]), str(tmp_path / "nothing.xml"), db=None).code == 2


def test_a_folder_reads_the_tree_from_one_of_its_formats(run_cli, tmp_path: Path) -> None:
    from sortui.generator.files import write_file_set

    folder = tmp_path / "set"
    write_file_set(folder, 600, 3, ("xml", "zip", "csv", "shak", "edi"))
    result = run_cli("diff", str(folder), str(folder), db=None)
    assert result.code == 0, result.err
    assert "the SOR tree is read from sor.xml; not from sor.csv, sor.zip" in result.err
    assert "No changes (the SOR tree, message types, SHAK codes compared)" in result.out


def test_shak_codes_added_closed_and_changed(run_cli, samples_dir: Path, tmp_path: Path) -> None:
    source = samples_dir / "sor" / "SHAKCOMPLETE.TXT"
    lines = [line.decode("latin-1") for line in source.read_bytes().split(b"\n")]
    i, j = [n for n, line in enumerate(lines) if line[39:47] == "25000101"][:2]  # two versions still open
    code = lines[i][3:23].strip()
    lines[i] = lines[i][:39] + "20110101" + lines[i][47:]  # DatoTil: the version closes
    lines[j] = lines[j][:47] + "Omdøbt afdeling".ljust(120) + lines[j][167:]
    edited = tmp_path / "SHAKCOMPLETE.TXT"
    edited.write_bytes("\n".join(lines).encode("latin-1"))
    result = run_cli("diff", str(source), str(edited), "--json", db=None)
    assert result.code == 1, result.err
    changes = result.json()
    assert [(c["target"], c["change"]) for c in changes] == [("shak", "closed"), ("shak", "changed")]
    assert changes[0]["shak_code"] == code and changes[0]["fields"] == {"valid_to": [None, "2011-01-01"]}
    assert changes[1]["fields"]["text"][1] == "Omdøbt afdeling"
    assert changes[1]["valid_from"]


def test_kinds_only_one_side_has_are_named_not_compared(
    run_cli, sides: tuple[list[Path], list[Path]], samples_dir: Path
) -> None:
    old, _ = sides
    shak = samples_dir / "sor" / "SHAKCOMPLETE.TXT"
    result = run_cli("diff", _side_arg(old), _side_arg([*old, shak]), db=None)
    assert result.code == 0
    assert "SHAK codes: only in NEW (19,428 rows), not compared" in result.out


# -- what an import records ----------------------------------------------------------------------


def test_an_import_records_what_it_changed_as_diff_would_list_it(
    run_cli, wc: Path, sides: tuple[list[Path], list[Path]]
) -> None:
    old, new = sides
    first = run_cli("import", *old)
    assert first.code == 0
    assert "the SOR tree: 10 rows loaded for the first time (not listed as changes)" in first.err
    assert run_cli("diff", "--since-snapshot", "--json").json() == []  # a first import is not a change
    second = run_cli("import", *new)
    assert second.code == 0, second.err
    assert "Units: 1 added, 1 closed, 1 moved, 1 changed" in second.err
    recorded = run_cli("diff", "--since-snapshot", "--json")
    assert recorded.code == 1
    direct = run_cli("diff", _side_arg(old), _side_arg(new), "--json", db=None)
    assert recorded.json() == direct.json()
    again = run_cli("import", *new)  # the same files again: the last import changed nothing
    assert "No changes" in again.err
    assert run_cli("diff", "--since-snapshot").code == 0


def test_an_import_of_message_types_alone_records_them_under_their_unit(
    wc: Path, sides: tuple[list[Path], list[Path]]
) -> None:
    old, new = sides
    import_files(wc, old)
    report = import_files(wc, [p for p in new if p.name == "edi.csv"])  # the units are not replaced
    assert report.changes.compared == ["edi"] and report.changes.counts == {("message", "added"): 1}
    with closing(db.open_working_copy(wc)) as conn:
        [added] = list(diff.read_changes(conn))
    assert (added.target, added.key, added.detail) == ("message", PHARMACY_GLN, URN_B)
    assert added.unit == "306011000016003" and added.name and added.institution


def test_a_failed_import_keeps_the_changes_recorded_before_and_leaves_no_file(
    wc: Path, sides: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    old, new = sides
    import_files(wc, old)
    import_files(wc, new)
    with closing(db.open_working_copy(wc)) as conn:
        before = [c.row() for c in diff.read_changes(conn)]
    broken = tmp_path / "broken.xml"
    broken.write_bytes(new[0].read_bytes()[:-200])  # truncated
    with pytest.raises(InputError, match=r"broken\.xml"):
        import_files(wc, [broken])
    with closing(db.open_working_copy(wc)) as conn:
        assert [c.row() for c in diff.read_changes(conn)] == before
    assert sorted(p.name for p in wc.parent.iterdir() if p.name.startswith(f".{wc.name}")) == []


def test_the_changes_know_their_unit_and_institution(wc: Path, sides: tuple[list[Path], list[Path]]) -> None:
    old, new = sides
    import_files(wc, old)
    import_files(wc, new)
    with closing(db.open_working_copy(wc)) as conn:
        changes = {(c.target, c.key, c.change): c for c in diff.read_changes(conn)}
        assert diff.unseen_units(conn) == {SECTION, NEW_UNIT, SI_PRACTICE, "306011000016003"}
        moved = changes["entity", SECTION, "moved"]
        assert (moved.unit, moved.institution, moved.institution_name) == (SECTION, SI_HOSPITAL, "Roskilde Øjenklinik")
        assert changes["entity", SI_PRACTICE, "closed"].institution == SI_PRACTICE
        message = changes["message", PHARMACY_GLN, "added"]
        assert message.unit == "306011000016003"
        assert message.institution == _institution_of(conn, "306011000016003") != SI_HOSPITAL
        for change in changes.values():  # each stands under its own unit's institution (a removed one: the old)
            if change.target in ("location", "message") and change.change != "removed":
                assert change.institution == _institution_of(conn, change.unit), change
        assert diff.mark_seen(conn, [SECTION]) == 2
        assert SECTION not in diff.unseen_units(conn)


def test_every_number_and_message_type_change_stands_under_its_own_institution(wc: Path, tmp_path: Path) -> None:
    """Two generated registers of many institutions: each change of a lokationsnummer or a message type
    is grouped under the institution of the unit it belongs to (not any institution that changed)."""
    from sortui.generator.files import write_file_set

    old = write_file_set(tmp_path / "old", 600, 1, ("xml", "edi"))
    new = write_file_set(tmp_path / "new", 600, 2, ("xml", "edi"))
    import_files(wc, list(old.values()))
    import_files(wc, list(new.values()))
    with closing(db.open_working_copy(wc)) as conn:
        placed = [c for c in diff.read_changes(conn) if c.target in ("location", "message") and c.change == "added"]
        assert len({c.institution for c in placed}) > 5
        for change in placed:
            assert change.institution == _institution_of(conn, change.unit), change


def _institution_of(conn: sqlite3.Connection, sor_id: str | None) -> str | None:
    """The SI (or IE) above ``sor_id``, or itself when it is one."""
    while sor_id is not None:
        kind, parent = conn.execute("SELECT kind, parent_sor_id FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
        if kind != "OE":
            return sor_id
        sor_id = parent
    return None


def test_a_removed_unit_stands_under_its_parent(wc: Path, sor_samples: list[Path], tmp_path: Path) -> None:
    hospital = sor_samples[0]
    tree = etree.parse(str(hospital))
    section = unit_element(tree, SECTION).getparent()
    section.getparent().remove(section)
    import_files(wc, [hospital])
    import_files(wc, [write_tree(tree, tmp_path / "without.xml")])
    with closing(db.open_working_copy(wc)) as conn:
        [removed] = list(diff.read_changes(conn))
    assert (removed.change, removed.key, removed.unit, removed.institution) == (
        "removed",
        SECTION,
        DEPARTMENT,
        SI_HOSPITAL,
    )
    assert removed.fields["name"] == ["Roskilde Øjenklinik, beh. afsnit", None]


def test_pending_edits_are_on_both_sides_of_the_recorded_comparison(
    run_cli, wc: Path, sides: tuple[list[Path], list[Path]]
) -> None:
    old, new = sides
    assert run_cli("import", *old).code == 0
    assert run_cli("set", DEPARTMENT, "name=Lokalt navn").code == 0
    assert run_cli("import", *new).code == 0
    listed = {
        (c["sor_id"] if c["target"] == "entity" else c["gln"])
        for c in run_cli("diff", "--since-snapshot", "--json").json()
    }
    assert DEPARTMENT not in listed  # its pending rename was applied again: not a change of the import
    with closing(sqlite3.connect(wc)) as conn:
        assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (DEPARTMENT,)).fetchone()[0] == "Lokalt navn"


def test_no_recorded_import_is_trouble_not_a_change(run_cli, wc: Path) -> None:
    db.open_working_copy(wc).close()
    result = run_cli("diff", "--since-snapshot")
    assert result.code == 2 and "no import has been recorded" in result.err
    assert run_cli("diff", "--since-snapshot", "a", "b").code == 2


def test_an_older_working_copy_gets_the_tables_and_their_layout_is_the_diffs(wc: Path, tmp_path: Path) -> None:
    db.open_working_copy(wc).close()
    make_version(wc, 1)
    with closing(db.open_working_copy(wc)) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(import_change)")]
        assert conn.execute("SELECT count(*) FROM import_run").fetchone()[0] == 0
    side = sqlite3.connect(":memory:")
    side.execute(diff.CHANGE_TABLE_DDL)
    assert columns == [r[1] for r in side.execute("PRAGMA table_info(import_change)")]
    assert columns == ["seq", *diff.CHANGE_COLUMNS]


def test_a_unit_in_a_loop_of_parents_gets_no_institution(wc: Path, sor_samples: list[Path]) -> None:
    """Hostile parents (a loop, which a CSV can make) end the walk up the tree instead of running on."""
    import_files(wc, sor_samples)
    with closing(sqlite3.connect(wc)) as conn, conn:
        conn.execute("UPDATE entity SET parent_sor_id = ? WHERE sor_id = ?", (SECTION, DEPARTMENT))
    with closing(db.open_working_copy(wc)) as conn:
        conn.execute("ATTACH DATABASE ':memory:' AS empty")
        for table in ("entity", "address", "contact", "speciality", "local_attribute", "succession", "location"):
            conn.execute(f"CREATE TABLE empty.{table} AS SELECT * FROM main.{table} WHERE 0")
        with conn:
            diff.compare(conn, "empty", "main", ["sor"])
        placed = {c.key: c.institution for c in diff.read_changes(conn) if c.target == "entity"}
    assert placed[SECTION] is None and placed[DEPARTMENT] is None and placed[SI_HOSPITAL] == SI_HOSPITAL


def test_json_values_are_exact(run_cli, sides: tuple[list[Path], list[Path]]) -> None:
    """Flags stay booleans and lists stay lists in JSON (the CSV writes them as JSON text)."""
    old, new = sides
    changes = run_cli("diff", _side_arg(old), _side_arg(new), "--json", db=None).json()
    added = next(c for c in changes if c["change"] == "added" and c["target"] == "entity")
    assert added["fields"]["ambulant"] == [None, False]
    assert json.dumps(added, ensure_ascii=False)  # plain JSON


def test_csv_sides_with_a_catalogue_and_a_region_file(run_cli, tmp_path: Path, samples_dir: Path) -> None:
    """sor.csv and SorEntity_daily.csv are compared like SOR XML; the MedCom catalogue is read, SHAKregion.txt named."""
    from sortui.domain.model import ShakHospital
    from sortui.formats.shak import write_shak_region
    from sortui.generator.files import write_file_set

    for fmt in ("csv", "sor2"):
        old, new = tmp_path / fmt / "old", tmp_path / fmt / "new"
        write_file_set(old, 500, 5, (fmt, "edi"))
        shutil.copy(samples_dir / "medcom" / "message-definitions.csv", old / "message-definitions.csv")
        write_shak_region(
            [ShakHospital("1301", "Rigshospitalet", "1976-04-01", None, "1", "101", "1084", None)],
            old / "SHAKregion.txt",
        )
        shutil.copytree(old, new)
        same = run_cli("diff", str(old), str(new), db=None)
        assert same.code == 0, same.err
        assert "SHAKregion.txt is not compared" in same.err
        assert "No changes (the SOR tree, message types compared)" in same.out


def test_a_line_twice_in_a_shak_file_is_named(run_cli, tmp_path: Path, samples_dir: Path) -> None:
    source = samples_dir / "sor" / "SHAKCOMPLETE.TXT"
    lines = source.read_bytes().split(b"\n")
    twice = tmp_path / "SHAKCOMPLETE.TXT"
    twice.write_bytes(b"\n".join([*lines[:11], lines[10], *lines[11:]]))
    result = run_cli("diff", str(source), str(twice), db=None)
    assert result.code == 2 and f"{twice}:12:" in result.err and "appears twice" in result.err
    assert "Traceback" not in result.err


def test_a_folder_without_a_register_file_is_refused(run_cli, tmp_path: Path, sor_samples: list[Path]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "LÆSMIG.txt").write_text("ingen registerfiler her\n", encoding="utf-8")
    result = run_cli("diff", str(sor_samples[0]), str(folder), db=None)
    assert result.code == 2 and f"{folder}: no file sortui knows in this folder" in result.err


def test_a_unit_twice_in_a_sor_file_is_named_by_its_second_line(run_cli, tmp_path: Path, samples_dir: Path) -> None:
    source = samples_dir / "sor" / "ONE_APOTEK.xml"
    data = source.read_bytes()
    start = data.index(b"<OrganizationalUnitEntity>")
    end = data.index(b"</OrganizationalUnitEntity>") + len(b"</OrganizationalUnitEntity>")
    twice = tmp_path / "twice.xml"
    twice.write_bytes(data.replace(b"</HealthInstitutionEntity>", data[start:end] + b"\n</HealthInstitutionEntity>", 1))
    second = twice.read_bytes()
    at = second.index(b"<OrganizationalUnit>", second.index(b"<OrganizationalUnit>") + 1)
    result = run_cli("diff", str(source), str(twice), db=None)
    assert result.code == 2 and "duplicate SOR-kode 306031000016009" in result.err
    line = second.count(b"\n", 0, at) + 1
    assert f"{twice}:{line}" in result.err


def test_a_bad_value_in_a_record_that_differs_is_named_at_its_line_in_the_file(
    run_cli, tmp_path: Path, samples_dir: Path
) -> None:
    """Records that differ are parsed after both sides are read: the error still names the file's line."""
    source = samples_dir / "sor" / "ONE_APOTEK.xml"
    data = source.read_bytes()
    at = data.index(b"<EntityInheritedIndicator>true<")
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        data[:at] + b"<EntityInheritedIndicator>maybe<" + data[at + len(b"<EntityInheritedIndicator>true<") :]
    )
    line = data.count(b"\n", 0, at) + 1
    for args in ((source, bad), (bad, source)):  # either side: the old one is read by the worker
        result = run_cli("diff", *map(str, args), db=None)
        assert result.code == 2 and "Traceback" not in result.err
        assert f"{bad}:{line}" in result.err and "expected true or false, found 'maybe'" in result.err


def test_a_lokationsnummer_on_two_units_is_named_at_the_second(run_cli, tmp_path: Path, samples_dir: Path) -> None:
    apotek, praksis = samples_dir / "sor" / "ONE_APOTEK.xml", samples_dir / "sor" / "ONE_PRAKSIS.xml"
    gln_of = lambda data: data.split(b"<EanLocationCode>")[1].split(b"<")[0]  # noqa: E731
    data = praksis.read_bytes()
    at = data.index(b"<EanLocationCode>")
    taken = tmp_path / "taken.xml"
    taken.write_bytes(data.replace(gln_of(data), gln_of(apotek.read_bytes())))
    result = run_cli("diff", _side_arg([apotek, praksis]), _side_arg([apotek, taken]), db=None)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"duplicate lokationsnummer {gln_of(apotek.read_bytes()).decode()}" in result.err
    record = max(
        data.rfind(tag, 0, at) for tag in (b"<InstitutionOwner>", b"<HealthInstitution>", b"<OrganizationalUnit>")
    )
    line = data.count(b"\n", 0, record) + 1
    assert f"{taken}:{line}" in result.err and "EanLocationCode" in result.err


def test_a_record_naming_two_sor_koder_is_read_as_the_import_reads_it(
    run_cli, tmp_path: Path, samples_dir: Path
) -> None:
    """The last SorIdentifier of a record is its SOR-kode, in the kept records as in the parsed ones."""
    source = samples_dir / "sor" / "ONE_APOTEK.xml"
    data = source.read_bytes()
    owner = data.split(b"<SorIdentifier>")[1].split(b"<")[0]
    unit = data.index(b"<OrganizationalUnit>") + len(b"<OrganizationalUnit>")
    twice = tmp_path / "twice.xml"
    twice.write_bytes(
        data[:unit]
        + b"<SorIdentifier>1</SorIdentifier>"
        + data[unit:].replace(b"</SorIdentifier>", b"</SorIdentifier><SorIdentifier>" + owner + b"</SorIdentifier>", 1)
    )
    result = run_cli("diff", str(source), str(twice), db=None)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"duplicate SOR-kode {owner.decode()}" in result.err and f"{twice}:" in result.err
