"""Validation of whole records, built from the field definitions in ``fields.py``."""

from __future__ import annotations

from dataclasses import dataclass

from sortui.domain import codes
from sortui.domain.fields import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ENTITY_FIELDS,
    LOCAL_ATTRIBUTE,
    LOCATION_FIELDS,
    LOCATION_MANDATORY,
    MAX_LOCAL_ATTRIBUTES,
    MAX_SPECIALITIES,
    SPECIALITY_CODE,
    FieldDef,
)
from sortui.domain.model import KINDS, Entity, Location


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # field name in the model, e.g. "shak_code" or "postal.street"
    element: str | None  # XML element name, for messages about files
    message: str
    is_error: bool = True


def _check(fd: FieldDef, value: object, prefix: str = "") -> list[Problem]:
    if value is None:
        return []
    errs, warns = fd.check(str(value))
    name = prefix + fd.name
    return [Problem(name, fd.xml, m) for m in errs] + [Problem(name, fd.xml, m, False) for m in warns]


def validate_location(loc: Location, creating: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    for fd in LOCATION_FIELDS.values():
        problems += _check(fd, getattr(loc, fd.name), "location.")
    if creating:
        for name in LOCATION_MANDATORY:
            if not getattr(loc, name):
                fd = LOCATION_FIELDS[name]
                problems.append(
                    Problem(f"location.{name}", fd.xml, f"{fd.label} is required for a new lokationsnummer")
                )
    return problems


def validate_entity(ent: Entity) -> list[Problem]:
    """Every problem with an entity's own values (errors and warnings)."""
    problems: list[Problem] = []
    if ent.kind not in KINDS:
        problems.append(Problem("kind", None, f"unknown kind {ent.kind!r}; expected IE, SI or OE"))
    if not ent.name:
        problems.append(Problem("name", "EntityName", "Navn is required"))
    if not ent.sor_id:
        problems.append(Problem("sor_id", "SorIdentifier", "SOR-kode is required"))
    for fd in ENTITY_FIELDS.values():
        problems += _check(fd, getattr(ent, fd.name))
    if ent.kind == "IE" and ent.parent_sor_id:
        problems.append(Problem("parent_sor_id", None, "an institution owner (IE) has no parent"))
    if ent.kind in ("SI", "OE") and not ent.parent_sor_id:
        problems.append(Problem("parent_sor_id", None, f"a {ent.kind} needs a parent"))
    for addr in ent.addresses:
        for fd in ADDRESS_FIELDS.values():
            problems += _check(fd, getattr(addr, fd.name), f"{addr.kind}.")
    if ent.contact is not None:
        for fd in CONTACT_FIELDS.values():
            problems += _check(fd, getattr(ent.contact, fd.name), "contact.")
    if len(ent.specialities) > MAX_SPECIALITIES:
        problems.append(Problem("specialities", "ClinicalSpeciality", f"at most {MAX_SPECIALITIES} specialities"))
    for spec in ent.specialities:
        problems += _check(SPECIALITY_CODE, spec.code or "", "specialities.")
    if len(ent.local_attributes) > MAX_LOCAL_ATTRIBUTES:
        problems.append(
            Problem("local_attributes", "LocalAttribute", f"at most {MAX_LOCAL_ATTRIBUTES} local attributes")
        )
    for value in ent.local_attributes:
        problems += _check(LOCAL_ATTRIBUTE, value)
    if ent.ean_mode == "own" and ent.location is not None:
        problems += validate_location(ent.location)
    if ent.from_date and ent.to_date and ent.to_date < ent.from_date:
        problems.append(Problem("to_date", "ToDate", f"Gyldig til {ent.to_date} is before Gyldig fra {ent.from_date}"))
    return problems


def shak_prefix_problem(unit_shak: str, hospital_shak: str | None) -> str | None:
    """A unit's SHAK code should start with its hospital's 4-character code."""
    if not hospital_shak or codes.shak_level(unit_shak) in (None, "sgh"):
        return None
    if not unit_shak.startswith(hospital_shak[:4]):
        return f"SHAK-kode {unit_shak} does not start with the hospital's code {hospital_shak[:4]}"
    return None


def sort_name(name: str) -> str:
    """A key that orders names the Danish way: case-insensitive, æ ø å after z."""
    folded = name.casefold()
    return folded.translate(_DANISH_ORDER)


_DANISH_ORDER = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"})
