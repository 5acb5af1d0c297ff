"""Import → export → import gives an identical working copy (SOR XML), and the JSON/CSV exports.

Real files, real SQLite: the three register extracts and a synthetic file with every optional
element the format has. The working copies are compared table by table, row by row.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

import pytest
from lxml import etree

from sortui.domain import codes
from sortui.domain.errors import InputError
from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.formats import sorxml_names as names
from sortui.formats.sorxml import SorXmlReader
from sortui.formats.sorxml_writer import write_sor_xml
from sortui.store import db
from sortui.store.importer import import_files
from sortui.store.rows import walk_tree
from sortui.store.tables import ENTITY_TABLES

COMPARED_TABLES = (*ENTITY_TABLES, "location_message")


def sor_id(n: int) -> str:
    body = f"{n}100001600"
    return body + codes.verhoeff_digit(body)


def gln(n: int) -> str:
    body = f"579{n:09d}"
    return body + codes.gs1_check_digit(body)


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, str(v)) for v in row)


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of the compared tables, sorted (the snapshot table and the FTS index are left out)."""
    with closing(db.connect(path)) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=_sort_key) for t in COMPARED_TABLES}


def tree(path: Path) -> list[tuple[int, Entity]]:
    with closing(db.connect(path)) as conn:
        return list(walk_tree(conn))


def export(run_cli, wc: Path, fmt: str, out: Path) -> None:
    result = run_cli("export", "--format", fmt, "-o", out, db=wc)
    assert result.code == 0, result.err
    assert out.is_file()


def assert_same_working_copy(a: Path, b: Path) -> None:
    left, right = dump(a), dump(b)
    for table in COMPARED_TABLES:
        assert left[table] == right[table], f"table {table} differs"
    assert tree(a) == tree(b)


# -- the register's own extracts --------------------------------------------------------------------


def test_samples_round_trip(run_cli, sor_wc: Path, tmp_path: Path, sor_samples: list[Path]) -> None:
    out = tmp_path / "export.xml"
    export(run_cli, sor_wc, "xml", out)
    again = tmp_path / "again" / "wc.sqlite"
    import_files(again, [out])

    assert_same_working_copy(sor_wc, again)
    assert len(dump(again)["entity"]) == 10

    # A second export of the re-imported copy is byte for byte the first one.
    out2 = tmp_path / "export2.xml"
    export(run_cli, again, "xml", out2)
    assert out2.read_bytes() == out.read_bytes()


def _layouts(sample: Path) -> dict[str, bytes]:
    """``sample`` laid out three more ways that hold the same values: no whitespace between elements,
    indented afresh, and a comment, a processing instruction and blank lines between every two elements."""
    compact = etree.parse(str(sample), etree.XMLParser(remove_blank_text=True))
    noisy = etree.parse(str(sample), etree.XMLParser(remove_blank_text=True))
    for el in noisy.getroot().iter(etree.Element):
        for child in list(el):
            child.addprevious(etree.Comment(" between "))
            child.addprevious(etree.ProcessingInstruction("note", "between"))
            child.tail = "\n\n   "
    return {
        "compact": etree.tostring(compact, xml_declaration=True, encoding="UTF-8"),
        "indented": etree.tostring(compact, xml_declaration=True, encoding="UTF-8", pretty_print=True),
        "noisy": etree.tostring(noisy, xml_declaration=True, encoding="UTF-8"),
    }


def _values(ent: Entity) -> dict:
    return {k: v for k, v in asdict(ent).items() if k != "source_line"}


def test_the_layout_between_elements_changes_no_value(tmp_path: Path, sor_samples: list[Path]) -> None:
    """The reader builds no whitespace between elements: every layout of a file reads as the same units,
    and a diff's raw records (which keep it, to place errors) parse to the same units too."""
    for sample in sor_samples:
        expected = [_values(e) for e in SorXmlReader(sample)]
        for layout, data in _layouts(sample).items():
            path = tmp_path / f"{layout}-{sample.name}"
            path.write_bytes(data)
            reader = SorXmlReader(path)
            assert [_values(e) for e in reader] == expected, (sample.name, layout)
            raw = SorXmlReader(path)
            parsed = [raw.entity_from_raw(r.kind, r.parent_id, r.line, r.head + r.body) for r in raw.records()]
            assert [_values(e) for e in parsed] == expected, (sample.name, layout)


