"""How a change between two snapshots reads (``store.diff.Change``): for ``sortui diff`` and "What changed";
and the summary of an import's changes (``summary_lines``), which the CLI and the app print after one.

Every value is data from the register: it goes through ``safe.clean`` and into ``rich.text.Text``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from sortui.store.diff import CHANGE_KINDS, TARGETS, Change, Summary
from sortui.widgets.safe import clean

TARGET_TITLES = {"entity": "Units", "location": "Location numbers", "message": "Message types", "shak": "SHAK codes"}
GROUP_TITLES = {"sor": "the SOR tree", "edi": "message types", "shak": "SHAK codes"}
# Of an added or removed record only these are shown as text (JSON and CSV carry every field).
_IDENTITY = {
    "entity": ("kind", "parent_sor_id"),
    "location": ("location.owner_sor_id",),
    "shak": ("text", "valid_to"),
}


def show_value(value: Any) -> str:
    """A field's value as text: – for none, ja/nej for a flag, a list comma-separated."""
    if value is None or value == []:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    return clean(str(value))


def change_title(change: Change, indent: str = "  ") -> Text:
    """The record a change is about: its key, the message type or SHAK version, and its name."""
    line = Text(f"{indent}{clean(change.key)}")
    if change.detail:
        line.append(f"  {clean(change.detail)}")
    if change.name:
        line.append(f"  {clean(change.name)}", style="bold")
    return line


def shown_fields(change: Change) -> dict[str, list[Any]]:
    """The fields a change shows as text: all, but of an added or removed record those that say what it is."""
    if change.change in ("added", "removed") and change.target in _IDENTITY:
        return {p: v for p, v in change.fields.items() if p in _IDENTITY[change.target]}
    return change.fields


def field_line(path: str, old: Any, new: Any, indent: str = "      ") -> Text:
    """``path: old → new``."""
    return Text.assemble(f"{indent}{clean(path)}: ", show_value(old), (" → ", "bold"), show_value(new))


def institution_line(change: Change, indent: str = "  ") -> Text:
    """The institution (SI, or the owner) a change stands under, by name and SOR id."""
    if change.institution is None:
        return Text(f"{indent}(no institution)", style="dim")
    name = clean(change.institution_name or "")
    return Text.assemble((f"{indent}{name}", "italic"), (f"  {change.institution}", "dim"))


def summary_lines(summary: Summary, what: str = "import") -> list[Text]:
    """One line a kind of record with its numbers of changes, and the kinds of data not compared."""
    counts = summary.counts
    lines = []
    for target in TARGETS:
        parts = [f"{counts[target, kind]:,} {kind}" for kind in CHANGE_KINDS if counts.get((target, kind))]
        if parts:
            lines.append(Text(f"{TARGET_TITLES[target]}: {', '.join(parts)}"))
    if not counts and summary.compared:
        compared = ", ".join(GROUP_TITLES[g] for g in summary.compared)
        lines.append(Text(f"No changes ({compared} compared)"))
    for group, rows in summary.only_new.items():
        if what == "import":
            lines.append(
                Text(f"{GROUP_TITLES[group]}: {rows:,} rows loaded for the first time (not listed as changes)")
            )
        else:
            lines.append(Text(f"{GROUP_TITLES[group]}: only in NEW ({rows:,} rows), not compared", style="yellow"))
    for group, rows in summary.only_old.items():
        lines.append(Text(f"{GROUP_TITLES[group]}: only in OLD ({rows:,} rows), not compared", style="yellow"))
    return lines
