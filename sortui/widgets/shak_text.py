"""The SHAK navigator's text: tree lines, the detail panel, the history view, check findings (no Textual here).

Everything from the working copy goes through ``clean`` into ``rich.text.Text``, never markup.
"""

from __future__ import annotations

from rich.text import Text

from sortui.domain.codelists import UNKNOWN, CodeName, code_words
from sortui.domain.words import plural
from sortui.store.queries import Node, ShakEntry, ShakHistoryRow, ShakRegionRow
from sortui.store.shak_checks import CHECKS, Finding
from sortui.widgets.safe import clean, safe_text
from sortui.widgets.shak_data import ShakDetails, ShakItem
from sortui.widgets.text_sections import Row, append_section, append_title

LEVEL_NAMES = {"sgh": "Sygehus", "afd": "Afdeling", "afsnit": "Afsnit"}
LABEL_WIDTH = 16
PERIOD_WIDTH = 22  # the column of a version's dates in the history
NO_SHAK = (
    "The working copy has no SHAK-koder.\n\n"
    "Import the SHAK files published by SDS (sor_produktion/data/shak/) with I (Import a file):\n"
    "SHAKCOMPLETE.TXT, then SHAKregion.txt (region, ownership, institution type). In a shell:\n"
    "  sortui import SHAKCOMPLETE.TXT\n"
    "  sortui import SHAKregion.txt\n\n"
    "then start sortui again. This pane (s) lists them."
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
        return "no code of its own"
    if entry.valid_to and entry.valid_to < on:
        return f"closed {entry.valid_to}"
    if entry.valid_from > on:
        return f"valid from {entry.valid_from}"
    return f"not valid on {on}"


def region_words(code: str | None, name: str | None) -> str | None:
    if not code:
        return None
    return code_words(code, CodeName(name) if name else None)


def hospital_facts(entry: ShakEntry) -> list[str]:
    """Region, ownership and institution type of a hospital code, where known, for a tree line: each by
    its name, or by its code and "unknown code" where the lists have none (the detail panel says both)."""
    facts = [
        entry.region_name or (f"region {entry.region_code}" if entry.region_code else None),
        _named(entry.ownership, entry.ownership_name, "ejerforhold"),
        _named(entry.institution_type, entry.institution_type_name, "instart"),
    ]
    return [clean(f) for f in facts if f]


def _named(code: str | None, name: CodeName | None, label: str) -> str | None:
    if not code:
        return None
    return name.text if name else f"{label} {code} ({UNKNOWN})"


def entry_label(entry: ShakEntry, on: str) -> Text:
    """A tree line: code, text, child count, validity, SOR units; region, ownership, institution type."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append(clean(entry.code), style="bold")
    label.append(f"  {clean(entry.text)}" if entry.text else "")
    if entry.children:
        label.append(f" ({entry.children:,})", style="dim")
    if entry.valid_from:
        label.append(f"  {period(entry.valid_from, entry.valid_to)}", style="dim")
    if entry.units:  # before the facts, which a narrow pane cuts: enter on the code jumps to these
        label.append(f"  SOR {entry.units}")
    facts = hospital_facts(entry) if entry.level == "sgh" else []
    if facts:
        label.append(f"  {' · '.join(facts)}", style="dim")
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
    """The detail panel for a SHAK-kode (the SOR units are listed below it, to choose from)."""
    t = _heading(d)
    entry = d.entry
    if entry is None or not d.history:
        t.append("No version of its own: a prefix of older codes only\n", style="dim")
    else:
        note = validity_note(entry, on)
        if note:
            t.append(f"Not valid on {on}: {note}\n", style="bold reverse")
        _line(t, "Gyldig", period(entry.valid_from, entry.valid_to) or None)
        if entry.level == "sgh":
            _line(t, "Region", region_words(entry.region_code, entry.region_name))
            _line(t, "Ejerforhold", code_words(entry.ownership, entry.ownership_name) or None)
            _line(t, "Institutionsart", code_words(entry.institution_type, entry.institution_type_name) or None)
        _versions(t, d.history)
    if len(d.units) == 1:
        t.append("1 unit carries this code: enter on the code jumps to it\n", style="bold")
    elif d.units:
        t.append(f"{plural(len(d.units), 'unit')} carry this code: enter on the code lists them\n", style="bold")
    else:
        t.append("No unit carries this code\n", style="dim")
    t.rstrip()
    return safe_text(t)


def _versions(t: Text, history: list[ShakHistoryRow]) -> None:
    t.append(f"Versions ({len(history)})", style="bold")
    t.append("  v: history\n" if len(history) > 1 else "\n", style="dim")
    for row in reversed(history[-5:]):
        t.append(f"  {period(row.valid_from, row.valid_to):<22}", style="dim")
        t.append(f"{clean(row.text)}\n")
    if len(history) > 5:
        t.append(f"  … {len(history) - 5} older\n", style="dim")


def unit_label(node: Node, on: str) -> Text:
    """A SOR unit carrying the code: name, kind, SOR-kode, validity."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(clean(node.name))
    t.append(f"  {node.kind} {node.sor_id}", style="dim")
    closed = node.to_date and node.to_date < on
    future = node.from_date and node.from_date > on
    if closed or future:
        t.append(f"  ({'closed ' + str(node.to_date) if closed else 'valid from ' + str(node.from_date)})")
        t.stylize("dim")
    return t


def history_text(d: ShakDetails) -> Text:
    """The history view: every version with its dates and texts, and SHAKregion's lines for a hospital."""
    t = _heading(d)
    versions = [Row(period(row.valid_from, row.valid_to), row.text, _version_note(row)) for row in d.history]
    append_section(t, f"Versions in the SHAK file ({len(d.history)})", versions, PERIOD_WIDTH)
    if d.region:
        append_section(t, f"SHAKregion.txt ({len(d.region)})", [_region_row(reg) for reg in d.region], PERIOD_WIDTH)
    if d.units:
        append_title(t, f"Units with this code ({len(d.units)})")
        for node in d.units:
            t.append(f"{node.sor_id}  {clean(node.name)}  {period(node.from_date, node.to_date)}\n")
    return safe_text(t)


def _version_note(row: ShakHistoryRow) -> str | None:
    """When the version changed, its groups and operation code (None: nothing known)."""
    extra = [f"changed {row.changed}" if row.changed else "", _groups(row), f"op {row.op_code}" if row.op_code else ""]
    return "  ".join(e for e in extra if e) or None


def _groups(row: ShakHistoryRow) -> str:
    return "  ".join(f"{name} {value}" for name, value in (("AGrp", row.grp_a), ("BGrp", row.grp_b)) if value)


def _region_row(reg: ShakRegionRow) -> Row:
    facts = [
        region_words(reg.region_code, reg.region_name),
        code_words(reg.ownership, reg.ownership_name),
        code_words(reg.institution_type, reg.institution_type_name),
        reg.sor_id,
    ]
    labels = ("region", "ejerforhold", "instart", "SOR-kode")
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
