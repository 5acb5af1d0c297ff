"""Each record's field definitions (Danish label, length, rule, XML name) by field name.

The definitions are declared with the fields themselves in ``model.py`` (``described``); these
are collected from there, so the importer, the exporter, the detail panel and the editor all
read one definition per field (sor-domain.md §2.3, §7.4).
"""

from __future__ import annotations

import typing
from collections.abc import Callable

from sortui.domain.fielddef import FieldDef, field_defs, flag_labels
from sortui.domain.model import ADDRESS_KIND_NAMES, ADDRESS_KINDS, Address, Contact, Entity, Location

ENTITY_FIELDS: dict[str, FieldDef] = field_defs(Entity)
ADDRESS_FIELDS: dict[str, FieldDef] = field_defs(Address)
CONTACT_FIELDS: dict[str, FieldDef] = field_defs(Contact)
LOCATION_FIELDS: dict[str, FieldDef] = field_defs(Location)


def _flag_fields(record: type) -> tuple[str, ...]:
    """The fields of ``record`` holding a flag (a bool, or None where a unit's flag is not given), in order."""
    return tuple(name for name, hint in typing.get_type_hints(record).items() if hint in (bool, bool | None))


ENTITY_FLAG_FIELDS = _flag_fields(Entity)
LOCATION_FLAG_FIELDS = _flag_fields(Location)

# What a user edits: the scalar fields and the flags of a unit and of a location number.
ENTITY_SCALARS = tuple(name for name, fd in ENTITY_FIELDS.items() if fd.editable)
LOCATION_SCALARS = tuple(name for name, fd in LOCATION_FIELDS.items() if fd.editable)
FLAG_LABELS = {**flag_labels(Entity), **flag_labels(Location)}
ENTITY_FLAGS = tuple(flag_labels(Entity))
LOCATION_FLAGS = tuple(flag_labels(Location))

# Attributes a location number must have when it is created (sor-domain.md §7.4).
LOCATION_MANDATORY = (
    "system_supplier",
    "system_type",
    "communication_supplier",
    "region_code",
    "edi_administrator",
)

# The values of a list field (a unit's local attributes and speciality codes), one definition each.
LOCAL_ATTRIBUTE = FieldDef("local_attribute", "Lokal attribut", "LocalAttribute", 1, 20)
SPECIALITY_CODE = FieldDef("speciality_code", "Speciale", "SpecialityCode", 1, 18, "code")
SPECIALITY_TYPE = "51000095001"  # the SpecialityType of specialities set by hand
MAX_SPECIALITIES = 8
MAX_LOCAL_ATTRIBUTES = 5

FIELD_GROUPS: dict[str, dict[str, FieldDef]] = {
    "entity": ENTITY_FIELDS,
    "address": ADDRESS_FIELDS,
    "contact": CONTACT_FIELDS,
    "location": LOCATION_FIELDS,
}


def field_label(path: str) -> str:
    """The Danish label of an editable field path such as ``postal.street`` or ``location.region_code``."""
    group, _, name = path.rpartition(".")
    if path in FLAG_LABELS or name in FLAG_LABELS:
        return FLAG_LABELS.get(path) or FLAG_LABELS[name]
    if path == "specialities":
        return "Specialer"
    if group in ADDRESS_KINDS:
        return f"{ADDRESS_FIELDS[name].label} ({ADDRESS_KIND_NAMES[group]})"
    if group == "contact":
        return CONTACT_FIELDS[name].label
    if group == "location":
        return LOCATION_FIELDS[name].label
    return ENTITY_FIELDS[path].label if path in ENTITY_FIELDS else path


def editable_entity_fields() -> list[str]:
    """Every field path of a unit an edit may set, in editor order."""
    paths = [*ENTITY_SCALARS, *ENTITY_FLAGS, "specialities"]
    paths += [f"{kind}.{name}" for kind in ADDRESS_KINDS for name in ADDRESS_FIELDS]
    paths += [f"contact.{name}" for name in CONTACT_FIELDS]
    return paths


def _by_name(name: str, paths: list[str], label: Callable[[str], str]) -> str | None:
    """The path of ``paths`` that ``name`` is, or whose label it is (case-insensitive; an ambiguous label: None)."""
    wanted = name.strip().casefold()
    exact = [p for p in paths if p.casefold() == wanted]
    if exact:
        return exact[0]
    labelled = [p for p in paths if label(p).casefold() == wanted]
    return labelled[0] if len(labelled) == 1 else None


def entity_field_path(name: str) -> str | None:
    """An editable field of a unit from its path (``contact.phone``) or its Danish label (``Telefon``), in
    any case; None when it is neither (or a label that several fields share)."""
    return _by_name(name, editable_entity_fields(), field_label)


def editable_location_fields() -> list[str]:
    """Every attribute of a lokationsnummer an edit may set (field names, as ``location.<name>`` paths have them)."""
    return [*LOCATION_SCALARS, *LOCATION_FLAGS]


def location_field_name(name: str) -> str | None:
    """An editable attribute of a lokationsnummer from its name (``system_type``, ``location.system_type``) or
    Danish label (``EDB-system``), in any case; None when it is neither."""
    bare = name.strip()
    if bare.casefold().startswith("location."):
        bare = bare[len("location.") :]
    return _by_name(bare, editable_location_fields(), lambda n: field_label(f"location.{n}"))


def field_suggestions(name: str, choices: list[str]) -> str:
    """``; did you mean X, Y?`` for a mistyped field name (paths and labels alike), or ''."""
    import difflib

    close = difflib.get_close_matches(name.strip(), choices, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""
