"""Readers and writers of the flat register files: SHAK, SHAKregion, sor.csv, SOR2 CSV, EDI map; detection."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from conftest import SAMPLES

from sortui.domain.errors import InputError
from sortui.domain.model import (
    Address,
    Contact,
    Entity,
    Location,
    LocationMessage,
    MessageDefinition,
    ShakCode,
    ShakHospital,
    Speciality,
)
from sortui.formats.detect import detect_kind
from sortui.formats.edimap import read_location_messages, write_location_messages
from sortui.formats.medcom import read_message_definitions
from sortui.formats.shak import (
    format_shak_line,
    read_shak_complete,
    read_shak_region,
    write_shak_complete,
    write_shak_region,
)
from sortui.formats.sor2csv import read_sor2_csv, write_sor2_csv
from sortui.formats.sorcsv import COLUMNS, read_sor_csv, write_sor_csv

SHAK_FILE = SAMPLES / "sor" / "SHAKCOMPLETE.TXT"

IE_ID, SI_ID, OE_ID, OE2_ID = "347801000016001", "347811000016004", "347821000016008", "347831000016005"
GLN, OTHER_GLN, BAD_GLN = "5790000173624", "5790000141227", "5790000173625"
URN_DIS = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
URN_REF = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"
CATALOGUE = {
    URN_DIS: MessageDefinition(URN_DIS, "EDIFACT", "MEDDIS", "DIS01", "D0134L", "Udskrivningsepikrise"),
    URN_REF: MessageDefinition(URN_REF, "EDIFACT", "MEDREF", "REF01", "H0131R", "Sygehushenvisning"),
}


def _tree() -> list[Entity]:
    """IE with its own number, SI inheriting it, an OE and a nested OE; Danish letters throughout."""
    owner = Entity(IE_ID, "IE", "Region Hovedstaden – Økonomi", entity_type_code="22", cvr="29190623", ean_mode="own")
    owner.location = Location(
        GLN, IE_ID, system_type="101", system_supplier="7", communication_supplier="41000035001",
        region_code="1084", edi_administrator="106", from_date="2010-01-01", note="Bemærk: ÆØÅ",
    )  # fmt: skip
    owner.addresses = [
        Address("postal", street="Kongens Vænge", building="2", postcode="3400", district_name="Hillerød")
    ]
    hospital = Entity(
        SI_ID, "SI", "Rigshospitalet", parent_sor_id=IE_ID, entity_type_code="79", shak_code="1301",
        from_date="1976-04-01", first_from_date="1976-04-01", updated_at="2011-08-04", ean_mode="inherited",
    )  # fmt: skip
    hospital.contact = Contact(email="rh@regionh.dk", website="https://www.rigshospitalet.dk", phone="35453545")
    unit = Entity(
        OE_ID, "OE", "Øjenklinik, afsnit ø", parent_sor_id=SI_ID, shak_code="130101", ambulant=True,
        admitted=False, reporting_level=True, local_code="ØJE", note='Note; med "citat"',
    )  # fmt: skip
    unit.specialities = [Speciality("422234001"), Speciality("394594003")]
    unit.addresses = [
        Address("postal", street="Blegdamsvej", building="9", floor="st.", suite="tv", postcode="2100"),
        Address("visiting", street="Blegdamsvej", building="9", district_name="København Ø", municipality_code="101"),
        Address("activity", po_box="123", postcode="2100", country="DK"),
    ]
    nested = Entity(
        OE2_ID, "OE", "Sengeafsnit æ", parent_sor_id=OE_ID, provider_number="019062", pharmacy_number="362,1",
        to_date="2030-12-31", geo_parent_relation="1", geo_parent_sor_id=SI_ID, ean_mode="own",
    )  # fmt: skip
    nested.location = Location(OTHER_GLN, OE2_ID, only_internal=True, non_active=False, from_date="2011-01-01")
    return [owner, hospital, unit, nested]


def _without_lines(entities: list[Entity]) -> list[Entity]:
    for ent in entities:
        ent.source_line = None
    return entities


def _raises(read: Callable[[], Iterable[object]], line: int | None, where: str | None) -> InputError:
    """Run a reader to the end; it must raise an InputError at ``line`` naming ``where``."""
    with pytest.raises(InputError) as info:
        list(read())
    assert (info.value.at.line, info.value.at.where) == (line, where), str(info.value)
    return info.value


# -- SHAKCOMPLETE.TXT -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_shak() -> list[ShakCode]:
    return list(read_shak_complete(SHAK_FILE))


def test_every_line_of_the_real_shak_file_is_read(real_shak: list[ShakCode]) -> None:
    assert len(real_shak) == 19_428
    assert Counter(c.record_type for c in real_shak) == {"sgh": 1_017, "afd": 18_411}
    assert [c.source_line for c in real_shak] == list(range(1, 19_429))
    assert real_shak[0] == ShakCode(
        "1301", "sgh", "1976-04-01", None, "2002-06-27", "Rigshospitalet", "101", "1", "3", source_line=1
    )
    codes = {c.code for c in real_shak}
    assert {"1500A1", "3004L0X", "1500A1A"} <= codes  # legacy codes with letters
    assert any("–" in c.text for c in real_shak)  # byte 0x96 read as the Windows-1252 en dash


def test_real_shak_round_trip(real_shak: list[ShakCode], tmp_path: Path) -> None:
    out = tmp_path / "SHAKCOMPLETE.TXT"
    write_shak_complete(real_shak, out)
    assert list(read_shak_complete(out)) == real_shak
    original, written = SHAK_FILE.read_bytes().split(b"\n"), out.read_bytes().split(b"\n")
    assert len(written) == len(original)
    assert all(len(line) == 214 for line in written[:-1])
    assert written == original  # byte for byte, CGrp/DGrp included


GOOD_SHAK = format_shak_line(ShakCode("130101", "afd", "2006-01-01", None, "2005-12-14", "Anæstesi", "084", "001", "1"))


def _patched(start: int, value: str) -> str:
    return GOOD_SHAK[:start] + value + GOOD_SHAK[start + len(value) :]


@pytest.mark.parametrize(
    ("line", "where"),
    [
        (_patched(0, "xyz"), "Type"),
        (_patched(3, "13X101"), "Kode"),
        (_patched(3, "1301  "), "Kode"),  # a 4-character code on an afd record
        (_patched(23, "20061301"), "DatoFra"),
        (_patched(39, "2006013A"), "DatoTil"),
        (GOOD_SHAK[:100], "Tekst"),  # truncated
        (GOOD_SHAK[:30], "DatoFra"),
    ],
)
def test_bad_shak_line_names_line_and_field(tmp_path: Path, line: str, where: str) -> None:
    path = tmp_path / "SHAKCOMPLETE.TXT"
    path.write_bytes((GOOD_SHAK + "\n" + line + "\n").encode("latin-1"))
    error = _raises(lambda: read_shak_complete(path, label="shak"), 2, where)
    assert str(error).startswith(f"shak:2 ({where}): ")


def test_shak_blank_trailing_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "SHAKCOMPLETE.TXT"
    path.write_bytes((GOOD_SHAK + "\r\n\r\n   \r\n").encode("latin-1"))
    [code] = read_shak_complete(path)
    assert (code.code, code.text, code.valid_to) == ("130101", "Anæstesi", None)


# -- SHAKregion.txt -------------------------------------------------------------------------------


def test_shak_region_round_trip_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "SHAKregion.txt"
    path.write_bytes(
        "1301\tRigshospitalet\t19760401\t25000101\t1\t101\t1084\t347811000016004\n"
        "2529\tRoskilde Øjenklinik\t2005-02-01\t2010-12-31\t2\t161\t1085\t\n\n".encode("latin-1")
    )
    rows = list(read_shak_region(path))
    assert rows[0] == ShakHospital("1301", "Rigshospitalet", "1976-04-01", None, "1", "101", "1084", SI_ID, 1)
    assert rows[1] == ShakHospital(
        "2529", "Roskilde Øjenklinik", "2005-02-01", "2010-12-31", "2", "161", "1085", None, 2
    )
    out = tmp_path / "out.txt"
    write_shak_region(rows, out)
    assert list(read_shak_region(out)) == rows
    assert out.read_bytes().splitlines()[1] == "2529\tRoskilde Øjenklinik\t20050201\t20101231\t2\t161\t1085\t".encode(
        "latin-1"
    )


def test_shak_region_errors(tmp_path: Path) -> None:
    path = tmp_path / "SHAKregion.txt"
    path.write_text("1301\tRigshospitalet\t19760401\t25000101\t1\t101\t1084\n", encoding="latin-1")
    _raises(lambda: read_shak_region(path), 1, None)
    path.write_text("1301\tRigshospitalet\t1976-04-31\t25000101\t1\t101\t1084\t\n", encoding="latin-1")
    _raises(lambda: read_shak_region(path), 1, "K_FRADTO")


# -- sor.csv --------------------------------------------------------------------------------------


def test_sor_csv_round_trip_in_latin1(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    write_sor_csv(_tree(), path)
    data = path.read_bytes()
    assert "Sengeafsnit æ".encode("latin-1") in data and "æ".encode() not in data
    assert b"\x96" in data  # the en dash, as Windows-1252 writes it
    back = list(read_sor_csv(path))
    assert [e.source_line for e in back] == [2, 3, 4, 5]
    assert _without_lines(back) == _tree()
    assert back[1].location is None and back[1].ean_mode == "inherited"


def test_sor_csv_reads_a_handwritten_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    path.write_bytes(
        "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn;Lokationsnummer;Nedarvningsstatus;P_By;Institutionsejer\r\n"
        f"{IE_ID};;IE;Værløse Apotek;{GLN};egen;Værløse;x\r\n"
        f"{SI_ID};{IE_ID};SI;Værløse Apotek;{GLN};nedarvet;Værløse;x\r\n".encode("latin-1")
    )
    owner, institution = read_sor_csv(path)
    assert (owner.name, owner.parent_sor_id, owner.ean_mode) == ("Værløse Apotek", None, "own")
    assert owner.location is not None and owner.location.gln == GLN and owner.location.owner_sor_id == IE_ID
    assert (institution.parent_sor_id, institution.ean_mode, institution.location) == (IE_ID, "inherited", None)
    assert institution.addresses == [Address("postal", district_name="Værløse")]


def test_sor_csv_errors(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    path.write_text("SOR-kode;SORtype;Enhedsnavn\r\n", encoding="latin-1")
    error = _raises(lambda: read_sor_csv(path), 1, None)
    assert "Parent-SOR-kode" in error.message
    head = "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn;Lokationsnummer;Gældende fra dato\r\n"
    for row, where in [
        (f"{SI_ID};{IE_ID};XX;Navn;;", "SORtype"),
        (f"{SI_ID};{IE_ID};SI;Navn;{BAD_GLN};", "Lokationsnummer"),
        (f"12345;{IE_ID};SI;Navn;;", "SOR-kode"),
        (f"{SI_ID};{IE_ID};SI;Navn;;2010-02-30", "Gældende fra dato"),
    ]:
        path.write_bytes((head + f"{IE_ID};;IE;Ejer;;\r\n" + row + "\r\n").encode("latin-1"))
        _raises(lambda: read_sor_csv(path), 3, where)


def _rewritten(path: Path, columns: Callable[[list[str]], list[int]], cell: Callable[[str], str] = str) -> None:
    """``path`` (a sor.csv) with its columns picked and ordered by ``columns`` and each cell made ``cell``."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="latin-1"), newline=""), delimiter=";"))
    order = columns(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([rows[0][i] for i in order])
    writer.writerows([[cell(row[i]) for i in order] for row in rows[1:]])
    path.write_bytes(out.getvalue().encode("latin-1"))


def test_sor_csv_reads_the_same_whatever_the_order_of_its_columns(tmp_path: Path) -> None:
    """Cells are read in the order of COLUMNS, not the file's: the addresses come in the same order,
    a repeated column's last cell wins as before, and Excel's ="…" and padding are taken off."""
    path = tmp_path / "sor.csv"
    write_sor_csv(_tree(), path)
    expected = _without_lines(list(read_sor_csv(path)))
    write_sor_csv(_tree(), path)
    _rewritten(path, lambda header: list(reversed(range(len(header)))), lambda v: f' ="{v}" ' if v else " ")
    assert _without_lines(list(read_sor_csv(path))) == expected
    write_sor_csv(_tree(), path)
    name = list(COLUMNS).index("Enhedsnavn")
    _rewritten(path, lambda header: [*range(len(header)), name])  # Enhedsnavn twice: the last is read
    assert _without_lines(list(read_sor_csv(path))) == expected


def test_sor_csv_reports_the_first_bad_value_in_column_order_whatever_the_file_order(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    head = ["Gældende fra dato", "SORtype", "SOR-kode", "Parent-SOR-kode", "Enhedsnavn"]
    path.write_bytes(
        (";".join(head) + "\r\n" + f"2010-02-30;XX;{IE_ID};;Ejer\r\n").encode("latin-1")
    )  # SORtype comes before Gældende fra dato in COLUMNS
    _raises(lambda: read_sor_csv(path), 2, "SORtype")


def test_sor_csv_reads_windows_1252_letters_in_any_cell(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    head = "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn;P_By;Note\r\n"
    path.write_bytes(head.encode() + f"{IE_ID};;IE;Ejer \x96 A;By\x85;\x93citat\x94\r\n".encode("latin-1"))
    (owner,) = read_sor_csv(path)
    assert (owner.name, owner.addresses[0].district_name, owner.note) == ("Ejer – A", "By…", "“citat”")


def test_sor_csv_column_list_is_the_one_definition() -> None:
    assert {"SOR-kode", "Parent-SOR-kode", "SORtype", "Nedarvningsstatus", "Hovedspeciale"} <= set(COLUMNS)
    assert COLUMNS["Postadresse"] == "postal.street" and COLUMNS["B_Postnummer"] == "visiting.postcode"


# -- SOR2 SorEntity CSV ---------------------------------------------------------------------------

TYPE_NAMES = {"22": "Region", "79": "Hospital"}


def test_sor2_round_trip_with_bom_and_excel_ids(tmp_path: Path) -> None:
    path = tmp_path / "SorEntity_daily.csv"
    write_sor2_csv(_tree(), path, TYPE_NAMES)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfSorId;SorType;")
    assert f'\r\n="{OE2_ID}";OE;Sengeafsnit æ;'.encode() in data
    assert f'="{SI_ID}";SI;Rigshospitalet;Hospital;79;="{IE_ID}";'.encode() in data  # the parent too
    back = list(read_sor2_csv(path, type_names=TYPE_NAMES))
    assert _without_lines(back) == _tree()
    text = data.decode("utf-8-sig").splitlines()
    header = text[0].split(";")
    nested = dict(zip(header, text[4].split(";"), strict=True))
    assert (
        nested["HealthInstitutionSorId"] == f'="{SI_ID}"' and nested["HealthInstitutionEntityName"] == "Rigshospitalet"
    )
    assert nested["InstitutionOwnerEntityTypeName"] == "Region" and nested["InstitutionOwnerCvrNumberId"] == "29190623"


def test_sor2_without_type_names_keeps_codes(tmp_path: Path) -> None:
    path = tmp_path / "SorEntity_daily.csv"
    write_sor2_csv(_tree(), path)
    assert _without_lines(list(read_sor2_csv(path))) == _tree()


def test_sor2_register_shaped_file_with_aliases(tmp_path: Path) -> None:
    path = tmp_path / "SorEntity_daily.csv"
    path.write_bytes(
        "SorId;SorType;EntityName;EntityTypeName;HealthInstitutionSorId;InstitutionOwnerCvrNumberId;"
        "PostalAddressDistrictName\r\n"
        f'="{IE_ID}";IO;Ejer;Region;;29190623;København\r\n'
        f'="{SI_ID}";HI;Sygehus;Hospital;="{SI_ID}";29190623;Ærø\r\n'
        f'="{OE_ID}";OU;Afsnit;Klinisk enhed;="{SI_ID}";29190623;\r\n'.encode()
    )
    owner, hospital, unit = read_sor2_csv(path, type_names=TYPE_NAMES)
    assert [e.sor_id for e in (owner, hospital, unit)] == [IE_ID, SI_ID, OE_ID]
    assert [e.kind for e in (owner, hospital, unit)] == ["IE", "SI", "OE"]
    assert [e.entity_type_code for e in (owner, hospital, unit)] == ["22", "79", "Klinisk enhed"]
    assert (owner.cvr, hospital.cvr) == ("29190623", None)
    assert (hospital.parent_sor_id, unit.parent_sor_id) == (None, SI_ID)  # without ParentSorId: SI as parent
    assert hospital.addresses == [Address("postal", district_name="Ærø")]


def test_sor2_errors(tmp_path: Path) -> None:
    path = tmp_path / "SorEntity_daily.csv"
    head = b"\xef\xbb\xbfSorId;SorType;EntityName\r\n"
    path.write_bytes(head + f'="{IE_ID}";IE;Ejer\r\n="{SI_ID}";HI;Sygehus \xe6\r\n'.encode("latin-1"))
    error = _raises(lambda: read_sor2_csv(path), 3, None)
    assert "utf-8" in error.message
    path.write_bytes(head + f'="{IE_ID}";XY;Ejer\r\n'.encode())
    _raises(lambda: read_sor2_csv(path), 2, "SorType")
    path.write_bytes(b"SorId;EntityName\r\n")
    _raises(lambda: read_sor2_csv(path), 1, None)


# -- EDI map --------------------------------------------------------------------------------------


def test_edi_map_round_trip(tmp_path: Path) -> None:
    rows = [
        LocationMessage(GLN, URN_DIS, "2010-01-01", None),
        LocationMessage(GLN, "XDIS91:XD9134L", None, "2012-12-31"),  # not in the catalogue
        LocationMessage(OTHER_GLN, "urn:dk:healthcare:medcom:messaging:fhir:x", "2020-05-01", None),
    ]
    path = tmp_path / "LocationsCodeEDITypeMap.csv"
    write_location_messages(rows, path, CATALOGUE)
    lines = path.read_bytes().decode("utf-8").splitlines()
    assert lines[0] == "\ufeffEanLocationCode;MessageUrn;TypeCode;VersionCode;Format;FromDate;ToDate"
    assert lines[1] == f"{GLN};{URN_DIS};DIS01;D0134L;EDIFACT;2010-01-01;"
    assert lines[2] == f"{GLN};;XDIS91;XD9134L;;;2012-12-31"
    back = list(read_location_messages(path, catalogue=CATALOGUE))
    assert [r.source_line for r in back] == [2, 3, 4]
    for row in back:
        row.source_line = None
    assert back == rows


def test_edi_map_codes_resolved_through_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text(f"EanLocationCode;TypeCode;VersionCode\n{GLN};ref01;h0131r\n{GLN};REF01;H9999R\n", encoding="utf-8")
    known, unknown = read_location_messages(path, catalogue=CATALOGUE)
    assert (known.message_urn, unknown.message_urn) == (URN_REF, "REF01:H9999R")
    assert [m.message_urn for m in read_location_messages(path)] == ["REF01:H0131R", "REF01:H9999R"]


def test_edi_map_errors(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    head = "EanLocationCode;MessageUrn;FromDate\r\n"
    path.write_text(head + f"{GLN};{URN_DIS};\r\n{BAD_GLN};{URN_DIS};\r\n", encoding="utf-8")
    error = _raises(lambda: read_location_messages(path, label="map.csv"), 3, "EanLocationCode")
    assert str(error).startswith("map.csv:3 (EanLocationCode): ") and "check digit" in error.message
    path.write_bytes(head.encode() + f"{GLN};{URN_DIS};\r\n{GLN};urn:x:\xf8;\r\n".encode("latin-1"))
    _raises(lambda: read_location_messages(path), 3, None)
    path.write_text(head + f"{GLN};;\r\n", encoding="utf-8")
    _raises(lambda: read_location_messages(path), 2, "TypeCode")
    path.write_text("EanLocationCode;FromDate\r\n", encoding="utf-8")
    error = _raises(lambda: read_location_messages(path), 1, None)
    assert "TypeCode" in error.message


# -- detection ------------------------------------------------------------------------------------


def test_detect_kind_of_each_format(tmp_path: Path) -> None:
    shak, region = tmp_path / "a.txt", tmp_path / "b.txt"
    write_shak_complete([ShakCode("1301", "sgh", "1976-04-01", None, None, "Rigshospitalet")], shak)
    write_shak_region([ShakHospital("1301", "Rigshospitalet", "1976-04-01", None, "1", "101", "1084", SI_ID)], region)
    sor, sor2, edi = tmp_path / "c.csv", tmp_path / "d.csv", tmp_path / "e.csv"
    write_sor_csv(_tree(), sor)
    write_sor2_csv(_tree(), sor2)
    write_location_messages([LocationMessage(GLN, URN_DIS)], edi, CATALOGUE)
    zipped, two, other = tmp_path / "sor.zip", tmp_path / "two.zip", tmp_path / "other.txt"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(SAMPLES / "sor" / "ONE_APOTEK.xml", "sor.xml")
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.xml", "<SorTree/>")
        zf.writestr("b.xml", "<SorTree/>")
    other.write_text("hello;world\n", encoding="utf-8")
    expected = {
        SHAK_FILE: "shak-complete",
        shak: "shak-complete",
        region: "shak-region",
        sor: "sor-csv",
        sor2: "sor2-csv",
        edi: "edi-map",
        SAMPLES / "sor" / "ONE_SYGEHUS.xml": "sor-xml",
        zipped: "sor-xml",
        SAMPLES / "medcom" / "message-definitions.csv": "medcom",
        other: None,
    }
    assert {path: detect_kind(path) for path in expected} == expected
    with pytest.raises(InputError, match=r"a zip of 2 XML files \(a.xml, b.xml\)"):
        detect_kind(two)


# -- MedCom catalogue -----------------------------------------------------------------------------

MEDCOM_HEAD = "urn,format,group,type_code,version_code,title\n"


@pytest.mark.parametrize(
    ("row", "where", "says"),
    [
        ("dis01:d0134l,EDIFACT,MEDDIS,DIS01,D0134L,Udskrivning", "urn", "not a URN"),
        (f"{URN_DIS},XML,MEDDIS,DIS01,D0134L,Udskrivning", "format", "unknown format 'XML'"),
        (f"{URN_DIS},EDIFACT,MEDDIS,DIS01,D0134L,Ud\x1b[31mskrivning", "title", "title"),
        (f"{URN_DIS},EDIFACT,MEDDIS,DIS01,D0134L,Udskrivning", "urn", f"duplicate message definition {URN_DIS}"),
    ],
)
def test_medcom_catalogue_errors_name_line_and_column(tmp_path: Path, row: str, where: str, says: str) -> None:
    path = tmp_path / "message-definitions.csv"
    path.write_text(MEDCOM_HEAD + f"{URN_DIS},EDIFACT,MEDDIS,DIS01,D0134L,Udskrivning\n" + row + "\n", encoding="utf-8")
    error = _raises(lambda: read_message_definitions(path, label="catalogue"), 3, where)
    assert str(error).startswith(f"catalogue:3 ({where}): ") and says in error.message


def test_medcom_catalogue_without_a_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "message-definitions.csv"
    path.write_text(f"urn,format,group,type_code,title\n{URN_DIS},EDIFACT,MEDDIS,DIS01,Udskrivning\n", encoding="utf-8")
    error = _raises(lambda: read_message_definitions(path), 1, None)
    assert "version_code" in error.message


# -- CSV and line reading shared by the readers (formats/common.py) --------------------------------

SOR_HEAD = "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn\r\n"


@pytest.mark.parametrize(
    ("data", "line", "says"),
    [
        (b"", 1, "file is empty (expected a header row)"),
        (SOR_HEAD.encode() + f'{IE_ID};;IE;"Ejer\r\nmed linjeskift\r\n'.encode(), 2, "never closed"),
        (SOR_HEAD.encode() + f'{IE_ID};;IE;"Ejer"x\r\n'.encode(), 2, "malformed CSV"),
        (
            SOR_HEAD.encode() + f'{IE_ID};;IE;"Ejer\r\nto"x\r\n'.encode(),
            2,
            "the row starts here; a quoted value runs on to line 3",
        ),
        (SOR_HEAD.encode() + f'{IE_ID};;IE;"Ejer\r\nto";ekstra\r\n'.encode(), 2, "runs on to line 3"),
        (SOR_HEAD.encode() + f"{IE_ID};;IE;Ejer\rmed CR\r\n".encode(), 2, "carriage return (CR) without a line feed"),
        (SOR_HEAD.encode() + b"x" * (1 << 20) + b"\r\n", 2, "line is longer than 1048576 bytes"),
    ],
    ids=["empty", "open-quote", "junk-after-quote", "junk-later", "wrong-width", "bare-cr", "long"],
)
def test_csv_errors_name_the_line(tmp_path: Path, data: bytes, line: int, says: str) -> None:
    path = tmp_path / "sor.csv"
    path.write_bytes(data)
    error = _raises(lambda: read_sor_csv(path, label="sor.csv"), line, None)
    assert str(error).startswith(f"sor.csv:{line}: ") and says in error.message


def test_a_malformed_header_row_names_line_1(tmp_path: Path) -> None:
    path = tmp_path / "message-definitions.csv"
    path.write_bytes(b'urn,"format"x,group\n')
    error = _raises(lambda: read_message_definitions(path, label="catalogue"), 1, None)
    assert error.message.startswith("malformed CSV")


def test_csv_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "sor.csv"
    path.write_bytes((SOR_HEAD + "\r\n" + f"{IE_ID};;IE;Ejer æ\r\n\r\n").encode("latin-1"))
    [owner] = read_sor_csv(path)
    assert (owner.sor_id, owner.name, owner.source_line) == (IE_ID, "Ejer æ", 3)


# -- SHAK writers refuse what does not fit ---------------------------------------------------------


def test_shak_writers_refuse_values_that_do_not_fit(tmp_path: Path) -> None:
    good = ShakCode("130101", "afd", "2006-01-01", None, "2005-12-14", "Anæstesi – dag", "084", "001", "1")
    for bad, says in [
        (ShakCode("130101", "xyz", "2006-01-01", None, None, "A"), "unknown record type 'xyz'"),
        (ShakCode("130101", "afd", "1.1.2006", None, None, "A"), "DatoFra: not an ISO date: '1.1.2006'"),
        (ShakCode("130101", "afd", "2006-01-01", None, None, "A" * 121), "Tekst 'AAAA"),
        (ShakCode("130101", "afd", "2006-01-01", None, None, "A", grp_a="12345"), "AGrp '12345' is longer than 3"),
    ]:
        with pytest.raises(ValueError, match=r"^SHAK 130101") as info:
            write_shak_complete([good, bad], tmp_path / "SHAKCOMPLETE.TXT")
        assert says in str(info.value)
    with pytest.raises(UnicodeEncodeError):  # neither Windows-1252 nor Latin-1 holds it
        write_shak_complete([ShakCode("130101", "afd", "2006-01-01", None, None, "Anæstesi ☃")], tmp_path / "x.txt")
    row = ShakHospital("1301", "Rigs\thospitalet", "1976-04-01", None, "1", "101", "1084", None)
    with pytest.raises(ValueError, match="SHAK 1301: V_SGHNAVN holds a tab or line break"):
        write_shak_region([row], tmp_path / "SHAKregion.txt")


@pytest.mark.parametrize(
    ("line", "where", "says"),
    [
        ("1301\tRigs\x1b[31mhospitalet\t19760401\t25000101\t1\t101\t1084\t", "V_SGHNAVN", "V_SGHNAVN"),
        ("130101\tAfdeling\t19760401\t25000101\t1\t101\t1084\t", "K_SGH", "not a 4-character hospital code"),
        ("1301\tRigshospitalet\t19760401\t25000101\t1\t101\t1084\t3478X", "C_SORID", "SOR id must be digits"),
    ],
)
def test_shak_region_lines_are_checked_field_by_field(tmp_path: Path, line: str, where: str, says: str) -> None:
    path = tmp_path / "SHAKregion.txt"
    path.write_bytes((line + "\n").encode("latin-1"))
    error = _raises(lambda: read_shak_region(path), 1, where)
    assert says in error.message


def test_a_control_character_in_a_shak_line_names_its_field(tmp_path: Path) -> None:
    path = tmp_path / "SHAKCOMPLETE.TXT"
    path.write_bytes((_patched(47, "Ana\x1bstesi") + "\n").encode("latin-1"))
    _raises(lambda: read_shak_complete(path), 1, "Tekst")
