"""What changed in the app (issue 16): the last import's changes by kind and institution, jumping to
each unit, and the tree's marks on the units changed that the user has not looked at yet."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from edited_extracts import NEW_UNIT, SECTION, SI_HOSPITAL, SI_PRACTICE, make_sides
from test_app_support import cursor_id, main_screen, make_app, notices, press, screen_text, settle, tree, tree_lines
from textual.command import CommandPalette

from sortui.screens.shak import SHAK_TAB
from sortui.screens.what_changed import WhatChangedScreen
from sortui.store.importer import import_files
from sortui.widgets.org_tree import CHANGED_MARK


@pytest.fixture
def changed_wc(wc: Path, tmp_path: Path, sor_samples: list[Path], samples_dir: Path) -> tuple[Path, str]:
    """A working copy of the real extracts, then their edited copies (and a SHAK code closed); the code."""
    old, new = make_sides(tmp_path, sor_samples)
    shak = samples_dir / "sor" / "SHAKCOMPLETE.TXT"
    lines = shak.read_bytes().decode("latin-1").split("\n")
    i = next(n for n, line in enumerate(lines) if line[39:47] == "25000101")
    lines[i] = lines[i][:39] + "20110101" + lines[i][47:]
    closed = tmp_path / "new" / "SHAKCOMPLETE.TXT"
    closed.write_bytes("\n".join(lines).encode("latin-1"))
    import_files(wc, [*old, shak])
    import_files(wc, [*new, closed])
    return wc, lines[i][3:23].strip()


def seen(wc: Path) -> dict[str, bool]:
    with closing(sqlite3.connect(wc)) as conn:
        rows = conn.execute("SELECT key, min(seen) FROM import_change WHERE target = 'entity' GROUP BY key")
        return {key: bool(value) for key, value in rows}


def choose(screen: WhatChangedScreen, target: str, key: str) -> None:
    """Put the list's cursor on the change of ``key`` (a direct way to what j/k do)."""
    screen.listing.highlighted = next(
        i for i, row in enumerate(screen.rows) if row is not None and row.target == target and row.key == key
    )


async def test_what_changed_lists_by_kind_and_institution_and_jumps(changed_wc: tuple[Path, str]) -> None:
    wc, _ = changed_wc
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert tree(app).changed == {SECTION, NEW_UNIT, SI_PRACTICE, "306011000016003"}
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, WhatChangedScreen)
        text = screen_text(app)
        assert "7 changes  ● 7 not seen" in text
        assert "Units moved (1)" in text and "Roskilde Øjenklinik  347811000016004" in text
        assert f"{CHANGED_MARK} {SECTION}  Roskilde Øjenklinik, behandling" in text
        assert "parent_sor_id: 347821000016008 → 347811000016004" in text
        choose(screen, "entity", SECTION)
        await press(pilot, "enter")
        await settle(pilot)
        assert not isinstance(app.screen, WhatChangedScreen)
        assert cursor_id(app) == SECTION
        lines = tree_lines(app)
        assert any(line.startswith(f"{CHANGED_MARK} Roskilde Øjenklinik, ny klinik") for line in lines)
        assert any(line.startswith("Roskilde Øjenklinik, behandling") for line in lines)  # seen: no mark
        assert seen(wc)[SECTION] and not seen(wc)[NEW_UNIT]
        assert SECTION not in tree(app).changed


async def test_mark_all_seen_clears_the_tree_marks(changed_wc: tuple[Path, str]) -> None:
    wc, _ = changed_wc
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main_screen(app).jump_to(NEW_UNIT, force=False)  # the cursor rests on it: seen
        await settle(pilot)
        await press(pilot, "w", "m")
        assert "Marked 6 changes as seen" in notices(app)
        assert "not seen" not in screen_text(app)
        await press(pilot, "escape")
        assert tree(app).changed == set()
        assert not any(CHANGED_MARK in line for line in tree_lines(app))
        assert all(seen(wc).values())


async def test_a_shak_codes_change_opens_the_navigator(changed_wc: tuple[Path, str]) -> None:
    wc, code = changed_wc
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, WhatChangedScreen)
        choose(screen, "shak", code)
        await press(pilot, "enter")
        await settle(pilot)
        main = main_screen(app)
        assert main.shak_shown() and main.shak_pane.id == SHAK_TAB
        assert code in screen_text(app)


async def test_read_only_marks_go_for_the_session_only(changed_wc: tuple[Path, str]) -> None:
    wc, _ = changed_wc
    app = make_app(wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main_screen(app).jump_to(SECTION)
        await settle(pilot)
        assert cursor_id(app) == SECTION and SECTION not in tree(app).changed
        await press(pilot, "w", "m")
        assert any("Read-only" in n for n in notices(app))
    assert not any(seen(wc).values())


async def test_the_palette_and_an_empty_record(wc: Path, sor_samples: list[Path]) -> None:
    import_files(wc, sor_samples)  # the first import: loaded, not changed
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"what changed")
        await settle(pilot)
        await press(pilot, "enter")
        await settle(pilot)
        assert isinstance(app.screen, WhatChangedScreen)
        text = screen_text(app)
        assert "The last import changed nothing" in text or "loaded for the first time" in text
        assert "the SOR tree: 10 rows loaded for the first time" in text
        assert SI_HOSPITAL not in text
