"""Helpers shared by the readers: opening text files with a known encoding, CSV with line numbers."""

from __future__ import annotations

import csv
import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class CsvPart:
    """The lines of a CSV file from byte ``start`` (where line ``first_line`` begins) up to byte ``end``
    (None: the end of the file); see ``split_csv``."""

    start: int
    end: int | None
    first_line: int


class ReadPosition:
    """How far a reader is in its file, for progress: ``bytes_read`` of ``total_bytes``."""

    def __init__(self, path: Path, part: CsvPart | None = None):
        self.total_bytes = Path(path).stat().st_size
        self.bytes_read = part.start if part else 0


def decode_lines(
    path: Path,
    encoding: str,
    label: str | None = None,
    part: CsvPart | None = None,
    position: ReadPosition | None = None,
) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end) for each line (of ``part`` only, if given); a BOM before
    the first is dropped. ``position`` follows the bytes read.

    A wrongly encoded line, a line longer than ``MAX_LINE_BYTES`` and a carriage return that does
    not end its line (lines ending in CR alone, say) are InputErrors naming the line.
    """
    name = label or str(path)
    start, end, first = (part.start, part.end, part.first_line) if part else (0, None, 1)
    with open(path, "rb") as fh:
        fh.seek(start)
        done = start
        for number, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), start=first):
            if end is not None and done >= end:
                return
            done += len(raw)
            if position is not None:
                position.bytes_read = done
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
    path: Path,
    encoding: str,
    delimiter: str = ";",
    label: str | None = None,
    part: CsvPart | None = None,
    position: ReadPosition | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number where the row starts, row by header name) for a CSV file with a header row (of the
    rows of ``part`` only, if given; the header is the file's first line).

    The file is decoded line by line so an encoding error names its line; csv handles quoting
    (strictly: a quote that is never closed is an error, reported on the line where it opened).
    A row with the wrong number of columns is an InputError naming the line where it starts.
    """
    name = label or str(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    skip = part.first_line - 1 if part and part.start else 0  # the lines before the part
    header_lines = decode_lines(path, encoding, name) if skip else None
    lines = (text + "\n" for _, text in decode_lines(path, encoding, name, part, position))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = (
            next(csv.reader((t + "\n" for _, t in header_lines), delimiter=delimiter)) if header_lines else next(reader)
        )
    except StopIteration:
        raise InputError("file is empty (expected a header row)", name, 1) from None
    except csv.Error as exc:
        raise InputError(_csv_problem(exc, 1, reader.line_num), name, 1) from None
    header = [h.strip() for h in header]
    while True:
        start = skip + reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(_csv_problem(exc, start, skip + reader.line_num), name, start) from None
        if not values or values == [""]:
            continue
        if len(values) != len(header):
            end = skip + reader.line_num
            rows = f" (a quoted value runs on to line {end})" if end > start else ""
            raise InputError(f"row has {len(values)} columns, the header has {len(header)}{rows}", name, start)
        yield start, dict(zip(header, values, strict=True))


def split_csv(path: Path, fraction: float) -> tuple[CsvPart, CsvPart] | None:
    """Two parts of a CSV file with a header row, cut at the first line end after ``fraction`` of it
    that is outside quotes (by the count of quote characters before it, which is right for any
    well-formed file). Reading the first part ends with an error when the cut is not where a row
    ends after all (a malformed file), so a caller that reads the parts must fall back to reading
    the whole file on any error. None when there is no such line end."""
    size = Path(path).stat().st_size
    target = int(size * fraction)
    quotes = lines = 0
    with open(path, "rb") as fh:
        while fh.tell() < target:
            chunk = fh.read(min(1 << 20, target - fh.tell()))
            if not chunk:
                return None
            quotes += chunk.count(b'"')
            lines += chunk.count(b"\n")
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            quotes += raw.count(b'"')
            lines += raw.count(b"\n")
            if raw.endswith(b"\n") and quotes % 2 == 0 and lines > 1:
                cut = fh.tell()
                return (CsvPart(0, cut, 1), CsvPart(cut, None, lines + 1)) if cut < size else None
    return None


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
