"""Streaming reader of SOR XML (root ``SorTree``), plain or inside a zip as downloaded.

The reader never resolves entities, never loads a DTD and never touches the
network; a file with a DOCTYPE is refused before parsing, which rules out
entity-expansion bombs and external entities alike.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree

from sortui.domain.errors import InputError
from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.formats import sorxml_names as n

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_PROLOG_BYTES = 65536

# Clark names computed once (they are compared for every element of a national file).
_SOR_TREE, _CREATED_AT, _SNAPSHOT_DATE = n.q("SorTree"), n.q("CreatedAtTime"), n.q("SnapshotDate")
_EAN_ENTITY, _OPTIONAL_EAN, _INHERITED = (
    n.q("EanLocationCodeEntity"),
    n.q("OptionalEanLocationCode"),
    n.q("EntityInheritedIndicator"),
)
_GEO_PARENT, _GEO_RELATION, _GEO_PARENT_ID = (
    n.q("GeographicalParent"),
    n.q("GeographicalParentRelation"),
    n.q("GeographicalParentSorIdentifier"),
)
_VIRTUAL, _SPECIALITIES, _SPECIALITY = (
    n.q("VirtualAddressInformation"),
    n.q("ClinicalSpecialityCollection"),
    n.q("ClinicalSpeciality"),
)
_SPECIALITY_CODE, _SPECIALITY_TYPE = n.q("SpecialityCode"), n.q("SpecialityType")
_STATUS, _REPLACES, _REPLACED_BY = n.q("SorStatus"), n.q("ReplacesEntityCollection"), n.q("ReplacedByEntityCollection")
_UNIT_INFO, _LOCAL_ATTRIBUTES, _NOTE = (
    n.q("OrganizationalUnitInformation"),
    n.q("LocalAttributeCollection"),
    n.q("SorNote"),
)
_TYPE_TAG = {kind: n.q(local) for kind, local in n.TYPE_ELEMENT.items()}
# The only elements iterparse reports (filtered in C): the root, its header and the records with their wrappers.
_WALK_TAGS = (_SOR_TREE, _CREATED_AT, _SNAPSHOT_DATE, *n.KIND_BY_RECORD_TAG, *n.KIND_BY_WRAPPER_TAG)


class CountingStream:
    """A binary stream that counts bytes read (for progress) and can replay a peeked prefix."""

    def __init__(self, raw: IO[bytes], prefix: bytes = b""):
        self._raw = raw
        self._prefix = prefix
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size < 0 or size >= len(self._prefix):
                data, self._prefix = self._prefix, b""
                rest = self._raw.read(-1 if size < 0 else size - len(data))
                data += rest
            else:
                data, self._prefix = self._prefix[:size], self._prefix[size:]
        else:
            data = self._raw.read(size)
        self.bytes_read += len(data)
        return data


def _bool(text: str | None, label: str, where: str, line: int | None) -> bool:
    value = (text or "").strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InputError(f"expected true or false, found {value!r}", label, line, where)


def _text(el: etree._Element) -> str | None:
    text = el.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class SorXmlReader:
    """Iterate the entities of a SOR XML file; ``snapshot_date`` and ``created_at`` fill in as it goes."""

    def __init__(self, path: Path, label: str | None = None):
        self.path = Path(path)
        self.label = label or str(path)
        self.snapshot_date: str | None = None
        self.created_at: str | None = None
        self.total_bytes = self.path.stat().st_size
        self._stream: CountingStream | None = None
        self._root_checked = False

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read if self._stream else 0

    def __iter__(self) -> Iterator[Entity]:
        if zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as zf:
                member = self._xml_member(zf)
                self.label = f"{self.label}!{member.filename}"
                self.total_bytes = member.file_size
                with zf.open(member) as raw:
                    yield from self._parse(raw)
        else:
            with open(self.path, "rb") as raw:
                yield from self._parse(raw)

    def _xml_member(self, zf: zipfile.ZipFile) -> zipfile.ZipInfo:
        members = [m for m in zf.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
        if len(members) != 1:
            found = ", ".join(m.filename for m in zf.infolist()) or "nothing"
            raise InputError(f"expected exactly one .xml file in the zip, found {found}", self.label)
        return members[0]

    def _parse(self, raw: IO[bytes]) -> Iterator[Entity]:
        try:
            prefix = raw.read(_PROLOG_BYTES)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(f"cannot read file: {exc}", self.label) from None
        self._refuse_doctype(prefix)
        self._stream = CountingStream(raw, prefix)
        context = etree.iterparse(
            self._stream,
            events=("start", "end"),
            tag=_WALK_TAGS,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
        )
        try:
            yield from self._walk(context)
            if not self._root_checked and context.root is not None:
                self._check_root(context.root)  # no SOR element at all: say what the root is
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else None
            raise InputError(f"malformed XML: {exc.msg}", self.label, line) from None
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(f"cannot read file: {exc}", self.label) from None

    def _refuse_doctype(self, prefix: bytes) -> None:
        match = _DOCTYPE.search(prefix)
        if match:
            line = prefix.count(b"\n", 0, match.start()) + 1
            raise InputError(
                "a DOCTYPE or ENTITY declaration is not allowed in a SOR file "
                "(refused to protect against entity expansion and external entities)",
                self.label,
                line,
                "DOCTYPE",
            )

    def _walk(self, context: etree.iterparse) -> Iterator[Entity]:
        self._root_checked = False
        for event, el in context:
            if not self._root_checked:
                self._check_root(el.getroottree().getroot())
                self._root_checked = True
            if event == "start":
                continue
            tag = el.tag
            kind = n.KIND_BY_RECORD_TAG.get(tag)
            if kind is not None:
                wrapper = el.getparent()
                outer = wrapper.getparent() if wrapper is not None else None
                parent_id = outer.get("_sid") if outer is not None and kind != "IE" else None
                entity = self._entity(el, kind, parent_id)
                if wrapper is not None:
                    wrapper.set("_sid", entity.sor_id)
                el.clear(keep_tail=False)
                yield entity
            elif tag in n.KIND_BY_WRAPPER_TAG:
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None and n.KIND_BY_WRAPPER_TAG.get(tag) == "IE":
                    # Owners are siblings under the root: drop the finished ones.
                    while el.getprevious() is not None:
                        del parent[0]
            elif tag == _SNAPSHOT_DATE and _is_top(el):
                self.snapshot_date = _text(el)
            elif tag == _CREATED_AT and _is_top(el):
                self.created_at = _text(el)

    def _check_root(self, el: etree._Element) -> None:
        if el.getroottree().docinfo.doctype:  # a DOCTYPE past the prefix _refuse_doctype looked at
            raise InputError(
                "a DOCTYPE declaration is not allowed in a SOR file "
                "(refused to protect against entity expansion and external entities)",
                self.label,
                el.sourceline,
                "DOCTYPE",
            )
        if el.tag == _SOR_TREE:
            return
        ns, _, local = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
        if local == "SorTree":
            raise InputError(
                f"root SorTree is in namespace {ns or '(none)'!r}; expected {n.SOR_NS!r}",
                self.label,
                el.sourceline,
                "SorTree",
            )
        raise InputError(
            f"root element is {local!r}; a SOR XML file has root SorTree in namespace {n.SOR_NS!r}",
            self.label,
            el.sourceline,
            local,
        )

    # -- records -------------------------------------------------------------

    def _entity(self, rec: etree._Element, kind: str, parent_id: str | None) -> Entity:
        ent = Entity(sor_id="", kind=kind, name="", parent_sor_id=parent_id, source_line=rec.sourceline)
        type_tag = _TYPE_TAG[kind]
        for child in rec:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == type_tag:
                ent.entity_type_code = _text(child)
            elif tag in _SIMPLE_BY_TAG:
                setattr(ent, _SIMPLE_BY_TAG[tag], _text(child))
            elif tag == _EAN_ENTITY:  # IE owns a number directly
                ent.location = self._location(child, ent)
                ent.ean_mode = "own"
            elif tag == _OPTIONAL_EAN:
                self._optional_ean(child, ent)
            elif tag == _GEO_PARENT:
                for sub in child:
                    if sub.tag == _GEO_RELATION:
                        ent.geo_parent_relation = _text(sub)
                    elif sub.tag == _GEO_PARENT_ID:
                        ent.geo_parent_sor_id = _text(sub)
            elif tag in _ADDRESS_BY_TAG:
                ent.addresses.append(self._address(child, _ADDRESS_BY_TAG[tag]))
            elif tag == _VIRTUAL:
                ent.contact = self._contact(child)
            elif tag == _SPECIALITIES:
                ent.specialities = [self._speciality(s) for s in child if s.tag == _SPECIALITY]
            elif tag == _STATUS:
                self._status(child, ent)
            elif tag == _REPLACES:
                ent.replaces = [t for s in child if (t := _text(s))]
            elif tag == _REPLACED_BY:
                ent.replaced_by = [t for s in child if (t := _text(s))]
            elif tag == _UNIT_INFO:
                for sub in child:
                    name = n.UNIT_INFO_BY_TAG.get(sub.tag)
                    if name:
                        setattr(ent, name, _bool(sub.text, self.label, _local(sub.tag), sub.sourceline))
            elif tag == _LOCAL_ATTRIBUTES:
                ent.local_attributes = [t or "" for s in child if (t := _text(s)) is not None]
            elif tag == _NOTE:
                ent.note = _text(child)
        if not ent.sor_id:
            raise InputError("record has no SorIdentifier", self.label, rec.sourceline, n.RECORD[kind])
        if ent.location is not None:
            ent.location.owner_sor_id = ent.sor_id
        return ent

    def _optional_ean(self, el: etree._Element, ent: Entity) -> None:
        for sub in el:
            if sub.tag == _INHERITED:
                inherited = _bool(sub.text, self.label, "EntityInheritedIndicator", sub.sourceline)
                ent.ean_mode = "inherited" if inherited else "none"
            elif sub.tag == _EAN_ENTITY:
                ent.location = self._location(sub, ent)
                ent.ean_mode = "own"

    def _location(self, el: etree._Element, ent: Entity) -> Location:
        loc = Location(gln="", owner_sor_id=ent.sor_id, has_status=False)
        for sub in el:
            name = n.LOCATION_BY_TAG.get(sub.tag)
            if name in ("only_internal", "non_active"):
                setattr(loc, name, _bool(sub.text, self.label, _local(sub.tag), sub.sourceline))
            elif name:
                setattr(loc, name, _text(sub))
            elif sub.tag == _STATUS:
                loc.has_status = True
                for st in sub:
                    field = n.STATUS_BY_TAG.get(st.tag)
                    if field:
                        setattr(loc, field, _text(st))
        if not loc.gln:
            raise InputError(
                "EanLocationCodeEntity has no EanLocationCode", self.label, el.sourceline, "EanLocationCode"
            )
        return loc

    def _address(self, el: etree._Element, kind: str) -> Address:
        addr = Address(kind=kind)
        for sub in el.iter():
            name = n.ADDRESS_BY_TAG.get(sub.tag)  # type: ignore[arg-type]
            if name:
                setattr(addr, name, _text(sub))
            elif sub.tag == n.STAIRWAY:
                addr.stairway = _text(sub)
        return addr

    def _contact(self, el: etree._Element) -> Contact:
        contact = Contact()
        for sub in el:
            name = n.CONTACT_BY_TAG.get(sub.tag)
            if name:
                setattr(contact, name, _text(sub))
        return contact

    def _speciality(self, el: etree._Element) -> Speciality:
        spec = Speciality(code="")
        for sub in el:
            if sub.tag == _SPECIALITY_CODE:
                spec.code = _text(sub) or ""
            elif sub.tag == _SPECIALITY_TYPE:
                spec.type_code = _text(sub)
        return spec

    def _status(self, el: etree._Element, ent: Entity) -> None:
        for sub in el:
            field = n.STATUS_BY_TAG.get(sub.tag)
            if field:
                setattr(ent, field, _text(sub))


_SIMPLE_ENTITY_FIELDS = {
    "SorIdentifier": "sor_id",
    "EntityName": "name",
    "LocalCode": "local_code",
    "PharmacyIdentifier": "pharmacy_number",
    "ShakIdentifier": "shak_code",
    "ProviderIdentifier": "provider_number",
}
_ADDRESS_KIND = {wrapper: kind for kind, wrapper in n.ADDRESS_WRAPPERS.items()}
_SIMPLE_BY_TAG = {n.q(local): name for local, name in _SIMPLE_ENTITY_FIELDS.items()}
_ADDRESS_BY_TAG = {n.q(wrapper): kind for wrapper, kind in _ADDRESS_KIND.items()}


def _is_top(el: etree._Element) -> bool:
    """Whether ``el`` is a child of the root."""
    parent = el.getparent()
    return parent is not None and parent.getparent() is None


def is_sor_xml(head: bytes) -> bool:
    """Whether the first bytes of a file look like SOR XML."""
    return b"<" in head[:512] and (b"SorTree" in head or b"organisation:1.0.0" in head)
