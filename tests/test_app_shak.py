"""The SHAK navigator, driven through Pilot on real working copies (the SOR samples and SHAKCOMPLETE.TXT)."""

from __future__ import annotations

from pathlib import Path

from conftest import SHAK_VIEW_DATE
from test_app_support import answer_prompt, cursor_id, main_screen, make_app, notices, press, settle
from textual.pilot import Pilot

from sortui.app import SortApp, binding_ids
from sortui.screens.help import HelpScreen
from sortui.screens.shak_history import ShakHistoryScreen
from sortui.store.queries import ShakEntry
from sortui.widgets.shak_detail import ShakUnits
from sortui.widgets.shak_nav import ShakChecks, ShakFilter, ShakHits, ShakPane
from sortui.widgets.shak_tree import ShakTree

SECTION = "2529010"  # Roskilde Øjenklinik, beh.afsnit: valid from 2009-08-01
SECTION_UNIT = "347831000016005"  # the SOR unit carrying it


def shak_app(db: Path, view_date: str = SHAK_VIEW_DATE, **kwargs: object) -> SortApp:
    return make_app(db, view_date=view_date, demo=False, **kwargs)


def pane(app: SortApp) -> ShakPane:
    return main_screen(app).shak_pane


def shak_tree(app: SortApp) -> ShakTree:
    return pane(app).tree


def lines(app: SortApp) -> list[str]:
    """The SHAK tree's lines as plain text (every expanded line)."""
    return [line.node.label.plain for line in shak_tree(app)._tree_lines]


def codes(app: SortApp) -> list[str]:
    return [line.node.data.code for line in shak_tree(app)._tree_lines if line.node.data and line.node.data.code]


def cursor(app: SortApp) -> str | None:
    return shak_tree(app).cursor_code()


def cursor_label(app: SortApp) -> str:
    node = shak_tree(app).cursor_node
    return node.label.plain if node is not None else ""


def detail(app: SortApp) -> str:
    return main_screen(app).shak_detail.text.plain


def entry(app: SortApp, code: str) -> ShakEntry:
    node = next(line.node for line in shak_tree(app)._tree_lines if line.node.data and line.node.data.code == code)
    assert node.data is not None and node.data.entry is not None
    return node.data.entry


async def goto(pilot: Pilot, key: str) -> None:
    """What the go-to prompt does with ``key`` when the SHAK pane has the focus (the prompt: see test_goto_*)."""
    pane(pilot.app).goto(key)  # type: ignore[arg-type]
    await settle(pilot)


async def goto_prompt(pilot: Pilot, key: str) -> None:
    await press(pilot, "colon")
    await answer_prompt(pilot, key)


