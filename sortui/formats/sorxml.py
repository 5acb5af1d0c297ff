"""Streaming reader of SOR XML (root ``SorTree``), plain or inside a zip as downloaded.

The reader never resolves entities, never loads a DTD and never touches the
network; a DOCTYPE or ENTITY declaration is refused before the parser is given it,
which rules out entity-expansion bombs and external entities alike.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from lxml import etree

from sortui.domain.errors import InputError
from sortui.domain.fielddef import FieldDef
from sortui.domain.fields import ENTITY_FIELDS, LOCATION_FLAG_FIELDS, SPECIALITY_CODE
from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.formats import sorxml_names as n
from sortui.formats.common import ZIP_ERRORS

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_PROLOG_BYTES = 65536


def _tag(fd: FieldDef) -> str:
    """The Clark name of a field's element."""
    assert fd.xml is not None, fd.name
    return n.q(fd.xml)


# Clark names computed once (they are compared for every element of a national file).
_SOR_TREE, _CREATED_AT, _SNAPSHOT_DATE = n.q("SorTree"), n.q("CreatedAtTime"), n.q("SnapshotDate")
_EAN_ENTITY, _OPTIONAL_EAN, _INHERITED = (
    n.q("EanLocationCodeEntity"),
    n.q("OptionalEanLocationCode"),
    n.q("EntityInheritedIndicator"),
)
_GEO_PARENT, _GEO_RELATION, _GEO_PARENT_ID = (
    n.q("GeographicalParent"),
    _tag(ENTITY_FIELDS["geo_parent_relation"]),
    _tag(ENTITY_FIELDS["geo_parent_sor_id"]),
)
_VIRTUAL, _SPECIALITIES, _SPECIALITY = (
    n.q("VirtualAddressInformation"),
    n.q("ClinicalSpecialityCollection"),
    n.q("ClinicalSpeciality"),
)
_SPECIALITY_CODE, _SPECIALITY_TYPE = _tag(SPECIALITY_CODE), n.q("SpecialityType")
_STATUS, _REPLACES, _REPLACED_BY = n.q("SorStatus"), n.q("ReplacesEntityCollection"), n.q("ReplacedByEntityCollection")
_UNIT_INFO, _LOCAL_ATTRIBUTES = n.q("OrganizationalUnitInformation"), n.q("LocalAttributeCollection")
_TYPE_TAG = {kind: n.q(local) for kind, local in n.TYPE_ELEMENT.items()}
# The only elements iterparse reports (filtered in C): the root, its header and the records with their wrappers.
_WALK_TAGS = (_SOR_TREE, _CREATED_AT, _SNAPSHOT_DATE, *n.KIND_BY_RECORD_TAG, *n.KIND_BY_WRAPPER_TAG)


# Memory stays bounded whatever a file holds. libxml2 keeps a construct it has not finished (a
# comment, CDATA section, processing instruction, start tag with its attributes, a text) in memory,
# and builds elements the reader does not ask for as it meets them; between two of the elements
# the reader walks (the root, its header, the records and their wrappers) there is never more than
# a record of a few KB. So more than MAX_QUIET_BYTES of input without one is refused, and so is a
# zip member that expands beyond MAX_ZIP_RATIO times its compressed size (plus ZIP_SLACK) or
# MAX_ZIP_BYTES in all.
MAX_QUIET_BYTES = 2 << 20
MAX_ZIP_RATIO, ZIP_SLACK, MAX_ZIP_BYTES = 100, 16 << 20, 8 << 30


