"""Message types per location number, in the shape of SOR2's ``LocationsCodeEDITypeMap.csv`` (§6).

The register's own column names for this file are not public; ours are ``COLUMNS``:
``EanLocationCode;MessageUrn;TypeCode;VersionCode;Format;FromDate;ToDate``, ``;`` separated,
UTF-8 (a BOM is accepted, and written), CRLF, header row.

A row names its message by ``MessageUrn`` or, without one, by ``TypeCode`` + ``VersionCode``
(e.g. ``DIS01`` + ``D0134L``). The reader turns a type/version pair into the catalogue's URN when
a catalogue is given; otherwise, or when the catalogue does not know the pair, ``message_urn`` is
the key ``TYPE:VERSION`` (never starting with ``urn:``) and the writer writes it back as the two
columns. The writer fills TypeCode, VersionCode and Format from the catalogue for known URNs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from sortui.domain.codes import gln_errors
from sortui.domain.errors import InputError
from sortui.domain.fielddef import unsafe_text
from sortui.domain.model import LocationMessage, MessageDefinition
from sortui.formats.common import read_csv_rows, require_columns
from sortui.formats.sorcsv import encode_csv_row, parse_date, read_header, unexcel

ENCODING = "utf-8"
DELIMITER = ";"
BOM = "\ufeff"
COLUMNS = ("EanLocationCode", "MessageUrn", "TypeCode", "VersionCode", "Format", "FromDate", "ToDate")
MESSAGE_COLUMNS = ("MessageUrn", "TypeCode", "VersionCode")


def message_key(type_code: str, version_code: str) -> str:
    """The stand-in for a message URN when only the type and version codes are known."""
    return f"{type_code.upper()}:{version_code.upper()}"


def _by_codes(catalogue: Mapping[str, MessageDefinition] | None) -> dict[str, str]:
    return {message_key(d.type_code, d.version_code): d.urn for d in (catalogue or {}).values()}


def read_location_messages(
    path: Path, label: str | None = None, catalogue: Mapping[str, MessageDefinition] | None = None
) -> Iterator[LocationMessage]:
    """Each row as a LocationMessage; a bad location number or message names the line and column."""
    name = label or str(path)
    header = set(read_header(path, ENCODING, DELIMITER, name))
    require_columns(header, ("EanLocationCode",), name)
    if "MessageUrn" not in header:
        require_columns(header, ("TypeCode", "VersionCode"), name)
    urns = _by_codes(catalogue)
    for line, row in read_csv_rows(path, ENCODING, DELIMITER, name):
        yield _message(row, urns, name, line)


def _message(row: Mapping[str, str], urns: Mapping[str, str], name: str, line: int) -> LocationMessage:
    value = {column: unexcel(row.get(column, "")) for column in COLUMNS}
    for column, text in value.items():
        if problem := unsafe_text(column, text):
            raise InputError(problem, name, line, column)
    if problems := gln_errors(value["EanLocationCode"]):
        raise InputError(problems[0], name, line, "EanLocationCode")
    return LocationMessage(
        gln=value["EanLocationCode"],
        message_urn=_message_urn(value, urns, name, line),
        from_date=_date(value, "FromDate", name, line),
        to_date=_date(value, "ToDate", name, line),
        source_line=line,
    )


def _message_urn(value: Mapping[str, str], urns: Mapping[str, str], name: str, line: int) -> str:
    urn = value["MessageUrn"]
    if urn:
        if not urn.lower().startswith("urn:"):
            raise InputError(f"not a URN: {urn!r}", name, line, "MessageUrn")
        return urn
    type_code, version_code = value["TypeCode"], value["VersionCode"]
    for column, code in (("TypeCode", type_code), ("VersionCode", version_code)):
        if not code:
            raise InputError(f"no MessageUrn, and {column} is blank too", name, line, column)
        if ":" in code:
            raise InputError(f"{column} {code!r} must not contain ':'", name, line, column)
    key = message_key(type_code, version_code)
    return urns.get(key, key)


def _date(value: Mapping[str, str], column: str, name: str, line: int) -> str | None:
    if not value[column]:
        return None
    try:
        return parse_date(value[column])
    except ValueError as exc:
        raise InputError(str(exc), name, line, column) from None


def write_location_messages(
    rows: Iterable[LocationMessage], path: Path, catalogue: Mapping[str, MessageDefinition]
) -> None:
    """Write the map with ``COLUMNS``; codes and format come from ``catalogue`` (keyed by URN)."""
    with open(path, "wb") as fh:
        fh.write(encode_csv_row(list(COLUMNS), DELIMITER, "utf-8-sig"))
        for row in rows:
            fh.write(encode_csv_row(_values(row, catalogue), DELIMITER, ENCODING))


def _values(row: LocationMessage, catalogue: Mapping[str, MessageDefinition]) -> list[str]:
    urn, type_code, version_code, fmt = row.message_urn, "", "", ""
    if definition := catalogue.get(urn):
        type_code, version_code, fmt = definition.type_code, definition.version_code, definition.format
    elif not urn.lower().startswith("urn:"):
        type_code, _, version_code = urn.partition(":")
        urn = ""
    return [row.gln, urn, type_code, version_code, fmt, row.from_date or "", row.to_date or ""]
