"""Streaming writer of SOR XML (root ``SorTree``, schema v1.0.0), the reader's mirror image.

The file looks like the register's own exports: UTF-8 with a BOM, the same namespace
declarations and prefixes on the root (``sorxml_names.NSMAP``), tab indentation, every
record's elements in XSD sequence order (``sorxml_names.RECORD_SEQUENCE``) and element
names taken from ``sorxml_names`` and ``domain/fields.py``.

Entities arrive depth first as ``(depth, Entity)`` (``store.rows.walk_tree``); each is
written as soon as it arrives and its wrapper is closed when a shallower entity (or the
end) comes, so memory stays flat however large the tree is.

What SOR XML cannot carry is not written: CVR, municipality codes, the version counters,
a note on the unit itself (the XSD has ``SorNote`` only on a location number), and the
elements the XSD does not allow on a kind (e.g. a ydernummer on an SI). ``Stairway`` is
written after ``xkom-1:AddressPostal`` inside the address wrapper.

A value XML 1.0 cannot hold (most control characters, lone surrogates, U+FFFE/U+FFFF)
raises ``ValueError`` naming the SOR-kode and the field, rather than writing a file no
parser would read. ``<``, ``&``, ``>`` (so ``]]>`` too) are escaped, and a carriage
return is written as ``&#13;`` so it survives end-of-line normalisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO

from sortui.domain.fields import (
    ADDRESS_FIELDS,
    ENTITY_FIELDS,
    LOCAL_ATTRIBUTE,
    LOCATION_MANDATORY,
    MAX_LOCAL_ATTRIBUTES,
    MAX_SPECIALITIES,
    SPECIALITY_CODE,
)
from sortui.domain.model import Address, Entity, Location
from sortui.domain.provisional import is_provisional
from sortui.formats import sorxml_names as n

BOM = b"\xef\xbb\xbf"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
INDENT = "\t"

# Characters XML 1.0 allows (production [2] Char); everything else is refused.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})

_PREFIX = {uri: prefix for prefix, uri in n.NSMAP.items()}
_ADDRESS_POSTAL = n.ADDRESS_POSTAL.rsplit("}", 1)[1]  # the xkom-1 wrapper inside each address


def _qname(local: str, ns: str = n.SOR_NS) -> str:
    prefix = _PREFIX[ns]
    return f"{prefix}:{local}" if prefix else local


def _xml_attr(value: str) -> str:
    return value.translate(_ESCAPES).replace('"', "&quot;")


def _root_start() -> str:
    decls = " ".join(
        f'xmlns:{prefix}="{_xml_attr(uri)}"' if prefix else f'xmlns="{_xml_attr(uri)}"'
        for prefix, uri in n.NSMAP.items()
    )
    return f"<{n.SOR_TREE} {decls}>\n"


class _Record:
    """The text of one record, built piece by piece (one entity at a time is all that is held)."""

    def __init__(self, ent: Entity, level: int, who: str | None = None):
        self.ent = ent
        self.level = level
        self.who = who or f"SOR-kode {ent.sor_id or '?'}"
        self.parts: list[str] = []

    def text(self, value: object, field: str) -> str:
        """``value`` escaped for element content; ValueError when XML 1.0 cannot carry it."""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        bad = _NOT_XML_CHAR.search(text)
        if bad:
            char = bad.group()
            raise ValueError(
                f"{self.who}: {field} contains the character U+{ord(char):04X} "
                f"at position {bad.start() + 1}, which XML 1.0 cannot carry"
            )
        return text.translate(_ESCAPES)

    def leaf(self, local: str, value: object, field: str, ns: str = n.SOR_NS, attrs: str = "") -> None:
        """``<local>value</local>`` on its own line; nothing when value is None."""
        if value is None:
            return
        name = _qname(local, ns)
        self.parts.append(f"{INDENT * self.level}<{name}{attrs}>{self.text(value, field)}</{name}>\n")

    def open(self, local: str, ns: str = n.SOR_NS) -> None:
        self.parts.append(f"{INDENT * self.level}<{_qname(local, ns)}>\n")
        self.level += 1

    def close(self, local: str, ns: str = n.SOR_NS) -> None:
        self.level -= 1
        self.parts.append(f"{INDENT * self.level}</{_qname(local, ns)}>\n")


def _entity_leaf(rec: _Record, name: str) -> None:
    fd = ENTITY_FIELDS[name]
    assert fd.xml is not None
    rec.leaf(fd.xml, getattr(rec.ent, name), f"{name} ({fd.xml})")


def _status(rec: _Record, holder: Entity | Location, prefix: str) -> None:
    rec.open(n.SOR_STATUS)
    for name, local in n.STATUS_ELEMENTS:
        rec.leaf(local, getattr(holder, name), f"{prefix}{name} ({local})")
    rec.close(n.SOR_STATUS)


def _location(rec: _Record, loc: Location) -> None:
    rec.open(n.EAN_ENTITY)
    for name, local in n.LOCATION_ELEMENTS:
        rec.leaf(local, getattr(loc, name), f"location.{name} ({local})")
    if loc.has_status:
        _status(rec, loc, "location.")
    rec.close(n.EAN_ENTITY)


def _own_location(rec: _Record) -> Location:
    ent = rec.ent
    if ent.location is None:
        raise ValueError(f"SOR-kode {ent.sor_id}: ean_mode is 'own' but the unit has no lokationsnummer")
    if not ent.location.gln:
        raise ValueError(f"SOR-kode {ent.sor_id}: its lokationsnummer is blank")
    return ent.location


def _check_location_mode(ent: Entity) -> None:
    if ent.location is not None and ent.ean_mode != "own":
        raise ValueError(
            f"SOR-kode {ent.sor_id}: has lokationsnummer {ent.location.gln} but ean_mode is {ent.ean_mode!r}"
        )


def _ie_location(rec: _Record) -> None:
    # An owner has no parent to inherit from: 'inherited' and 'none' both mean no number.
    if rec.ent.ean_mode == "own":
        _location(rec, _own_location(rec))


def _optional_ean(rec: _Record) -> None:
    ent = rec.ent
    rec.open(n.OPTIONAL_EAN)
    if ent.ean_mode == "own":
        _location(rec, _own_location(rec))
    elif ent.ean_mode in ("inherited", "none"):
        rec.leaf(n.EAN_INHERITED, ent.ean_mode == "inherited", f"ean_mode ({n.EAN_INHERITED})")
    else:
        raise ValueError(f"SOR-kode {ent.sor_id}: unknown ean_mode {ent.ean_mode!r} (own, inherited or none)")
    rec.close(n.OPTIONAL_EAN)


def _geo_parent(rec: _Record) -> None:
    ent = rec.ent
    if ent.geo_parent_relation is None and ent.geo_parent_sor_id is None:
        return
    rec.open(n.GEO_PARENT)
    _entity_leaf(rec, "geo_parent_relation")
    _entity_leaf(rec, "geo_parent_sor_id")
    rec.close(n.GEO_PARENT)


def _address(rec: _Record, kind: str) -> None:
    addr: Address | None = rec.ent.address(kind)
    if addr is None:
        return
    wrapper = n.ADDRESS_WRAPPERS[kind]
    rec.open(wrapper)
    rec.open(_ADDRESS_POSTAL, n.XKOM1)
    for name, (ns, local) in n.ADDRESS_ELEMENTS.items():
        attrs = f' scheme="{n.COUNTRY_SCHEME}"' if name == "country" else ""
        rec.leaf(local, getattr(addr, name), f"{kind}.{name} ({local})", ns, attrs)
    rec.close(_ADDRESS_POSTAL, n.XKOM1)
    stairway = ADDRESS_FIELDS["stairway"].xml
    assert stairway is not None
    rec.leaf(stairway, addr.stairway, f"{kind}.stairway ({stairway})")
    rec.close(wrapper)


def _contact(rec: _Record) -> None:
    contact = rec.ent.contact
    if contact is None:
        return
    rec.open(n.VIRTUAL_ADDRESS)
    for name, (ns, local) in n.CONTACT_ELEMENTS.items():
        rec.leaf(local, getattr(contact, name), f"contact.{name} ({local})", ns)
    rec.close(n.VIRTUAL_ADDRESS)


def _specialities(rec: _Record) -> None:
    specs = rec.ent.specialities
    if not specs:
        return
    if len(specs) > MAX_SPECIALITIES:
        raise ValueError(
            f"SOR-kode {rec.ent.sor_id}: {len(specs)} specialities; SOR XML holds at most {MAX_SPECIALITIES}"
        )
    code_el = SPECIALITY_CODE.xml
    assert code_el is not None
    rec.open(n.SPECIALITY_COLLECTION)
    for i, spec in enumerate(specs, 1):
        rec.open(n.SPECIALITY)
        rec.leaf(code_el, spec.code, f"specialities[{i}].code ({code_el})")
        rec.leaf(n.SPECIALITY_TYPE, spec.type_code, f"specialities[{i}].type_code ({n.SPECIALITY_TYPE})")
        rec.close(n.SPECIALITY)
    rec.close(n.SPECIALITY_COLLECTION)


def _succession(rec: _Record, relation: str) -> None:
    ids: list[str] = getattr(rec.ent, relation)
    if not ids:
        return
    wrapper = n.REPLACES if relation == "replaces" else n.REPLACED_BY
    id_el = ENTITY_FIELDS["sor_id"].xml
    assert id_el is not None
    rec.open(wrapper)
    for i, other in enumerate(ids, 1):
        rec.leaf(id_el, other, f"{relation}[{i}] ({id_el})")
    rec.close(wrapper)


def _unit_info(rec: _Record) -> None:
    values = [(local, getattr(rec.ent, name), name) for name, local in n.UNIT_INFO_ELEMENTS]
    if all(v is None for _, v, _ in values):
        return
    rec.open(n.UNIT_INFO)
    for local, value, name in values:
        rec.leaf(local, value, f"{name} ({local})")
    rec.close(n.UNIT_INFO)


def _local_attributes(rec: _Record) -> None:
    attrs = rec.ent.local_attributes
    if not attrs:
        return
    if len(attrs) > MAX_LOCAL_ATTRIBUTES:
        raise ValueError(
            f"SOR-kode {rec.ent.sor_id}: {len(attrs)} local attributes; SOR XML holds at most {MAX_LOCAL_ATTRIBUTES}"
        )
    rec.open(n.LOCAL_ATTRIBUTES)
    for i, value in enumerate(attrs, 1):
        local = f"{LOCAL_ATTRIBUTE.xml}{i}"
        rec.leaf(local, value or None, f"local_attributes[{i}] ({local})")
    rec.close(n.LOCAL_ATTRIBUTES)


def _type(rec: _Record) -> None:
    local = n.TYPE_ELEMENT[rec.ent.kind]
    rec.leaf(local, rec.ent.entity_type_code, f"entity_type_code ({local})")


_PARTS = {
    "type": _type,
    "location": _ie_location,
    "optional_ean": _optional_ean,
    "geo_parent": _geo_parent,
    "postal": lambda rec: _address(rec, "postal"),
    "visiting": lambda rec: _address(rec, "visiting"),
    "activity": lambda rec: _address(rec, "activity"),
    "contact": _contact,
    "specialities": _specialities,
    "status": lambda rec: _status(rec, rec.ent, ""),
    "replaces": lambda rec: _succession(rec, "replaces"),
    "replaced_by": lambda rec: _succession(rec, "replaced_by"),
    "unit_info": _unit_info,
    "local_attributes": _local_attributes,
}


def _required(ent: Entity) -> list[tuple[str, bool]]:
    """(what, whether ``ent`` has it) for each element the schema requires that a unit's data may lack."""
    kind, contact = ent.kind, ent.contact
    need = [
        (
            "a SOR-kode issued by the register (this one is provisional until the next sync)",
            not is_provisional(ent.sor_id),
        ),
        ("FromDate (from_date)", ent.from_date is not None),
        ("FirstFromDate (first_from_date)", ent.first_from_date is not None),
    ]
    if kind in ("IE", "SI"):
        need.append((f"{n.TYPE_ELEMENT[kind]} (entity_type_code)", ent.entity_type_code is not None))
    if kind == "IE":
        need.append(("PostalAddressInformation (a postal address)", ent.address("postal") is not None))
        need.append(("VirtualAddressInformation (contact data)", contact is not None))
    if contact is not None:
        need.append(("TelephoneNumberIdentifier (contact.phone)", contact.phone is not None))
    if kind == "OE" or ent.geo_parent_sor_id is not None:
        need.append(("GeographicalParentRelation (geo_parent_relation)", ent.geo_parent_relation is not None))
    flags = [getattr(ent, name) for name, _ in n.UNIT_INFO_ELEMENTS]
    if any(f is not None for f in flags):
        need.append(("all three flags of OrganizationalUnitInformation", all(f is not None for f in flags)))
    if ent.specialities:
        need.append(("SpecialityType of every speciality", all(s.type_code for s in ent.specialities)))
    loc = ent.location
    if ent.ean_mode == "own" and loc is not None:
        need += [(f"{local} (location.{name})", getattr(loc, name) is not None) for name, local in _LOCATION_CODES]
        if loc.has_status:
            need.append(
                ("the location number's FromDate and FirstFromDate", bool(loc.from_date and loc.first_from_date))
            )
    return need


