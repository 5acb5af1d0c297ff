"""Bulk review sessions in the app (issue 8), driven through Pilot on a real working copy: starting from
a rule and from the search, deciding, editing and coming back, undo, quit and resume, export, marking
many and applying one change, a 10,000-item session, and read-only mode."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from test_app_support import main_screen, make_app, notices, press, screen_text, settle
from textual.pilot import Pilot
from textual.widgets import Input

from sortui.app import SortApp, binding_ids
from sortui.screens.confirm import ConfirmScreen
from sortui.screens.edi import EdiScreen
from sortui.screens.editor import UnitEditor
from sortui.screens.prompts import PromptScreen
from sortui.screens.review import ReviewScreen
from sortui.screens.review_change import check_assignment, parse_assignment
from sortui.screens.review_sessions import ReviewSessionsScreen
from sortui.store import db, edits, journal, review
from sortui.widgets.picker import PickerScreen

VIEW_DATE = "2024-06-01"
XREF = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def connect(path: Path) -> sqlite3.Connection:
    return db.open_working_copy(path)


def review_screen(app: SortApp) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen), app.screen
    return app.screen


def title(app: SortApp) -> str:
    return screen_text(app).splitlines()[0]


async def pick(pilot: Pilot, value: str) -> None:
    """Pick the choice with ``value`` in the open picker."""
    screen = pilot.app.screen
    assert isinstance(screen, PickerScreen), screen
    screen.options.highlighted = [c.value for c in screen.shown].index(value)
    screen.options.focus()
    await press(pilot, "enter")


async def answer(pilot: Pilot, value: str | None = None) -> None:
    """Enter in the open prompt, with ``value`` typed (None: keep what it suggests)."""
    assert isinstance(pilot.app.screen, PromptScreen), pilot.app.screen
    if value is not None:
        pilot.app.screen.query_one(Input).value = value
    await press(pilot, "enter")


async def new_session(pilot: Pilot, source: str, name: str | None = None) -> ReviewScreen:
    """R, n, the source, the name (or the suggested one): the review screen of the new session."""
    await settle(pilot)
    await press(pilot, "R")
    assert isinstance(pilot.app.screen, ReviewSessionsScreen)
    await press(pilot, "n")
    await pick(pilot, source)
    await answer(pilot, name)
    return review_screen(pilot.app)  # type: ignore[arg-type]


async def resume(pilot: Pilot, name: str) -> ReviewScreen:
    await press(pilot, "R")
    sessions = pilot.app.screen
    assert isinstance(sessions, ReviewSessionsScreen)
    sessions.listing.highlighted = [s.name for s in sessions.sessions].index(name)
    await press(pilot, "enter")
    return review_screen(pilot.app)  # type: ignore[arg-type]


def test_every_review_binding_has_an_id() -> None:
    ids = binding_ids()
    assert {"app.reviews", "review.approve", "review.flag", "review.undo", "review.mark", "reviews.delete"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_field_value_parsing() -> None:
    assert parse_assignment("contact.phone=12345678") == ("contact.phone", "12345678")
    assert parse_assignment("TELEFON = 12345678") == ("contact.phone", "12345678")
    assert parse_assignment("Vejnavn (postal)=Nyvej") == ("postal.street", "Nyvej")
    assert parse_assignment("ambulant=ja") == ("ambulant", True)
    assert parse_assignment("note=") == ("note", None)  # nothing after = clears the field
    assert check_assignment("phone=1") == "'phone' is not a field that can be edited; did you mean contact.phone?"
    assert "expected ja or nej" in (check_assignment("ambulant=måske") or "")
    assert "FIELD=VALUE" in (check_assignment("to_date") or "")


async def test_a_whole_review_from_a_rule(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await new_session(pilot, "rule:no-phone")
        name = f"no-phone {VIEW_DATE}"
        assert screen.session == name and screen.total == 2804
        assert "1 of 2804" in title(app)
        assert "intet telefonnummer" in screen_text(app)
        first = screen.view.row  # type: ignore[union-attr]
        assert first.label == "\x1b[31mEvil red"  # the queue is by name: shown safely, as ␛
        assert "␛[31mEvil red" in screen_text(app) and "\x1b" not in screen_text(app)

        await press(pilot, "a")
        await press(pilot, "f")
        await answer(pilot, "forkert adresse")
        await press(pilot, "s")
        assert screen.position == 4 and "3 decided ✓1 ⚑1 ↷1" in title(app)
        shown = screen_text(app)
        assert "Decided, newest first" in shown and "forkert adresse" in shown

        # e: the unit editor, then back at the same item
        fourth = screen.view.row  # type: ignore[union-attr]
        await press(pilot, "e")
        assert isinstance(app.screen, UnitEditor)
        app.screen.query_one("#f-contact-phone", Input).value = "12345678"
        await settle(pilot)
        await press(pilot, "f2")
        assert app.screen is screen and screen.position == 4 and screen.view.row.key == fourth.key  # type: ignore[union-attr]
        assert "Telefon" in screen.query_one("#review-detail-body").render().plain  # type: ignore[attr-defined]
        with connect(app_wc) as conn:
            assert [(e.key, e.field) for e in journal.pending(conn)] == [(fourth.key, "contact.phone")]

        await press(pilot, "u")  # the skip on item 3
        assert screen.position == 3 and "2 decided ✓1 ⚑1 ↷0" in title(app)
        await press(pilot, "j", "j")
        assert screen.position == 5

        await press(pilot, "question_mark")
        assert "Approve the item and go to the next" in screen_text(app)
        await press(pilot, "escape", "escape")
        assert app.screen is main_screen(app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Review sessions", "New review session"} <= set(titles)

        screen = await resume(pilot, name)
        await settle(pilot)
        assert screen.position == 5 and "5 of 2804" in title(app)
        assert "2 decided ✓1 ⚑1 ↷0" in title(app)
        await press(pilot, "escape")

    conn = connect(app_wc)
    rows = list(csv.DictReader(io.StringIO(review.export(conn, name, "csv", None)), delimiter=";"))
    conn.close()
    assert [(r["seq"], r["decision"], r["note"]) for r in rows[:4]] == [
        ("1", "approved", ""),
        ("2", "flagged", "forkert adresse"),
        ("3", "", ""),
        ("4", "", ""),
    ]
    assert rows[0]["key"] == first.key


async def test_a_review_of_a_search_under_a_unit_is_that_search(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "colon")
        await answer(pilot, "347811000016004")  # Roskilde Øjenklinik (SI)
        await press(pilot, "f")
        await pilot.press(*"klinik")
        await settle(pilot)
        assert main_screen(app).search.total == 3  # the SI and its two units, not the owner
        await press(pilot, "escape")
        screen = await new_session(pilot, "search:klinik", "klinik under")
        assert screen.total == 3
        with connect(app_wc) as conn:
            items = review.items(conn, "klinik under", 0, 10)
            assert [i.key for i in items] == [h.sor_id for h in main_screen(app).search.hits]
            assert review.sessions(conn)[0].source == "search:klinik (i undertræet 347811000016004)"


async def test_start_from_the_search_and_change_many(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"afsnit 00")
        await settle(pilot)
        hits = main_screen(app).search.hits
        assert len(hits) == 100
        await press(pilot, "escape")
        screen = await new_session(pilot, "search:afsnit 00", "telefon")
        assert screen.total == 100
        with connect(app_wc) as conn:
            keys = [it.key for it in review.items(conn, "telefon", 0, 3)]
            edits.set_fields(conn, keys[1], {"contact.phone": "12345678"})  # has it already

        await press(pilot, "x", "x", "x")
        assert screen.marks == {1, 2, 3} and screen.position == 4 and "●3 marked" in title(app)
        await press(pilot, "c")
        await answer(pilot, "telefon=12345678")  # a Danish label works as the field
        assert isinstance(app.screen, ConfirmScreen)
        preview = app.screen.body.plain
        assert "2 change" in preview and "1 have it already" in preview and "0 refused" in preview
        await press(pilot, "y")
        assert review_screen(app) is screen
        assert screen.marks == {2}  # the unchanged one stays marked
        assert screen.position == 4 and "2 decided ✓2" in title(app)
        with connect(app_wc) as conn:
            changed = [(e.key, e.field, e.new_value) for e in journal.pending(conn)][1:]
            assert changed == [(keys[0], "contact.phone", "12345678"), (keys[2], "contact.phone", "12345678")]
            decided = [(i.seq, i.decision, i.note) for i in review.items(conn, "telefon", 0, 4)]
        note = "ændret: Telefon (contact.phone) = 12345678"
        assert decided == [(1, "approved", note), (2, None, None), (3, "approved", note), (4, None, None)]

        # a change the rules refuse: no confirmation, the reason in a notice
        await press(pilot, "asterisk")  # clears the marks
        await press(pilot, "c")
        await answer(pilot, "to_date=2000-01-01")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("1 refused (1× Gyldig til 2000-01-01 is before Gyldig fra" in n for n in notices(app))
        await press(pilot, "asterisk")  # marks every undecided item
        assert len(screen.marks) == 98


async def test_location_numbers_edi_editor_and_message_types(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await new_session(pilot, "rule:no-message-types", "edi")
        assert screen.total == 2 and "Lokationsnummer" in screen_text(app)
        gln = screen.view.row.key  # type: ignore[union-attr]
        await press(pilot, "e")
        assert isinstance(app.screen, EdiScreen) and app.screen.data.gln == gln
        await press(pilot, "escape")
        assert app.screen is screen and screen.position == 1

        await press(pilot, "x", "x")
        await press(pilot, "c")
        await pick(pilot, "add")
        await pick(pilot, XREF)
        assert isinstance(app.screen, ConfirmScreen) and "2 change" in app.screen.body.plain
        await press(pilot, "y")
        with connect(app_wc) as conn:
            assert sorted((e.op, e.field) for e in journal.pending(conn)) == [("add", XREF), ("add", XREF)]
            assert review.summary(conn, "edi").approved == 2
        assert not screen.marks


async def test_a_10000_item_session_opens_and_moves(app_wc: Path) -> None:
    conn = connect(app_wc)
    ids = [r[0] for r in conn.execute("SELECT sor_id FROM entity ORDER BY sor_id LIMIT 500")]
    with conn:
        conn.execute(
            "INSERT INTO review_session (name, source, created_at, on_date, position)"
            " VALUES ('stor', 'rule:no-phone', '2024-06-01T00:00:00+00:00', ?, 1)",
            (VIEW_DATE,),
        )
        conn.executemany(
            "INSERT INTO review_item (session, seq, target, key, reason) VALUES ('stor', ?, 'entity', ?, 'test')",
            [(seq, ids[seq % len(ids)]) for seq in range(1, 10_001)],
        )
    conn.close()
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await resume(pilot, "stor")
        await settle(pilot)
        assert "1 of 10000" in title(app)
        await press(pilot, "j", "j", "j")
        assert screen.view.row.seq == 4  # type: ignore[union-attr]
        await press(pilot, "G", "k")
        assert screen.view.row.seq == 9_999 and "9999 of 10000" in title(app)  # type: ignore[union-attr]
        await press(pilot, "colon")
        await answer(pilot, "5000")
        await press(pilot, "a", "v")
        assert screen.position == 5_001 and "▸" in screen_text(app)  # the queue around the item
        await press(pilot, "b")
        assert screen.position == 5_000
        await press(pilot, "escape")
    conn = connect(app_wc)
    assert review.summary(conn, "stor").position == 5_000
    conn.close()


async def test_read_only_is_view_only_and_delete_asks(app_wc: Path) -> None:
    conn = connect(app_wc)
    review.start(conn, "edi", VIEW_DATE, rule="no-message-types")
    conn.close()
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await resume(pilot, "edi")
        await settle(pilot)
        assert "READ-ONLY: view only" in title(app)
        await press(pilot, "a", "e", "c")
        assert review_screen(app) is screen and screen.summary.decided == 0  # type: ignore[union-attr]
        assert any(n.startswith("Read-only: the review is view only") for n in notices(app))
        await press(pilot, "j")
        assert screen.position == 2
        await press(pilot, "escape", "R", "n", "D")
        assert isinstance(app.screen, ReviewSessionsScreen)  # neither a picker nor a confirmation
    conn = connect(app_wc)
    assert review.summary(conn, "edi").position == 1  # nothing written
    conn.close()

    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "R", "D")
        assert isinstance(app.screen, ConfirmScreen) and "edi: 2 items" in app.screen.body.plain
        await press(pilot, "y")
        sessions = app.screen
        assert isinstance(sessions, ReviewSessionsScreen) and sessions.sessions == []
        assert "No review sessions yet" in screen_text(app)
