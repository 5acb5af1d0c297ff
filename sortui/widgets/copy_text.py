"""What the copy keys put on the clipboard: a row or a detail panel as plain text (no Textual here).

Every character is printable (``domain.text.printable``: an escape sequence in a name arrives as
``␛[31m``, never as an escape). A row starts with the unit's kind, never with its name, so a name
that starts with ``=`` or ``+`` pasted into a spreadsheet stays text, not a formula.
"""

from __future__ import annotations

from rich.text import Text

from sortui.domain.text import printable
from sortui.store.search import Hit
from sortui.widgets.hit_line import hit_line
from sortui.widgets.org_tree import validity_note
from sortui.widgets.treedata import Item

WHOLE = 10_000  # a hit's line as wide as it needs: nothing cut


def tree_row_text(item: Item, on: str) -> str:
    """``SI  Roskilde Øjenklinik  SOR-kode 347811000016004  SHAK 2529  lok 5790000170296`` (and
    ``(closed 2020-12-31)`` when it is not valid on ``on``); a group or paging row: its title."""
    node = item.node
    if node is None:
        return printable(item.title)
    parts = [node.kind, node.name, f"SOR-kode {node.sor_id}"]
    if node.shak_code:
        parts.append(f"SHAK {node.shak_code}")
    if node.own_gln:
        parts.append(f"lok {node.own_gln}")
    note = validity_note(node, on)
    if note:
        parts.append(f"({note})")
    return printable("  ".join(parts))


def hit_text(hit: Hit) -> str:
    """A search hit's line, whole, with its SOR-kode when the line does not show it."""
    line = hit_line(hit, WHOLE).plain
    return printable(line if hit.sor_id in line else f"{line}  SOR-kode {hit.sor_id}")


def panel_text(text: Text) -> str:
    """A detail panel as it reads: its lines, without the styles, trailing blanks dropped."""
    lines = printable(text.plain, keep_newlines=True).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