def test_an_error_in_a_raw_record_is_placed_at_its_line_in_an_indented_file(
    tmp_path: Path, sor_samples: list[Path]
) -> None:
    sample = sor_samples[0]
    lines = _layouts(sample)["indented"].decode().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "EntityInheritedIndicator>" in line or "Indicator>" in line)
    tag = lines[at].split("<", 2)[1].split(">")[0]
    lines[at] = lines[at].replace(">true<", ">maybe<").replace(">false<", ">maybe<")
    assert "maybe" in lines[at], lines[at]
    path = tmp_path / "bad.xml"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as whole:
        list(SorXmlReader(path))
    raw = SorXmlReader(path)
    with pytest.raises(InputError) as from_raw:
        for r in raw.records():
            raw.entity_from_raw(r.kind, r.parent_id, r.line, r.head + r.body)
    assert whole.value.at.line == from_raw.value.at.line == at + 1, tag


def test_export_looks_like_the_register_files(run_cli, sor_wc: Path, tmp_path: Path, sor_samples: list[Path]) -> None:
    """BOM, root and namespace prefixes as in the samples; each owner's subtree canonically equal to its source."""
    out = tmp_path / "export.xml"
    export(run_cli, sor_wc, "xml", out)
    data = out.read_bytes()
    assert data.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<SorTree ')
    sample_root_line = sor_samples[0].read_bytes().split(b"\n")[1]
    assert data.split(b"\n")[1] == sample_root_line

    parser = etree.XMLParser(remove_blank_text=True)
    exported = etree.parse(str(out), parser).getroot()
    assert exported.nsmap == names.NSMAP
    ns = {"s": names.SOR_NS}
    assert exported.findtext("s:SnapshotDate", namespaces=ns) == "2010-01-26"
    assert exported.findtext("s:CreatedAtTime", namespaces=ns) == "2010-01-26T00:00:00+01:00"

    def owners(root: etree._Element) -> dict[str, bytes]:
        return {
            e.findtext("s:InstitutionOwner/s:SorIdentifier", namespaces=ns): etree.tostring(e, method="c14n")
            for e in root.findall("s:InstitutionOwnerEntity", ns)
        }

    got = owners(exported)
    assert len(got) == 3
    for sample in sor_samples:
        for sid, c14n in owners(etree.parse(str(sample), parser).getroot()).items():
            assert got[sid] == c14n, f"{sample.name}: owner {sid} is not written back as it was"


# -- a synthetic file with every optional element ---------------------------------------------------

ROOT = (
    '<SorTree xmlns:itst="http://rep.oio.dk/itst.dk/xml/schemas/2005/01/10/" '
    'xmlns:xkom-1="http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/" '
    'xmlns:dkcc="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/" '
    'xmlns:dkcc2005-2="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/05/13/" '
    'xmlns:dkcc2005="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/" '
    'xmlns:cpr="http://rep.oio.dk/cpr.dk/xml/schemas/core/2005/03/18/" '
    'xmlns:xkom="http://rep.oio.dk/xkom.dk/xml/schemas/2005/03/15/" '
    'xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0">'
)

IE, SI, SI2, OE1, OE2, OE3, OE4, IE2 = (sor_id(n) for n in (7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008))
OLD1, OLD2, NEW1 = sor_id(6001), sor_id(6002), sor_id(6003)
GLN_IE, GLN_OE1, GLN_OE3 = gln(7001), gln(7004), gln(7006)
SPECIALITIES = ("408443003", "394594003", "394577000", "394579002", "394582007", "394585009", "394586005", "394589003")
DIS01 = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
REF01 = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"