class CountingStream:
    """A binary stream that counts bytes and lines read (for progress and for messages) and refuses
    input that would make the parser's memory grow (see MAX_QUIET_BYTES).

    The reader sets ``quiet_since`` to ``bytes_read`` whenever the parser reports an element it
    walks; ``lead`` bytes at the start (the line feeds and root tag put before a part of a file) are
    not the file's own. Until the reader clears ``in_prolog`` (at the first element), a DOCTYPE or
    ENTITY declaration is refused where it is read: the parser is never handed one, whatever its
    version would make of it.
    """

    def __init__(self, raw: IO[bytes], label: str = "", lead: int = 0, limit: int | None = None):
        self._raw = raw
        self.label = label
        self.bytes_read = 0
        self.lines = 1  # the line the next byte is on
        self.quiet_since = lead  # bytes read when the parser last reported a walked element
        self.limit = limit  # at most this many bytes (a zip member's expansion), or None
        self.in_prolog = True
        self._before = b""  # the last bytes read, for a declaration split between two reads

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._raw.read(size)
        except (OSError, *ZIP_ERRORS) as exc:  # a damaged zip (bad data, bad CRC), a failing disk
            raise InputError(f"cannot read file: {exc}", self.label, self.lines) from None
        self.bytes_read += len(data)
        if self.bytes_read - self.quiet_since > MAX_QUIET_BYTES:
            self._refuse(data, self.quiet_since + MAX_QUIET_BYTES, _TOO_QUIET)
        if self.limit is not None and self.bytes_read > self.limit:
            self._refuse(data, self.limit, _TOO_LARGE.format(ratio=MAX_ZIP_RATIO, mb=self.limit >> 20))
        if self.in_prolog:
            self._refuse_declaration(data)
        self.lines += data.count(b"\n")
        return data

    def _refuse_declaration(self, data: bytes) -> None:
        seen = self._before + data
        if match := _DOCTYPE.search(seen):
            line = self.lines - self._before.count(b"\n") + seen.count(b"\n", 0, match.start())
            raise InputError(_DECLARATION_REFUSED, self.label, line, "DOCTYPE")
        self._before = seen[-(_LONGEST_DECLARATION - 1) :]

    def _refuse(self, data: bytes, offset: int, message: str) -> None:
        """Refuse at byte ``offset`` of the stream (inside ``data``, the bytes just read)."""
        at = max(0, min(len(data), offset - (self.bytes_read - len(data))))
        raise InputError(message, self.label, self.lines + data.count(b"\n", 0, at))


_TOO_QUIET = (
    f"more than {MAX_QUIET_BYTES >> 20} MB of XML without a SOR element: a comment, CDATA section, processing"
    " instruction, tag, attribute or text that long, or elements SOR does not have (refused to keep memory bounded)"
)
_DECLARATION_REFUSED = (
    "a DOCTYPE or ENTITY declaration is not allowed in a SOR file "
    "(refused to protect against entity expansion and external entities)"
)
_LONGEST_DECLARATION = len(b"<!DOCTYPE")
_TOO_LARGE = "the zip member expands to more than {ratio} times its compressed size ({mb} MB; a zip bomb?)"


@dataclass(frozen=True)
class XmlPart:
    """A stretch of a SOR XML file that parses as a document of its own (see ``split_sor_xml``).

    The bytes ``start`` to ``end`` (None: the end of the file) of the file, after ``head`` (the
    root's start tag, on one line, for a part that starts inside the root) and before ``tail``
    (the root's end tag, for a part that stops inside it). The head comes after as many line feeds
    as the file has before ``start`` (``line_feeds``; None: the reader counts them), so that the
    parser numbers the part's lines as the file's (its way with lines past 65,535 included).
    """

    start: int
    end: int | None
    head: bytes = b""
    tail: bytes = b""
    line_feeds: int | None = 0


def _line_feeds_before(raw: IO[bytes], offset: int, label: str) -> int:
    """Line feeds in the first ``offset`` bytes of ``raw``; lines that end in a lone carriage return
    (counted as lines by some versions of libxml2, not by others) are refused."""
    raw.seek(0)
    count, left, last = 0, offset, b""
    buf = bytearray(_SPLIT_SCAN)
    while left > 0:
        got = raw.readinto(memoryview(buf)[: min(left, len(buf))])
        if not got:
            break
        count += buf.count(b"\n", 0, got)
        if buf.find(b"\r", 0, got) >= 0 or last == b"\r":
            block = last + bytes(buf[:got])
            if block.count(b"\r") != block.count(b"\r\n") + (1 if block.endswith(b"\r") else 0):
                raise InputError("lines ending in a lone carriage return: the file is read as a whole", label)
        last = bytes(buf[got - 1 : got])
        left -= got
    return count


