"""History ([ and ]) across panes, filter in place, session memory, move by name or by mark: the real app
driven by Pilot on real working copies."""

from __future__ import annotations

from pathlib import Path

from conftest import SHAK_VIEW_DATE, WIDE_SI
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, settle

from sortui.app import SortApp

SECTION = "2529010"  # Roskilde Øjenklinik, beh.afsnit: one unit carries it
SECTION_UNIT = "347831000016005"
FAR_UNIT = "900000000102000"  # Afsnit 2000 of the wide hospital


def history_app(db: Path, **kwargs: object) -> SortApp:
    return make_app(db, view_date=SHAK_VIEW_DATE, **kwargs)


async def goto(pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    await press(pilot, "colon")
    await answer_prompt(pilot, key)


def shak_cursor(app: SortApp) -> str | None:
    return main_screen(app).shak_pane.tree.cursor_code()


async def test_back_and_forward_across_go_to_search_and_shak(app_wc: Path) -> None:
    app = history_app(app_wc, readonly=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await goto(pilot, FAR_UNIT)  # go-to
        assert cursor_id(app) == FAR_UNIT
        await press(pilot, "slash")
        await pilot.press(*"testhospitalet")
        await settle(pilot)
        await press(pilot, "enter")  # a search hit
        assert cursor_id(app) == WIDE_SI
        await press(pilot, "s")
        await press(pilot, "colon")  # the SHAK pane's go-to: a SHAK-kode is a place too
        await answer_prompt(pilot, SECTION)
        assert shak_cursor(app) == SECTION
        await press(pilot, "enter")  # the SHAK pane's jump to the one unit carrying the code
        assert not screen.has_class("-shak") and cursor_id(app) == SECTION_UNIT
        await press(pilot, "j")  # plain cursor movement is not a visit
        # back: the SHAK-kode gone to, the one the SHAK pane was on before, the hit, the go-to's target
        await press(pilot, "left_square_bracket")
        assert screen.has_class("-shak") and shak_cursor(app) == SECTION
        assert any("History back: 4/5, SHAK-kode 2529010" in n for n in notices(app))
        await press(pilot, "left_square_bracket")
        assert screen.has_class("-shak") and shak_cursor(app) == "1301"
        await press(pilot, "left_square_bracket")
        assert not screen.has_class("-shak") and cursor_id(app) == WIDE_SI  # back in the organisation tree
        assert screen.tree.has_focus
        await press(pilot, "left_square_bracket")
        assert cursor_id(app) == FAR_UNIT  # the start was a group line, not a place
        await press(pilot, "left_square_bracket")
        assert any("Nothing to go back to" in n for n in notices(app))
        await press(pilot, "right_square_bracket")
        assert cursor_id(app) == WIDE_SI
        # a new visit after going back drops the places ahead
        await goto(pilot, "900000000100005")
        await press(pilot, "right_square_bracket")
        assert any("Nothing ahead" in n for n in notices(app))
        assert cursor_id(app) == "900000000100005"
        await press(pilot, "left_square_bracket")
        assert cursor_id(app) == WIDE_SI
        assert (screen.history.position, len(screen.history)) == (2, 3)


async def test_a_failed_go_to_is_not_a_visit(app_wc: Path) -> None:
    app = history_app(app_wc, readonly=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await goto(pilot, "999999999999999")
        assert len(main_screen(app).history) == 0  # not found: no jump, nothing recorded
        await press(pilot, "left_square_bracket")
        assert any("Nothing to go back to" in n for n in notices(app))
