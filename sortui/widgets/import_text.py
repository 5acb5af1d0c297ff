"""What an import did, as lines of text: ``sortui import``/``update`` print them, the app shows them.

Every line goes through ``printable`` (file names and warnings are data), and into ``rich.text.Text``.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from sortui.domain.text import printable
from sortui.store.importer import ImportReport, Replaced
from sortui.widgets.change_text import summary_lines

_REPLACED_NOUNS = {
    "sor": "units",
    "shak": "SHAK-koder",
    "shak-region": "SHAK hospitals",
    "edi": "message types on lokationsnumre",
}


def _line(text: str, style: str = "") -> Text:
    return Text(printable(text), style=style)


def report_lines(report: ImportReport) -> list[Text]:
    """The rows read (and warnings) of each file, the pending edits applied again, what was replaced,
    and how many records changed."""
    lines = []
    for f in report.files:
        lines.append(_line(f"imported {f.rows} rows ({f.kind}) from {f.path}"))
        lines += [_line(str(w), "yellow") for w in f.warnings]
        if f.warning_count > len(f.warnings):
            lines.append(_line(f"... and {f.warning_count - len(f.warnings)} more warnings", "yellow"))
    notes = report.notes
    if notes.reapplied or notes.orphaned:
        orphaned = f"; {notes.orphaned} refer to units no longer there" if notes.orphaned else ""
        lines.append(_line(f"pending edits applied again on the new data: {notes.reapplied}{orphaned}"))
    lines += [_line(describe_replaced(r)) for r in report.replaced]
    return lines + summary_lines(report.changes)


def describe_replaced(replaced: Replaced) -> str:
    """``replaced 10 units (snapshot 2010-01-26 from ONE_SYGEHUS.xml, …) with 3``."""
    names = [Path(s).name for s in replaced.sources]
    source = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    of = f"snapshot {replaced.snapshot_date} " if replaced.snapshot_date else ""
    where = f" ({of}from {source})" if source else ""
    return (
        f"replaced {replaced.before} {_REPLACED_NOUNS.get(replaced.kind, replaced.kind)}{where} with {replaced.after}"
    )
