"""History ([ and ]) across panes, filter in place, session memory, move by name or by mark: the real app
driven by Pilot on real working copies."""

from __future__ import annotations

from pathlib import Path

from conftest import REGION_OWNER, SHAK_VIEW_DATE, WIDE_SI
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, settle

from sortui.app import SortApp
from sortui.store import search
from sortui.store.db import connect
from sortui.widgets import session
from sortui.widgets.session import SessionState

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
        await filter_tree(pilot, "[bold]x")  # markup typed (and in the unit's name) is shown as typed
        assert ("[bold]x[/]", False) in unit_lines(app)
        assert "filter: [bold]x — 1 unit" in screen.tree._border_title.plain


async def leave_somewhere(app: SortApp, pilot) -> SessionState:  # type: ignore[no-untyped-def]
    """Another date, closed units shown, a deep unit under the cursor, another node opened, the SHAK pane;
    then quit with q. Answers where the user was."""
    await settle(pilot)
    await press(pilot, "d")
    await answer_prompt(pilot, "2015-03-01")
    await press(pilot, "c")
    await goto(pilot, "900000000200001")  # a unit of the wide hospital (closed 2020: valid in 2015)
    screen = main_screen(app)
    await press(pilot, "o")
    state = screen.session_state()
    assert state is not None
    await press(pilot, "s")
    state.pane = "shak"
    await press(pilot, "q")
    return state


