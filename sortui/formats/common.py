"""Helpers shared by the readers: opening text files with a known encoding, CSV with line numbers."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

from sortui.domain.errors import InputError

CSV_FIELD_LIMIT = 100_000  # no register field comes near this; guards against runaway quoting


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def decode_lines(path: Path, encoding: str, label: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text without newline) for each line; a wrongly encoded line is an InputError."""
    name = label or str(path)
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding} at byte {exc.start} of the line", name, number) from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield number, text.rstrip("\r\n")


def read_csv_rows(
    path: Path, encoding: str, delimiter: str = ";", label: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by header name) for a CSV file with a header row.

    The whole file is decoded first in a streaming fashion so an encoding error
    names its line; csv handles quoting. A row with the wrong number of columns
    is an InputError naming the line.
    """
    name = label or str(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    lines = (text + "\n" for _, text in decode_lines(path, encoding, name))
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("file is empty (expected a header row)", name, 1) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", name, 1) from None
    header = [h.strip() for h in header]
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", name, reader.line_num) from None
        if not values or values == [""]:
            continue
        if len(values) != len(header):
            raise InputError(f"row has {len(values)} columns, the header has {len(header)}", name, reader.line_num)
        yield reader.line_num, dict(zip(header, values, strict=True))


def require_columns(header: set[str], needed: tuple[str, ...], name: str) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", name, 1)


def sniff_text(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file, for format detection."""
    with open(path, "rb") as fh:
        return fh.read(size)


def as_text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding)