def address_xml(wrapper: str, street: str) -> str:
    return f"""<{wrapper}><xkom-1:AddressPostal>
<dkcc:MailDeliverySublocationIdentifier>Bygning 7 &amp; 8</dkcc:MailDeliverySublocationIdentifier>
<dkcc2005:StreetName>{street}</dkcc2005:StreetName>
<cpr:StreetNameForAddressingName>Blegdamsv.</cpr:StreetNameForAddressingName>
<dkcc:StreetBuildingIdentifier>9A</dkcc:StreetBuildingIdentifier>
<dkcc:FloorIdentifier>3</dkcc:FloorIdentifier>
<dkcc:SuiteIdentifier>tv</dkcc:SuiteIdentifier>
<dkcc2005:DistrictSubdivisionIdentifier>Østerbro</dkcc2005:DistrictSubdivisionIdentifier>
<dkcc2005-2:PostOfficeBoxIdentifier>1234</dkcc2005-2:PostOfficeBoxIdentifier>
<dkcc2005:PostCodeIdentifier>2100</dkcc2005:PostCodeIdentifier>
<dkcc2005:DistrictName>København Ø</dkcc2005:DistrictName>
<dkcc:CountryIdentificationCode scheme="iso3166-alpha2">DK</dkcc:CountryIdentificationCode>
</xkom-1:AddressPostal><Stairway>Opgang C</Stairway></{wrapper}>"""


def location_xml(number: str, note: str | None, status: str | None, flags: str = "false") -> str:
    return f"""<EanLocationCode>{number}</EanLocationCode>
<OnlyInternalIndicator>{flags}</OnlyInternalIndicator><NonActiveIndicator>{flags}</NonActiveIndicator>
<SystemSupplier>1001000055001</SystemSupplier><SystemType>221000045007</SystemType>
<CommunicationSupplier>41000035001</CommunicationSupplier><RegionCode>1084</RegionCode>
<EdiAdministrator>106</EdiAdministrator>{f"<SorNote>{note}</SorNote>" if note else ""}{status or ""}"""


def succession(relation: str, *ids: str) -> str:
    inner = "".join(f"<SorIdentifier>{i}</SorIdentifier>" for i in ids)
    return f"<{relation}EntityCollection>{inner}</{relation}EntityCollection>"


FULL_STATUS = (
    "<SorStatus><FromDate>2001-02-03</FromDate><ToDate>2030-12-31</ToDate>"
    "<UpdatedAt>2020-01-02</UpdatedAt><FirstFromDate>1999-01-01</FirstFromDate></SorStatus>"
)
OPEN_STATUS = "<SorStatus><FromDate>2005-06-07</FromDate><FirstFromDate>2005-06-07</FirstFromDate></SorStatus>"
CONTACT = """<VirtualAddressInformation>
<xkom:EmailAddressIdentifier>post@sønderå.dk</xkom:EmailAddressIdentifier>
<Website>https://example.dk/?a=1&amp;b=2</Website>
<TelephoneNumberIdentifier>+45 35 45 35 45</TelephoneNumberIdentifier>
<FaxNumberIdentifier>35453546</FaxNumberIdentifier>
</VirtualAddressInformation>"""

