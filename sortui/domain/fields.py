"""One definition per field: Danish label, length, rule and XML name.

The importer, the exporter, the detail panel and the editor all read these, so a
field's width or rule is changed in exactly one place (sor-domain.md §2.3, §7.4).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sortui.domain import codes

Rule = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    label: str
    xml: str | None = None
    min_len: int = 0
    max_len: int | None = None
    kind: str = "text"  # text | date | bool | code | int
    errors: Rule | None = None
    warnings: Rule | None = None

    def check(self, value: str | None) -> tuple[list[str], list[str]]:
        """(errors, warnings) for ``value``; None and '' mean absent and are not checked."""
        if value is None or value == "":
            return [], []
        errs: list[str] = []
        if self.max_len is not None and len(value) > self.max_len:
            errs.append(f"{self.label} is {len(value)} characters, at most {self.max_len} allowed")
        if len(value) < self.min_len:
            errs.append(f"{self.label} is {len(value)} characters, at least {self.min_len} required")
        if self.kind == "date" and not _is_iso_date(value):
            errs.append(f"{self.label} {value!r} is not a date (YYYY-MM-DD)")
        if self.kind in ("code", "int") and not value.isdigit():
            errs.append(f"{self.label} {value!r} must be digits")
        if self.errors:
            errs.extend(self.errors(value))
        warns = self.warnings(value) if self.warnings and not errs else []
        return errs, warns

    def passes(self) -> Callable[[str], bool]:
        """A predicate compiled once from this definition: True only when ``check`` finds nothing.

        For bulk validation (a national import checks millions of values): the common case, a
        value within its length, of the right kind and passing the rules, is answered without
        building message lists. A value it does not pass goes through ``check`` for the messages,
        so the rules and their wording stay in ``check`` and the rules functions alone.
        """
        lo, hi = self.min_len, sys.maxsize if self.max_len is None else self.max_len
        digits, is_date = self.kind in ("code", "int"), self.kind == "date"
        if self.errors or self.warnings:
            errors, warnings = self.errors or _no_problems, self.warnings or _no_problems

            def ok(value: str) -> bool:
                if not lo <= len(value) <= hi or (digits and not value.isdigit()):
                    return False
                if is_date and not (value in _VALID_DATES or _remember_date(value)):
                    return False
                return not errors(value) and not warnings(value)

            return ok
        if is_date:
            return lambda value: lo <= len(value) <= hi and (value in _VALID_DATES or _remember_date(value))
        if digits:
            return lambda value: lo <= len(value) <= hi and value.isdigit()
        return lambda value: lo <= len(value) <= hi


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _no_problems(value: str) -> list[str]:
    return []


# Dates seen to be valid (a register has a few thousand distinct ones); bounded, so memory stays flat.
_VALID_DATES: set[str] = set()


def _remember_date(value: str) -> bool:
    if not _is_iso_date(value):
        return False
    if len(_VALID_DATES) >= 20000:
        _VALID_DATES.clear()
    _VALID_DATES.add(value)
    return True


def _f(*args: object, **kwargs: object) -> FieldDef:
    return FieldDef(*args, **kwargs)  # type: ignore[arg-type]


ENTITY_FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        _f("sor_id", "SOR-kode", "SorIdentifier", 1, 18, "code", codes.sor_id_errors, codes.sor_id_warnings),
        _f("name", "Navn", "EntityName", 1, 60),
        _f("entity_type_code", "Enhedstype", None, 1, 18, "code"),
        _f("shak_code", "SHAK-kode", "ShakIdentifier", 4, 7, "text", codes.shak_errors),
        _f("provider_number", "Ydernummer", "ProviderIdentifier", 1, 9, "text", codes.provider_number_errors),
        _f("pharmacy_number", "Apoteksnummer", "PharmacyIdentifier", 1, 20),
        _f("local_code", "Lokalkode", "LocalCode", 1, 20),
        _f("cvr", "CVR-nummer", None, 8, 8, "code"),
        _f("geo_parent_relation", "Geografisk placering", "GeographicalParentRelation", 1, 2, "int"),
        _f("geo_parent_sor_id", "Geografisk mor", "GeographicalParentSorIdentifier", 1, 18, "code"),
        _f("from_date", "Gyldig fra", "FromDate", kind="date"),
        _f("to_date", "Gyldig til", "ToDate", kind="date"),
        _f("first_from_date", "Første gyldighed", "FirstFromDate", kind="date"),
        _f("updated_at", "Sidst ændret", "UpdatedAt", kind="date"),
        _f("note", "Note", "SorNote", 1, 254),
    )
}

ADDRESS_FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        _f("sublocation", "Stednavn", "MailDeliverySublocationIdentifier", 1, 34),
        _f("street", "Vejnavn", "StreetName", 1, 40),
        _f("street_for_addressing", "Vejnavn (adressering)", "StreetNameForAddressingName", 1, 20),
        _f("building", "Husnummer", "StreetBuildingIdentifier", 1, 10),
        _f("floor", "Etage", "FloorIdentifier", 1, 10),
        _f("suite", "Side/dør", "SuiteIdentifier", 1, 4),
        _f("district_subdivision", "Bydel", "DistrictSubdivisionIdentifier", 1, 34),
        _f("po_box", "Postboks", "PostOfficeBoxIdentifier", 1, 4),
        _f("postcode", "Postnummer", "PostCodeIdentifier", 3, 4, "code"),
        _f("district_name", "By", "DistrictName", 1, 20),
        _f("country", "Land", "CountryIdentificationCode", 2, 2),
        _f("stairway", "Opgang", "Stairway", 1, 40),
        _f("municipality_code", "Kommunekode", None, 3, 4, "code"),
    )
}

CONTACT_FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        _f("email", "E-mail", "EmailAddressIdentifier", 1, 254),
        _f("website", "Hjemmeside", "Website", 1, 254),
        _f("phone", "Telefon", "TelephoneNumberIdentifier", 8, 20),
        _f("fax", "Fax", "FaxNumberIdentifier", 8, 20),
    )
}

LOCATION_FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        _f("gln", "Lokationsnummer", "EanLocationCode", 13, 13, "code", codes.gln_errors),
        _f("system_supplier", "Systemleverandør", "SystemSupplier", 1, 18, "code"),
        _f("system_type", "EDB-system", "SystemType", 1, 18, "code"),
        _f("communication_supplier", "Netoperatør", "CommunicationSupplier", 1, 18, "code"),
        _f("region_code", "Region", "RegionCode", 4, 4, "code"),
        _f("edi_administrator", "EDI-administrator", "EdiAdministrator", 1, 18, "code"),
        _f("note", "Note", "SorNote", 1, 254),
        _f("from_date", "Gyldig fra", "FromDate", kind="date"),
        _f("to_date", "Gyldig til", "ToDate", kind="date"),
        _f("first_from_date", "Første gyldighed", "FirstFromDate", kind="date"),
        _f("updated_at", "Sidst ændret", "UpdatedAt", kind="date"),
    )
}

# Attributes a location number must have when it is created (sor-domain.md §7.4).
LOCATION_MANDATORY = (
    "system_supplier",
    "system_type",
    "communication_supplier",
    "region_code",
    "edi_administrator",
)

LOCAL_ATTRIBUTE = _f("local_attribute", "Lokal attribut", "LocalAttribute", 1, 20)
SPECIALITY_CODE = _f("speciality_code", "Speciale", "SpecialityCode", 1, 18, "code")
MAX_SPECIALITIES = 8
MAX_LOCAL_ATTRIBUTES = 5

FIELD_GROUPS: dict[str, dict[str, FieldDef]] = {
    "entity": ENTITY_FIELDS,
    "address": ADDRESS_FIELDS,
    "contact": CONTACT_FIELDS,
    "location": LOCATION_FIELDS,
}
