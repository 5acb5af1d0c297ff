"""Which of the register's file formats a file is, from its first 4 KB."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from sortui.formats.common import sniff_text
from sortui.formats.shak import MIN_WIDTH, RECORD_TYPES, REGION_COLUMNS
from sortui.formats.sorxml import is_sor_xml

HEAD_BYTES = 4096
KINDS = ("sor-xml", "shak-complete", "shak-region", "sor-csv", "sor2-csv", "edi-map", "medcom")
_EDI_MESSAGE_HINTS = ("message", "editype", "typecode", "versioncode")


def detect_kind(path: Path) -> str | None:
    """One of ``KINDS``, or None when the file is none of them. An unreadable file raises OSError."""
    if zipfile.is_zipfile(path):
        return "sor-xml" if _zip_holds_sor_xml(path) else None
    head = sniff_text(path, HEAD_BYTES)
    if is_sor_xml(head.lstrip(b"\xef\xbb\xbf \t\r\n")):
        return "sor-xml"
    first = _first_line(head)
    if first is None:
        return None
    return _fixed_or_tabbed(first) or _csv_kind(first)


def _zip_holds_sor_xml(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
            if len(members) != 1:
                return False
            with zf.open(members[0]) as raw:
                return is_sor_xml(raw.read(HEAD_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n"))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        return False


def _first_line(head: bytes) -> str | None:
    """The first line as text (UTF-8, else Latin-1), without a BOM; None when there is none."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    raw = head.split(b"\n", 1)[0].rstrip(b"\r")
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
    columns = {c.strip().strip('"') for c in next(csv.reader([line], delimiter=";"), [])}
    if "SOR-kode" in columns:
        return "sor-csv"
    if {"SorId", "SorType"} <= columns:
        return "sor2-csv"
    if "EanLocationCode" in columns and any(h in c.lower() for c in columns for h in _EDI_MESSAGE_HINTS):
        return "edi-map"
    return None