SYNTHETIC = f"""<?xml version="1.0" encoding="UTF-8"?>
{ROOT}
<CreatedAtTime>2024-05-01T03:04:05+02:00</CreatedAtTime>
<SnapshotDate>2024-05-01</SnapshotDate>
<InstitutionOwnerEntity>
<InstitutionOwner>
<SorIdentifier>{IE}</SorIdentifier>
<EntityName>Region Æblerød &amp; Øster &lt;Å&gt;</EntityName>
<OwnerType>550891000005100</OwnerType>
<EanLocationCodeEntity>{location_xml(GLN_IE, "Ejerens nummer", FULL_STATUS)}</EanLocationCodeEntity>
{address_xml("PostalAddressInformation", "Regionsvej")}
{CONTACT}
{FULL_STATUS}
</InstitutionOwner>
<HealthInstitutionEntity>
<HealthInstitution>
<SorIdentifier>{SI}</SorIdentifier>
<EntityName>Sygehus Sønderå [bold]x[/]</EntityName>
<InstitutionType>22232009</InstitutionType>
<PharmacyIdentifier>362,1</PharmacyIdentifier>
<ShakIdentifier>1301</ShakIdentifier>
<OptionalEanLocationCode><EntityInheritedIndicator>true</EntityInheritedIndicator></OptionalEanLocationCode>
<GeographicalParent><GeographicalParentRelation>3</GeographicalParentRelation>
<GeographicalParentSorIdentifier>{IE}</GeographicalParentSorIdentifier></GeographicalParent>
{address_xml("PostalAddressInformation", "Blegdamsvej")}
{address_xml("VisitingAddressInformation", "Tagensvej")}
<VirtualAddressInformation><TelephoneNumberIdentifier>35453545</TelephoneNumberIdentifier></VirtualAddressInformation>
{FULL_STATUS}
{succession("Replaces", OLD1, OLD2)}
{succession("ReplacedBy", NEW1)}
</HealthInstitution>
<OrganizationalUnitEntity>
<OrganizationalUnit>
<SorIdentifier>{OE1}</SorIdentifier>
<EntityName>Øjenafd. &lt;ø&gt; &amp; [bold]x[/] ]]&gt; æøå</EntityName>
<UnitType>550851000005109</UnitType>
<LocalCode>LK-ÆØÅ 1</LocalCode>
<PharmacyIdentifier>99,2</PharmacyIdentifier>
<ShakIdentifier>130101</ShakIdentifier>
<ProviderIdentifier>019062</ProviderIdentifier>
<OptionalEanLocationCode><EanLocationCodeEntity>{
    location_xml(GLN_OE1, "Note &amp; &lt;bemærk&gt;", FULL_STATUS, "true")
}</EanLocationCodeEntity></OptionalEanLocationCode>
<GeographicalParent><GeographicalParentRelation>2</GeographicalParentRelation></GeographicalParent>
{address_xml("PostalAddressInformation", "Postvej")}
{address_xml("VisitingAddressInformation", "Besøgsvej")}
{address_xml("ActivityAddressInformation", "Aktivitetsvej")}
{CONTACT}
<ClinicalSpecialityCollection>{
    "".join(
        f"<ClinicalSpeciality><SpecialityCode>{c}</SpecialityCode><SpecialityType>51000095001</SpecialityType>"
        "</ClinicalSpeciality>"
        for c in SPECIALITIES
    )
}</ClinicalSpecialityCollection>
{FULL_STATUS}
{succession("Replaces", OLD1)}
{succession("ReplacedBy", NEW1, OLD2)}
<OrganizationalUnitInformation><AmbulantActivityIndicator>true</AmbulantActivityIndicator>
<PatientsAdmittedIndicator>false</PatientsAdmittedIndicator>
<ReportingLevelIndicator>true</ReportingLevelIndicator></OrganizationalUnitInformation>
<LocalAttributeCollection><LocalAttribute1>én</LocalAttribute1><LocalAttribute2>to &amp; tre</LocalAttribute2>
<LocalAttribute3>&lt;fire&gt;</LocalAttribute3><LocalAttribute4>[bold]fem[/]</LocalAttribute4>
<LocalAttribute5>seks ]]&gt; syv</LocalAttribute5></LocalAttributeCollection>
</OrganizationalUnit>
<OrganizationalUnitEntity>
<OrganizationalUnit>
<SorIdentifier>{OE2}</SorIdentifier>
<EntityName>Afsnit to</EntityName>
<OptionalEanLocationCode><EntityInheritedIndicator>true</EntityInheritedIndicator></OptionalEanLocationCode>
<GeographicalParent><GeographicalParentRelation>2</GeographicalParentRelation></GeographicalParent>
{OPEN_STATUS}
<OrganizationalUnitInformation><AmbulantActivityIndicator>false</AmbulantActivityIndicator>
<PatientsAdmittedIndicator>true</PatientsAdmittedIndicator><ReportingLevelIndicator>false</ReportingLevelIndicator>
</OrganizationalUnitInformation>
</OrganizationalUnit>
<OrganizationalUnitEntity>
<OrganizationalUnit>
<SorIdentifier>{OE3}</SorIdentifier>
<EntityName>Afsnit tre (eget nummer uden status)</EntityName>
<OptionalEanLocationCode><EanLocationCodeEntity>{location_xml(GLN_OE3, None, None)}</EanLocationCodeEntity>
</OptionalEanLocationCode>
<GeographicalParent><GeographicalParentRelation>2</GeographicalParentRelation></GeographicalParent>
{OPEN_STATUS}
</OrganizationalUnit>
<OrganizationalUnitEntity>
<OrganizationalUnit>
<SorIdentifier>{OE4}</SorIdentifier>
<EntityName>Dybeste enhed – ÆØÅ æøå</EntityName>
<OptionalEanLocationCode><EntityInheritedIndicator>false</EntityInheritedIndicator></OptionalEanLocationCode>
<GeographicalParent><GeographicalParentRelation>2</GeographicalParentRelation></GeographicalParent>
{OPEN_STATUS}
</OrganizationalUnit>
</OrganizationalUnitEntity>
</OrganizationalUnitEntity>
</OrganizationalUnitEntity>
</OrganizationalUnitEntity>
</HealthInstitutionEntity>
<HealthInstitutionEntity>
<HealthInstitution>
<SorIdentifier>{SI2}</SorIdentifier>
<EntityName>Klinik uden nummer</EntityName>
<InstitutionType>394761003</InstitutionType>
<OptionalEanLocationCode><EntityInheritedIndicator>false</EntityInheritedIndicator></OptionalEanLocationCode>
{OPEN_STATUS}
</HealthInstitution>
</HealthInstitutionEntity>
</InstitutionOwnerEntity>
<InstitutionOwnerEntity>
<InstitutionOwner>
<SorIdentifier>{IE2}</SorIdentifier>
<EntityName>Anden ejer</EntityName>
<OwnerType>550891000005100</OwnerType>
{address_xml("PostalAddressInformation", "Ejervej")}
<VirtualAddressInformation><TelephoneNumberIdentifier>70707070</TelephoneNumberIdentifier></VirtualAddressInformation>
<SorStatus><FromDate>2010-01-01</FromDate><FirstFromDate>2010-01-01</FirstFromDate></SorStatus>
</InstitutionOwner>
</InstitutionOwnerEntity>
</SorTree>
"""

