"""Marks (issue 18): space, * and U in the tree, the search hits and the SHAK pane, and the bulk
actions on the marked units: message types (B), close (X), review (R) and export (ctrl+e)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from test_app_support import (
    answer_prompt,
    cursor_label,
    main_screen,
    make_app,
    notices,
    press,
    screen_text,
    settle,
    tree_lines,
)
from textual.pilot import Pilot

from sortui.screens.changes import ChangesScreen
from sortui.screens.confirm import ConfirmScreen
from sortui.screens.prompts import PromptScreen
from sortui.screens.review import ReviewScreen
from sortui.store import journal, review
from sortui.store.importer import import_files
from sortui.widgets.marks import MARKED_MARK
from sortui.widgets.picker import PickerScreen

FILTENBORG = "8321000016007"  # an IE with its own lokationsnummer (the samples)
FILTENBORG_GLN = "5790000141227"
APOTEK = "306011000016003"  # Værløse Apotek, an IE with its own lokationsnummer
APOTEK_GLN = "5790000173624"
ROSKILDE_IE = "347801000016001"
ROSKILDE_SI = "347811000016004"
ROSKILDE_AFD = "347821000016008"  # SHAK 252901, one OE below it
ROSKILDE_AFSNIT = "347831000016005"
XREF = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


async def go_to(pilot: Pilot, sor_id: str) -> None:
    await settle(pilot)
    main_screen(pilot.app).jump_to(sor_id)  # type: ignore[arg-type]
    await settle(pilot)


async def mark(pilot: Pilot, *sor_ids: str) -> None:
    """Mark each unit with space on its tree line."""
    for sor_id in sor_ids:
        await go_to(pilot, sor_id)
        await press(pilot, "space")


def marked_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in tree_lines(app) if line.startswith(MARKED_MARK)]


def status_line(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[0]


async def test_space_marks_and_unmarks_and_marks_outlive_a_date_change(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await mark(pilot, ROSKILDE_AFD)
        assert cursor_label(app).startswith(f"{MARKED_MARK} Roskilde Øjenklinik, afdeling")
        assert "1 marked" in status_line(app)
        await mark(pilot, APOTEK)
        screen = main_screen(app)
        assert screen.marks.ids() == [ROSKILDE_AFD, APOTEK] and "2 marked" in status_line(app)
        await press(pilot, "d")
        await answer_prompt(pilot, "2015-01-01")  # the tree is read again for another date
        await go_to(pilot, ROSKILDE_AFD)
        assert screen.view_date == "2015-01-01"
        assert screen.marks.ids() == [ROSKILDE_AFD, APOTEK] and "2 marked" in status_line(app)
        assert cursor_label(app).startswith(MARKED_MARK)
        assert any(line.startswith(f"{MARKED_MARK} Værløse Apotek") for line in tree_lines(app))
        await press(pilot, "c")  # closed units shown: another reload
        assert len(marked_lines(app)) == 2
        await press(pilot, "space")  # unmark
        assert screen.marks.ids() == [APOTEK] and not cursor_label(app).startswith(MARKED_MARK)
        assert "1 marked" in status_line(app)


async def test_star_marks_the_rows_shown_and_U_clears_them(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFSNIT)  # the path to it is expanded
        screen = main_screen(app)
        shown = screen.tree.visible_units()
        assert ROSKILDE_AFSNIT in shown and APOTEK in shown and "306021000016007" not in shown  # collapsed
        await press(pilot, "asterisk")
        assert screen.marks.ids() == shown
        assert f"Marked {len(shown)} units shown in the tree" in notices(app)[-1]
        assert len(marked_lines(app)) == len(shown) and f"{len(shown)} marked" in status_line(app)
        await press(pilot, "U")
        assert notices(app)[-1] == f"Unmarked {len(shown)} units"
        assert not screen.marks and not marked_lines(app) and "marked" not in status_line(app)
        await press(pilot, "U")
        assert notices(app)[-1] == "No units are marked"


async def test_marks_in_the_search_hits(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"roskilde")
        await settle(pilot)
        await press(pilot, "down")  # to the hits
        screen = main_screen(app)
        hits = screen.search.hits
        assert len(hits) >= 3
        await press(pilot, "space")
        assert screen.marks.ids() == [hits[0].sor_id]
        assert screen_text(app).count(MARKED_MARK) >= 1 and "1 marked" in status_line(app)
        await press(pilot, "asterisk")
        assert screen.marks.ids() == [h.sor_id for h in hits]
        assert f"of the {len(hits)} search hits loaded" in notices(app)[-1]
        await press(pilot, "space")  # the first hit again: unmarked
        assert hits[0].sor_id not in screen.marks and len(screen.marks) == len(hits) - 1


async def test_space_on_a_shak_code_marks_the_units_that_carry_it(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        screen = main_screen(app)
        screen.shak_pane.show_code("252901")
        await settle(pilot)
        await press(pilot, "space")
        assert screen.marks.ids() == [ROSKILDE_AFD]
        assert "Marked 1 unit with SHAK-kode 252901: 1 marked" in notices(app)
        assert screen.shak_pane.tree.cursor_node.label.plain.startswith(MARKED_MARK)  # type: ignore[union-attr]
        await press(pilot, "space")
        assert not screen.marks and "Unmarked 1 unit with SHAK-kode 252901" in notices(app)
        assert not screen.shak_pane.tree.cursor_node.label.plain.startswith(MARKED_MARK)  # type: ignore[union-attr]
        await press(pilot, "u")  # the list of the units carrying the code: space marks the one highlighted
        await press(pilot, "space")
        assert screen.marks.ids() == [ROSKILDE_AFD]
        assert f"{MARKED_MARK} Roskilde Øjenklinik, afdeling  OE {ROSKILDE_AFD}" in screen_text(app)


async def test_close_the_marked_units_in_one_bulk_change_undone_in_one_step(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await mark(pilot, ROSKILDE_AFSNIT, APOTEK)
        await press(pilot, "X")
        assert isinstance(app.screen, PromptScreen) and "Close the 2 marked units" in screen_text(app)
        await answer_prompt(pilot, "2024-06-30")
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Close the 2 marked units?" in text and "valid until 2024-06-30" in text
        assert "Roskilde Øjenklinik, beh. afsnit" in text and f"IE {APOTEK}" in text  # the units, listed
        assert "1 sub-unit not marked is valid on" in text and "and stays open" in text  # the apotek's SI
        await press(pilot, "y")
        assert "Closed 2 units on 2024-06-30 (one bulk change: P undoes it)" in notices(app)
        conn = connect(full_wc)
        dates = dict(
            conn.execute("SELECT sor_id, to_date FROM entity WHERE sor_id IN (?, ?)", (ROSKILDE_AFSNIT, APOTEK))
        )
        groups = {e.group_id for e in journal.pending(conn)}
        conn.close()
        assert dates == {ROSKILDE_AFSNIT: "2024-06-30", APOTEK: "2024-06-30"}
        assert len(groups) == 1 and None not in groups
        await press(pilot, "P")
        assert isinstance(app.screen, ChangesScreen)
        await press(pilot, "u")
        if isinstance(app.screen, ConfirmScreen):
            await press(pilot, "y")
        conn = connect(full_wc)
        assert journal.pending(conn) == []
        assert conn.execute("SELECT count(*) FROM entity WHERE to_date IS NOT NULL").fetchone()[0] == 0
        conn.close()


async def test_without_marks_close_asks_about_the_unit_under_the_cursor(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFSNIT)
        await press(pilot, "X")
        assert "Close Roskilde Øjenklinik, beh. afsnit" in screen_text(app) and "marked" not in screen_text(app)


async def test_bulk_message_type_on_the_marked_units(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await mark(pilot, FILTENBORG, APOTEK)
        await press(pilot, "B")
        assert isinstance(app.screen, PickerScreen)
        text = screen_text(app)
        assert "Add a message type to the lokationsnumre of the 2 marked units" in text and "under" not in text
        await press(pilot, "enter")
        assert "Add: 2 lokationsnumre of the 2 marked units" in screen_text(app)
        await pilot.press(*"xh1530r")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "the lokationsnumre of the 2 marked units" in screen_text(app)
        await press(pilot, "y")
        conn = connect(full_wc)
        added = sorted(e.key for e in journal.pending(conn) if e.op == "add" and e.field == XREF)
        groups = {e.group_id for e in journal.pending(conn)}
        conn.close()
        assert added == sorted([FILTENBORG_GLN, APOTEK_GLN]) and len(groups) == 1


async def test_review_session_of_the_marked_units(full_wc: Path) -> None:
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await mark(pilot, ROSKILDE_AFSNIT, APOTEK, ROSKILDE_IE)
        await press(pilot, "R")  # with marks: the sources of a new session, the marked units first
        assert isinstance(app.screen, PickerScreen)
        text = screen_text(app)
        assert "Marked: the 3 marked units" in text and "Subtree:" not in text
        await press(pilot, "enter")
        assert isinstance(app.screen, PromptScreen) and "From the 3 marked units" in screen_text(app)
        await press(pilot, "enter")  # the name suggested
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        conn = connect(full_wc)
        (session,) = review.sessions(conn)
        keys = [it.key for it in review.items(conn, session.name)]
        conn.close()
        assert keys == [ROSKILDE_AFSNIT, APOTEK, ROSKILDE_IE] and session.source == "marked:3"


async def export_to(pilot: Pilot, choice: int, path: str | None = None) -> None:
    """ctrl+e, the ``choice``-th format, and the path (None: the one suggested)."""
    await press(pilot, "ctrl+e")
    assert isinstance(pilot.app.screen, PickerScreen)
    await press(pilot, *["down"] * choice, "enter")
    assert isinstance(pilot.app.screen, PromptScreen)
    if path is None:
        await press(pilot, "enter")
    else:
        await answer_prompt(pilot, path)
    await settle(pilot)


async def test_export_the_marked_units_writes_a_file_and_asks_before_overwriting(
    full_wc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    app = make_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await mark(pilot, APOTEK, ROSKILDE_AFD)
        await export_to(pilot, 3)  # JSON, the name suggested in the current folder
        written = folder / "sor-marked-2024-06-01.json"
        units = json.loads(written.read_text(encoding="utf-8"))
        assert sorted(u["sor_id"] for u in units) == sorted([APOTEK, ROSKILDE_AFD])
        assert f"Exported 2 units to {written}" in notices(app)
        before = written.read_bytes()
        await export_to(pilot, 3)
        assert isinstance(app.screen, ConfirmScreen) and "exists" in screen_text(app)
        await press(pilot, "n")
        assert written.read_bytes() == before
        await export_to(pilot, 1, str(folder / "missing" / "x.csv"))
        assert isinstance(app.screen, PromptScreen) and "is not a folder" in screen_text(app)
        await answer_prompt(pilot, str(folder))
        assert isinstance(app.screen, PromptScreen) and "is a folder" in screen_text(app)
        await answer_prompt(pilot, str(full_wc))
        assert isinstance(app.screen, PromptScreen) and "is the working copy" in screen_text(app)
        await answer_prompt(pilot, str(full_wc) + "-wal")
        assert isinstance(app.screen, PromptScreen) and "is the working copy" in screen_text(app)
        await answer_prompt(pilot, str(folder / "units.csv"))
        with open(folder / "units.csv", encoding="latin-1", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        assert len(rows) == 3 and {APOTEK, ROSKILDE_AFD} <= {cell for row in rows for cell in row}


async def test_export_without_marks_writes_the_subtree_as_sor_xml_that_imports(full_wc: Path, tmp_path: Path) -> None:
    app = make_app(full_wc)
    target = tmp_path / "roskilde.xml"
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFD)
        await press(pilot, "ctrl+e")
        assert "Export the subtree under Roskilde Øjenklinik, afdeling: format" in screen_text(app)
        await press(pilot, "enter")  # SOR XML
        await answer_prompt(pilot, str(target))
        await settle(pilot)
        assert any("Exported 2 units (and the 2 units above them" in n for n in notices(app))
    again = tmp_path / "again.sqlite"
    import_files(again, [target])
    conn = connect(again)
    found = {r[0] for r in conn.execute("SELECT sor_id FROM entity")}
    conn.close()
    assert found == {ROSKILDE_IE, ROSKILDE_SI, ROSKILDE_AFD, ROSKILDE_AFSNIT}