async def test_a_relaunch_is_where_the_user_left_the_working_copy(app_wc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "state"
    app = make_app(app_wc, view_date=None, session_dir=folder)
    async with app.run_test(size=(100, 30)) as pilot:
        left = await leave_somewhere(app, pilot)
    assert left.view_date == "2015-03-01" and left.show_closed and left.cursor == "900000000200001"
    assert any(p[-2:] == [REGION_OWNER, WIDE_SI] for p in left.expanded)  # the path to the unit, opened
    files = list((folder / "sessions").glob("*.json"))
    assert len(files) == 1

    again = make_app(app_wc, view_date=None, session_dir=folder)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = main_screen(again)
        assert again.view_date == "2015-03-01" and screen.view_date == "2015-03-01"
        assert screen.show_closed and screen.tree.show_closed
        assert screen.has_class("-shak")  # the pane it was left on
        assert cursor_id(again) == "900000000200001"
        assert sorted(screen.tree.expanded_paths(500)) == sorted(left.expanded)
        await press(pilot, "o")
        assert screen.session_state() == SessionState(
            left.cursor, left.expanded, "tree", left.view_date, left.show_closed
        )

    other = make_app(app_wc.with_name("other.sqlite"), view_date=None, session_dir=folder)
    assert other.remembered == SessionState()  # another working copy: its own state (none yet)


async def test_a_damaged_or_hostile_state_file_is_ignored(app_wc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "state"
    path = session.state_file(app_wc, folder)
    path.parent.mkdir(parents=True)
    for content in (
        b"\xff\xfe not json",
        b'{"cursor": ',
        b"[" * 100_000,
        b'{"cursor": {"x": 1}, "expanded": [[1, 2], "type:x", [["deep"]]], "pane": "\\u001b[31m", '
        b'"view_date": "2015-02-30", "show_closed": "yes"}',
        b'{"cursor": "\\u001b]52;c;aGk=\\u0007", "expanded": [["' + b"9" * 100_000 + b'"]]}',
    ):
        path.write_bytes(content)
        app = make_app(app_wc, view_date=None, session_dir=folder)
        assert app.remembered == SessionState()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = main_screen(app)
            assert not screen.has_class("-shak") and not screen.show_closed
            assert screen.tree.root.children  # the tree as on a first start


async def test_after_a_review_the_tree_is_where_it_was_and_back_goes_to_its_unit(app_wc: Path) -> None:
    from test_app_review import new_session

    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await goto(pilot, "347811000016004")  # Roskilde Øjenklinik (SI)
        await press(pilot, "f")
        await pilot.press(*"klinik")
        await settle(pilot)
        await press(pilot, "escape")
        review = await new_session(pilot, "search:klinik", "klinik under")
        await press(pilot, "j", "j")
        left_on = review.unit_shown
        assert left_on is not None and left_on != "347811000016004"
        await press(pilot, "escape")
        screen = main_screen(app)
        assert app.screen is screen
        assert cursor_id(app) == "347811000016004"  # where the tree was before the review
        await press(pilot, "left_square_bracket")
        assert cursor_id(app) == left_on  # the unit the review was left on
        await press(pilot, "right_square_bracket")
        assert cursor_id(app) == "347811000016004"


ROSKILDE_AFSNIT = "347831000016005"
APOTEK_SI = "306021000016007"  # Værløse Apotek


def parent_of(path: Path, sor_id: str) -> str:
    conn = connect(path, readonly=True)
    try:
        return conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()[0]
    finally:
        conn.close()


async def test_move_picks_the_new_parent_by_name(app_wc: Path) -> None:
    from sortui.screens.confirm import ConfirmScreen
    from sortui.screens.move_parent import ParentScreen
    from sortui.widgets.search_pane import HitList, SearchPane

    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await goto(pilot, ROSKILDE_AFSNIT)
        await press(pilot, "m")
        assert isinstance(app.screen, ParentScreen)
        await pilot.press(*"apotek")
        await settle(pilot)
        hits = app.screen.query_one(SearchPane).hits
        names = [hit.sor_id for hit in hits]
        assert APOTEK_SI in names  # the hits as the search finds them
        await press(pilot, "down")  # to the hits
        assert isinstance(app.focused, HitList)
        app.focused.highlighted = names.index(APOTEK_SI)
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)  # the confirmation as before
        assert "Værløse Apotek" in app.screen.body.plain
        await press(pilot, "y")
        assert parent_of(app_wc, ROSKILDE_AFSNIT) == APOTEK_SI
        # a code typed works as with :
        await press(pilot, "m")
        await answer_prompt(pilot, "347821000016008")  # back under Roskilde's department
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert parent_of(app_wc, ROSKILDE_AFSNIT) == "347821000016008"


async def test_move_offers_the_one_marked_unit_as_the_parent(app_wc: Path) -> None:
    from sortui.screens.confirm import ConfirmScreen
    from sortui.screens.move_parent import ParentScreen

    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await goto(pilot, ROSKILDE_AFSNIT)
        screen = main_screen(app)
        screen.marks.add([ROSKILDE_AFSNIT])  # the unit moved itself: not offered
        await press(pilot, "m")
        assert isinstance(app.screen, ParentScreen)
        await press(pilot, "escape")
        screen.marks.clear()
        await goto(pilot, APOTEK_SI)
        await press(pilot, "space")  # marked in the tree
        assert screen.marks.ids() == [APOTEK_SI]
        await goto(pilot, ROSKILDE_AFSNIT)
        await press(pilot, "m")
        assert isinstance(app.screen, ConfirmScreen)
        assert "under the marked unit Værløse Apotek" in app.screen.body.plain
        await press(pilot, "n")  # another parent: by name or code
        assert isinstance(app.screen, ParentScreen)
        await press(pilot, "escape")
        assert parent_of(app_wc, ROSKILDE_AFSNIT) == "347821000016008"  # nothing moved
        await press(pilot, "m", "y")
        assert isinstance(app.screen, ConfirmScreen) and "to   Værløse Apotek" in app.screen.body.plain
        await press(pilot, "y")
        assert parent_of(app_wc, ROSKILDE_AFSNIT) == APOTEK_SI
        screen.marks.add(["347821000016008"])  # two marked: the parent is asked for
        await press(pilot, "m")
        assert isinstance(app.screen, ParentScreen)


async def test_the_new_keys_can_be_remapped_and_an_unwritable_state_folder_is_no_crash(
    app_wc: Path, tmp_path: Path
) -> None:
    from sortui.screens.prompts import PromptScreen

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"app.filter" = "ctrl+f"\n"app.back" = "b"\n', encoding="utf-8")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the state folder would be")
    app = make_app(app_wc, readonly=True, config_path=config, session_dir=blocked, view_date=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not app.settings.problems
        await press(pilot, "ctrl+f")
        assert isinstance(app.screen, PromptScreen)
        await answer_prompt(pilot, "afsnit 124")
        assert main_screen(app).tree.filter is not None
        await goto(pilot, FAR_UNIT)  # a jump shows the whole tree again
        assert main_screen(app).tree.filter is None and cursor_id(app) == FAR_UNIT
        await goto(pilot, WIDE_SI)
        await press(pilot, "b")
        assert cursor_id(app) == FAR_UNIT
        await press(pilot, "q")  # the state cannot be written: the app quits all the same
    assert app.return_code in (None, 0)
