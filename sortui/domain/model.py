"""The register's records as plain dataclasses.

Readers in ``formats/`` yield these; the store writes and reads them; the
writers in ``formats/`` turn them back into files. Values are kept as text
exactly as the register writes them (ids keep leading zeros; dates are ISO).

Each record is the one definition of its fields: a field's label, length, rules and XML
name travel with it (``described``; ``fields.py`` collects them), and the working copy's
tables are laid out from the records (``store/tables.py``).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field

from sortui.domain import codes
from sortui.domain.fielddef import described, flag

KINDS = ("IE", "SI", "OE")
KIND_NAMES = {"IE": "Institutionsejer", "SI": "Sundhedsinstitution", "OE": "Organisatorisk enhed"}
ADDRESS_KINDS = ("postal", "visiting", "activity")
ADDRESS_KIND_NAMES = {"postal": "Postadresse", "visiting": "Besøgsadresse", "activity": "Aktivitetsadresse"}
EAN_MODES = ("own", "inherited", "none")


@dataclass(slots=True)
class Address:
    kind: str  # one of ADDRESS_KINDS
    sublocation: str | None = described("Stednavn", xml="MailDeliverySublocationIdentifier", min_len=1, max_len=34)
    street: str | None = described("Vejnavn", xml="StreetName", min_len=1, max_len=40)
    street_for_addressing: str | None = described(
        "Vejnavn (adressering)", xml="StreetNameForAddressingName", min_len=1, max_len=20
    )
    building: str | None = described("Husnummer", xml="StreetBuildingIdentifier", min_len=1, max_len=10)
    floor: str | None = described("Etage", xml="FloorIdentifier", min_len=1, max_len=10)
    suite: str | None = described("Side/dør", xml="SuiteIdentifier", min_len=1, max_len=4)
    district_subdivision: str | None = described("Bydel", xml="DistrictSubdivisionIdentifier", min_len=1, max_len=34)
    po_box: str | None = described("Postboks", xml="PostOfficeBoxIdentifier", min_len=1, max_len=4)
    postcode: str | None = described("Postnummer", xml="PostCodeIdentifier", min_len=3, max_len=4, kind="code")
    district_name: str | None = described("By", xml="DistrictName", min_len=1, max_len=20)
    country: str | None = described("Land", xml="CountryIdentificationCode", min_len=2, max_len=2)
    stairway: str | None = described("Opgang", xml="Stairway", min_len=1, max_len=40)
    municipality_code: str | None = described("Kommunekode", min_len=3, max_len=4, kind="code")

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
    email: str | None = described("E-mail", xml="EmailAddressIdentifier", min_len=1, max_len=254)
    website: str | None = described("Hjemmeside", xml="Website", min_len=1, max_len=254)
    phone: str | None = described("Telefon", xml="TelephoneNumberIdentifier", min_len=8, max_len=20)
    fax: str | None = described("Fax", xml="FaxNumberIdentifier", min_len=8, max_len=20)


@dataclass(slots=True)
class Location:
    """A lokationsnummer (EAN/GLN) and its EDI attributes."""

    gln: str = described(
        "Lokationsnummer",
        xml="EanLocationCode",
        min_len=13,
        max_len=13,
        kind="code",
        errors=codes.gln_errors,
        editable=False,
        default=MISSING,
    )
    owner_sor_id: str
    only_internal: bool = flag("Kun intern brug", default=False)
    non_active: bool = flag("Ikke aktiv", default=False)
    system_supplier: str | None = described(
        "Systemleverandør", xml="SystemSupplier", min_len=1, max_len=18, kind="code"
    )
    system_type: str | None = described("EDB-system", xml="SystemType", min_len=1, max_len=18, kind="code")
    communication_supplier: str | None = described(
        "Netoperatør", xml="CommunicationSupplier", min_len=1, max_len=18, kind="code"
    )
    region_code: str | None = described("Region", xml="RegionCode", min_len=4, max_len=4, kind="code")
    edi_administrator: str | None = described(
        "EDI-administrator", xml="EdiAdministrator", min_len=1, max_len=18, kind="code"
    )
    note: str | None = described("Note", xml="SorNote", min_len=1, max_len=254, multiline=True)
    from_date: str | None = described("Gyldig fra", xml="FromDate", kind="date")
    to_date: str | None = described("Gyldig til", xml="ToDate", kind="date")
    first_from_date: str | None = described("Første gyldighed", xml="FirstFromDate", kind="date", editable=False)
    updated_at: str | None = described("Sidst ændret", xml="UpdatedAt", kind="date", editable=False)
    has_status: bool = True  # SorStatus is optional on a location number
    version: int = 0


@dataclass(slots=True)
class Speciality:
    code: str
    type_code: str | None = None


@dataclass(slots=True)
class Entity:
    """An institution owner (IE), health institution (SI) or organisational unit (OE)."""

    sor_id: str = described(
        "SOR-kode",
        xml="SorIdentifier",
        min_len=1,
        max_len=18,
        kind="code",
        errors=codes.sor_id_errors,
        warnings=codes.sor_id_warnings,
        editable=False,
        default=MISSING,
    )
    kind: str
    name: str = described("Navn", xml="EntityName", min_len=1, max_len=60, default=MISSING)
    parent_sor_id: str | None = None
    entity_type_code: str | None = described("Enhedstype", min_len=1, max_len=18, kind="code")
    shak_code: str | None = described("SHAK-kode", xml="ShakIdentifier", min_len=4, max_len=7, errors=codes.shak_errors)
    provider_number: str | None = described(
        "Ydernummer", xml="ProviderIdentifier", min_len=1, max_len=9, errors=codes.provider_number_errors
    )
    pharmacy_number: str | None = described("Apoteksnummer", xml="PharmacyIdentifier", min_len=1, max_len=20)
    local_code: str | None = described("Lokalkode", xml="LocalCode", min_len=1, max_len=20)
    cvr: str | None = described("CVR-nummer", min_len=8, max_len=8, kind="code")
    geo_parent_relation: str | None = described(
        "Geografisk placering", xml="GeographicalParentRelation", min_len=1, max_len=2, kind="int"
    )
    geo_parent_sor_id: str | None = described(
        "Geografisk mor", xml="GeographicalParentSorIdentifier", min_len=1, max_len=18, kind="code"
    )
    ean_mode: str = "none"
    ambulant: bool | None = flag("Ambulant aktivitet")
    admitted: bool | None = flag("Indlagte patienter")
    reporting_level: bool | None = flag("Indberetningsniveau")
    from_date: str | None = described("Gyldig fra", xml="FromDate", kind="date")
    to_date: str | None = described("Gyldig til", xml="ToDate", kind="date")
    first_from_date: str | None = described("Første gyldighed", xml="FirstFromDate", kind="date")
    updated_at: str | None = described("Sidst ændret", xml="UpdatedAt", kind="date", editable=False)
    note: str | None = described("Note", xml="SorNote", min_len=1, max_len=254, multiline=True)
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
