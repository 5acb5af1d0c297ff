"""What the register's real files say is what ``show --json``, ``stats`` and the SHAK/MedCom imports say.

The XML is walked here with lxml, independently of the reader, and every leaf element of every
record is looked up in the unit's JSON through the table below.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest
from lxml import etree
from test_roundtrip import SYNTHETIC

SOR_NS = "urn:oio:sundhedsstyrelsen:organisation:1.0.0"
RECORDS = {f"{{{SOR_NS}}}{local}" for local in ("InstitutionOwner", "HealthInstitution", "OrganizationalUnit")}

# Element path below the record (local names) -> JSON key of ``show --json``.
# "a.b": nested key; "a[]": the value is one of the list; "a[].b": one of the list's items has it.
FIELDS: dict[tuple[str, ...], str] = {
    ("SorIdentifier",): "sor_id",
    ("EntityName",): "name",
    ("OwnerType",): "entity_type_code",
    ("InstitutionType",): "entity_type_code",
    ("UnitType",): "entity_type_code",
    ("LocalCode",): "local_code",
    ("PharmacyIdentifier",): "pharmacy_number",
    ("ShakIdentifier",): "shak_code",
    ("ProviderIdentifier",): "provider_number",
    ("OptionalEanLocationCode", "EntityInheritedIndicator"): "@ean_inherited",
    ("GeographicalParent", "GeographicalParentRelation"): "geo_parent_relation",
    ("GeographicalParent", "GeographicalParentSorIdentifier"): "geo_parent_sor_id",
    ("ClinicalSpecialityCollection", "ClinicalSpeciality", "SpecialityCode"): "specialities[].code",
    ("ClinicalSpecialityCollection", "ClinicalSpeciality", "SpecialityType"): "specialities[].type_code",
    ("SorStatus", "FromDate"): "from_date",
    ("SorStatus", "ToDate"): "to_date",
    ("SorStatus", "UpdatedAt"): "updated_at",
    ("SorStatus", "FirstFromDate"): "first_from_date",
    ("ReplacesEntityCollection", "SorIdentifier"): "replaces[]",
    ("ReplacedByEntityCollection", "SorIdentifier"): "replaced_by[]",
    ("OrganizationalUnitInformation", "AmbulantActivityIndicator"): "ambulant",
    ("OrganizationalUnitInformation", "PatientsAdmittedIndicator"): "admitted",
    ("OrganizationalUnitInformation", "ReportingLevelIndicator"): "reporting_level",
    ("LocalAttributeCollection", "LocalAttributeN"): "local_attributes[]",
}
LOCATION = {  # below EanLocationCodeEntity (the IE's own, or inside OptionalEanLocationCode)
    ("EanLocationCode",): "location.gln",
    ("OnlyInternalIndicator",): "location.only_internal",
    ("NonActiveIndicator",): "location.non_active",
    ("SystemSupplier",): "location.system_supplier",
    ("SystemType",): "location.system_type",
    ("CommunicationSupplier",): "location.communication_supplier",
    ("RegionCode",): "location.region_code",
    ("EdiAdministrator",): "location.edi_administrator",
    ("SorNote",): "location.note",
    ("SorStatus", "FromDate"): "location.from_date",
    ("SorStatus", "ToDate"): "location.to_date",
    ("SorStatus", "UpdatedAt"): "location.updated_at",
    ("SorStatus", "FirstFromDate"): "location.first_from_date",
}
ADDRESS_WRAPPERS = {
    "PostalAddressInformation": "postal_address",
    "VisitingAddressInformation": "visiting_address",
    "ActivityAddressInformation": "activity_address",
}
ADDRESS = {  # the last element of the path inside an address wrapper
    "MailDeliverySublocationIdentifier": "sublocation",
    "StreetName": "street",
    "StreetNameForAddressingName": "street_for_addressing",
    "StreetBuildingIdentifier": "building",
    "FloorIdentifier": "floor",
    "SuiteIdentifier": "suite",
    "DistrictSubdivisionIdentifier": "district_subdivision",
    "PostOfficeBoxIdentifier": "po_box",
    "PostCodeIdentifier": "postcode",
    "DistrictName": "district_name",
    "CountryIdentificationCode": "country",
    "Stairway": "stairway",
}
CONTACT = {
    "EmailAddressIdentifier": "email",
    "Website": "website",
    "TelephoneNumberIdentifier": "phone",
    "FaxNumberIdentifier": "fax",
}


def json_key(path: tuple[str, ...]) -> str:
    """Where the leaf at ``path`` (local names below the record) shows up in the unit's JSON."""
    path = tuple(re.sub(r"^LocalAttribute\d$", "LocalAttributeN", p) for p in path)
    if path[0] in ADDRESS_WRAPPERS:
        return f"{ADDRESS_WRAPPERS[path[0]]}.{ADDRESS[path[-1]]}"
    if path[0] == "VirtualAddressInformation":
        return f"contact.{CONTACT[path[-1]]}"
    if "EanLocationCodeEntity" in path:
        return LOCATION[path[path.index("EanLocationCodeEntity") + 1 :]]
    return FIELDS[path]


