"""How ``sortui diff`` prints changes (text, JSON or CSV) and the summary an import or update prints."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from rich.text import Text

from sortui.cli.common import EXIT_OK, err, out
from sortui.domain.text import json_printable
from sortui.formats.sorcsv import spreadsheet_safe
from sortui.store.diff import Change, Summary, read_changes
from sortui.widgets.change_text import (
    TARGET_TITLES,
    change_title,
    field_line,
    institution_line,
    shown_fields,
    summary_lines,
)
from sortui.widgets.safe import clean

EXIT_CHANGES = 1  # as diff(1): 0 the same, 1 changes listed, 2 trouble
CSV_COLUMNS = ("target", "key", "detail", "change", "name", "field", "old", "new")


def print_changes(
    args: argparse.Namespace, conn: sqlite3.Connection, summary: Summary, header: list[Text], what: str
) -> int:
    counts = summary.counts
    changes = read_changes(conn)
    if args.json:
        _write_json(changes)
    elif args.csv:
        _write_csv(changes)
    else:
        for line in [*header, *summary_lines(summary, what)]:
            out.print(line)
        _write_text(changes, counts)
    for line in [] if not (args.json or args.csv) else summary_lines(summary, what):
        err.print(line)
    return EXIT_CHANGES if counts else EXIT_OK


def _write_text(changes: Iterator[Change], counts: dict[tuple[str, str], int]) -> None:
    """The changes by kind (a heading each) and institution (a line each), then each change and its fields."""
    current, place = None, None
    for change in changes:
        group = (change.target, change.change)
        if group != current:
            current, place = group, None
            title = f"{TARGET_TITLES[change.target]} {change.change} ({counts[group]:,})"
            out.print()
            out.print(Text(title, style="bold underline"))
        if change.target != "shak" and (place is None or change.institution != place[0]):
            place = (change.institution,)
            out.print(institution_line(change))
        out.print(change_title(change, "    "))
        for path, (old, new) in shown_fields(change).items():
            out.print(field_line(path, old, new, "        "))


def _write_json(changes: Iterable[Change]) -> None:
    write = sys.stdout.write
    write("[")
    for i, change in enumerate(changes):
        write(",\n" if i else "\n")
        write(json_printable(json.dumps(change.as_json(), ensure_ascii=False)))
    write("\n]\n")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet shows and never runs: control characters made visible, formulas quoted."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | bool) else str(value)
    return spreadsheet_safe(clean(text))


def _write_csv(changes: Iterable[Change]) -> None:
    writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        for path, (old, new) in change.fields.items():
            values = (change.target, change.key, change.detail, change.change, change.name, path, old, new)
            writer.writerow([csv_cell(v) for v in values])