async def test_navigate_hospital_department_section(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert isinstance(app.focused, ShakTree)
        assert main_screen(app).has_class("-shak")
        assert cursor_label(app).startswith("1301  Rigshospitalet (44)  1976-04-01–  Offentlig · instart 101")
        root = shak_tree(app).root
        assert len(root.children) == 201  # a page of 200 of the 470 hospitals valid then, and "more"
        assert root.children[-1].label.plain == "… 270 more"
        await press(pilot, "l", "l")
        assert cursor(app) == "130101"
        assert "Sygehus" not in detail(app) and "Afdeling under 1301 Rigshospitalet" in detail(app)
        await press(pilot, "l", "l")
        assert cursor(app) == "1301011"
        assert cursor_label(app) == "1301011  Anæstesi-/operationsklinik, ABD  2004-01-01–"
        assert "Afsnit under 1301 Rigshospitalet › 130101 Rigshospitalet, Anæstesiologisk Klinik, AN" in detail(app)
        assert "Versions (5)" in detail(app)
        assert codes(app)[:4] == ["1301", "130101", "1301011", "1301013"]
        await press(pilot, "h", "h")  # to the department, then collapse it
        assert cursor(app) == "130101" and not shak_tree(app).cursor_node.is_expanded
        await press(pilot, "tab")
        assert isinstance(app.focused, ShakTree)  # no SOR unit carries 130101: nothing else to focus
        await press(pilot, "o")
        assert not main_screen(app).has_class("-shak")
        assert app.focused is main_screen(app).tree


async def test_view_date_hides_and_shows_codes(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await goto(pilot, "2529")
        assert cursor(app) == "2529"
        await press(pilot, "l", "l")
        assert "252901" in codes(app)
        await press(pilot, "d")
        await answer_prompt(pilot, "2009-01-01")  # before Roskilde Øjenklinik's codes begin
        assert "2529" not in codes(app) and "252901" not in codes(app)
        assert pane(app).border_subtitle == "valid 2009-01-01"
        await goto(pilot, "1301")
        await press(pilot, "d")
        await answer_prompt(pilot, "1977-01-01")
        assert cursor(app) == "1301"  # the cursor's code stays in view
        await press(pilot, "l")
        # 1301010 is valid in 1977 (closed 1978-12-31); its department's own code is not: shown dimmed
        assert entry(app, "130101").valid is False
        assert "(valid from 2006-01-01)" in next(line for line in lines(app) if line.startswith("130101 "))
        await press(pilot, "j", "l", "l")
        assert cursor(app) == "1301010"
        assert cursor_label(app) == "1301010  ANÆSTHESIAFDELING AN  1976-04-01–1978-12-31"
        await press(pilot, "d")
        await answer_prompt(pilot, SHAK_VIEW_DATE)
        assert "1301010" not in codes(app)


async def test_all_versions_toggle(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s", "l", "l", "l")
        assert cursor(app) == "130101"
        assert "1301010" not in codes(app)
        await press(pilot, "a")
        assert pane(app).border_subtitle == "all versions"
        assert cursor(app) == "130101"  # the cursor's code stays
        await press(pilot, "l")
        closed = next(line for line in shak_tree(app)._tree_lines if line.node.data.code == "1301010").node.label
        assert closed.plain.endswith("(closed 1978-12-31)")
        assert "dim" in str(closed.style) or any("dim" in str(s.style) for s in closed.spans)
        assert entry(app, "1301").children == 77  # every department prefix, not just the 44 valid
        assert any("130102 (5)  (no code of its own)" in line for line in lines(app))  # sections without a department
        await press(pilot, "a")
        assert pane(app).border_subtitle == f"valid {SHAK_VIEW_DATE}"
        assert "1301010" not in codes(app)


async def test_history(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await goto(pilot, "1301011")
        await press(pilot, "v")
        assert isinstance(app.screen, ShakHistoryScreen)
        text = app.screen.text.plain
        assert "Versions in the SHAK file (5)" in text
        for period, name in (
            ("1979-01-01–1982-12-31", "ANÆSTHESIAFD. AN"),
            ("2004-01-01–", "Anæstesi-/operationsklinik"),
        ):
            assert f"{period:<22}{name}" in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, ShakHistoryScreen)
        await press(pilot, "enter")  # enter on a section: its history too
        assert isinstance(app.screen, ShakHistoryScreen)
        await press(pilot, "escape")
        await goto(pilot, "1301")
        expanded = shak_tree(app).cursor_node.is_expanded
        await press(pilot, "enter")  # on a hospital: expands or collapses
        assert not isinstance(app.screen, ShakHistoryScreen)
        assert shak_tree(app).cursor_node.is_expanded is not expanded


async def test_filter_by_text_and_code_prefix(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s", "slash")
        assert isinstance(app.focused, ShakFilter)
        await pilot.press(*"ro")
        main_screen(app).query_one(ShakFilter).insert_text_at_cursor("skilde øjenkl")
        await settle(pilot)
        assert [e.code for e in pane(app).hits] == ["2529", "252901", SECTION]
        assert pane(app).border_title == "SHAK: 3 codes"
        assert detail(app).startswith("2529  Roskilde Øjenklinik")  # the first hit's details
        await press(pilot, "down", "j", "j")
        assert isinstance(app.focused, ShakHits)
        await press(pilot, "enter")
        assert cursor(app) == SECTION
        assert isinstance(app.focused, ShakTree)
        assert codes(app)[codes(app).index("2529") : codes(app).index("2529") + 3] == ["2529", "252901", SECTION]
        await press(pilot, "slash")
        main_screen(app).query_one(ShakFilter).value = "1301 ANÆSTESIAFD"  # a code prefix and a word (any case, folded)
        await settle(pilot)
        assert [e.code for e in pane(app).hits] == []  # old texts only: not valid on the view date
        await press(pilot, "escape")
        assert pane(app).mode == "shak-tree" and isinstance(app.focused, ShakTree)
        await press(pilot, "a", "slash")  # all versions: the filter runs again
        assert [e.code for e in pane(app).hits] == ["1301011", "1301012", "1301017", "1301561"]


async def test_goto_resolves_shak_codes_in_the_pane(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await goto_prompt(pilot, "A2529010")  # the SKS form
        assert cursor(app) == SECTION
        assert codes(app)[codes(app).index("2529") :][:3] == ["2529", "252901", SECTION]
        await goto_prompt(pilot, "1301010")  # closed in 1978: all versions are shown
        assert cursor(app) == "1301010"
        assert pane(app).view.all_versions
        assert any("1301010 is not valid on 2010-01-26" in n for n in notices(app))
        await goto_prompt(pilot, SECTION_UNIT)  # a SOR id: the organisation tree
        assert not main_screen(app).has_class("-shak")
        assert cursor_id(app) == SECTION_UNIT
        await press(pilot, "s")
        await goto_prompt(pilot, "9998")  # neither a SHAK code nor anything else
        assert any("9998: not found" in n for n in notices(app))
        assert main_screen(app).has_class("-shak")


async def test_jump_from_code_to_unit_and_back(full_wc: Path) -> None:
    app = shak_app(full_wc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await goto(pilot, SECTION)
        assert "1 unit carries this code: enter on the code jumps to it" in detail(app)
        await press(pilot, "enter")  # enter on a code one unit carries: to that unit
        assert not main_screen(app).has_class("-shak")
        assert cursor_id(app) == SECTION_UNIT
        await press(pilot, "s")
        assert cursor(app) == SECTION
        units = main_screen(app).query_one(ShakUnits)
        assert units.get_option_at_index(0).id == SECTION_UNIT
        await press(pilot, "u")
        assert app.focused is units
        await press(pilot, "enter")
        assert not main_screen(app).has_class("-shak")
        assert app.focused is main_screen(app).tree
        assert cursor_id(app) == SECTION_UNIT
        await press(pilot, "k")  # the department unit (SHAK 252901)
        await press(pilot, "S")
        assert main_screen(app).has_class("-shak")
        assert cursor(app) == "252901"
        assert shak_tree(app).cursor_node.parent.data.code == "2529"
        await press(pilot, "o", "k", "k")  # the owner: no SHAK code
        await press(pilot, "S")
        assert any("has no SHAK-kode" in n for n in notices(app))


async def test_checks_grouped_with_counts(full_wc: Path) -> None:
    app = shak_app(full_wc, view_date="2009-01-01")  # before the sample units' codes begin
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s", "x")
        checks = main_screen(app).query_one(ShakChecks)
        assert app.focused is checks
        groups = [n.label.plain for n in checks.root.children]
        assert groups[0].startswith("prefix (0)")
        assert groups[1].startswith("invalid (3)  SHAK-kode not valid on the date")
        assert groups[2].startswith("missing (0)")
        assert groups[3].startswith("unmapped (1,")
        assert pane(app).border_title.startswith("SHAK checks on 2009-01-01:")
        await press(pilot, "j", "j", "j", "j")
        assert checks.cursor_code() == SECTION
        assert detail(app).startswith(SECTION)
        await press(pilot, "enter")  # a finding with a unit: the unit in the organisation tree
        assert cursor_id(app) == SECTION_UNIT
        await press(pilot, "s")
        assert app.focused is checks
        await press(pilot, "G", "l", "j")  # the first unmapped department code
        code = checks.cursor_code()
        assert code is not None and len(code) == 6
        await press(pilot, "enter")  # no unit: the code in the SHAK tree
        assert pane(app).mode == "shak-tree"
        assert cursor(app) == code


async def test_working_copy_with_shak_only(shak_only_wc: Path) -> None:
    app = make_app(shak_only_wc, view_date=SHAK_VIEW_DATE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not any("empty" in n for n in notices(app))  # SHAK codes are not an empty working copy
        assert main_screen(app).has_class("-shak")  # nothing in the tree: the SHAK pane is shown
        assert isinstance(app.focused, ShakTree)
        assert cursor(app) == "1301"
        await goto(pilot, "2529010")
        assert "No unit carries this code" in detail(app)
        await press(pilot, "x")
        labels = [n.label.plain for n in main_screen(app).query_one(ShakChecks).root.children]
        assert labels and all("skipped" in label for label in labels)


async def test_no_shak_data_says_how_to_import(sor_wc: Path) -> None:
    app = shak_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert lines(app) == ["No SHAK-koder: import SHAKCOMPLETE.TXT (see the detail panel)"]
        assert "sortui import SHAKCOMPLETE.TXT" in detail(app)
        await goto(pilot, "2529")  # the unit carrying it, as from the tree
        assert cursor_id(app) == "347811000016004"


async def test_region_ownership_and_institution_type(shak_region_wc: Path) -> None:
    app = shak_app(shak_region_wc)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await goto(pilot, "2529")
        assert (
            cursor_label(app)
            == "2529  Roskilde Øjenklinik (1)  2009-08-01–  SOR 1  Region Sjælland · Privat · instart 161 (unknown code)"
        )
        assert "Region          Region Sjælland" in detail(app)
        await press(pilot, "v")
        text = app.screen.text.plain
        assert "SHAKregion.txt (1)" in text
        assert (
            "region Region Sjælland (1085)  ejerforhold Privat (2)  instart 161 (unknown code)"
            "  SOR-kode 347811000016004"
        ) in text


async def test_help_and_keymap_ids(full_wc: Path) -> None:
    ids = binding_ids()
    for binding_id in ("app.shak", "app.organisation", "app.unit_shak", "shak.filter", "shak.all", "shak.checks"):
        assert binding_id in ids
    assert len(ids) == len(set(ids))
    app = shak_app(full_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(main_screen(app))]
        assert {"SHAK navigator", "Organisation tree", "SHAK-kode of the unit", "SHAK checks"} <= set(titles)
        assert main_screen(app).query_one("#tabs").render().plain == "  Organisation o   SHAK s "
        await press(pilot, "s", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.help_title == "Help: SHAK navigator"
        text = app.screen.text.plain
        for description in ("Filter", "All", "Checks", "History", "Expand, or go to the first child"):
            assert description in text