def _text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def json_values(data: dict, key: str) -> list[object]:
    """The candidate values at ``key``: one for a plain key, every item for a list key."""
    if key == "@ean_inherited":
        return [{"inherited": "true", "none": "false"}.get(data["ean_mode"], data["ean_mode"])]
    values: list[object] = [data]
    for part in key.split("."):
        many = part.endswith("[]")
        part = part.removesuffix("[]")
        values = [v.get(part) if isinstance(v, dict) else None for v in values]
        if many:
            values = [item for v in values for item in (v or [])]
    return [_text(v) for v in values]


def _record_paths(el: etree._Element, rec: etree._Element) -> tuple[str, ...]:
    names = []
    while el is not rec:
        names.append(etree.QName(el).localname)
        el = el.getparent()
    return tuple(reversed(names))


def check_every_leaf(run_cli, xml: Path) -> int:
    checked = 0
    root = etree.parse(str(xml)).getroot()
    for rec in root.iter(*RECORDS):
        sor_id = rec.findtext(f"{{{SOR_NS}}}SorIdentifier").strip()
        result = run_cli("show", sor_id, "--json")
        assert result.code == 0, result.err
        data = result.json()
        assert data["type"] == "unit" and data["sor_id"] == sor_id
        for el in rec.iter():
            if el is rec or len(el) or not isinstance(el.tag, str):
                continue
            path = _record_paths(el, rec)
            key = json_key(path)
            value = (el.text or "").strip()
            found = json_values(data, key)
            assert value in found, f"{xml.name} {sor_id}: {'/'.join(path)} = {value!r}, JSON {key} = {found!r}"
            if key == "location.gln":
                assert data["ean"] == value and data["effective_ean"] == value
            checked += 1
    return checked


LEAVES = {"ONE_SYGEHUS.xml": 49, "ONE_APOTEK.xml": 40, "ONE_PRAKSIS.xml": 42}  # leaf elements in the records


@pytest.mark.parametrize("sample", sorted(LEAVES))
def test_every_field_of_the_extracts_is_in_show_json(run_cli, sor_wc: Path, samples_dir: Path, sample: str) -> None:
    checked = check_every_leaf(run_cli, samples_dir / "sor" / sample)
    assert checked == LEAVES[sample]


def test_every_field_of_the_synthetic_file_is_in_show_json(run_cli, wc: Path, tmp_path: Path) -> None:
    """The same check on a file with every optional element (addresses, local attributes, succession …)."""
    xml = tmp_path / "synthetic.xml"
    xml.write_text(SYNTHETIC, encoding="utf-8")
    assert run_cli("import", xml).code == 0
    assert check_every_leaf(run_cli, xml) == 220


def test_json_key_table_covers_unknown_elements() -> None:
    with pytest.raises(KeyError):
        json_key(("SomethingNew",))


# -- inheritance -------------------------------------------------------------------------------------

APOTEK_IE, APOTEK_SI, APOTEK_OE, APOTEK_GLN = "306011000016003", "306021000016007", "306031000016009", "5790000173624"
PRAKSIS_IE, PRAKSIS_SI, PRAKSIS_OE, PRAKSIS_GLN = "8321000016007", "8331000016009", "8341000016002", "5790000141227"
SYGEHUS_IE, SYGEHUS_SI, SYGEHUS_OE, SYGEHUS_OE2 = (
    "347801000016001",
    "347811000016004",
    "347821000016008",
    "347831000016005",
)


