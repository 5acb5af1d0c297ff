"""Search as you type, jumping to hits, n/N, paging, a subtree, the hit counter, closed hits, and ':'."""

from __future__ import annotations

from pathlib import Path

from conftest import WIDE_SI
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, screen_text, settle, tree

from sortui.widgets.search_pane import PAGE, HitList, SearchInput

CLOSED = "900000000200001"  # "Afdeling (lukket)", closed 2020-12-31


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


async def test_search_finds_pieces_inside_words_and_ascii_spellings(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"spitalet")  # inside "Testhospitalet"
        await settle(pilot)
        screen = main_screen(app)
        assert [h.sor_id for h in screen.search.hits] == [WIDE_SI]
        field = screen.query_one(SearchInput)
        field.value = "oejenklin"
        await settle(pilot)
        assert [h.name for h in screen.search.hits][:2] == ["Roskilde Øjenklinik", "Roskilde Øjenklinik"]
        lines = [line for line in screen_text(app).splitlines() if "Roskilde Øjenklinik, beh. afsnit" in line]
        assert lines and "· Roskilde Øjenklinik" in lines[0]  # where it sits: its institution


async def test_scrolling_to_the_end_of_the_hits_reads_the_next_page(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"afsnit")
        await settle(pilot)
        pane = main_screen(app).search
        assert len(pane.hits) == PAGE and pane.total > 2500
        assert pane.border_subtitle == f"{pane.total:,} hits"
        await press(pilot, "down", "G")  # the last hit loaded: the next page comes
        assert len(pane.hits) == 2 * PAGE
        await press(pilot, "G")
        assert len(pane.hits) == 3 * PAGE and len({h.sor_id for h in pane.hits}) == 3 * PAGE
        assert pane.query_one(HitList).highlighted == 2 * PAGE - 1  # the cursor stays where it was


async def test_n_past_the_hits_loaded_reads_on(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"afsnit")
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "enter")
        screen.hit_index = PAGE - 1  # as if n had been pressed 99 times
        await press(pilot, "n")
        assert len(screen.search.hits) == 2 * PAGE and screen.hit_index == PAGE
        assert cursor_id(app) == screen.search.hits[PAGE].sor_id
        assert tree(app).border_subtitle.startswith(f"hit {PAGE + 1}/{screen.search.total:,}: afsnit")


async def test_search_under_the_cursor(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"roskilde")
        await settle(pilot)
        screen = main_screen(app)
        everywhere = screen.search.total
        await press(pilot, "escape", "colon")
        await answer_prompt(pilot, "347821000016008")  # Roskilde Øjenklinik, afdeling
        await press(pilot, "f")
        assert screen.search.border_title == "Søg i Roskilde Øjenklinik, afdeling"
        await pilot.press(*"roskilde")
        await settle(pilot)
        assert [h.sor_id for h in screen.search.hits] == ["347821000016008", "347831000016005"]
        assert everywhere > 2
        await press(pilot, "escape")
        await press(pilot, "slash")  # everywhere again, the same text
        assert screen.search.border_title == "Søg" and screen.search.total == everywhere
        await press(pilot, "escape", "g")  # the cursor on the first owner group: no unit
        await press(pilot, "f")
        assert any("No unit under the cursor" in n for n in notices(app))


async def test_the_hit_counter_goes_when_the_search_is_left(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"ejer 29")
        await settle(pilot)
        await press(pilot, "enter")
        assert tree(app).border_subtitle == "hit 1/10: ejer 29"
        await press(pilot, "n")
        assert tree(app).border_subtitle == "hit 2/10: ejer 29"
        await press(pilot, "j")  # the cursor leaves the hit
        assert tree(app).border_subtitle == ""
        await press(pilot, "n")
        assert tree(app).border_subtitle == "hit 3/10: ejer 29"
        await press(pilot, "slash", "escape")  # the search is left
        assert tree(app).border_subtitle == ""
        await press(pilot, "slash")
        await pilot.press("end", "backspace")  # another search ("ejer 2"): the counter and n start again
        await settle(pilot)
        await press(pilot, "escape", "n")
        assert main_screen(app).hit_index == 0 and tree(app).border_subtitle == "hit 1/100: ejer 2"


async def test_jumping_to_a_closed_hit_says_so(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"afdeling")
        await settle(pilot)
        screen = main_screen(app)
        closed = next(i for i, h in enumerate(screen.search.hits) if h.sor_id == CLOSED)
        before = cursor_id(app)
        await press(pilot, *["down"] + ["j"] * closed, "enter")
        assert not screen.show_closed and cursor_id(app) == before  # nothing switched on behind the user's back
        assert any("(900000000200001) is closed 2020-12-31 and not shown: press c" in n for n in notices(app))
        assert tree(app).has_focus
        await press(pilot, "c")
        assert screen.show_closed and cursor_id(app) == CLOSED
        assert tree(app).border_subtitle.startswith(f"hit {closed + 1}/")
