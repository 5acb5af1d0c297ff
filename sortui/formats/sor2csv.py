"""SOR2 ``SorEntity_daily.csv``: one row per unit, ``;`` separated, UTF-8 with an optional BOM (§5.2).

``COLUMNS`` (header -> model field path, as in ``sorcsv``) is the one column definition for reader
and writer. Ids are written ``="123"`` so Excel keeps them as text; the reader strips that from any
value. SorType may be ``IE``/``SI``/``OE`` or the English aliases ``IO``/``HI``/``OU``.

Columns from the register's documentation/consumers: ``SorId``, ``SorType``, ``EntityName``,
``EntityTypeName``, ``FromDate``, ``ToDate``, ``FirstFromDate``, ``HealthInstitutionSorId``,
``HealthInstitutionEntityName``, ``HealthInstitutionEntityTypeName``,
``InstitutionOwnerEntityTypeName``, ``InstitutionOwnerCvrNumberId``, the ``PostalAddress…`` street,
building, post code and district columns, ``…FloorId``/``…SuiteId``/``…AdditionalAddressInfo``
(prefixed here like the rest), ``VirtualAddressTelephoneNumber``/``Website``/``EmailAddress``.
Our additions (named in the same style): ``ParentSorId`` (the tree needs the parent; a file without
it gets, for an OE, its HealthInstitutionSorId as parent, so nested OEs come out flattened under
their SI), ``EntityTypeCode`` (preferred over the name when present), ``UpdatedAt``, ``ShakCode``,
``ProviderIdentifier``, ``PharmacyIdentifier``, ``LocalCode``, ``CvrNumberId``, the geographical
parent, ``SorNote``, the three unit flags (``true``/``false``), ``EanLocationCode`` with
``EanLocationCodeOrigin`` (``own``/``inherited``; blank = none, or own when a number is given) and
the own number's attributes ``EanLocationCode…``, the remaining address columns of the three
blocks (``PostalAddress``, ``VisitingAddress``, ``ActivityAddress``), ``VirtualAddressFaxNumber``
and ``PrioritizedEntitySpeciality1Code`` … ``8Code`` (the register's files carry ``…Name``, which
cannot be turned back into a code and is ignored).

Derived columns (``@`` paths): the writer fills the HealthInstitution…/InstitutionOwner… columns
from the entities written before (parents come before children, as in a tree walk); the reader
takes ``InstitutionOwnerCvrNumberId`` as the CVR of IE rows only. ``EntityTypeName`` is written as
``type_names[code]`` (the code itself when there is no name) and read back through the same map.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sortui.domain.fields import MAX_SPECIALITIES
from sortui.domain.model import Entity
from sortui.formats.common import CsvPart, ReadPosition, read_csv_rows, require_columns
from sortui.formats.sorcsv import FlatDialect, entity_from_row, entity_values, read_header, unexcel

ENCODING = "utf-8"
DELIMITER = ";"
BOM = "\ufeff"

_ADDRESS_ATTRS = (
    ("StreetName", "street"),
    ("StreetBuildingId", "building"),
    ("FloorId", "floor"),
    ("SuiteId", "suite"),
    ("Stairway", "stairway"),
    ("AdditionalAddressInfo", "sublocation"),
    ("StreetNameForAddressing", "street_for_addressing"),
    ("DistrictSubdivisionId", "district_subdivision"),
    ("PostOfficeBoxId", "po_box"),
    ("PostCodeId", "postcode"),
    ("DistrictName", "district_name"),
    ("CountryCode", "country"),
    ("MunicipalityCode", "municipality_code"),
)
_LOCATION_ATTRS = (
    ("SystemType", "system_type"),
    ("SystemSupplier", "system_supplier"),
    ("CommunicationSupplier", "communication_supplier"),
    ("RegionCode", "region_code"),
    ("EdiAdministrator", "edi_administrator"),
    ("OnlyInternal", "only_internal"),
    ("NonActive", "non_active"),
    ("Note", "note"),
    ("FromDate", "from_date"),
    ("ToDate", "to_date"),
    ("FirstFromDate", "first_from_date"),
    ("UpdatedAt", "updated_at"),
)


def _block(prefix: str, group: str, attrs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {f"{prefix}{suffix}": f"{group}.{attr}" for suffix, attr in attrs}


# header -> model field path; ``@`` = derived from other rows or mapped by the writer's type names.
COLUMNS: dict[str, str] = {
    "SorId": "sor_id",
    "SorType": "kind",
    "EntityName": "name",
    "EntityTypeName": "@type_name",
    "EntityTypeCode": "entity_type_code",
    "ParentSorId": "parent_sor_id",
    "FromDate": "from_date",
    "ToDate": "to_date",
    "FirstFromDate": "first_from_date",
    "UpdatedAt": "updated_at",
    "HealthInstitutionSorId": "@si_sor_id",
    "HealthInstitutionEntityName": "@si_name",
    "HealthInstitutionEntityTypeName": "@si_type_name",
    "InstitutionOwnerEntityTypeName": "@ie_type_name",
    "InstitutionOwnerCvrNumberId": "@ie_cvr",
    "CvrNumberId": "cvr",
    "ShakCode": "shak_code",
    "ProviderIdentifier": "provider_number",
    "PharmacyIdentifier": "pharmacy_number",
    "LocalCode": "local_code",
    "GeographicalParentRelation": "geo_parent_relation",
    "GeographicalParentSorId": "geo_parent_sor_id",
    "SorNote": "note",
    "AmbulantActivityIndicator": "ambulant",
    "PatientsAdmittedIndicator": "admitted",
    "ReportingLevelIndicator": "reporting_level",
    "EanLocationCode": "location.gln",
    "EanLocationCodeOrigin": "ean_mode",
    **_block("EanLocationCode", "location", _LOCATION_ATTRS),
    **_block("PostalAddress", "postal", _ADDRESS_ATTRS),
    **_block("VisitingAddress", "visiting", _ADDRESS_ATTRS),
    **_block("ActivityAddress", "activity", _ADDRESS_ATTRS),
    "VirtualAddressTelephoneNumber": "contact.phone",
    "VirtualAddressFaxNumber": "contact.fax",
    "VirtualAddressEmailAddress": "contact.email",
    "VirtualAddressWebsite": "contact.website",
    **{f"PrioritizedEntitySpeciality{i}Code": f"speciality.{i}" for i in range(1, MAX_SPECIALITIES + 1)},
}
REQUIRED = ("SorId", "SorType", "EntityName")
ID_COLUMNS = frozenset(("SorId", "ParentSorId", "HealthInstitutionSorId"))  # written ="…"
DIALECT = FlatDialect(COLUMNS, {"own": "own", "inherited": "inherited", "none": ""}, "true", "false")


# -- reading --------------------------------------------------------------------------------------


def read_sor2_csv(
    path: Path,
    label: str | None = None,
    type_names: Mapping[str, str] | None = None,
    part: CsvPart | None = None,
    position: ReadPosition | None = None,
) -> Iterator[Entity]:
    """Each row of a SOR2 SorEntity CSV (of ``part`` of it) as an Entity; ``type_names`` (code -> name)
    decodes EntityTypeName."""
    name = label or str(path)
    require_columns(set(read_header(path, ENCODING, DELIMITER, name)), REQUIRED, name)
    codes_by_name = {text.casefold(): code for code, text in (type_names or {}).items()}
    for line, row in read_csv_rows(path, ENCODING, DELIMITER, name, part, position):
        ent = entity_from_row(row, DIALECT, name, line)
        _read_derived(ent, row, codes_by_name)
        yield ent


def _read_derived(ent: Entity, row: Mapping[str, str], codes_by_name: Mapping[str, str]) -> None:
    type_name = unexcel(row.get("EntityTypeName", ""))
    if ent.entity_type_code is None and type_name:
        ent.entity_type_code = codes_by_name.get(type_name.casefold(), type_name)
    owner_cvr = unexcel(row.get("InstitutionOwnerCvrNumberId", ""))
    if ent.kind == "IE" and ent.cvr is None and owner_cvr:
        ent.cvr = owner_cvr
    institution = unexcel(row.get("HealthInstitutionSorId", ""))
    if ent.parent_sor_id is None and ent.kind == "OE" and institution and institution != ent.sor_id:
        ent.parent_sor_id = institution


# -- writing --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    kind: str
    parent: str | None
    name: str
    type_code: str | None
    cvr: str | None


class _Lineage:
    """The entities written so far, to find a row's health institution and institution owner."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    def add(self, ent: Entity) -> None:
        self._seen[ent.sor_id] = _Seen(ent.kind, ent.parent_sor_id, ent.name, ent.entity_type_code, ent.cvr)

    def nearest(self, sor_id: str, kind: str) -> tuple[str, _Seen] | None:
        current = sor_id
        for _ in range(len(self._seen)):  # bounded: a cycle in bad data cannot loop forever
            seen = self._seen.get(current)
            if seen is None:
                return None
            if seen.kind == kind:
                return current, seen
            if seen.parent is None:
                return None
            current = seen.parent
        return None