@pytest.mark.parametrize(
    ("owner", "units", "gln"),
    [(APOTEK_IE, (APOTEK_SI, APOTEK_OE), APOTEK_GLN), (PRAKSIS_IE, (PRAKSIS_SI, PRAKSIS_OE), PRAKSIS_GLN)],
)
def test_inherited_location_numbers_resolve_to_the_owner(run_cli, sor_wc: Path, owner, units, gln) -> None:
    own = run_cli("show", owner, "--json").json()
    assert (own["ean_mode"], own["ean"], own["effective_ean"]) == ("own", gln, gln)
    assert own["ean_inherited"] is False and own["ean_from_sor_id"] == owner
    for unit in units:
        data = run_cli("show", unit, "--json").json()
        assert data["ean_mode"] == "inherited"
        assert data["ean"] is None and data["location"] is None
        assert data["effective_ean"] == gln
        assert data["ean_inherited"] is True
        assert data["ean_from_sor_id"] == owner


def test_units_without_a_number_have_no_effective_number(run_cli, sor_wc: Path) -> None:
    for unit in (SYGEHUS_IE, SYGEHUS_SI, SYGEHUS_OE, SYGEHUS_OE2):
        data = run_cli("show", unit, "--json").json()
        assert data["ean_mode"] == "none"
        assert (data["ean"], data["effective_ean"], data["ean_inherited"], data["ean_from_sor_id"]) == (
            None,
            None,
            False,
            None,
        )


def test_addresses_and_contact_are_inherited_from_the_owner(run_cli, sor_wc: Path) -> None:
    data = run_cli("show", PRAKSIS_OE, "--json").json()
    assert data["postal_address"] is None and data["contact"] is None
    postal = data["effective_postal_address"]
    assert (postal["street"], postal["building"], postal["postcode"], postal["district_name"]) == (
        "Vesterbrogade",
        "21",
        "3250",
        "Gilleleje",
    )
    assert postal["inherited"] is True and postal["from_sor_id"] == PRAKSIS_IE
    assert data["effective_visiting_address"]["same_as"] == "postal"
    contact = data["effective_contact"]
    assert (contact["phone"], contact["fax"], contact["from_sor_id"]) == ("48300204", "48300109", PRAKSIS_IE)
    assert [p["sor_id"] for p in data["path"]] == [PRAKSIS_IE, PRAKSIS_SI, PRAKSIS_OE]


# -- SHAK --------------------------------------------------------------------------------------------


def _shak_lines(samples_dir: Path) -> list[tuple[str, str, str, str]]:
    """(code, DatoFra, DatoTil, text) for every line of SHAKCOMPLETE.TXT, read here by position."""
    out = []
    with open(samples_dir / "sor" / "SHAKCOMPLETE.TXT", encoding="latin-1", newline="\n") as fh:
        for line in fh:
            if line.strip():
                out.append((line[3:23].strip(), line[23:31], line[39:47], line[47:167].strip()))
    return out


LEVEL_BY_LENGTH = {4: "sgh", 6: "afd", 7: "afsnit"}


def _distinct_by_level(lines, on: str | None = None) -> dict[str, int]:
    codes: dict[str, set[str]] = {level: set() for level in LEVEL_BY_LENGTH.values()}
    for code, start, end, _ in lines:
        if on is None or start <= on <= end:
            codes[LEVEL_BY_LENGTH[len(code)]].add(code)
    return {level: len(c) for level, c in codes.items()}


def test_shak_import_counts_every_line(run_cli, wc: Path, samples_dir: Path) -> None:
    lines = _shak_lines(samples_dir)
    assert len(lines) == 19_428
    result = run_cli("import", samples_dir / "sor" / "SHAKCOMPLETE.TXT")
    assert result.code == 0, result.err
    assert "imported 19428 rows (shak-complete)" in result.err
    with closing(sqlite3.connect(wc)) as conn:
        assert conn.execute("SELECT count(*) FROM shak_code").fetchone()[0] == 19_428
        assert conn.execute("SELECT rows FROM snapshot WHERE kind = 'shak'").fetchone()[0] == 19_428
    stats = run_cli("stats", "--json").json()
    assert stats["shak_codes"] == _distinct_by_level(lines)
    assert stats["shak_codes"] == {"sgh": 711, "afd": 1835, "afsnit": 8160}
    on = run_cli("stats", "--on", "2009-01-01", "--json").json()
    assert on["shak_codes"] == _distinct_by_level(lines, "20090101")


