"""Validation of whole records, built from the field definitions in ``fields.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from sortui.domain import codes
from sortui.domain.fielddef import unsafe_text
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


def validity_problems(from_date: str | None, to_date: str | None, prefix: str = "") -> list[Problem]:
    """A validity period (of a message type on a location number): two dates, the end not before the start."""
    problems = []
    for name, value in (("from_date", from_date), ("to_date", to_date)):
        if value is not None and not isinstance(value, str):
            problems.append(Problem(prefix + name, None, f"{LOCATION_FIELDS[name].label} is a date (YYYY-MM-DD)"))
            continue
        errors, _ = LOCATION_FIELDS[name].check(value)
        problems += [Problem(prefix + name, None, e) for e in errors]
    if not problems and from_date and to_date and to_date < from_date:
        problems.append(Problem(prefix + "to_date", None, f"Gyldig til {to_date} is before Gyldig fra {from_date}"))
    return problems


# Per group: one getter for all its values and, per field, its definition with its compiled
# predicate (``FieldDef.passes``). A value the predicate passes has no problems; anything else
# goes through ``_check`` and so through ``FieldDef.check``, which says what is wrong.
_Checks = tuple[tuple[FieldDef, Callable[[str], bool]], ...]
# scan(record, prefix, problems): append the problems of the group's fields of ``record`` (in field order).
_Scan = Callable[[object, str, list[Problem]], None]


def _compile(fields: dict[str, FieldDef]) -> tuple[Callable[[object], tuple], _Checks]:
    return attrgetter(*fields), tuple((fd, fd.passes()) for fd in fields.values())


def _scanner(fields: dict[str, FieldDef]) -> _Scan:
    """A ``_Scan`` of ``fields``, written out with a line per field (as ``dataclasses`` writes its
    methods): most values are None or pass, and an import checks every unit's, so a field costs an
    attribute read and a test instead of a turn of a loop over a tuple of all the values."""
    _, checks = _compile(fields)
    names = list(fields)
    assert all(name.isidentifier() for name in names)
    scope: dict[str, object] = {"_check": _check}
    body = []
    for i, (name, (fd, ok)) in enumerate(zip(names, checks, strict=True)):
        scope[f"fd{i}"], scope[f"ok{i}"] = fd, ok
        body += [
            f"    value = record.{name}",
            f"    if value is not None and not (value.__class__ is str and ok{i}(value)):",
            f"        problems += _check(fd{i}, value, prefix)",
        ]
    exec("\n".join(["def scan(record, prefix, problems):", *body]), scope)  # the names are our own fields'
    return scope["scan"]  # type: ignore[return-value]


_scan_entity = _scanner(ENTITY_FIELDS)
_scan_address = _scanner(ADDRESS_FIELDS)
_scan_contact = _scanner(CONTACT_FIELDS)
_scan_location = _scanner(LOCATION_FIELDS)
_SPECIALITY_OK = SPECIALITY_CODE.passes()
_LOCAL_ATTRIBUTE_OK = LOCAL_ATTRIBUTE.passes()


def validate_location(loc: Location, creating: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    _scan_location(loc, "location.", problems)
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
    kind = ent.kind
    if kind not in KINDS:
        problems.append(Problem("kind", None, f"unknown kind {kind!r}; expected IE, SI or OE"))
    if not ent.name:
        problems.append(Problem("name", "EntityName", "Navn is required"))
    if not ent.sor_id:
        problems.append(Problem("sor_id", "SorIdentifier", "SOR-kode is required"))
    _scan_entity(ent, "", problems)
    if kind == "IE" and ent.parent_sor_id:
        problems.append(Problem("parent_sor_id", None, "an institution owner (IE) has no parent"))
    if kind in ("SI", "OE") and not ent.parent_sor_id:
        problems.append(Problem("parent_sor_id", None, f"a {kind} needs a parent"))
    for addr in ent.addresses:
        _scan_address(addr, f"{addr.kind}.", problems)
    if ent.contact is not None:
        _scan_contact(ent.contact, "contact.", problems)
    specialities = ent.specialities
    if specialities:
        if len(specialities) > MAX_SPECIALITIES:
            problems.append(Problem("specialities", "ClinicalSpeciality", f"at most {MAX_SPECIALITIES} specialities"))
        for spec in specialities:
            code = spec.code or ""
            if not (code.__class__ is str and _SPECIALITY_OK(code)):
                problems += _check(SPECIALITY_CODE, code, "specialities.")
    local_attributes = ent.local_attributes
    if local_attributes:
        if len(local_attributes) > MAX_LOCAL_ATTRIBUTES:
            problems.append(
                Problem("local_attributes", "LocalAttribute", f"at most {MAX_LOCAL_ATTRIBUTES} local attributes")
            )
        for value in local_attributes:
            if value is not None and not (value.__class__ is str and _LOCAL_ATTRIBUTE_OK(value)):
                problems += _check(LOCAL_ATTRIBUTE, value)
    if ent.replaces or ent.replaced_by:
        for path, label, ids in (
            ("replaces", "Erstatter", ent.replaces),
            ("replaced_by", "Erstattet af", ent.replaced_by),
        ):
            problems += [Problem(path, "SorIdentifier", m) for sid in ids if (m := unsafe_text(label, sid))]
    if ent.ean_mode == "own" and ent.location is not None:
        _scan_location(ent.location, "location.", problems)
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
    return folded if folded.isascii() else folded.translate(_DANISH_ORDER)  # the table maps letters beyond ASCII


_DANISH_ORDER = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"})