EDI_MAP = (
    "EanLocationCode;MessageUrn;TypeCode;VersionCode;Format;FromDate;ToDate\r\n"
    f"{GLN_IE};{DIS01};;;;2010-01-01;\r\n"
    f"{GLN_OE1};{REF01};;;;2011-02-03;2030-12-31\r\n"
    f"{GLN_OE1};;DIS01;D0134L;;;\r\n"
)


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[Path, Path]:
    xml = tmp_path / "synthetic.xml"
    xml.write_bytes(b"\xef\xbb\xbf" + SYNTHETIC.encode("utf-8"))
    edi = tmp_path / "edi-map.csv"
    edi.write_bytes(EDI_MAP.encode("utf-8"))
    return xml, edi


def test_synthetic_file_loads_every_optional_element(wc: Path, synthetic: tuple[Path, Path]) -> None:
    """Guards the round trip below: the synthetic file really fills every table and column."""
    import_files(wc, synthetic)
    units = {e.sor_id: e for _, e in tree(wc)}
    assert len(units) == 8
    oe1 = units[OE1]
    assert oe1.name == "Øjenafd. <ø> & [bold]x[/] ]]> æøå"
    assert units[SI].name == "Sygehus Sønderå [bold]x[/]"
    for kind in ("postal", "visiting", "activity"):
        addr = oe1.address(kind)
        assert addr is not None
        missing = [f for f in addr.__slots__ if getattr(addr, f) is None and f != "municipality_code"]
        assert missing == [], f"{kind} address lacks {missing}"
        assert addr.stairway == "Opgang C" and addr.sublocation == "Bygning 7 & 8"
    assert oe1.contact == Contact("post@sønderå.dk", "https://example.dk/?a=1&b=2", "+45 35 45 35 45", "35453546")
    assert [s.code for s in oe1.specialities] == list(SPECIALITIES)
    assert oe1.local_attributes == ["én", "to & tre", "<fire>", "[bold]fem[/]", "seks ]]> syv"]
    assert oe1.replaces == [OLD1] and oe1.replaced_by == [NEW1, OLD2]
    assert (oe1.ambulant, oe1.admitted, oe1.reporting_level) == (True, False, True)
    assert oe1.location is not None
    assert oe1.location.note == "Note & <bemærk>" and oe1.location.to_date == "2030-12-31"
    assert oe1.location.only_internal and oe1.location.non_active
    assert (oe1.provider_number, oe1.local_code, oe1.pharmacy_number) == ("019062", "LK-ÆØÅ 1", "99,2")
    assert units[SI].geo_parent_sor_id == IE and units[SI].replaces == [OLD1, OLD2]
    assert units[OE3].location is not None and units[OE3].location.has_status is False
    assert (units[OE2].ean_mode, units[OE4].ean_mode, units[SI2].ean_mode) == ("inherited", "none", "none")
    assert (units[OE2].ambulant, units[OE2].admitted, units[OE2].reporting_level) == (False, True, False)
    depths = {e.sor_id: d for d, e in tree(wc)}
    assert (depths[OE1], depths[OE2], depths[OE3], depths[OE4]) == (2, 3, 4, 5)
    assert len(dump(wc)["location_message"]) == 3