class _PartStream:
    """The part's line feeds and head, its bytes of ``raw``, and its tail, as one binary stream."""

    def __init__(self, raw: IO[bytes], part: XmlPart, line_feeds: int):
        raw.seek(part.start)
        self._raw = raw
        self._feeds = line_feeds
        self._head = memoryview(part.head)
        self._left = -1 if part.end is None else part.end - part.start
        self._tail = memoryview(part.tail)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        out = b""
        if self._feeds:
            take = min(size, self._feeds)
            out, self._feeds = b"\n" * take, self._feeds - take
        if len(out) < size and self._head:
            take = size - len(out)
            out, self._head = out + self._head[:take], self._head[take:]
        if len(out) < size and self._left != 0:
            want = size - len(out) if self._left < 0 else min(size - len(out), self._left)
            data = self._raw.read(want)
            if self._left > 0:
                self._left -= len(data)
            if not data:
                self._left = 0  # the file is shorter than the part: what there is, then the tail
            out += data
        if len(out) < size and self._left == 0 and self._tail:
            take = size - len(out)
            out, self._tail = out + self._tail[:take], self._tail[take:]
        return out


_FLAG_TEXT = {"true": True, "1": True, "false": False, "0": False}


def _flag(el: etree._Element, label: str, where: str | None = None) -> bool:
    """An element's true or false; its name (``where``, else its tag's) and line are worked out only
    for text that needs stripping or is neither, as a SOR file almost never has."""
    value = _FLAG_TEXT.get(el.text)  # type: ignore[arg-type]
    if value is None:
        text = (el.text or "").strip()
        value = _FLAG_TEXT.get(text)
        if value is None:
            raise InputError(f"expected true or false, found {text!r}", label, el.sourceline, where or _local(el.tag))
    return value


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

    def __init__(self, path: Path, label: str | None = None, part: XmlPart | None = None):
        self.path = Path(path)
        self.label = label or str(path)
        self.snapshot_date: str | None = None
        self.created_at: str | None = None
        self.total_bytes = self.path.stat().st_size
        self.part = part  # only this stretch of a plain (not zipped) file
        self._lead = 0  # bytes the parser reads before the part's own (line feeds and head)
        self._stream: CountingStream | None = None
        self._root_checked = False

    @property
    def bytes_read(self) -> int:
        """How far into the file the reader is (for progress)."""
        done = self._stream.bytes_read if self._stream else 0
        if self.part is None:
            return done
        end = self.total_bytes if self.part.end is None else self.part.end
        return self.part.start + max(0, min(done - self._lead, end - self.part.start))

    def __iter__(self) -> Iterator[Entity]:
        return self._items(self._entity)

    def records(self) -> Iterator[RawRecord]:
        """The records as they stand in the file (``RawRecord``), for a diff to parse only those that differ."""
        return self._items(self._raw_record)

    def entity_from_raw(self, kind: str, parent_id: str | None, line: int | None, raw: bytes) -> Entity:
        """The entity of a record ``records()`` gave (``head + body``), with errors at their line in the file."""
        rec = etree.fromstring(raw, _FRAGMENT_PARSER)
        try:
            ent = self._entity(rec, kind, parent_id)
        except InputError as exc:
            at = exc.at
            moved = line + at.line - 1 if line is not None and at.line is not None else line
            raise InputError(exc.message, at.file, moved, at.where) from None
        ent.source_line = line
        return ent

    def _items(self, build: Callable[[etree._Element, str, str | None], _Item]) -> Iterator[_Item]:
        if self.part is not None:
            with open(self.path, "rb") as raw:
                feeds = self.part.line_feeds
                if feeds is None:
                    feeds = _line_feeds_before(raw, self.part.start, self.label)
                self._lead = feeds + len(self.part.head)
                yield from self._parse(build, _PartStream(raw, self.part, feeds))  # type: ignore[arg-type]
        elif zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as zf:
                member = self._xml_member(zf)
                self.label = f"{self.label}!{member.filename}"
                self.total_bytes = member.file_size
                limit = min(MAX_ZIP_BYTES, ZIP_SLACK + MAX_ZIP_RATIO * member.compress_size)
                try:
                    raw = zf.open(member)
                except ZIP_ERRORS as exc:
                    raise InputError(f"cannot read the zip: {exc}", self.label) from None
                with raw:
                    yield from self._parse(build, raw, limit)
        else:
            with open(self.path, "rb") as raw:
                yield from self._parse(build, raw)

    def _xml_member(self, zf: zipfile.ZipFile) -> zipfile.ZipInfo:
        members = [m for m in zf.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
        if len(members) != 1:
            found = ", ".join(m.filename for m in zf.infolist()) or "nothing"
            raise InputError(f"expected exactly one .xml file in the zip, found {found}", self.label)
        return members[0]

    def _parse(self, build: Callable, raw: IO[bytes], limit: int | None = None) -> Iterator:
        self._stream = CountingStream(raw, self.label, self._lead, limit)
        context = etree.iterparse(
            self._stream,
            events=("end",),
            tag=_WALK_TAGS,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
            # The whitespace between elements makes no value (a leaf's own text is kept, blank or not):
            # not building it saves a twentieth of the read. A raw record keeps it: the line feeds in
            # its bytes are how ``entity_from_raw`` finds an error's line in the file.
            remove_blank_text=build == self._entity,
            collect_ids=False,
        )
        try:
            yield from self._walk(context, build)
            if not self._root_checked and context.root is not None:
                self._check_root(context.root)  # no SOR element at all: say what the root is
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else None
            raise InputError(f"malformed XML: {exc.msg}", self.label, line) from None
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(f"cannot read file: {exc}", self.label) from None

    def _walk(self, context: etree.iterparse, build: Callable) -> Iterator:
        """The records of the file, each made by ``build``; the root is checked at the first element reported."""
        self._root_checked = False
        stream = self._stream
        assert stream is not None
        for _, el in context:
            stream.quiet_since = stream.bytes_read
            if not self._root_checked:
                self._check_root(el.getroottree().getroot())
                self._root_checked = True
                stream.in_prolog = False
            tag = el.tag
            kind = n.KIND_BY_RECORD_TAG.get(tag)
            if kind is not None:
                wrapper = el.getparent()
                outer = wrapper.getparent() if wrapper is not None else None
                parent_id = outer.get("_sid") if outer is not None and kind != "IE" else None
                item = build(el, kind, parent_id)
                if wrapper is not None:
                    wrapper.set("_sid", item.sor_id)
                el.clear(keep_tail=False)
                yield item
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
        if el.getroottree().docinfo.doctype:  # one the stream cannot see: a file in UTF-16, say
            raise InputError(_DECLARATION_REFUSED, self.label, el.sourceline, "DOCTYPE")
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
        ent = Entity("", kind, "", parent_id, source_line=rec.sourceline)
        type_tag = _TYPE_TAG[kind]
        for child in rec:
            tag = child.tag
            part = _RECORD_PARTS.get(tag)  # None for comments and entity references too (their tag is not a str)
            if part is None:
                if tag == type_tag:
                    ent.entity_type_code = _text(child)
            elif part.__class__ is str:  # an Entity field holding the element's text
                text = child.text
                if text is not None:
                    text = text.strip() or None
                setattr(ent, part, text)
            elif part == _P_STATUS:
                for sub in child:
                    field = _STATUS_BY_TAG.get(sub.tag)
                    if field:
                        text = sub.text
                        if text is not None:
                            text = text.strip() or None
                        setattr(ent, field, text)
            elif part == _P_OPTIONAL_EAN:
                self._optional_ean(child, ent)
            elif part == _P_ADDRESS:
                ent.addresses.append(self._address(child, _ADDRESS_BY_TAG[tag]))
            elif part == _P_GEO_PARENT:
                for sub in child:
                    if sub.tag == _GEO_RELATION:
                        ent.geo_parent_relation = _text(sub)
                    elif sub.tag == _GEO_PARENT_ID:
                        ent.geo_parent_sor_id = _text(sub)
            elif part == _P_CONTACT:
                ent.contact = self._contact(child)
            elif part == _P_UNIT_INFO:
                for sub in child:
                    name = _UNIT_INFO_BY_TAG.get(sub.tag)
                    if name:
                        setattr(ent, name, _flag(sub, self.label))
            elif part == _P_SPECIALITIES:
                ent.specialities = [self._speciality(s) for s in child if s.tag == _SPECIALITY]
            elif part == _P_EAN_ENTITY:  # IE owns a number directly
                ent.location = self._location(child, ent)
                ent.ean_mode = "own"
            elif part == _P_REPLACES:
                ent.replaces = [t for s in child if (t := _text(s))]
            elif part == _P_REPLACED_BY:
                ent.replaced_by = [t for s in child if (t := _text(s))]
            elif part == _P_LOCAL_ATTRIBUTES:
                ent.local_attributes = [t or "" for s in child if (t := _text(s)) is not None]
        if not ent.sor_id:
            raise InputError("record has no SorIdentifier", self.label, rec.sourceline, n.RECORD[kind])
        if ent.location is not None:
            ent.location.owner_sor_id = ent.sor_id
        return ent

    def _raw_record(self, rec: etree._Element, kind: str, parent_id: str | None) -> RawRecord:
        """The record's bytes, and its SOR-kode, name and lokationsnummer read as ``_entity`` reads them
        (the last element of a name wins), so that a record parsed later is the same unit."""
        sor_id = _stripped(_last_text(rec, _SOR_ID))
        if not sor_id:
            raise InputError("record has no SorIdentifier", self.label, rec.sourceline, n.RECORD[kind])
        raw = etree.tostring(rec, with_tail=False)
        cut = raw.index(b">") + 1  # the start tag, with the namespace declarations lxml repeats on each record
        name = _stripped(_last_text(rec, _NAME))
        return RawRecord(kind, sor_id, parent_id, rec.sourceline, name, _own_gln(rec), raw[:cut], raw[cut:])

    def _optional_ean(self, el: etree._Element, ent: Entity) -> None:
        for sub in el:
            if sub.tag == _INHERITED:
                inherited = _flag(sub, self.label, "EntityInheritedIndicator")
                ent.ean_mode = "inherited" if inherited else "none"
            elif sub.tag == _EAN_ENTITY:
                ent.location = self._location(sub, ent)
                ent.ean_mode = "own"

    def _location(self, el: etree._Element, ent: Entity) -> Location:
        loc = Location("", ent.sor_id, has_status=False)
        for sub in el:
            tag = sub.tag
            name = _LOCATION_BY_TAG.get(tag)
            if name in LOCATION_FLAG_FIELDS:
                setattr(loc, name, _flag(sub, self.label))
            elif name:
                text = sub.text
                if text is not None:
                    text = text.strip() or None
                setattr(loc, name, text)
            elif tag == _STATUS:
                loc.has_status = True
                for st in sub:
                    field = _STATUS_BY_TAG.get(st.tag)
                    if field:
                        setattr(loc, field, _text(st))
        if not loc.gln:
            raise InputError(
                "EanLocationCodeEntity has no EanLocationCode", self.label, el.sourceline, "EanLocationCode"
            )
        return loc

    def _address(self, el: etree._Element, kind: str) -> Address:
        addr = Address(kind)
        for sub in el.iter():
            tag = sub.tag
            name = _ADDRESS_FIELD_BY_TAG.get(tag)  # type: ignore[arg-type]
            if name:
                text = sub.text
                if text is not None:
                    text = text.strip() or None
                setattr(addr, name, text)
            elif tag == _STAIRWAY:
                addr.stairway = _text(sub)
        return addr

    def _contact(self, el: etree._Element) -> Contact:
        contact = Contact()
        for sub in el:
            name = _CONTACT_BY_TAG.get(sub.tag)
            if name:
                setattr(contact, name, _text(sub))
        return contact

    def _speciality(self, el: etree._Element) -> Speciality:
        spec = Speciality("")
        for sub in el:
            if sub.tag == _SPECIALITY_CODE:
                spec.code = _text(sub) or ""
            elif sub.tag == _SPECIALITY_TYPE:
                spec.type_code = _text(sub)
        return spec


# The Entity fields that are elements of a record itself (``RECORD_SEQUENCE``), and SorNote, which
# the XSD has on a location number only but is read on a unit too.
_SIMPLE_ENTITY_FIELDS = {name for names in n.RECORD_SEQUENCE.values() for name in names if name in ENTITY_FIELDS}
_SIMPLE_BY_TAG = {_tag(ENTITY_FIELDS[name]): name for name in (*sorted(_SIMPLE_ENTITY_FIELDS), "note")}
_ADDRESS_KIND = {wrapper: kind for kind, wrapper in n.ADDRESS_WRAPPERS.items()}
_ADDRESS_BY_TAG = {n.q(wrapper): kind for wrapper, kind in _ADDRESS_KIND.items()}
# Module-level copies of the name tables the record code looks up for every element.
_STATUS_BY_TAG, _LOCATION_BY_TAG, _CONTACT_BY_TAG = n.STATUS_BY_TAG, n.LOCATION_BY_TAG, n.CONTACT_BY_TAG
_ADDRESS_FIELD_BY_TAG, _UNIT_INFO_BY_TAG, _STAIRWAY = n.ADDRESS_BY_TAG, n.UNIT_INFO_BY_TAG, n.STAIRWAY

# The parts of a record other than a plain text field (which ``_RECORD_PARTS`` maps to its Entity field).
(
    _P_STATUS,
    _P_OPTIONAL_EAN,
    _P_ADDRESS,
    _P_GEO_PARENT,
    _P_CONTACT,
    _P_UNIT_INFO,
    _P_SPECIALITIES,
    _P_EAN_ENTITY,
    _P_REPLACES,
    _P_REPLACED_BY,
    _P_LOCAL_ATTRIBUTES,
) = range(11)
_RECORD_PARTS: dict[str, str | int] = {
    **_SIMPLE_BY_TAG,
    _STATUS: _P_STATUS,
    _OPTIONAL_EAN: _P_OPTIONAL_EAN,
    **dict.fromkeys(_ADDRESS_BY_TAG, _P_ADDRESS),
    _GEO_PARENT: _P_GEO_PARENT,
    _VIRTUAL: _P_CONTACT,
    _UNIT_INFO: _P_UNIT_INFO,
    _SPECIALITIES: _P_SPECIALITIES,
    _EAN_ENTITY: _P_EAN_ENTITY,
    _REPLACES: _P_REPLACES,
    _REPLACED_BY: _P_REPLACED_BY,
    _LOCAL_ATTRIBUTES: _P_LOCAL_ATTRIBUTES,
}


class RawRecord(NamedTuple):
    """A record as it stands in the file, with what a diff needs of every unit (its place and number)."""

    kind: str
    sor_id: str
    parent_id: str | None
    line: int | None
    name: str | None
    gln: str | None
    # The record element serialised, its start tag apart: equal bytes, equal entity (for the same parent).
    head: bytes
    body: bytes


_Item = Entity | RawRecord
_SOR_ID, _NAME = _tag(ENTITY_FIELDS["sor_id"]), _tag(ENTITY_FIELDS["name"])
_GLN = next(tag for tag, name in _LOCATION_BY_TAG.items() if name == "gln")
# Records serialised by the reader itself: nothing to guard against but its own output.
_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def _last_text(el: etree._Element, tag: str) -> str | None:
    """The text of the last child named ``tag`` (found in C: no path machinery)."""
    text = None
    for child in el.iterchildren(tag):
        text = child.text
    return text


def _own_gln(rec: etree._Element) -> str | None:
    """The record's own lokationsnummer, from the last EanLocationCodeEntity ``_entity`` would read."""
    own = None
    for child in rec.iterchildren(_EAN_ENTITY, _OPTIONAL_EAN):
        if child.tag == _EAN_ENTITY:
            own = child
        else:
            own = next((sub for sub in reversed(child) if sub.tag == _EAN_ENTITY), own)
    return _stripped(_last_text(own, _GLN)) if own is not None else None


def _stripped(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def _is_top(el: etree._Element) -> bool:
    """Whether ``el`` is a child of the root."""
    parent = el.getparent()
    return parent is not None and parent.getparent() is None


def is_sor_xml(head: bytes) -> bool:
    """Whether the first bytes of a file look like SOR XML."""
    return b"<" in head[:512] and (b"SorTree" in head or b"organisation:1.0.0" in head)


# -- splitting a large file in two -------------------------------------------------------------

# An XML declaration, and the markup that can come before the root: comments and processing instructions.
_XML_DECL = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml\s([^>]*?)\?>")
_DECL_ATTR = re.compile(rb"""(version|encoding)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PROLOG_ITEM = re.compile(
    rb"""\s*(?:<!--.*?-->|<\?.*?\?>|<(?P<name>[A-Za-z_][\w.:-]*)(?P<attrs>(?:[^<>"']|"[^"<]*"|'[^'<]*')*)>)""",
    re.S,
)
# The start of a top-level owner, with whatever prefix the file binds to the SOR namespace.
_OWNER_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + n.WRAPPER["IE"].encode() + rb"[\s/>]")
_SPLIT_SCAN = 1 << 20
_LONE_CR = re.compile(rb"\r(?!\n)")


def unzip_xml_member(path: Path, target: Path) -> str | None:
    """Write the SOR XML file inside the zip at ``path`` to ``target`` (so that it can be read in
    parts) and return its name in the zip; None when the zip does not hold exactly one .xml file, or
    it expands beyond what the reader allows (see MAX_ZIP_RATIO), or cannot be read: reading the zip
    itself then says what is wrong with it."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
            if len(members) != 1:
                return None
            member = members[0]
            limit = min(MAX_ZIP_BYTES, ZIP_SLACK + MAX_ZIP_RATIO * member.compress_size)
            with zf.open(member) as raw, open(target, "wb") as out:
                written = 0
                while chunk := raw.read(1 << 20):
                    written += len(chunk)
                    if written > limit:
                        return None
                    out.write(chunk)
            return member.filename
    except (OSError, *ZIP_ERRORS):
        return None


def split_sor_xml(path: Path, fraction: float) -> tuple[XmlPart, XmlPart] | None:
    """Two parts of a plain SOR XML file, cut before the owner that starts nearest ``fraction`` of it.

    The first part is the file up to the cut, closed with the root's end tag; the second is the
    rest of the file after the root's start tag (on one line, on the cut's line). When the cut is between two
    children of the root, as in every SOR file, each part reads as its own document and the
    entities of the two, one after the other, are those of the whole file. A cut anywhere else
    (say, inside a comment, or an owner nested deeper) leaves the first part malformed, so a
    caller that reads the parts must fall back to reading the whole file on any error.

    None when the file is not one to split: zipped, not UTF-8, with a DOCTYPE, with lines that end
    in a lone carriage return, or without an owner to cut before (other than the first). The second part's line feeds are
    left for its reader to count.
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        return None
    size = path.stat().st_size
    with open(path, "rb") as fh:
        prolog = fh.read(_PROLOG_BYTES)
        root = _root_start(prolog)
        if root is None:
            return None
        name, root_end, start_tag = root
        if _LONE_CR.search(prolog):
            return None
        target = max(root_end, int(size * fraction))
        after, before = _find_owner(fh, target), _find_owner_before(fh, target, root_end)
        if after is None and before is None:
            return None
        nearer_before = before is not None and (after is None or target - before < after - target)
        cut = before if nearer_before else after
    head = start_tag.replace(b"\r\n", b" ").replace(b"\r", b" ").replace(b"\n", b" ")
    return (
        XmlPart(0, cut, tail=b"</" + name + b">"),
        XmlPart(cut, None, head=head, line_feeds=None),
    )


def _root_start(prolog: bytes) -> tuple[bytes, int, bytes] | None:
    """(qualified name, end offset, start tag) of the root element, if the prolog is a plain UTF-8 one."""
    if prolog.startswith((b"\xfe\xff", b"\xff\xfe", b"\x00", b"\x00\x00\xfe\xff")) or _DOCTYPE.search(prolog):
        return None
    at = 0
    decl = _XML_DECL.match(prolog)
    if decl:
        attrs = {m.group(1): (m.group(2) or m.group(3) or b"") for m in _DECL_ATTR.finditer(decl.group(1))}
        if attrs.get(b"version", b"1.0") != b"1.0" or attrs.get(b"encoding", b"utf-8").lower() not in (
            b"utf-8",
            b"utf8",
        ):
            return None
        at = decl.end()
    elif prolog.startswith(b"\xef\xbb\xbf"):
        at = 3
    while True:
        item = _PROLOG_ITEM.match(prolog, at)
        if item is None:
            return None
        if item.group("name"):
            attrs = item.group("attrs")
            if attrs.endswith(b"/") or b"_sid" in attrs:  # an empty root; or one carrying the reader's own mark
                return None
            return item.group("name"), item.end(), prolog[item.start("name") - 1 : item.end()]
        at = item.end()


def _find_owner_before(fh: IO[bytes], offset: int, low: int) -> int | None:
    """Offset of the last owner start tag that begins at or after ``low`` and before ``offset``."""
    end = offset
    while end > low:
        start = max(low, end - _SPLIT_SCAN)
        fh.seek(start)
        data = fh.read(end - start + 64)  # reaching past ``end`` for a tag that begins before it
        matches = [m.start() for m in _OWNER_START.finditer(data) if start + m.start() < end]
        if matches:
            return start + matches[-1]
        end = start
    return None


def _find_owner(fh: IO[bytes], offset: int) -> int | None:
    """Offset of the first owner start tag at or after ``offset``."""
    fh.seek(offset)
    carry = b""
    base = offset
    while True:
        block = fh.read(_SPLIT_SCAN)
        if not block:
            return None
        data = carry + block
        match = _OWNER_START.search(data)
        if match:
            return base - len(carry) + match.start()
        carry = data[-64:]
        base += len(block)
