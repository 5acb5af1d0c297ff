"""The organisation tree and the detail panel, driven through Pilot on a real working copy."""

from __future__ import annotations

from pathlib import Path

from conftest import REGION_OWNER, WIDE_SI
from test_app_support import cursor_id, cursor_label, detail_text, make_app, press, settle, tree, tree_lines

WIDE = [f"9000000001{n:05d}" for n in range(3)]


async def test_top_level_is_grouped_by_owner_type(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = tree_lines(app)
        assert lines[:2] == ["Region (1)", "Privat (303)"]
        assert cursor_label(app) == "Region (1)"
        # 303 private owners: split by initial letter, each letter a page of owners
        await press(pilot, "j", "l")
        assert tree_lines(app)[2:] == ["E (300)", "M (1)", "R (1)", "V (1)"]
        await press(pilot, "j", "l", "l")
        assert cursor_label(app).startswith("Ejer 000")


async def test_navigate_expand_and_details(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l")  # Region expands, cursor to Region Test
        assert cursor_id(app) == REGION_OWNER
        await press(pilot, "l", "l")
        assert cursor_id(app) == WIDE_SI
        assert "Testhospitalet (2,502)  SI  SHAK 9901  lok" in cursor_label(app)
        text = detail_text(app)
        assert "Testhospitalet" in text and "SHAK-kode" in text and "9901" in text
        assert "2 message types" in text  # the lokationsnummer with its message types
        await press(pilot, "enter", "j", "j")
        assert cursor_label(app).startswith("[bold]x[/]")
        await press(pilot, "j")
        assert cursor_id(app) == WIDE[0]
        text = detail_text(app)
        assert "Postadresse" in text and "(inherited from Testhospitalet)" in text  # inherited, with where from
        assert "5790000999019 (inherited from Testhospitalet)" in text
        assert "Gyldig fra" in text and "2007-01-01" in text


async def test_collapse_and_reexpand_keeps_cursor_and_children(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l", "l", "l", "l", "j", "j", "j")
        assert cursor_label(app).startswith("Afsnit 0000")
        await press(pilot, "h")  # to the parent
        assert cursor_id(app) == WIDE_SI
        await press(pilot, "h")  # collapse
        assert not tree(app).cursor_node.is_expanded
        assert cursor_id(app) == WIDE_SI
        await press(pilot, "l")  # expand again: already loaded, the cursor stays
        assert tree(app).cursor_node.is_expanded
        assert cursor_id(app) == WIDE_SI
        assert len(tree(app).cursor_node.children) == 201


async def test_wide_node_is_paged(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l", "l", "l", "l")
        si = tree(app).cursor_node
        assert si.data.sor_id == WIDE_SI
        assert len(si.children) == 201  # one SQL page and the "more" node
        assert si.children[-1].label.plain == "… 2,302 more"
        await press(pilot, "G", "k")  # the last line is the next owner group
        assert cursor_label(app) == "… 2,302 more"
        await press(pilot, "enter")
        assert len(si.children) == 401
        assert cursor_label(app).startswith("Afsnit 0198")  # the first unit of the new page
        assert si.children[-1].label.plain == "… 2,102 more"


async def test_closed_units_hidden_then_shown_dimmed(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l", "l", "l", "l")
        assert not any("Afdeling (lukket)" in line for line in tree_lines(app))
        await press(pilot, "c")
        assert cursor_id(app) == WIDE_SI  # the cursor's unit stays in view after the reload
        await press(pilot, "l")
        closed = [n for n in tree(app).cursor_node.children if n.label.plain.startswith("Afdeling (lukket)")]
        assert len(closed) == 1
        assert "(closed 2020-12-31)" in closed[0].label.plain
        assert "dim" in str(closed[0].label.style) or any("dim" in str(s.style) for s in closed[0].label.spans)
        await press(pilot, "c")
        assert not any("Afdeling (lukket)" in line for line in tree_lines(app))


async def test_hostile_names_show_literally(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l", "l", "l", "l", "j")
        label = cursor_label(app)
        assert label.startswith("␛[31mEvil red")
        assert "\x1b" not in label and "\x1b" not in detail_text(app)
        assert detail_text(app).startswith("␛[31mEvil red")
        await press(pilot, "j")
        assert cursor_label(app).startswith("[bold]x[/]")
        assert detail_text(app).startswith("[bold]x[/]")
