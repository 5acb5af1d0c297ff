"""The SHAK navigator's text: tree lines, the detail panel, the history view, check findings (no Textual here).

Everything from the working copy goes through ``clean`` into ``rich.text.Text``, never markup.
"""

from __future__ import annotations

from rich.text import Text

from sortui.store.queries import Node, ShakEntry, ShakHistoryRow, ShakRegionRow
from sortui.store.shak_checks import CHECKS, Finding
from sortui.widgets.safe import clean, safe_text
from sortui.widgets.shak_data import ShakDetails, ShakItem
from sortui.widgets.text_sections import Row, append_section, append_title

LEVEL_NAMES = {"sgh": "Sygehus", "afd": "Afdeling", "afsnit": "Afsnit"}
OWNERSHIP = {"1": "offentlig", "2": "privat", "3": "øvrige"}  # SHAKregion C_SGHTYPE, SHAK file BGrp
LABEL_WIDTH = 16
PERIOD_WIDTH = 22  # the column of a version's dates in the history
NO_SHAK = (
    "The working copy has no SHAK codes.\n\n"
    "Import the SHAK files published by SDS (sor_produktion/data/shak/):\n"
    "  sortui import SHAKCOMPLETE.TXT\n"
    "  sortui import SHAKregion.txt    (region, ownership, institution type)\n\n"
    "Then start sortui again: this pane (s) lists them."
)


def period(valid_from: str | None, valid_to: str | None) -> str:
    """``2009-08-01–`` (open) or ``1976-04-01–1978-12-31``."""
    if valid_from is None:
        return ""
    return f"{valid_from}–{valid_to or ''}"


def validity_note(entry: ShakEntry, on: str) -> str | None:
    """Why ``entry`` is not valid on ``on`` (None when it is)."""
    if entry.valid:
        return None
    if entry.valid_from is None:
        return "ingen egen kode"
    if entry.valid_to and entry.valid_to < on:
        return f"lukket {entry.valid_to}"
    if entry.valid_from > on:
        return f"gyldig fra {entry.valid_from}"
    return f"ikke gyldig {on}"


def ownership_name(code: str | None) -> str | None:
    if not code:
        return None
    return OWNERSHIP.get(code, f"ejerforhold {code}")


def hospital_facts(entry: ShakEntry) -> list[str]:
    """Region, ownership and institution type of a hospital code, where known."""
    facts = [entry.region_name or (f"region {entry.region_code}" if entry.region_code else None)]
    facts += [ownership_name(entry.ownership), f"instart {entry.institution_type}" if entry.institution_type else None]
    return [clean(f) for f in facts if f]