@pytest.mark.parametrize(
    ("code", "level", "sor_ids"),
    [("2529", "sgh", [SYGEHUS_SI]), ("252901", "afd", [SYGEHUS_OE]), ("2529010", "afsnit", [SYGEHUS_OE2])],
)
def test_show_shak_code(run_cli, full_wc: Path, samples_dir: Path, code, level, sor_ids) -> None:
    expected = sorted((s, e, t) for c, s, e, t in _shak_lines(samples_dir) if c == code)
    data = run_cli("show", code, "--json").json()
    assert (data["type"], data["code"], data["level"], data["sor_ids"]) == ("shak", code, level, sor_ids)
    got = [
        (v["from"].replace("-", ""), (v["to"] or "2500-01-01").replace("-", ""), v["text"]) for v in data["versions"]
    ]
    assert got == expected


def test_show_shak_code_with_history(run_cli, full_wc: Path, samples_dir: Path) -> None:
    lines = _shak_lines(samples_dir)
    counts: dict[str, int] = defaultdict(int)
    for code, *_ in lines:
        counts[code] += 1
    code = max(sorted(counts), key=lambda c: counts[c])
    data = run_cli("show", f"shak:{code}", "--json").json()
    assert len(data["versions"]) == counts[code] > 3
    assert data["level"] == LEVEL_BY_LENGTH[len(code)]
    assert [v["from"] for v in data["versions"]] == sorted(v["from"] for v in data["versions"])


def test_legacy_section_codes_count_as_sections(full_wc: Path) -> None:
    """7-character codes with capital letters (``3004L0X``) are sections by length, like ``130101A``."""
    with closing(sqlite3.connect(full_wc)) as conn:
        levels = dict(conn.execute("SELECT length(code), group_concat(DISTINCT level) FROM shak_code GROUP BY 1"))
    assert levels == {4: "sgh", 6: "afd", 7: "afsnit"}


# -- stats and the MedCom catalogue ------------------------------------------------------------------


def test_stats_counts(run_cli, sor_wc: Path) -> None:
    data = run_cli("stats", "--json").json()
    assert (data["on"], data["IE"], data["SI"], data["OE"]) == (None, 3, 3, 4)
    assert data["location_numbers"] == 2 and data["message_type_registrations"] == 0
    assert data["shak_codes"] == {"sgh": 0, "afd": 0, "afsnit": 0}
    snaps = {Path(s["source_file"]).name: s for s in data["snapshots"] if s["kind"] == "sor"}
    assert {name: s["rows"] for name, s in snaps.items()} == {
        "ONE_SYGEHUS.xml": 4,
        "ONE_APOTEK.xml": 3,
        "ONE_PRAKSIS.xml": 3,
    }
    assert {s["snapshot_date"] for s in snaps.values()} == {"2010-01-26"}


def test_stats_on_a_date(run_cli, sor_wc: Path) -> None:
    """On 2009-01-01 the eye clinic (valid from October 2009) did not exist yet; pharmacy and GP did."""
    data = run_cli("stats", "--on", "2009-01-01", "--json").json()
    assert (data["on"], data["IE"], data["SI"], data["OE"], data["location_numbers"]) == ("2009-01-01", 2, 2, 2, 2)
    assert run_cli("stats", "--on", "1990-01-01", "--json").json()["IE"] == 0
    later = run_cli("stats", "--on", "2010-01-26", "--json").json()
    assert (later["IE"], later["SI"], later["OE"]) == (3, 3, 4)


def test_medcom_catalogue(run_cli, wc: Path, samples_dir: Path) -> None:
    catalogue = samples_dir / "medcom" / "message-definitions.csv"
    result = run_cli("import", catalogue)
    assert result.code == 0, result.err
    assert "imported 108 rows (medcom)" in result.err
    with closing(sqlite3.connect(wc)) as conn:
        assert conn.execute("SELECT count(*) FROM message_definition").fetchone()[0] == 108
        formats = dict(conn.execute("SELECT format, count(*) FROM message_definition GROUP BY format"))
        snap = conn.execute("SELECT source_file, rows FROM snapshot WHERE kind = 'medcom'").fetchone()
    assert set(formats) <= {"EDIFACT", "OIOXML", "FHIR", "ENVELOPE"} and sum(formats.values()) == 108
    assert snap == (str(catalogue.resolve()), 108)


def test_new_working_copy_ships_the_catalogue(sor_wc: Path) -> None:
    with closing(sqlite3.connect(sor_wc)) as conn:
        assert conn.execute("SELECT count(*) FROM message_definition").fetchone()[0] == 108