def test_synthetic_round_trip(run_cli, wc: Path, tmp_path: Path, synthetic: tuple[Path, Path]) -> None:
    xml, edi = synthetic
    import_files(wc, [xml, edi])
    out = tmp_path / "export.xml"
    export(run_cli, wc, "xml", out)
    again = tmp_path / "again" / "wc.sqlite"
    import_files(again, [out, edi])

    assert_same_working_copy(wc, again)

    text = out.read_bytes().decode("utf-8-sig")
    assert "<EntityName>Øjenafd. &lt;ø&gt; &amp; [bold]x[/] ]]&gt; æøå</EntityName>" in text
    assert "<SnapshotDate>2024-05-01</SnapshotDate>" in text
    assert '<dkcc:CountryIdentificationCode scheme="iso3166-alpha2">DK</dkcc:CountryIdentificationCode>' in text
    assert "<LocalAttribute5>seks ]]&gt; syv</LocalAttribute5>" in text
    etree.fromstring(out.read_bytes())  # well-formed for a plain parser too

    out2 = tmp_path / "export2.xml"
    export(run_cli, again, "xml", out2)
    assert out2.read_bytes() == out.read_bytes()


def test_json_export(run_cli, wc: Path, tmp_path: Path, synthetic: tuple[Path, Path]) -> None:
    import_files(wc, synthetic)
    out = tmp_path / "export.json"
    export(run_cli, wc, "json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    expected = []
    for _, ent in tree(wc):
        d = asdict(ent)
        d.pop("source_line")
        expected.append(d)
    assert data == expected
    assert len(data) == 8
    assert [d["sor_id"] for d in data[:2]] == [IE2, IE]  # owners by name: "Anden ejer" before "Region …"
    assert data[1]["location"]["gln"] == GLN_IE
    assert "Sygehus Sønderå [bold]x[/]" in out.read_text(encoding="utf-8")  # not escaped to \u00f8


def test_csv_export_round_trip(run_cli, sor_wc: Path, tmp_path: Path) -> None:
    """sor.csv carries every entity, address, contact and location column; speciality types are lost."""
    try:
        from sortui.formats import sorcsv  # noqa: F401
    except ImportError:
        pytest.skip("sortui.formats.sorcsv (the sor.csv writer) is not there yet")
    out = tmp_path / "export.csv"
    export(run_cli, sor_wc, "csv", out)
    raw = out.read_bytes()
    assert "Værløse".encode("cp1252") in raw
    assert raw.count(b"\r\n") == 11  # header + 10 entities
    again = tmp_path / "again" / "wc.sqlite"
    import_files(again, [out])
    left, right = dump(sor_wc), dump(again)
    for table in ("entity", "address", "contact", "location", "local_attribute", "succession"):
        assert left[table] == right[table], f"table {table} differs"
    assert [r[:3] for r in left["speciality"]] == [r[:3] for r in right["speciality"]]


# -- the writer on its own --------------------------------------------------------------------------


_STATUS = {"from_date": "2010-01-01", "first_from_date": "2010-01-01"}  # SorStatus: both required by the schema


def _owner(**kw: object) -> Entity:
    """An owner with what the schema requires of one (a type, a postal address, a telephone number)."""
    values = {
        "entity_type_code": "550891000005100",
        "addresses": [Address("postal", street="Ejervej")],
        "contact": Contact(phone="70707070"),
        **_STATUS,
        **kw,
    }
    return Entity(values.pop("sor_id", sor_id(9001)), "IE", values.pop("name", "Ejer"), **values)  # type: ignore[arg-type]


def _institution(sid: str, parent: str, name: str = "Inst", **kw: object) -> Entity:
    return Entity(sid, "SI", name, parent, entity_type_code="22232009", **{**_STATUS, **kw})  # type: ignore[arg-type]


def _unit(sid: str, parent: str, name: str = "Enhed", **kw: object) -> Entity:
    return Entity(sid, "OE", name, parent, geo_parent_relation="2", **{**_STATUS, **kw})  # type: ignore[arg-type]


def test_escaping_survives_a_round_trip(tmp_path: Path) -> None:
    tricky = "a\tb\nc\rd & <e> ]]> f \"g\" 'h' \u0085 \u2028 \U0001f600"
    ent = _owner(name=tricky, addresses=[Address("postal", street="<&>", stairway="]]>")])
    out = tmp_path / "x.xml"
    assert write_sor_xml([(0, ent)], out, "2024-01-01", "2024-01-01T00:00:00+01:00") == 1
    data = out.read_bytes()
    assert b"]]&gt;" in data and b"&#13;" in data and b"&lt;&amp;&gt;" in data
    reader = SorXmlReader(out)
    [back] = list(reader)
    assert back.name == tricky
    assert back.address("postal") == Address("postal", street="<&>", stairway="]]>")
    assert (reader.snapshot_date, reader.created_at) == ("2024-01-01", "2024-01-01T00:00:00+01:00")


@pytest.mark.parametrize(
    ("ent", "field"),
    [
        (_owner(name="Bad\x07bell"), "name (EntityName)"),
        (_owner(addresses=[Address("postal", street="Vej\x00")]), "postal.street (StreetName)"),
        (_owner(contact=Contact(phone="12345678\x1b[31m")), "contact.phone (TelephoneNumberIdentifier)"),
        (_owner(local_code="\ufffe"), None),  # local_code has no place on an IE: not written, no error
        (
            _owner(
                ean_mode="own",
                location=Location(gln(9001), sor_id(9001), note="x\x0cy"),
            ),
            "location.note (SorNote)",
        ),
    ],
)
def test_characters_xml_cannot_carry(tmp_path: Path, ent: Entity, field: str | None) -> None:
    out = tmp_path / "x.xml"
    if field is None:
        write_sor_xml([(0, ent)], out)
        return
    with pytest.raises(ValueError) as info:
        write_sor_xml([(0, ent)], out)
    assert ent.sor_id in str(info.value) and field in str(info.value)


def test_speciality_with_control_character_and_lone_surrogate(tmp_path: Path) -> None:
    si = _institution(sor_id(9002), sor_id(9001), ean_mode="inherited")
    oe = _unit(sor_id(9003), si.sor_id, "Enhed\ud800", ean_mode="inherited")
    with pytest.raises(ValueError, match=rf"{oe.sor_id}: name \(EntityName\) contains the character U\+D800"):
        write_sor_xml([(0, _owner()), (1, si), (2, oe)], tmp_path / "x.xml")
    oe = _unit(sor_id(9003), si.sor_id, specialities=[Speciality("1\x02")])
    with pytest.raises(ValueError, match=r"specialities\[1\]\.code \(SpecialityCode\)"):
        write_sor_xml([(0, _owner()), (1, si), (2, oe)], tmp_path / "x.xml")


def test_nesting_is_checked(tmp_path: Path) -> None:
    owner = _owner()
    si = _institution(sor_id(9002), owner.sor_id)
    oe = _unit(sor_id(9003), si.sor_id)
    out = tmp_path / "x.xml"
    with pytest.raises(ValueError, match="cannot stand at the top"):
        write_sor_xml([(0, oe)], out)
    with pytest.raises(ValueError, match="depth 2 does not follow"):
        write_sor_xml([(0, owner), (2, oe)], out)
    with pytest.raises(ValueError, match="its parent is"):
        write_sor_xml([(0, owner), (1, si), (2, Entity(sor_id(9004), "OE", "X", parent_sor_id=owner.sor_id))], out)
    with pytest.raises(ValueError, match="ean_mode is 'own' but"):
        write_sor_xml(
            [(0, owner), (1, Entity(sor_id(9002), "SI", "I", parent_sor_id=owner.sor_id, ean_mode="own"))], out
        )
    with pytest.raises(ValueError, match="at most 5"):
        write_sor_xml(
            [(0, owner), (1, si), (2, Entity(oe.sor_id, "OE", "E", si.sor_id, local_attributes=["a"] * 6))], out
        )
    # Siblings and a return to a shallower level close the wrappers properly.
    si2 = _institution(sor_id(9005), owner.sor_id, "Inst 2")
    assert write_sor_xml([(0, owner), (1, si), (2, oe), (1, si2), (0, _owner(sor_id=sor_id(9006)))], out) == 5


def test_writer_streams_a_generator(tmp_path: Path) -> None:
    """A generator is consumed once, in order; a large flat institution writes quickly."""
    owner = _owner()
    si = _institution(sor_id(9002), owner.sor_id, ean_mode="inherited")

    def items():
        yield 0, owner
        yield 1, si
        for i in range(3000):
            yield 2, _unit(sor_id(20000 + i), si.sor_id, f"Afsnit {i}", ean_mode="inherited")

    out = tmp_path / "big.xml"
    assert write_sor_xml(items(), out) == 3002
    assert sum(1 for _ in SorXmlReader(out)) == 3002


def test_export_of_an_unwritable_value_fails_cleanly(run_cli, sor_wc: Path, tmp_path: Path) -> None:
    with closing(sqlite3.connect(sor_wc)) as conn, conn:
        conn.execute("UPDATE entity SET name = 'Bad' || char(1) || 'name' WHERE sor_id = '8341000016002'")
    out = tmp_path / "export.xml"
    result = run_cli("export", "--format", "xml", "-o", out, db=sor_wc)
    assert result.code == 2
    assert "8341000016002" in result.err and "EntityName" in result.err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


def test_an_export_reports_its_progress_in_units(sor_wc: Path, tmp_path: Path) -> None:
    from sortui.store.export import export

    seen: list[tuple[str, int, int]] = []
    conn = db.open_working_copy(sor_wc)
    try:
        count = export(conn, "csv", tmp_path / "sor.csv", progress=lambda *a: seen.append(a))
    finally:
        conn.close()
    assert count > 0 and seen[-1] == (str(tmp_path / "sor.csv"), count, count)
