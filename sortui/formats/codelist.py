"""Code-list files: the names of the register's codes, one code a row.

The format (sortui's; the register's own classification files are not public): a CSV file with a
header row naming the columns ``list``, ``code`` and ``text`` (and optionally ``confirmed``: yes,
inferred or no), separated by ``;`` or ``,`` (as the header line has it), in UTF-8 (a byte order
mark is allowed) or, when the file is not UTF-8, Latin-1. ``list`` is a list id of
``domain.codelists.CODE_LISTS`` or its Danish name (``Systemleverandør``), in any case::

    list;code;text
    system_supplier;1001000055001;Systemhuset A/S
    EDB-system;221000045007;Praksissystem X

The shipped lists (``data/codelists/codes.csv``) are read by the same reader.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from sortui.domain.codelists import CODE_LISTS, CONFIRMATIONS, CodeEntry
from sortui.domain.errors import InputError
from sortui.domain.fielddef import unsafe_text
from sortui.formats.common import UTF8_BOM, decode_lines, read_csv_rows, require_columns

COLUMNS = ("list", "code", "text")
MAX_CODES = 100_000  # far more than the register's lists hold together; memory stays bounded
MAX_TEXT = 200
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
_LIST_NAMES = {**{name.casefold(): name for name in CODE_LISTS}, **{t.casefold(): n for n, t in CODE_LISTS.items()}}


def list_id(name: str) -> str | None:
    """The list id of ``name``: a list id or a list's Danish name, in any case."""
    return _LIST_NAMES.get(name.strip().casefold())


def encoding(path: Path, label: str) -> str:
    """UTF-8 when the file starts with its byte order mark or decodes as UTF-8 throughout, else Latin-1."""
    with open(path, "rb") as fh:
        if fh.read(len(UTF8_BOM)) == UTF8_BOM:
            return "utf-8"
    try:
        for _ in decode_lines(path, "utf-8", label):
            pass
    except InputError as exc:
        if "not valid utf-8" not in exc.message:
            raise
        return "latin-1"
    return "utf-8"


def _header(path: Path, enc: str, label: str) -> tuple[str, list[str]]:
    """The delimiter (``;``, a tab or ``,``: whichever the header line has) and the header's columns."""
    for _, text in decode_lines(path, enc, label):
        delimiter = ";" if ";" in text else "\t" if "\t" in text else ","
        return delimiter, [h.strip().casefold() for h in next(csv.reader([text], delimiter=delimiter), [])]
    raise InputError("file is empty (expected a header row: list;code;text)", label, 1)


def read_code_list(path: Path, label: str | None = None) -> Iterator[CodeEntry]:
    """Each row as a CodeEntry; a bad row names its line and column. A code given twice with two
    different names, an unknown list and more than ``MAX_CODES`` rows are refused."""
    name = label or str(path)
    enc = encoding(path, name)
    delimiter, header = _header(path, enc, name)
    require_columns(set(header), COLUMNS, name)
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for line, row in read_csv_rows(path, enc, delimiter, name):
        row = {k.casefold(): v.strip() for k, v in row.items()}
        entry = _entry(row, name, line)
        key = (entry.list, entry.code)
        if key in seen and seen[key][0] != entry.text:
            raise InputError(
                f"code {entry.code} of {entry.list} is named twice: {seen[key][0]!r} (line {seen[key][1]}) and {entry.text!r}",
                name,
                line,
                "text",
            )
        if len(seen) >= MAX_CODES and key not in seen:
            raise InputError(f"more than {MAX_CODES:,} codes: this is not a code list", name, line)
        seen[key] = (entry.text, line)
        yield entry


def _entry(row: dict[str, str], name: str, line: int) -> CodeEntry:
    for column in (*COLUMNS, "confirmed"):
        if problem := unsafe_text(column, row.get(column, "")):
            raise InputError(problem, name, line, column)
    lst = list_id(row["list"])
    if lst is None:
        known = ", ".join(CODE_LISTS)
        raise InputError(f"{row['list']!r} is not a code list sortui knows (lists: {known})", name, line, "list")
    code, text = row["code"], row["text"]
    if not CODE_RE.match(code):
        raise InputError(f"{code!r} is not a code (letters and digits, at most 40)", name, line, "code")
    if not text or len(text) > MAX_TEXT:
        raise InputError(f"a code's name has 1-{MAX_TEXT} characters, not {len(text)}", name, line, "text")
    confirmed = row.get("confirmed") or "yes"
    if confirmed not in CONFIRMATIONS:
        raise InputError(f"confirmed is one of {', '.join(CONFIRMATIONS)}, not {confirmed!r}", name, line, "confirmed")
    return CodeEntry(lst, code, text, confirmed, line)
