"""SHAK files: SHAKCOMPLETE.TXT (fixed width) and SHAKregion.txt (tab separated), read and written.

Both are ISO-8859-1 as published (sor-domain.md §8). The real SHAKCOMPLETE.TXT of 2011 also holds
byte 0x96, the Windows-1252 en dash, in a few department names: Latin-1 decodes that to the C1
control U+0096, so the readers map C1 controls to their Windows-1252 characters and the writers
map them back (``WINDOWS_LATIN1``), which keeps every byte of a round trip.

SHAKCOMPLETE.TXT, 1-based positions: record type 1-3 (``sgh``/``afd``), code 4-23, DatoFra 24-31,
DatoÆndring 32-39, DatoTil 40-47 (``25000101`` = open), text 48-167, AGrp 168-170, BGrp 171-173,
CGrp/DGrp 174-179 (unused per the layout, yet filled on 446 lines of the 2011 file, so kept),
EGrp 180-182 (``SKS`` on records with an op code), DVal op code 188; 214 characters and LF per line.

Old department codes (1990s-2000s) carry capital letters in positions 5-7 (``1500A1``, ``3004L0X``);
``codes.shak_level`` accepts them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from sortui.domain.codes import shak_level
from sortui.domain.errors import InputError
from sortui.domain.fielddef import unsafe_text
from sortui.domain.model import ShakCode, ShakHospital
from sortui.formats.common import decode_lines

OPEN_END = "25000101"
LINE_WIDTH = 214
MIN_WIDTH = 188  # through the DVal op code, the last field read
RECORD_TYPES = ("sgh", "afd")
NEWLINE = "\n"  # as in the published file

# (field name, 0-based start, end) of the fixed-width layout; names are used in error messages.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("Type", 0, 3),
    ("Kode", 3, 23),
    ("DatoFra", 23, 31),
    ("DatoÆndring", 31, 39),
    ("DatoTil", 39, 47),
    ("Tekst", 47, 167),
    ("AGrp", 167, 170),
    ("BGrp", 170, 173),
    ("CGrp", 173, 176),
    ("DGrp", 176, 179),
    ("EGrp", 179, 182),
    ("Val", 182, 187),
    ("DVal", 187, 188),
)
_SLICE = {name: slice(start, end) for name, start, end in FIELDS}
_WIDTH = {name: end - start for name, start, end in FIELDS}

REGION_COLUMNS = (
    "K_SGH",
    "V_SGHNAVN",
    "K_FRADTO",
    "D_TILDTO",
    "C_SGHTYPE",
    "C_INSTART",
    "C_REGION",
    "C_SORID",
)

# -- Windows-1252 inside Latin-1 ------------------------------------------------------------------

WINDOWS_LATIN1 = "sortui-windows-latin1"  # error handler: encode with cp1252, else Latin-1 bytes


def _c1_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in cp1252, kept as they are
    return table


_C1_TO_WINDOWS = _c1_table()
_C1 = re.compile("[\x80-\x9f]")


def holds_c1(text: str) -> bool:
    """Whether ``text`` holds a C1 control (which ``windows_text`` reads as Windows-1252)."""
    return _C1.search(text) is not None


def windows_text(text: str) -> str:
    """Latin-1 decoded text with its C1 controls read as the Windows-1252 characters they are."""
    return text.translate(_C1_TO_WINDOWS) if holds_c1(text) else text


def _latin1_fallback(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    try:
        return exc.object[exc.start : exc.end].encode("latin-1"), exc.end
    except UnicodeEncodeError:
        raise exc from None


codecs.register_error(WINDOWS_LATIN1, _latin1_fallback)


def encode_windows_latin1(text: str) -> bytes:
    """The bytes of ``text`` as Windows-1252, falling back to Latin-1 for the C1 controls."""
    return text.encode("cp1252", errors=WINDOWS_LATIN1)


# -- dates ----------------------------------------------------------------------------------------


def _date8(value: str, name: str, line: int, where: str, *, open_end: bool = False) -> str | None:
    """YYYYMMDD or YYYY-MM-DD as ISO; blank is None, and so is ``25000101`` when ``open_end``."""
    value = value.strip()
    if not value or (open_end and value in (OPEN_END, "2500-01-01")):
        return None
    digits = value.replace("-", "") if len(value) == 10 and value[4] == value[7] == "-" else value
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        raise InputError(f"not a date (YYYYMMDD): {value!r}", name, line, where) from None


def _yyyymmdd(iso: str | None, what: str, *, open_end: bool = False) -> str:
    if iso is None:
        return OPEN_END if open_end else ""
    try:
        return date.fromisoformat(iso).strftime("%Y%m%d")
    except ValueError:
        raise ValueError(f"{what}: not an ISO date: {iso!r}") from None


# -- SHAKCOMPLETE.TXT -----------------------------------------------------------------------------


def read_shak_complete(path: Path, label: str | None = None) -> Iterator[ShakCode]:
    """Every line of SHAKCOMPLETE.TXT as a ShakCode, in file order; blank lines are skipped."""
    name = label or str(path)
    for number, text in decode_lines(path, "latin-1", name):
        if text.strip():
            yield _shak_line(text, name, number)


def _shak_line(text: str, name: str, number: int) -> ShakCode:
    if len(text) < MIN_WIDTH:
        cut = next(f for f, _, end in FIELDS if end > len(text))
        raise InputError(f"line is {len(text)} characters, expected {LINE_WIDTH} (truncated?)", name, number, cut)
    field = {f: text[s] for f, s in _SLICE.items()}
    field["Tekst"] = windows_text(field["Tekst"])
    _refuse_control_characters(field, name, number)
    record_type = field["Type"]
    if record_type not in RECORD_TYPES:
        raise InputError(f"unknown record type {record_type!r} (expected sgh or afd)", name, number, "Type")
    op_code = field["DVal"].strip() or None
    if op_code is not None and not op_code.isdigit():
        raise InputError(f"op code must be a digit or blank, found {op_code!r}", name, number, "DVal")
    return ShakCode(
        code=_shak_code(field["Kode"].strip(), record_type, name, number),
        record_type=record_type,
        valid_from=_required(_date8(field["DatoFra"], name, number, "DatoFra"), name, number, "DatoFra"),
        changed=_date8(field["DatoÆndring"], name, number, "DatoÆndring"),
        valid_to=_date8(field["DatoTil"], name, number, "DatoTil", open_end=True),
        text=field["Tekst"].strip(),
        grp_a=field["AGrp"].strip() or None,
        grp_b=field["BGrp"].strip() or None,
        op_code=op_code,
        grp_c=field["CGrp"].strip() or None,
        grp_d=field["DGrp"].strip() or None,
        source_line=number,
    )


def _refuse_control_characters(values: dict[str, str], name: str, line: int) -> None:
    for where, value in values.items():
        if problem := unsafe_text(where, value):
            raise InputError(problem, name, line, where)


def _required(value: str | None, name: str, line: int, where: str) -> str:
    if value is None:
        raise InputError(f"{where} is blank", name, line, where)
    return value


def _shak_code(code: str, record_type: str, name: str, line: int) -> str:
    level = shak_level(code)
    if level is None:
        raise InputError(f"not a SHAK code: {code!r}", name, line, "Kode")
    if (record_type == "sgh") != (level == "sgh"):
        raise InputError(
            f"{record_type} record with a {len(code)}-character code {code!r}"
            f" ({'4' if record_type == 'sgh' else '6 or 7'} expected)",
            name,
            line,
            "Kode",
        )
    return code


def write_shak_complete(codes: Iterable[ShakCode], path: Path) -> None:
    """Write SHAKCOMPLETE.TXT: fixed width (214), Latin-1 (Windows-1252 for C1), LF line ends."""
    with open(path, "wb") as fh:
        for shak in codes:
            fh.write(encode_windows_latin1(format_shak_line(shak) + NEWLINE))


def format_shak_line(shak: ShakCode) -> str:
    """One 214-character line; ValueError when a value does not fit its field."""
    if shak.record_type not in RECORD_TYPES:
        raise ValueError(f"SHAK {shak.code}: unknown record type {shak.record_type!r}")
    what = f"SHAK {shak.code}"
    values = {
        "Type": shak.record_type,
        "Kode": shak.code,
        "DatoFra": _yyyymmdd(shak.valid_from, f"{what} DatoFra"),
        "DatoÆndring": _yyyymmdd(shak.changed, f"{what} DatoÆndring"),
        "DatoTil": _yyyymmdd(shak.valid_to, f"{what} DatoTil", open_end=True),
        "Tekst": shak.text,
        "AGrp": shak.grp_a or "",
        "BGrp": shak.grp_b or "",
        "CGrp": shak.grp_c or "",
        "DGrp": shak.grp_d or "",
        "EGrp": "SKS" if shak.op_code else "",
        "DVal": shak.op_code or "",
    }
    parts = []
    for field, _, _ in FIELDS:
        value = values.get(field, "")
        if len(value) > _WIDTH[field]:
            raise ValueError(f"{what}: {field} {value!r} is longer than {_WIDTH[field]} characters")
        parts.append(value.ljust(_WIDTH[field]))
    return "".join(parts).ljust(LINE_WIDTH)


# -- SHAKregion.txt -------------------------------------------------------------------------------


def read_shak_region(path: Path, label: str | None = None) -> Iterator[ShakHospital]:
    """Each line of SHAKregion.txt (tab separated, no header) as a ShakHospital."""
    name = label or str(path)
    for number, text in decode_lines(path, "latin-1", name):
        if text.strip():
            yield _region_line(text, name, number)


def _region_line(text: str, name: str, number: int) -> ShakHospital:
    values = [v.strip() for v in text.split("\t")]
    if len(values) != len(REGION_COLUMNS):
        raise InputError(f"line has {len(values)} tab-separated columns, expected {len(REGION_COLUMNS)}", name, number)
    row = dict(zip(REGION_COLUMNS, values, strict=True))
    row["V_SGHNAVN"] = windows_text(row["V_SGHNAVN"])
    _refuse_control_characters(row, name, number)
    code = row["K_SGH"]
    if shak_level(code) != "sgh":
        raise InputError(f"not a 4-character hospital code: {code!r}", name, number, "K_SGH")
    sor_id = row["C_SORID"] or None
    if sor_id is not None and not sor_id.isdigit():
        raise InputError(f"SOR id must be digits: {sor_id!r}", name, number, "C_SORID")
    return ShakHospital(
        code=code,
        name=row["V_SGHNAVN"],
        valid_from=_date8(row["K_FRADTO"], name, number, "K_FRADTO"),
        valid_to=_date8(row["D_TILDTO"], name, number, "D_TILDTO", open_end=True),
        ownership=row["C_SGHTYPE"] or None,
        institution_type=row["C_INSTART"] or None,
        region_code=row["C_REGION"] or None,
        sor_id=sor_id,
        source_line=number,
    )


def write_shak_region(rows: Iterable[ShakHospital], path: Path) -> None:
    """Write SHAKregion.txt: tab separated, no header, dates YYYYMMDD (open end ``25000101``)."""
    with open(path, "wb") as fh:
        for row in rows:
            values = [
                row.code,
                row.name,
                _yyyymmdd(row.valid_from, f"SHAK {row.code} K_FRADTO"),
                _yyyymmdd(row.valid_to, f"SHAK {row.code} D_TILDTO", open_end=True),
                row.ownership or "",
                row.institution_type or "",
                row.region_code or "",
                row.sor_id or "",
            ]
            for column, value in zip(REGION_COLUMNS, values, strict=True):
                if "\t" in value or "\n" in value or "\r" in value:
                    raise ValueError(f"SHAK {row.code}: {column} holds a tab or line break")
            fh.write(encode_windows_latin1("\t".join(values) + NEWLINE))