_LOCATION_CODES = tuple((name, local) for name, local in n.LOCATION_ELEMENTS if name in LOCATION_MANDATORY)


def _check_required(ent: Entity) -> None:
    """Refuse, naming the unit and the elements, what the schema would not accept (sor-domain.md §2.3)."""
    missing = [what for what, present in _required(ent) if not present]
    if missing:
        raise ValueError(f"SOR-kode {ent.sor_id}: SOR XML requires {'; '.join(missing)}")


def record_xml(ent: Entity, level: int) -> str:
    """The record element of ``ent`` (``InstitutionOwner`` …) indented ``level`` tabs."""
    if not ent.sor_id:
        raise ValueError(f"{ent.kind} {ent.name!r}: no SOR-kode")
    if not ent.name:
        raise ValueError(f"SOR-kode {ent.sor_id}: no name (EntityName is mandatory)")
    _check_location_mode(ent)
    rec = _Record(ent, level)
    record = n.RECORD[ent.kind]
    rec.open(record)
    for part in n.RECORD_SEQUENCE[ent.kind]:
        if part in _PARTS:
            _PARTS[part](rec)
        else:
            _entity_leaf(rec, part)
    rec.close(record)
    _check_required(ent)  # after the values themselves, whose problems name the field
    return "".join(rec.parts)


