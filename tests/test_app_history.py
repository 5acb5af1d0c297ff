"""History ([ and ]) across panes, filter in place, session memory, move by name or by mark: the real app
driven by Pilot on real working copies."""

from __future__ import annotations

from pathlib import Path

from conftest import SHAK_VIEW_DATE, WIDE_SI
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, settle

from sortui.app import SortApp
from sortui.store import search
from sortui.store.db import connect

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


def unit_lines(app: SortApp) -> list[tuple[str, bool]]:
    """(name, kept only for the units below it) of every unit line of the tree."""
    t = main_screen(app).tree
    return [
        (line.node.data.node.name, line.node.data.context)
        for line in t._tree_lines
        if line.node.data is not None and line.node.data.node is not None
    ]


async def filter_tree(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await press(pilot, "F")
    await answer_prompt(pilot, text)


async def test_filter_keeps_the_matches_and_their_ancestors_and_esc_clears_it(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)  # view date 2024-06-01
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await filter_tree(pilot, "afsnit 124")
        shown = unit_lines(app)
        matches = [name for name, context in shown if not context]
        conn = connect(app_wc, readonly=True)
        found = search.search(conn, "afsnit 124", limit=100)  # the same rule as search: 124 inside a word too
        conn.close()
        assert sorted(matches) == sorted(hit.name for hit in found.hits) and len(matches) == 13
        assert ("Testhospitalet", True) in shown  # the hospital above them is kept (dimmed), its 2,500 units not
        assert not any(name == "Afsnit 2000" for name, _ in shown)
        assert "filter: afsnit 124 — 13 units" in screen.tree.border_title
        assert cursor_id(app) is not None and not screen.tree.cursor_item().context  # on the first match
        await press(pilot, "j")
        chosen = cursor_id(app)
        await press(pilot, "escape")  # the whole tree again, the cursor on the unit it was on
        assert screen.tree.filter is None and screen.tree.border_title == "Organisation"
        assert cursor_id(app) == chosen
        assert len(unit_lines(app)) > 50  # the hospital's other units are back


async def test_filter_by_code_follows_the_view_date_and_closed_units(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await filter_tree(pilot, "lukket")  # "Afdeling (lukket)" closed 2020-12-31: not shown on 2024-06-01
        assert screen.tree.filter is None
        assert any("No unit matches lukket on 2024-06-01" in n for n in notices(app))
        await press(pilot, "c")  # closed units shown
        await filter_tree(pilot, "lukket")
        assert [name for name, context in unit_lines(app) if not context] == ["Afdeling (lukket)"]
        await press(pilot, "c")  # hidden again: the filter is worked out again, and keeps nothing
        assert screen.tree.filter is not None and screen.tree.filter.count == 0
        assert "— 0 units" in screen.tree.border_title
        await filter_tree(pilot, WIDE_SI)  # a SOR-kode: its start finds the codes, as search does
        assert ("Testhospitalet", False) in unit_lines(app)
        assert "— 1 unit" in screen.tree.border_title
