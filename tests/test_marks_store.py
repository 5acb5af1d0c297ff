"""The store's side of marks (issue 18): exporting a chosen set of units, a review of given units."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from lxml import etree
from test_schema import assert_valid, schema  # noqa: F401  (the schema fixture)

from sortui.store import db, edits, review
from sortui.store.export import Exported, Selection, export, export_units

ROSKILDE_IE = "347801000016001"
ROSKILDE_SI = "347811000016004"
ROSKILDE_AFD = "347821000016008"
ROSKILDE_AFSNIT = "347831000016005"
APOTEK = "306011000016003"
APOTEK_SI = "306021000016007"


@pytest.fixture
def conn(sor_wc: Path):  # type: ignore[no-untyped-def]
    connection = db.connect(sor_wc)
    yield connection
    connection.close()


def json_ids(path: Path) -> list[str]:
    return [u["sor_id"] for u in json.loads(path.read_text(encoding="utf-8"))]


def test_exactly_the_chosen_units_in_tree_order(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "marked.json"
    chosen = Selection((APOTEK_SI, ROSKILDE_AFSNIT, "999999999999999"))  # one not in the working copy
    assert export_units(conn, "json", out, chosen) == Exported(2)
    assert json_ids(out) == [ROSKILDE_AFSNIT, APOTEK_SI]  # the tree's order: Roskilde before Værløse


def test_a_subtree(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "subtree.csv"
    assert export_units(conn, "csv", out, Selection((ROSKILDE_SI,), subtrees=True)) == Exported(3)
    text = out.read_text(encoding="latin-1")
    assert all(s in text for s in (ROSKILDE_SI, ROSKILDE_AFD, ROSKILDE_AFSNIT))
    assert len(text.splitlines()) == 4  # the header and three units


def test_sor_xml_of_a_selection_nests_it_in_the_units_above_and_validates(
    conn: sqlite3.Connection,
    tmp_path: Path,
    schema: etree.XMLSchema,  # noqa: F811
) -> None:
    out = tmp_path / "marked.xml"
    assert export_units(conn, "xml", out, Selection((ROSKILDE_AFSNIT, APOTEK))) == Exported(2, 3)
    assert_valid(schema, out.read_bytes())
    ids = {e.text for e in etree.parse(str(out)).iter("{*}SorIdentifier")}
    # the afsnit with the afdeling, SI and IE above it; the apotek IE alone (not its SI)
    assert {ROSKILDE_AFSNIT, ROSKILDE_AFD, ROSKILDE_SI, ROSKILDE_IE, APOTEK} <= ids and APOTEK_SI not in ids


def test_the_whole_export_is_unchanged(conn: sqlite3.Connection, tmp_path: Path) -> None:
    everything, chosen = tmp_path / "all.json", tmp_path / "chosen.json"
    count = export(conn, "json", everything)
    roots = tuple(r[0] for r in conn.execute("SELECT sor_id FROM entity WHERE parent_sor_id IS NULL"))
    assert export_units(conn, "json", chosen, Selection(roots, subtrees=True)) == Exported(count)
    assert everything.read_bytes() == chosen.read_bytes()


def test_a_selection_without_pending_edits_reads_the_reverted_copy(conn: sqlite3.Connection, tmp_path: Path) -> None:
    edits.set_fields(conn, ROSKILDE_AFSNIT, {"name": "Nyt navn"})
    without, with_pending = tmp_path / "without.json", tmp_path / "with.json"
    export_units(conn, "json", without, Selection((ROSKILDE_AFSNIT,)))
    export_units(conn, "json", with_pending, Selection((ROSKILDE_AFSNIT,)), with_pending=True)
    assert json.loads(without.read_text())[0]["name"] != "Nyt navn"
    assert json.loads(with_pending.read_text())[0]["name"] == "Nyt navn"


def test_a_review_of_given_units_keeps_their_order(conn: sqlite3.Connection) -> None:
    size = review.start(conn, "marked", "2024-06-01", units=[APOTEK, ROSKILDE_AFD, "999999999999999", APOTEK])
    assert size == 2
    assert [it.key for it in review.items(conn, "marked")] == [APOTEK, ROSKILDE_AFD]
    assert review.summary(conn, "marked").source == "marked:2"
    with pytest.raises(review.ReviewError, match="give one of"):
        review.start(conn, "both", "2024-06-01", units=[APOTEK], subtree=ROSKILDE_SI)


def test_the_sub_units_closing_marked_units_leaves_open(conn: sqlite3.Connection) -> None:
    from sortui.store.queries import open_children_outside

    day = "2026-12-01"
    assert open_children_outside(conn, [APOTEK], day) == 1  # its SI
    assert open_children_outside(conn, [APOTEK, APOTEK_SI], day) == 1  # the SI marked too: its OE stays
    assert open_children_outside(conn, [APOTEK, APOTEK_SI, "306031000016009"], day) == 0  # all closed together
    assert open_children_outside(conn, [ROSKILDE_IE, ROSKILDE_SI], day) == 1  # the SI's department
    assert open_children_outside(conn, [ROSKILDE_AFSNIT], day) == 0  # no sub-units
    edits.set_fields(conn, APOTEK_SI, {"to_date": "2020-01-01"})
    assert open_children_outside(conn, [APOTEK], day) == 0  # closed already: not left open
    assert open_children_outside(conn, [], day) == 0