def entry_label(entry: ShakEntry, on: str) -> Text:
    """A tree line: code, text, child count, validity; region, ownership, institution type; SOR units."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append(clean(entry.code), style="bold")
    label.append(f"  {clean(entry.text)}" if entry.text else "")
    if entry.children:
        label.append(f" ({entry.children:,})", style="dim")
    if entry.valid_from:
        label.append(f"  {period(entry.valid_from, entry.valid_to)}", style="dim")
    facts = hospital_facts(entry) if entry.level == "sgh" else []
    if facts:
        label.append(f"  {' · '.join(facts)}", style="dim")
    if entry.units:
        label.append(f"  SOR {entry.units}")
    note = validity_note(entry, on)
    if note:
        label.append(f"  ({note})")
        label.stylize("dim")
    return label


def item_label(item: ShakItem, on: str) -> Text:
    if item.entry is not None:
        return entry_label(item.entry, on)
    return Text(item.title, style="italic dim")


def _line(t: Text, label: str, value: str | None, style: str = "") -> None:
    if not value:
        return
    t.append(f"{label:<{LABEL_WIDTH}}", style="bold")
    t.append(f"{clean(value)}\n", style=style)


def _heading(d: ShakDetails) -> Text:
    t = Text()
    entry = d.entry
    t.append(clean(d.code), style="bold")
    if entry and entry.text:
        t.append(f"  {clean(entry.text)}", style="bold")
    t.append("\n")
    level = LEVEL_NAMES.get(entry.level if entry else "", "")
    path = " › ".join(f"{p.code} {clean(p.text)}".rstrip() for p in d.path)
    t.append(f"{level}{' under ' + path if path else ''}\n", style="dim")
    return t


def details_text(d: ShakDetails, on: str) -> Text:
    """The detail panel for a SHAK code (the SOR units are listed below it, to choose from)."""
    t = _heading(d)
    entry = d.entry
    if entry is None or not d.history:
        t.append("No version of its own: a prefix of older codes only\n", style="dim")
    else:
        note = validity_note(entry, on)
        if note:
            t.append(f"Ikke gyldig {on}: {note}\n", style="bold reverse")
        _line(t, "Gyldig", period(entry.valid_from, entry.valid_to) or None)
        if entry.level == "sgh":
            _line(t, "Region", entry.region_name or entry.region_code)
            _line(t, "Ejerforhold", ownership_name(entry.ownership))
            _line(t, "Institutionsart", entry.institution_type)
        _versions(t, d.history)
    if d.units:
        t.append(f"SOR-enheder ({len(d.units)}): enter jumps to the unit\n", style="bold")
    else:
        t.append("No SOR unit carries this code\n", style="dim")
    t.rstrip()
    return safe_text(t)


def _versions(t: Text, history: list[ShakHistoryRow]) -> None:
    t.append(f"Versioner ({len(history)})", style="bold")
    t.append("  v: history\n" if len(history) > 1 else "\n", style="dim")
    for row in reversed(history[-5:]):
        t.append(f"  {period(row.valid_from, row.valid_to):<22}", style="dim")
        t.append(f"{clean(row.text)}\n")
    if len(history) > 5:
        t.append(f"  … {len(history) - 5} older\n", style="dim")


def unit_label(node: Node, on: str) -> Text:
    """A SOR unit carrying the code: name, kind, SOR id, validity."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(clean(node.name))
    t.append(f"  {node.kind} {node.sor_id}", style="dim")
    closed = node.to_date and node.to_date < on
    future = node.from_date and node.from_date > on
    if closed or future:
        t.append(f"  ({'lukket ' + str(node.to_date) if closed else 'gyldig fra ' + str(node.from_date)})")
        t.stylize("dim")
    return t


def history_text(d: ShakDetails) -> Text:
    """The history view: every version with its dates and texts, and SHAKregion's lines for a hospital."""
    t = _heading(d)
    versions = [Row(period(row.valid_from, row.valid_to), row.text, _version_note(row)) for row in d.history]
    append_section(t, f"Versioner i SHAK-filen ({len(d.history)})", versions, PERIOD_WIDTH)
    if d.region:
        append_section(t, f"SHAKregion.txt ({len(d.region)})", [_region_row(reg) for reg in d.region], PERIOD_WIDTH)
    if d.units:
        append_title(t, f"SOR-enheder ({len(d.units)})")
        for node in d.units:
            t.append(f"{node.sor_id}  {clean(node.name)}  {period(node.from_date, node.to_date)}\n")
    return safe_text(t)


def _version_note(row: ShakHistoryRow) -> str | None:
    """When the version changed, its groups and operation code (None: nothing known)."""
    extra = [f"ændret {row.changed}" if row.changed else "", _groups(row), f"op {row.op_code}" if row.op_code else ""]
    return "  ".join(e for e in extra if e) or None


def _groups(row: ShakHistoryRow) -> str:
    return "  ".join(f"{name} {value}" for name, value in (("AGrp", row.grp_a), ("BGrp", row.grp_b)) if value)


def _region_row(reg: ShakRegionRow) -> Row:
    facts = [reg.region_name or reg.region_code, ownership_name(reg.ownership), reg.institution_type, reg.sor_id]
    labels = ("region", "ejerforhold", "instart", "SOR id")
    shown = [f"{label} {value}" for label, value in zip(labels, facts, strict=True) if value]
    return Row(period(reg.valid_from, reg.valid_to), reg.name, "  ".join(shown))


def check_group_label(check: str, count: int) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{check} ({count:,})", style="bold" if count else "dim")
    t.append(f"  {CHECKS[check]}", style="dim")
    return t


def finding_label(finding: Finding) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(clean(finding.shak_code), style="bold")
    if finding.name:
        t.append(f"  {clean(finding.name)}")
    if finding.sor_id:
        t.append(f"  {finding.sor_id}", style="dim")
    if finding.detail:
        t.append(f"  {clean(finding.detail)}", style="dim")
    return t
