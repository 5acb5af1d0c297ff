"""Copies of the real SOR extracts with known edits, for the tests of what changed (issue 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree

from sortui.domain import codes

NS = "urn:oio:sundhedsstyrelsen:organisation:1.0.0"
SI_HOSPITAL, DEPARTMENT, SECTION = "347811000016004", "347821000016008", "347831000016005"
SI_PRACTICE = "8331000016009"
PHARMACY_GLN = "5790000173624"
URN_A = "urn:dk:healthcare:medcom:messaging:edifact:medbin:bin02:b0210x"
URN_B = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
EDI_HEADER = "EanLocationCode;MessageUrn;TypeCode;VersionCode;Format;FromDate;ToDate\r\n"


def sor_id(n: int) -> str:
    body = f"{n}100001600"
    return body + codes.verhoeff_digit(body)


NEW_UNIT = sor_id(34785)


def q(local: str) -> str:
    return f"{{{NS}}}{local}"


def unit_element(tree: etree._ElementTree, sid: str) -> etree._Element:
    """The record (InstitutionOwner, HealthInstitution, OrganizationalUnit) with SOR id ``sid``."""
    return next(el.getparent() for el in tree.iter(q("SorIdentifier")) if el.text == sid and el.getparent() is not None)


def write_tree(tree: etree._ElementTree, path: Path) -> Path:
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def _edited_hospital(source: Path, target: Path) -> Path:
    """ONE_SYGEHUS.xml with the section renamed and moved up under the hospital, and a unit added."""
    tree = etree.parse(str(source))
    section = unit_element(tree, SECTION)
    section.find(q("EntityName")).text = "Roskilde Øjenklinik, behandling"
    section_entity = section.getparent()
    hospital_entity = unit_element(tree, SI_HOSPITAL).getparent()
    hospital_entity.append(section_entity)  # moved: from under the department to the hospital itself
    added = etree.fromstring(etree.tostring(unit_element(tree, DEPARTMENT).getparent()))
    for child in added.findall(q("OrganizationalUnitEntity")):
        added.remove(child)
    record = added.find(q("OrganizationalUnit"))
    record.find(q("SorIdentifier")).text = NEW_UNIT
    record.find(q("EntityName")).text = "Roskilde Øjenklinik, ny klinik"
    hospital_entity.append(added)
    return write_tree(tree, target)


def _edited_practice(source: Path, target: Path) -> Path:
    """ONE_PRAKSIS.xml with its health institution closed (ToDate set)."""
    tree = etree.parse(str(source))
    status = unit_element(tree, SI_PRACTICE).find(q("SorStatus"))
    to_date = etree.Element(q("ToDate"))
    to_date.text = "2010-02-01"
    status.find(q("FromDate")).addnext(to_date)
    return write_tree(tree, target)


def _edited_pharmacy(source: Path, target: Path) -> Path:
    """ONE_APOTEK.xml with another EDB-system on its location number."""
    tree = etree.parse(str(source))
    system = next(el for el in tree.iter(q("SystemType")))
    system.text = "1611000045003"
    return write_tree(tree, target)


def _edi(path: Path, *urns: str) -> Path:
    path.write_text(EDI_HEADER + "".join(f"{PHARMACY_GLN};{u};;;;2010-01-01;\r\n" for u in urns), encoding="utf-8")
    return path


def make_sides(tmp_path: Path, sor_samples: list[Path]) -> tuple[list[Path], list[Path]]:
    """(OLD, NEW): the three real extracts and a message-type map, and their edited copies."""
    hospital, pharmacy, practice = sor_samples
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    old = [*(shutil.copy(p, old_dir / p.name) for p in sor_samples), _edi(old_dir / "edi.csv", URN_A)]
    new = [
        _edited_hospital(hospital, new_dir / hospital.name),
        _edited_pharmacy(pharmacy, new_dir / pharmacy.name),
        _edited_practice(practice, new_dir / practice.name),
        _edi(new_dir / "edi.csv", URN_A, URN_B),
    ]
    return [Path(p) for p in old], new
