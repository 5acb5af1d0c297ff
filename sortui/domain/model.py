"""The register's records as plain dataclasses.

Readers in ``formats/`` yield these; the store writes and reads them; the
writers in ``formats/`` turn them back into files. Values are kept as text
exactly as the register writes them (ids keep leading zeros; dates are ISO).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("IE", "SI", "OE")
KIND_NAMES = {"IE": "Institutionsejer", "SI": "Sundhedsinstitution", "OE": "Organisatorisk enhed"}
ADDRESS_KINDS = ("postal", "visiting", "activity")
ADDRESS_KIND_NAMES = {"postal": "Postadresse", "visiting": "Besøgsadresse", "activity": "Aktivitetsadresse"}
EAN_MODES = ("own", "inherited", "none")


@dataclass(slots=True)
class Address:
    kind: str  # one of ADDRESS_KINDS
    sublocation: str | None = None
    street: str | None = None
    street_for_addressing: str | None = None
    building: str | None = None
    floor: str | None = None
    suite: str | None = None
    district_subdivision: str | None = None
    po_box: str | None = None
    postcode: str | None = None
    district_name: str | None = None
    country: str | None = None
    stairway: str | None = None
    municipality_code: str | None = None

    def one_line(self) -> str:
        street = " ".join(p for p in (self.street, self.building) if p)
        extra = ", ".join(p for p in (self.floor, self.suite) if p)
        town = " ".join(p for p in (self.postcode, self.district_name) if p)
        parts = [p for p in (self.sublocation, street, extra, town) if p]
        if self.po_box:
            parts.insert(0, f"Postboks {self.po_box}")
        return ", ".join(parts)


@dataclass(slots=True)
class Contact:
    email: str | None = None
    website: str | None = None
    phone: str | None = None
    fax: str | None = None


@dataclass(slots=True)
class Location:
    """A lokationsnummer (EAN/GLN) and its EDI attributes."""

    gln: str
    owner_sor_id: str
    only_internal: bool = False
    non_active: bool = False
    system_supplier: str | None = None
    system_type: str | None = None
    communication_supplier: str | None = None
    region_code: str | None = None
    edi_administrator: str | None = None
    note: str | None = None
    from_date: str | None = None
    to_date: str | None = None
    first_from_date: str | None = None
    updated_at: str | None = None
    has_status: bool = True  # SorStatus is optional on a location number
    version: int = 0


@dataclass(slots=True)
class Speciality:
    code: str
    type_code: str | None = None


@dataclass(slots=True)
class Entity:
    """An institution owner (IE), health institution (SI) or organisational unit (OE)."""

    sor_id: str
    kind: str
    name: str
    parent_sor_id: str | None = None
    entity_type_code: str | None = None
    shak_code: str | None = None
    provider_number: str | None = None
    pharmacy_number: str | None = None
    local_code: str | None = None
    cvr: str | None = None
    geo_parent_relation: str | None = None
    geo_parent_sor_id: str | None = None
    ean_mode: str = "none"
    ambulant: bool | None = None
    admitted: bool | None = None
    reporting_level: bool | None = None
    from_date: str | None = None
    to_date: str | None = None
    first_from_date: str | None = None
    updated_at: str | None = None
    note: str | None = None
    addresses: list[Address] = field(default_factory=list)
    contact: Contact | None = None
    specialities: list[Speciality] = field(default_factory=list)
    local_attributes: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    location: Location | None = None  # own location number, when ean_mode == "own"
    version: int = 0
    source_line: int | None = None  # where the reader found it, for error messages

    def address(self, kind: str) -> Address | None:
        return next((a for a in self.addresses if a.kind == kind), None)


@dataclass(slots=True)
class ShakCode:
    """One version (line) of a SHAK code from SHAKCOMPLETE.TXT."""

    code: str
    record_type: str  # 'sgh' or 'afd' as in the file
    valid_from: str
    valid_to: str | None
    changed: str | None
    text: str
    grp_a: str | None = None
    grp_b: str | None = None
    op_code: str | None = None
    grp_c: str | None = None
    grp_d: str | None = None
    source_line: int | None = None


@dataclass(slots=True)
class ShakHospital:
    """A line of SHAKregion.txt: ownership, institution type, region and SOR id of a hospital code."""

    code: str
    name: str
    valid_from: str | None
    valid_to: str | None
    ownership: str | None
    institution_type: str | None
    region_code: str | None
    sor_id: str | None
    source_line: int | None = None


@dataclass(slots=True)
class MessageDefinition:
    """A MedCom message definition a location number can be registered to receive."""

    urn: str
    format: str
    group: str
    type_code: str
    version_code: str
    title: str


@dataclass(slots=True)
class LocationMessage:
    """A message type registered on a location number (LocationsCodeEDITypeMap)."""

    gln: str
    message_urn: str
    from_date: str | None = None
    to_date: str | None = None
    source_line: int | None = None


@dataclass(slots=True)
class Snapshot:
    kind: str  # sor, shak, shak-region, edi, medcom
    source_file: str
    snapshot_date: str | None = None
    created_at: str | None = None
    sha256: str | None = None
