"""Which of the register's file formats a file is, from its first 4 KB.

A file that is recognisably something else (a damaged zip, a SQLite database, a binary file, a text
file whose lines end in a carriage return alone) is an InputError that says so.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from sortui.domain.errors import InputError
from sortui.formats.common import BARE_CR, UTF8_BOM, ZIP_ERRORS, sniff_text
from sortui.formats.shak import MIN_WIDTH, RECORD_TYPES, REGION_COLUMNS
from sortui.formats.sorxml import is_sor_xml

HEAD_BYTES = 4096
KINDS = ("sor-xml", "shak-complete", "shak-region", "sor-csv", "sor2-csv", "edi-map", "medcom")
_EDI_MESSAGE_HINTS = ("message", "editype", "typecode", "versioncode")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def detect_kind(path: Path) -> str | None:
    """One of ``KINDS``, or None when the file is none of them. An unreadable file raises OSError."""
    label = str(path)
    head = sniff_text(path, HEAD_BYTES)
    if zipfile.is_zipfile(path):
        return "sor-xml" if _zip_holds_sor_xml(path, label) else None
    if head.startswith(_ZIP_MAGIC):
        raise InputError("a damaged or truncated zip file (its directory at the end is missing)", label)
    if head.startswith(_SQLITE_MAGIC):
        raise InputError("a SQLite database, not a register file (a working copy is opened with --db)", label)
    if is_sor_xml(head.lstrip(UTF8_BOM + b" \t\r\n")):
        return "sor-xml"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("a UTF-16 text file: sortui reads the register's files as UTF-8 or Latin-1", label)
    if b"\x00" in head:
        raise InputError("a binary file (it holds NUL bytes), not one of the register's text files", label)
    first = _first_line(head, label)
    if first is None:
        return None
    return _fixed_or_tabbed(first) or _csv_kind(first)


def _zip_holds_sor_xml(path: Path, label: str) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
            if len(members) > 1:
                names = ", ".join(m.filename for m in members[:5])
                raise InputError(f"a zip of {len(members)} XML files ({names}): sortui reads one SOR XML file", label)
            if not members:
                return False
            with zf.open(members[0]) as raw:
                return is_sor_xml(raw.read(HEAD_BYTES).lstrip(UTF8_BOM + b" \t\r\n"))
    except ZIP_ERRORS as exc:
        raise InputError(f"a damaged zip file ({exc})", label) from None


def _first_line(head: bytes, label: str) -> str | None:
    """The first line as text (UTF-8, else Latin-1), without a BOM; None when there is none."""
    if head.startswith(UTF8_BOM):
        head = head[3:]
    line = head.split(b"\n", 1)[0]
    raw = line.removesuffix(b"\r") if b"\n" in head else line  # a CR that ends the file ends a line too
    if b"\r" in raw:
        raise InputError(BARE_CR, label, 1)
    if not raw.strip():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # may be cut inside a character at 4 KB; Latin-1 never fails


def _fixed_or_tabbed(line: str) -> str | None:
    if line[:3] in RECORD_TYPES and len(line) >= MIN_WIDTH and "\t" not in line and ";" not in line:
        return "shak-complete"
    columns = line.split("\t")
    if len(columns) == len(REGION_COLUMNS) and len(columns[0].strip()) == 4:
        return "shak-region"
    return None


def _csv_kind(line: str) -> str | None:
    if line.startswith("urn,format"):
        return "medcom"
    try:
        columns = {c.strip().strip('"') for c in next(csv.reader([line], delimiter=";"), [])}
    except csv.Error:
        return None
    if "SOR-kode" in columns:
        return "sor-csv"
    if {"SorId", "SorType"} <= columns:
        return "sor2-csv"
    if "EanLocationCode" in columns and any(h in c.lower() for c in columns for h in _EDI_MESSAGE_HINTS):
        return "edi-map"
    return None