def _expected_kind(depth: int) -> str:
    return "IE" if depth == 0 else "SI" if depth == 1 else "OE"


class _TreeWriter:
    """Opens and closes the nested ``…Entity`` wrappers as the depth goes up and down."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh
        self.open: list[tuple[str, str]] = []  # (kind, sor_id) of the wrappers not yet closed
        self.count = 0

    def _write(self, text: str) -> None:
        self.fh.write(text.encode("utf-8"))

    def _close_to(self, depth: int) -> None:
        while len(self.open) > depth:
            kind, _ = self.open.pop()
            self._write(f"{INDENT * (len(self.open) + 1)}</{n.WRAPPER[kind]}>\n")

    def add(self, depth: int, ent: Entity) -> None:
        if depth < 0 or depth > len(self.open):
            raise ValueError(
                f"SOR-kode {ent.sor_id}: depth {depth} does not follow the entity before it "
                f"(entities must come depth first, parents before children)"
            )
        self._close_to(depth)
        expected = _expected_kind(depth)
        if ent.kind != expected:
            where = "at the top" if depth == 0 else f"under {self.open[-1][0]} {self.open[-1][1]}"
            raise ValueError(
                f"SOR-kode {ent.sor_id}: a {ent.kind} cannot stand {where} in SOR XML (expected a {expected})"
            )
        if depth and ent.parent_sor_id != self.open[-1][1]:
            raise ValueError(
                f"SOR-kode {ent.sor_id}: its parent is {ent.parent_sor_id}, "
                f"but it comes after {self.open[-1][1]} (entities must come depth first)"
            )
        wrapper_level = depth + 1
        text = f"{INDENT * wrapper_level}<{n.WRAPPER[ent.kind]}>\n" + record_xml(ent, wrapper_level + 1)
        self._write(text)
        self.open.append((ent.kind, ent.sor_id))
        self.count += 1

    def finish(self) -> None:
        self._close_to(0)


def write_sor_xml(
    items: Iterable[tuple[int, Entity]],
    path: Path,
    snapshot_date: str | None = None,
    created_at: str | None = None,
) -> int:
    """Write ``items`` ((depth, Entity) depth first, as from ``walk_tree``) as SOR XML; returns the count.

    ``snapshot_date`` defaults to today and ``created_at`` to now (both are mandatory in the file).
    """
    created = created_at or datetime.now().astimezone().isoformat(timespec="seconds")
    snapshot = snapshot_date or date.today().isoformat()
    with open(path, "wb") as fh:
        head = _Record(Entity(sor_id="", kind="", name=""), 1, n.SOR_TREE)
        head.leaf(n.CREATED_AT, created, n.CREATED_AT)
        head.leaf(n.SNAPSHOT_DATE, snapshot, n.SNAPSHOT_DATE)
        fh.write(BOM + (DECLARATION + _root_start() + "".join(head.parts)).encode("utf-8"))
        tree = _TreeWriter(fh)
        for depth, ent in items:
            tree.add(depth, ent)
        tree.finish()
        fh.write(f"</{n.SOR_TREE}>\n".encode())
    return tree.count
