"""Batch edit files: the lines of ``sortui set --from FILE`` and ``sortui edi add|remove --from-file FILE``.

Two shapes, told apart by content: CSV with a header row (comma- or semicolon-separated, UTF-8,
the header naming the columns), or JSON lines (one object per line, the same names as keys). For
``set`` the columns are ``key`` (a SOR-kode or a lokationsnummer), ``field`` and ``value`` (empty
clears the field); for ``edi`` they are ``gln`` and ``message``, with ``from`` and ``to`` (the
validity of an added message type) optional. Lines are streamed with their numbers; anything
malformed is an ``InputError`` naming the file, line and column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sortui.domain.errors import InputError
from sortui.formats.common import decode_lines, read_csv_rows, sniff_text

SET_COLUMNS = ("key", "field", "value")
EDI_COLUMNS = ("gln", "message", "from", "to")
_MAY_BE_EMPTY = frozenset({"value", "from", "to"})
_OPTIONAL = frozenset({"from", "to"})  # columns a file may leave out


@dataclass(frozen=True, slots=True)
class SetLine:
    line: int
    key: str
    field: str
    value: str  # as typed: '' clears the field, flags take ja/nej


@dataclass(frozen=True, slots=True)
class EdiLine:
    line: int
    gln: str
    message: str
    from_date: str | None
    to_date: str | None


def read_set_lines(path: Path) -> Iterator[SetLine]:
    """The edits of a ``set`` batch file, in file order."""
    for line, row in _rows(path, SET_COLUMNS):
        yield SetLine(line, row["key"], row["field"], row.get("value") or "")


def read_edi_lines(path: Path) -> Iterator[EdiLine]:
    """The message types of an ``edi`` batch file, in file order."""
    for line, row in _rows(path, EDI_COLUMNS):
        yield EdiLine(line, row["gln"], row["message"], row.get("from") or None, row.get("to") or None)


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    rows = _json_rows(path, columns) if _is_json_lines(path) else _csv_rows(path, columns)
    for line, row in rows:
        for name in columns:
            if name not in _MAY_BE_EMPTY and not row.get(name, "").strip():
                raise InputError(f"{name} is empty", str(path), line, name)
        yield line, {name: value.strip() if name != "value" else value for name, value in row.items()}


def _is_json_lines(path: Path) -> bool:
    return sniff_text(path).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    first = next(decode_lines(path, "utf-8"), (1, ""))[1]
    delimiter = ";" if ";" in first and "," not in first else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    _check_names({name.strip() for name in header}, columns, str(path), 1)
    yield from read_csv_rows(path, "utf-8", delimiter)


def _json_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    for line, text in decode_lines(path, "utf-8"):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", str(path), line) from None
        if not isinstance(obj, dict):
            raise InputError("expected a JSON object on each line", str(path), line)
        _check_names(set(obj), columns, str(path), line)
        yield line, {name: _as_text(value, str(path), line, name) for name, value in obj.items()}


def _check_names(names: set[str], columns: tuple[str, ...], file: str, line: int) -> None:
    unknown = sorted(names - set(columns))
    missing = [c for c in columns if c not in names and c not in _OPTIONAL]
    if unknown or missing:
        wrong = ", ".join([*(f"unknown {n!r}" for n in unknown), *(f"missing {n!r}" for n in missing)])
        raise InputError(f"expected the columns {', '.join(columns)} ({wrong})", file, line)


def _as_text(value: object, file: str, line: int, name: str) -> str:
    """A JSON value as the text a user would type: null clears, true/false are ja/nej, a list of
    specialities is space-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    raise InputError(f"a {type(value).__name__} is not a value sortui can set", file, line, name)
