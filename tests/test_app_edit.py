"""Editing in the app (issue 6): the unit editor, unit operations, the EDI editor, bulk message
types and the pending-changes screen, driven through Pilot on a real working copy."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import WIDE_SI
from test_app_support import (
    answer_prompt,
    cursor_id,
    cursor_label,
    detail_text,
    main_screen,
    make_app,
    notices,
    press,
    screen_text,
    settle,
    until,
)
from textual.pilot import Pilot
from textual.widgets import Input

from sortui.app import SortApp
from sortui.domain import provisional
from sortui.domain.model import Location
from sortui.screens.changes import ChangesScreen
from sortui.screens.confirm import ConfirmScreen
from sortui.screens.edi import EdiScreen, NewLocationScreen
from sortui.screens.editor import UnitEditor
from sortui.store import db, edits, journal
from sortui.widgets.form import FieldRow
from sortui.widgets.picker import PickerScreen

AFSNIT = "900000000100001"  # "Afsnit 0001", an OE under the wide SI, inherits the SI's number
AFSNIT_2 = "900000000100002"
SI_GLN = "5790000999019"
ROSKILDE_AFD = "347821000016008"  # an OE with one OE below it (the samples)
ROSKILDE_AFSNIT = "347831000016005"
APOTEK_SI = "306021000016007"
XREF = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def connect(path: Path) -> sqlite3.Connection:
    return db.open_working_copy(path)


def journal_rows(path: Path) -> list[tuple[str, str, str | None]]:
    conn = connect(path)
    try:
        return [(e.key, e.op, e.field) for e in journal.pending(conn)]
    finally:
        conn.close()


def value(path: Path, sql: str, *args: object) -> Any:
    conn = connect(path)
    try:
        row = conn.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


async def go_to(pilot: Pilot, sor_id: str) -> None:
    await settle(pilot)
    main_screen(pilot.app).jump_to(sor_id)  # type: ignore[arg-type]
    await settle(pilot)
    assert cursor_id(pilot.app) == sor_id  # type: ignore[arg-type]


def fill(app: SortApp, **fields: str) -> None:
    """Set form fields by path (``postal__street`` for ``postal.street``)."""
    for name, text in fields.items():
        app.screen.query_one(f"#f-{name.replace('__', '-')}", Input).value = text


def row_text(app: SortApp, path: str) -> str:
    row = next(r for r in app.screen.query(FieldRow) if r.path == path)
    notes = [row.notes[c] for c in ("field-errors", "field-warnings") if c in row.notes]
    return " ".join(str(w.render()) for w in notes if w.display)


def own_location(gln: str) -> Location:
    return Location(
        gln,
        "",
        system_supplier="1",
        system_type="1",
        communication_supplier="41000035001",
        region_code="1084",
        edi_administrator="1",
    )


# -- the unit editor ------------------------------------------------------------------------------


async def test_edit_name_and_address_and_save(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e")
        assert isinstance(app.screen, UnitEditor)
        assert app.screen.query_one("#f-name", Input).value == "Afsnit 0001"
        app.screen.query_one("#section-postal InheritedRow").focus()
        await press(pilot, "f6")  # the inherited address becomes the unit's own, to edit
        fill(app, name="Sengeafsnit Ø", postal__street="Nyvej", postal__postcode="9999")
        await settle(pilot)
        await press(pilot, "f2")
        assert not isinstance(app.screen, UnitEditor)
        assert "Saved 5 changes to Afsnit 0001" in notices(app)
        assert journal_rows(app_wc) == [
            (AFSNIT, "set", "name"),
            (AFSNIT, "set", "postal.street"),
            (AFSNIT, "set", "postal.building"),
            (AFSNIT, "set", "postal.postcode"),
            (AFSNIT, "set", "postal.district_name"),
        ]
        assert value(app_wc, "SELECT name FROM entity WHERE sor_id = ?", AFSNIT) == "Sengeafsnit Ø"
        assert value(app_wc, "SELECT street FROM address WHERE sor_id = ?", AFSNIT) == "Nyvej"
        assert cursor_label(app).startswith("Sengeafsnit Ø") and cursor_label(app).endswith("✎")
        assert "5 pending" in screen_text(app).splitlines()[0]
        assert "Pending changes (5" in detail_text(app) and "Vejnavn (Postadresse): (empty) → Nyvej" in detail_text(app)


async def test_validation_while_typing_and_a_refused_save(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e")
        fill(app, contact__phone="123", shak_code="1301011", to_date="2001-01-01")
        await settle(pilot)
        assert "Telefon is 3 characters, at least 8 required" in row_text(app, "contact.phone")
        assert "does not start with the hospital's code 9901" in row_text(app, "shak_code")  # a warning
        assert "is before Gyldig fra" in row_text(app, "to_date")
        assert "✗ 2 errors  ! 1 warning" in screen_text(app)
        await press(pilot, "f2")
        assert isinstance(app.screen, UnitEditor)
        assert any(n.startswith("Not saved: 2 errors") for n in notices(app))
        assert journal_rows(app_wc) == []
        fill(app, contact__phone="12345678", to_date="")
        await settle(pilot)
        assert row_text(app, "contact.phone") == ""
        await press(pilot, "f2")
        assert not isinstance(app.screen, UnitEditor)
        assert any("does not start with the hospital's code" in n for n in notices(app))  # shown, not blocking
        assert journal_rows(app_wc) == [(AFSNIT, "set", "shak_code"), (AFSNIT, "set", "contact.phone")]


async def test_cancel_asks_when_there_are_changes(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e", "escape")
        assert not isinstance(app.screen, UnitEditor)  # nothing changed: no question
        await press(pilot, "e")
        fill(app, name="Andet navn")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert isinstance(app.screen, UnitEditor)
        await press(pilot, "escape", "y")
        assert not isinstance(app.screen, (UnitEditor, ConfirmScreen))
        assert journal_rows(app_wc) == []


async def test_pickers_for_unit_type_and_specialities(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e", "down", "f4")  # Enhedstype
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"klinisk")
        await press(pilot, "enter")
        assert app.screen.query_one("#f-entity_type_code", Input).value == "550851000005109"
        assert "Klinisk enhed" in screen_text(app)
        app.screen.query_one("#f-specialities", Input).focus()
        await press(pilot, "f4")
        await pilot.press(*"oftalmologi")
        await press(pilot, "enter")
        assert app.screen.query_one("#f-specialities", Input).value == "394594003"
        await press(pilot, "f2")
        assert journal_rows(app_wc) == [(AFSNIT, "set", "entity_type_code"), (AFSNIT, "set", "specialities")]


async def test_picker_list_moves_with_j_and_k(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e", "down")
        app.screen.query_one("#f-entity_type_code", Input).value = "550851000005109"
        await press(pilot, "f4")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        start = picker.options.highlighted
        assert start is not None and picker.shown[start].label == "Klinisk enhed"  # on the code typed
        await press(pilot, "tab", "j", "j", "k")  # tab: from the filter to the list, where j/k move
        assert picker.options.has_focus and picker.options.highlighted == start + 1
        assert picker.query_one("#picker-filter", Input).value == ""
        await press(pilot, "enter")
        assert app.screen.query_one("#f-entity_type_code", Input).value == picker.shown[start + 1].value


async def test_note_in_external_editor(app_wc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\np.write_text(p.read_text() + 'fra editoren\\n')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e")
        note = app.screen.query_one("#f-note", Input)
        note.value = "Skrevet i sortui,"
        note.focus()
        await press(pilot, "f3")
        assert note.value == "Skrevet i sortui,fra editoren"
        await press(pilot, "f2")
        assert value(app_wc, "SELECT note FROM entity WHERE sor_id = ?", AFSNIT) == "Skrevet i sortui,fra editoren"


# -- unit operations ------------------------------------------------------------------------------


async def test_create_close_and_move(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFD)
        await press(pilot, "a")
        assert isinstance(app.screen, UnitEditor) and app.screen.data.is_new  # a draft: nothing made yet
        assert "New unit (OE) under Roskilde" in screen_text(
            app
        ) and "provisional SOR-kode) only when f2" in screen_text(app)
        fill(app, name="Nyt afsnit", postal__street="Nyvej")
        await press(pilot, "f2")
        assert not isinstance(app.screen, UnitEditor)
        [created] = [n for n in notices(app) if n.startswith("Created Nyt afsnit with the provisional SOR-kode")]
        new_id = created.rsplit(" ", 1)[1]
        assert provisional.is_provisional(new_id)
        assert cursor_id(app) == new_id and cursor_label(app).startswith("Nyt afsnit")
        await press(pilot, "X")
        await answer_prompt(pilot, "2024-06-30")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert value(app_wc, "SELECT to_date FROM entity WHERE sor_id = ?", new_id) == "2024-06-30"
        await go_to(pilot, ROSKILDE_AFSNIT)
        await press(pilot, "m")
        await answer_prompt(pilot, APOTEK_SI)
        assert isinstance(app.screen, ConfirmScreen) and "Værløse Apotek" in screen_text(app)
        await press(pilot, "y")
        assert value(app_wc, "SELECT parent_sor_id FROM entity WHERE sor_id = ?", ROSKILDE_AFSNIT) == APOTEK_SI
        assert cursor_id(app) == ROSKILDE_AFSNIT
        assert [(op, f) for _, op, f in journal_rows(app_wc)] == [
            ("create", None),
            ("set", "postal.street"),
            ("set", "to_date"),
            ("move", "parent_sor_id"),
        ]


async def test_own_location_number_and_back_to_inherited(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "L")
        assert isinstance(app.screen, NewLocationScreen)
        fill(app, location__gln="5790000999990")
        await settle(pilot)
        assert "wrong GS1 check digit" in row_text(app, "location.gln")
        fill(app, location__gln="5790000999996", location__region_code="")
        await press(pilot, "f2")
        assert isinstance(app.screen, NewLocationScreen)
        assert "Region is required for a new lokationsnummer" in row_text(app, "location.region_code")
        fill(app, location__region_code="1084")
        await press(pilot, "f2")
        assert not isinstance(app.screen, NewLocationScreen)
        assert value(app_wc, "SELECT owner_sor_id FROM location WHERE gln = '5790000999996'") == AFSNIT
        assert "lok 5790000999996" in cursor_label(app)
        await press(pilot, "L")
        assert isinstance(app.screen, ConfirmScreen) and "receive on its parent's number: 5790000999019" in (
            screen_text(app)
        )
        await press(pilot, "y")
        assert value(app_wc, "SELECT ean_mode FROM entity WHERE sor_id = ?", AFSNIT) == "inherited"
        assert value(app_wc, "SELECT count(*) FROM location WHERE gln = '5790000999996'") == 0
        assert [op for _, op, _ in journal_rows(app_wc)] == ["ean", "ean"]


# -- EDI ------------------------------------------------------------------------------------------


async def test_edi_picker_add_validity_and_remove(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)  # inherits the SI's number: the editor shows the owner's
        await press(pilot, "E")
        assert isinstance(app.screen, EdiScreen)
        screen = app.screen
        assert f"Lokationsnummer {SI_GLN}  inherited from Testhospitale" in screen_text(app)
        assert "No changes. Changes wait here, marked, until f2 saves them all at once." in screen_text(app)
        assert screen.table.row_count == 2
        first = screen.rows()[0][0].urn
        await press(pilot, "a")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"kommunehenv")
        await settle(pilot)
        assert len(app.screen.shown) == 1
        await press(pilot, "enter")
        assert screen.table.row_count == 3 and screen.rows()[screen.table.cursor_row] == (screen.planned[XREF], "add")
        await press(pilot, "v")
        fill(app, location__from_date="2025-01-01")
        await press(pilot, "enter")
        screen.table.move_cursor(row=0)
        await press(pilot, "x")  # marked, not asked: nothing is removed before f2
        assert [mark for _, mark in screen.rows()].count("remove") == 1 and screen.table.row_count == 3
        assert "Not saved: 2 message types changed · f2 saves all at once" in screen_text(app)
        assert journal_rows(app_wc) == []  # one saving model: nothing is journalled while you act
        await press(pilot, "f2")
        assert sorted(journal_rows(app_wc)) == [(SI_GLN, "add", XREF), (SI_GLN, "remove", first)]
        assert value(app_wc, "SELECT from_date FROM location_message WHERE message_urn = ?", XREF) == "2025-01-01"
        assert value(app_wc, "SELECT count(*) FROM location_message WHERE message_urn = ?", first) == 0
        assert screen.table.row_count == 2 and "No changes." in screen_text(app)
        await press(pilot, "a")
        await pilot.press(*"kommunehenv")
        await settle(pilot)
        await press(pilot, "escape", "escape")  # the picker, then the editor: nothing unsaved, no question
        assert not isinstance(app.screen, EdiScreen)
        assert cursor_label(app).endswith("✎") is False  # the unit inherits: the owner is marked


async def test_edi_x_again_keeps_a_message_type_and_nothing_changed_is_saved(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, WIDE_SI)
        await press(pilot, "E", "x")
        assert app.screen.rows()[0][1] == "remove"
        await press(pilot, "v")  # the validity of one to be removed: keep it first
        assert any("x keeps it" in n for n in notices(app))
        await press(pilot, "x")
        assert app.screen.rows()[0][1] is None and app.screen.unsaved() is None
        await press(pilot, "f2")
        assert any(n.startswith("Nothing to save") for n in notices(app))
        assert journal_rows(app_wc) == []


async def test_edi_attributes(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, WIDE_SI)
        await press(pilot, "E", "x", "shift+tab")  # a removal waits with the attributes
        fill(app, location__region_code="99")
        await settle(pilot)
        assert "Region is 2 characters, at least 4 required" in screen_text(app)
        await press(pilot, "f2")
        assert any(n.startswith("Not saved") for n in notices(app))
        assert value(app_wc, f"SELECT region_code FROM location WHERE gln = '{SI_GLN}'") == "1084"
        assert journal_rows(app_wc) == []  # refused as a whole: not the removal either
        fill(app, location__region_code="1085", location__note="Ny note")
        app.screen.query_one("#f-location-only_internal").focus()
        await press(pilot, "space", "f2")
        assert [op for _, op, _ in journal_rows(app_wc)] == ["set", "set", "set", "remove"]
        assert value(app_wc, f"SELECT region_code, only_internal FROM location WHERE gln = '{SI_GLN}'") == "1085"
        assert value(app_wc, f"SELECT only_internal FROM location WHERE gln = '{SI_GLN}'") == 1
        await press(pilot, "escape")
        assert cursor_label(app).endswith("✎")


async def test_bulk_add_with_preview_and_confirmation(app_wc: Path) -> None:
    conn = connect(app_wc)
    edits.set_ean_mode(conn, AFSNIT, "own", own_location("5790000999996"))
    edits.set_ean_mode(conn, AFSNIT_2, "own", own_location("5790000999989"))
    edits.add_message(conn, "5790000999989", XREF)
    conn.close()
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, WIDE_SI)
        await press(pilot, "B")
        assert isinstance(app.screen, PickerScreen)
        await press(pilot, "enter")  # add to the location numbers under the unit
        assert isinstance(app.screen, PickerScreen) and "3 lokationsnumre under Testhospitalet" in screen_text(app)
        await pilot.press(*"xh1530r")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "3 lokationsnumre, 1 already has it: 2 lokationsnumre change" in screen_text(app)
        assert "5790000999996  Afsnit 0001" in screen_text(app)  # the numbers that change, listed
        await press(pilot, "y")
        added = [k for k, op, f in journal_rows(app_wc) if op == "add" and f == XREF]
        assert sorted(added) == [SI_GLN, "5790000999989", "5790000999996"]
        assert any("on 2 lokationsnumre" in n for n in notices(app))


# -- the journal ----------------------------------------------------------------------------------


async def test_pending_changes_undo_and_discard_all(app_wc: Path) -> None:
    conn = connect(app_wc)
    (first,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    (second,) = edits.set_fields(conn, AFSNIT, {"name": "To"})
    edits.add_message(conn, SI_GLN, XREF)
    conn.close()
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        assert cursor_label(app).startswith("To") and cursor_label(app).endswith("✎")
        await press(pilot, "P")
        assert isinstance(app.screen, ChangesScreen)
        text = screen_text(app)
        assert (
            "3 changes on 1 unit and 1 lokationsnummer" in text
            and "Navn: Afsnit 0001 → Et" in text
            and "Navn: Et → To" in text
        )
        assert app.screen.current()[1].id == first.id  # type: ignore[index]
        await press(pilot, "u")
        assert any(f"undo change {second.id} first" in n for n in notices(app))
        await press(pilot, "down", "u")
        assert f"Undone #{second.id}" in notices(app)
        assert "2 changes on 1 unit and 1 lokationsnummer" in screen_text(app)
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert "Discarded 2 pending changes" in notices(app) and "No pending changes" in screen_text(app)
        await press(pilot, "escape")
        assert journal_rows(app_wc) == []
        assert cursor_id(app) == AFSNIT and cursor_label(app).startswith("Afsnit 0001")
        assert "0 pending" in screen_text(app).splitlines()[0]
        assert "Pending changes" not in detail_text(app)


async def test_readonly_refuses_every_edit_key(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        for key in ("e", "a", "X", "m", "L", "E", "B"):
            await press(pilot, key)
            assert app.screen is main_screen(app)
        assert len([n for n in notices(app) if n.startswith("Read-only")]) == 7
        await press(pilot, "P")
        assert isinstance(app.screen, ChangesScreen)
        await press(pilot, "D")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_bulk_remove_on_the_search_hits(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "slash")
        await pilot.press(*"afsnit 000")
        await press(pilot, "escape")
        hits = len(main_screen(app).search.hits)
        await press(pilot, "B")
        assert f"from those of the {hits} search hits" in screen_text(app)
        await press(pilot, "down", "down", "down", "enter")  # remove, on the search hits
        assert f"1 lokationsnummer of the {hits} search hits" in screen_text(app)
        conn = connect(app_wc)
        urn = conn.execute("SELECT message_urn FROM location_message WHERE gln = ? LIMIT 1", (SI_GLN,)).fetchone()[0]
        conn.close()
        await pilot.press(*urn.rsplit(":", 1)[-1])
        await press(pilot, "enter")
        assert "1 lokationsnummer, 1 already has it: 1 lokationsnummer change" in screen_text(app)
        await press(pilot, "y")
        assert journal_rows(app_wc) == [(SI_GLN, "remove", urn)]
        assert "1 pending" in screen_text(app).splitlines()[0]


async def test_editor_keys_can_be_remapped(app_wc: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"editor.save" = "f5"\n"app.edit" = "r"\n', encoding="utf-8")
    app = make_app(app_wc, config_path=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "r")
        assert isinstance(app.screen, UnitEditor)
        assert await until(pilot, lambda: "f5 Save" in screen_text(app))  # the footer is painted after
        fill(app, name="Omdøbt")
        await press(pilot, "f2")
        assert isinstance(app.screen, UnitEditor)
        await press(pilot, "f5")
        assert journal_rows(app_wc) == [(AFSNIT, "set", "name")]