def write_sor2_csv(entities: Iterable[Entity], path: Path, type_names: Mapping[str, str] | None = None) -> None:
    """Write a SorEntity CSV (UTF-8 with BOM, CRLF); ``type_names`` maps entity type code -> text."""
    names = dict(type_names or {})
    lineage = _Lineage()
    with open(path, "w", encoding=ENCODING, newline="") as fh:
        fh.write(BOM + _line(list(COLUMNS)))
        for ent in entities:
            lineage.add(ent)
            values = entity_values(ent, DIALECT)
            _write_derived(values, ent, lineage, names)
            fh.write(_line([_quoted_id(h, v) if h in ID_COLUMNS else _field(v) for h, v in values.items()]))


def _write_derived(values: dict[str, str], ent: Entity, lineage: _Lineage, names: Mapping[str, str]) -> None:
    def type_name(code: str | None) -> str:
        return names.get(code, code) if code else ""

    values["EntityTypeName"] = type_name(ent.entity_type_code)
    if institution := lineage.nearest(ent.sor_id, "SI"):
        sor_id, seen = institution
        values["HealthInstitutionSorId"] = sor_id
        values["HealthInstitutionEntityName"] = seen.name
        values["HealthInstitutionEntityTypeName"] = type_name(seen.type_code)
    if owner := lineage.nearest(ent.sor_id, "IE"):
        values["InstitutionOwnerEntityTypeName"] = type_name(owner[1].type_code)
        values["InstitutionOwnerCvrNumberId"] = owner[1].cvr or ""


def _quoted_id(header: str, value: str) -> str:
    if not value:
        return ""
    if not value.isdigit():
        raise ValueError(f"{header} {value!r} must be digits")
    return f'="{value}"'


def _field(value: str) -> str:
    if any(ch in value for ch in ';"\r\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(fields: list[str]) -> str:
    return DELIMITER.join(fields) + "\r\n"
