"""Search as you type, jumping to hits, n/N, and going straight to a key with ':'."""

from __future__ import annotations

from pathlib import Path

from conftest import WIDE_SI
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, settle, tree

from sortui.widgets.search_pane import HitList, SearchInput


async def test_search_as_you_type_and_jump(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        screen = main_screen(app)
        assert screen.has_class("-searching")
        assert isinstance(app.focused, SearchInput)
        await pilot.press(*"afsnit 124")
        await settle(pilot)
        names = [h.name for h in screen.search.hits]
        assert "Afsnit 1240" in names and len(names) >= 10
        first = screen.search.hits[0]
        await press(pilot, "enter")
        assert not screen.has_class("-searching")
        assert cursor_id(app) == first.sor_id  # the unit is revealed: its page loaded, its path expanded
        assert tree(app).has_focus
        await press(pilot, "n")
        assert cursor_id(app) == screen.search.hits[1].sor_id
        await press(pilot, "N", "N")
        assert cursor_id(app) == screen.search.hits[-1].sor_id


async def test_search_hits_list_and_escape(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"testhospitalet")
        await settle(pilot)
        screen = main_screen(app)
        assert screen.search.hits[0].sor_id == WIDE_SI
        await press(pilot, "down")
        assert isinstance(app.focused, HitList)
        await press(pilot, "enter")
        assert cursor_id(app) == WIDE_SI
        await press(pilot, "slash", "escape")
        assert not screen.has_class("-searching")
        assert tree(app).has_focus


async def test_stale_search_results_are_dropped(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"ejer 299")  # each key starts a search; only the last one's hits count
        await settle(pilot)
        screen = main_screen(app)
        assert screen.search.searched == "ejer 299"
        assert [h.name for h in screen.search.hits] == ["Ejer 299"]


async def test_goto_sor_id_gln_shak_and_unknown(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "colon")
        await answer_prompt(pilot, "900000000102000")
        assert cursor_id(app) == "900000000102000"  # on the 11th page of a wide level
        assert tree(app).cursor_node.label.plain.startswith("Afsnit 2000")
        # a GLN goes to its owner
        await press(pilot, "colon")
        await answer_prompt(pilot, "5790000141227")
        assert cursor_id(app) == "8321000016007"
        # a SHAK code goes to its (first) unit
        await press(pilot, "colon")
        await answer_prompt(pilot, "2529010")
        assert cursor_id(app) == "347831000016005"
        # a ydernummer
        await press(pilot, "colon")
        await answer_prompt(pilot, "019062")
        assert cursor_id(app) == "8341000016002"
        await press(pilot, "colon")
        await answer_prompt(pilot, "12345678901234")
        assert any("not found" in n for n in notices(app))
        assert cursor_id(app) == "8341000016002"


async def test_goto_closed_unit_shows_closed_units(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "colon")
        await answer_prompt(pilot, "900000000200001")
        assert main_screen(app).show_closed
        assert cursor_id(app) == "900000000200001"
        assert any("not valid on 2024-06-01" in n for n in notices(app))
