"""Helpers shared by the readers: opening text files with a known encoding, CSV with line numbers."""

from __future__ import annotations

import csv
import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from sortui.domain.errors import InputError

# What reading a damaged zip raises besides OSError (zlib.error: data that does not decompress;
# NotImplementedError: a compression method zipfile lacks; RuntimeError: an encrypted member).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
CSV_FIELD_LIMIT = 100_000  # no register field comes near this; guards against runaway quoting


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


UTF8_BOM = b"\xef\xbb\xbf"
BARE_CR = (
    "a carriage return (CR) without a line feed: sortui reads lines that end in LF or CRLF"
    " (convert a file whose lines end in CR alone)"
)
MAX_LINE_BYTES = 1 << 20  # no line of a register file comes near this; memory stays bounded whatever a file holds


def encoding_of(path: Path, default: str) -> str:
    """UTF-8 when the file starts with a UTF-8 byte order mark (what Excel writes for "CSV UTF-8"),
    else ``default``."""
    with open(path, "rb") as fh:
        return "utf-8" if fh.read(len(UTF8_BOM)) == UTF8_BOM else default


def decode_lines(path: Path, encoding: str, label: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end) for each line; a BOM before the first is dropped.

    A wrongly encoded line, a line longer than ``MAX_LINE_BYTES`` and a carriage return that does
    not end its line (lines ending in CR alone, say) are InputErrors naming the line.
    """
    name = label or str(path)
    with open(path, "rb") as fh:
        for number, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"line is longer than {MAX_LINE_BYTES} bytes", name, number)
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding} at byte {exc.start} of the line", name, number) from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            text = text.removesuffix("\n").removesuffix("\r") if text.endswith("\n") else text
            if "\r" in text:
                raise InputError(BARE_CR, name, number)
            yield number, text


def read_csv_rows(
    path: Path, encoding: str, delimiter: str = ";", label: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number where the row starts, row by header name) for a CSV file with a header row.

    The file is decoded line by line so an encoding error names its line; csv handles quoting
    (strictly: a quote that is never closed is an error, reported on the line where it opened).
    A row with the wrong number of columns is an InputError naming the line where it starts.
    """
    name = label or str(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    lines = (text + "\n" for _, text in decode_lines(path, encoding, name))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("file is empty (expected a header row)", name, 1) from None
    except csv.Error as exc:
        raise InputError(_csv_problem(exc, 1, reader.line_num), name, 1) from None
    header = [h.strip() for h in header]
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(_csv_problem(exc, start, reader.line_num), name, start) from None
        if not values or values == [""]:
            continue
        if len(values) != len(header):
            rows = f" (a quoted value runs on to line {reader.line_num})" if reader.line_num > start else ""
            raise InputError(f"row has {len(values)} columns, the header has {len(header)}{rows}", name, start)
        yield start, dict(zip(header, values, strict=True))


def _csv_problem(exc: csv.Error, start: int, end: int) -> str:
    """What is wrong with the CSV record that starts on line ``start`` (and was read up to ``end``)."""
    if "unexpected end of data" in str(exc):
        return "a quote opened in this row is never closed"
    runs = f" (the row starts here; a quoted value runs on to line {end})" if end > start else ""
    return f"malformed CSV: {exc}{runs}"


def require_columns(header: set[str], needed: tuple[str, ...], name: str) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", name, 1)


def sniff_text(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file, for format detection."""
    with open(path, "rb") as fh:
        return fh.read(size)
