"""MedCom's message definitions (message-definitions.csv shape): the catalogue of message types."""

from __future__ import annotations

from pathlib import Path

from sortui.domain.errors import InputError
from sortui.domain.fielddef import unsafe_text
from sortui.domain.model import MessageDefinition
from sortui.formats.common import read_csv_rows, require_columns

COLUMNS = ("urn", "format", "group", "type_code", "version_code", "title")
FORMATS = ("EDIFACT", "OIOXML", "FHIR", "ENVELOPE")


def read_message_definitions(path: Path, label: str | None = None) -> list[MessageDefinition]:
    name = label or str(path)
    out: list[MessageDefinition] = []
    seen: set[str] = set()
    for line, row in read_csv_rows(path, "utf-8", delimiter=",", label=name):
        if not out:
            require_columns(set(row), COLUMNS, name)
        for column in COLUMNS:
            if problem := unsafe_text(column, row[column]):
                raise InputError(problem, name, line, column)
        urn = row["urn"].strip()
        if not urn.startswith("urn:"):
            raise InputError(f"not a URN: {urn!r}", name, line, "urn")
        if row["format"] not in FORMATS:
            raise InputError(
                f"unknown format {row['format']!r} (expected one of {', '.join(FORMATS)})", name, line, "format"
            )
        if urn in seen:
            raise InputError(f"duplicate message definition {urn}", name, line, "urn")
        seen.add(urn)
        out.append(
            MessageDefinition(urn, row["format"], row["group"], row["type_code"], row["version_code"], row["title"])
        )
    return out
