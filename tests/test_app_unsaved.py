"""Unsaved work is never thrown away (issue 12): every way out of a form with unsaved changes asks
(esc, q, ctrl+q, the palette's Quit), a new unit is a draft until it is saved valid, and the EDI
editor journals nothing before its one Save. The real app driven by Pilot on a real working copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_edit import AFSNIT, ROSKILDE_AFD, SI_GLN, fill, go_to, journal_rows, value
from test_app_support import make_app, notices, press, screen_text, settle
from textual.command import CommandPalette
from textual.pilot import Pilot

from sortui.app import SortApp
from sortui.screens.confirm import ConfirmScreen
from sortui.screens.edi import EdiScreen, NewLocationScreen
from sortui.screens.editor import UnitEditor
from sortui.widgets.form import FlagField


def units(path: Path) -> int:
    return value(path, "SELECT count(*) FROM entity")


async def quit_by(pilot: Pilot, how: str) -> None:
    if how == "palette":
        await press(pilot, "ctrl+p")
        assert isinstance(pilot.app.screen, CommandPalette)
        await pilot.press(*"quit")
        await settle(pilot)
        await press(pilot, "enter")
    else:
        await press(pilot, how)


async def refuses_to_quit_then_quits(app: SortApp, pilot: Pilot, how: str, form: type) -> None:
    """``how`` asks first; n goes back to the form, with what was typed; asked again, y quits."""
    await quit_by(pilot, how)
    assert isinstance(app.screen, ConfirmScreen) and "Quit without saving?" in screen_text(app)
    await press(pilot, "n")
    assert isinstance(app.screen, form) and app.return_code is None
    await quit_by(pilot, how)
    await press(pilot, "y")
    assert app.return_code == 0


@pytest.mark.parametrize("how", ["ctrl+q", "q", "palette"])
async def test_quitting_the_unit_editor_with_changes_asks(app_wc: Path, how: str) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e")
        fill(app, name="Ikke gemt endnu")
        app.screen.query(FlagField).first().focus()  # q in a text field is a q typed; on a flag it quits
        await settle(pilot)
        await refuses_to_quit_then_quits(app, pilot, how, UnitEditor)
    assert journal_rows(app_wc) == []


async def test_quitting_without_unsaved_work_does_not_ask(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e", "ctrl+q")
        assert app.return_code == 0


@pytest.mark.parametrize("how", ["q", "ctrl+q", "palette"])
async def test_quitting_the_edi_editor_with_changes_asks(app_wc: Path, how: str) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "E", "x")  # the message table has the focus: q is the app's
        assert isinstance(app.screen, EdiScreen)
        await refuses_to_quit_then_quits(app, pilot, how, EdiScreen)
    assert journal_rows(app_wc) == []


async def test_esc_in_the_edi_editor_with_changes_asks(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "E", "x", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.body.plain == f"The changes to lokationsnummer {SI_GLN} (1 message type) will be lost."
        await press(pilot, "n")
        assert isinstance(app.screen, EdiScreen) and app.screen.rows()[0][1] == "remove"
        await press(pilot, "escape", "y")
        assert not isinstance(app.screen, (EdiScreen, ConfirmScreen))
    assert journal_rows(app_wc) == []


async def test_the_new_location_form_asks_before_its_fields_are_lost(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "L", "escape")
        assert not isinstance(app.screen, (NewLocationScreen, ConfirmScreen))  # nothing typed: no question
        await press(pilot, "L")
        fill(app, location__gln="5790000999996")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen) and "is not saved" in screen_text(app)
        await press(pilot, "n")
        assert isinstance(app.screen, NewLocationScreen)
        await refuses_to_quit_then_quits(app, pilot, "ctrl+q", NewLocationScreen)
    assert journal_rows(app_wc) == []


async def test_the_validity_form_asks_before_its_dates_are_lost(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "E", "v", "escape")
        assert isinstance(app.screen, EdiScreen)  # nothing typed
        await press(pilot, "v")
        fill(app, location__to_date="2030-12-31")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen) and "The dates you typed will be lost." in screen_text(app)
        await press(pilot, "y")
        assert isinstance(app.screen, EdiScreen) and app.screen.unsaved() is None


# -- a new unit is a draft -----------------------------------------------------------------------


async def test_esc_on_a_new_unit_leaves_nothing_behind(app_wc: Path) -> None:
    before = units(app_wc)
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFD)
        await press(pilot, "a")
        assert isinstance(app.screen, UnitEditor)
        assert units(app_wc) == before  # the form is open, nothing is made
        await press(pilot, "escape")  # nothing typed: no question
        assert not isinstance(app.screen, (UnitEditor, ConfirmScreen))
        await press(pilot, "a")
        fill(app, name="Halvt udfyldt")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen) and "The new unit under" in screen_text(app)
        await press(pilot, "y")
    assert units(app_wc) == before and journal_rows(app_wc) == []


async def test_a_new_unit_is_made_only_when_saved_valid(app_wc: Path) -> None:
    before = units(app_wc)
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, ROSKILDE_AFD)
        await press(pilot, "a")
        fill(app, from_date="", contact__phone="123")
        await settle(pilot)
        await press(pilot, "f2")  # no name, no Gyldig fra, a phone too short: refused, by the fields
        assert isinstance(app.screen, UnitEditor)
        assert any(n.startswith("Not saved: 3 errors") for n in notices(app))
        assert "Navn is required" in screen_text(app)
        assert units(app_wc) == before and journal_rows(app_wc) == []
        fill(app, name="Nyt ambulatorium", from_date="2024-06-01", contact__phone="12345678")
        await settle(pilot)
        await press(pilot, "f2")
        assert not isinstance(app.screen, UnitEditor)
    assert units(app_wc) == before + 1
    rows = journal_rows(app_wc)
    new_id = rows[0][0]
    assert rows == [(new_id, "create", None), (new_id, "set", "contact.phone")]
    assert value(app_wc, "SELECT name, from_date FROM entity WHERE sor_id = ?", new_id) == "Nyt ambulatorium"


async def test_a_new_institution_needs_its_type(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, "900000000000000")  # an owner: what is made under it is an SI
        await press(pilot, "a")
        assert "New unit (SI)" in screen_text(app)
        fill(app, name="Nyt sygehus")
        await settle(pilot)
        await press(pilot, "f2")
        assert isinstance(app.screen, UnitEditor) and "Enhedstype is required for a new unit" in screen_text(app)
        fill(app, entity_type_code="22232009")
        await press(pilot, "f2")
        assert not isinstance(app.screen, UnitEditor)
    assert [op for _, op, _ in journal_rows(app_wc)] == ["create"]
