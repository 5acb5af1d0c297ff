"""Sync in the app (issue 7), driven through Pilot against a real service: the sync key, the service
offline, conflicts, the password prompt without a keyring, and the status bar's operating message."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVICE_USERS, Desk, RunCli, Service
from test_app_support import main_screen, make_app, notices, press, screen_text, settle
from textual.pilot import Pilot
from textual.widgets import Input

from sortui.app import SortApp
from sortui.screens.conflicts import ConflictsScreen
from sortui.screens.login import LoginScreen
from sortui.screens.sync_actions import SyncActions
from sortui.store import db as store_db
from sortui.store import edits
from sortui.widgets.status_bar import Status

AFSNIT = "347831000016005"  # in erik's and bob's subtree


def set_fields(path: Path, sor_id: str, **changes: Any) -> None:
    with closing(store_db.open_working_copy(path)) as conn:
        edits.set_fields(conn, sor_id, changes)


def pending(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT status, field FROM journal WHERE status != 'synced' ORDER BY id").fetchall()


def status(app: SortApp) -> Status:
    return main_screen(app).status.status


def signed_in(desk: Desk, name: str, user: str) -> Path:
    """A working copy signed in as ``user`` and filled from the service."""
    desk.login(name, user)
    desk.sync(name)
    return desk.wc(name)


async def sync(pilot: Pilot) -> None:
    await press(pilot, "f5")
    await settle(pilot)


async def test_the_sync_key_pushes_pending_edits(desk: Desk) -> None:
    wc = signed_in(desk, "a", "alice")
    set_fields(wc, AFSNIT, note="fra appen")
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert (status(app).pending_edits, status(app).service) == (1, "service online")
        await sync(pilot)
        assert status(app).pending_edits == 0 and status(app).service == "service online"
        assert "0 pending  service online · synced " in screen_text(app)
        assert any(n.startswith("Pushed 1 edit") for n in notices(app))
    assert desk.server(f"/units/{AFSNIT}")["data"]["note"] == "fra appen"


async def test_without_a_service_the_key_says_how_to_sign_in(sor_wc: Path) -> None:
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert status(app).service == "no service configured"
        await sync(pilot)
        assert any("sortui login URL" in n for n in notices(app))
        assert "no service configured" in screen_text(app) and "online" not in screen_text(app)


async def test_offline_edits_stay_pending_and_go_with_the_next_sync(desk: Desk) -> None:
    wc = signed_in(desk, "a", "alice")
    set_fields(wc, AFSNIT, note="offline")
    desk.service.stop()
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert status(app).service == "service offline"
        await sync(pilot)
        assert any("offline; pending edits: 1, kept for the next sync" in n for n in notices(app))
        assert status(app).service == "service offline" and status(app).pending_edits == 1
        assert pending(wc) == [("pending", "note")]
        desk.service.start()
        await sync(pilot)
        assert status(app).service == "service online" and status(app).pending_edits == 0
    assert desk.server(f"/units/{AFSNIT}")["data"]["note"] == "offline"


async def test_conflicts_keep_mine_or_take_the_services(desk: Desk) -> None:
    erik, bob = signed_in(desk, "a", "erik"), signed_in(desk, "b", "bob")
    set_fields(erik, AFSNIT, name="Fra Erik")
    desk.sync("a")
    set_fields(bob, AFSNIT, name="Fra Bob", note="Bobs note")
    app = make_app(bob)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sync(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        text = screen_text(app)
        for shown in ("Navn", "base     Roskilde Øjenklinik, beh. afsnit", "mine     Fra Bob", "service  Fra Erik"):
            assert shown in text
        await press(pilot, "m")
        assert "No conflicts" in screen_text(app)
        await press(pilot, "escape")
        await sync(pilot)
        assert desk.server(f"/units/{AFSNIT}")["data"]["name"] == "Fra Bob"

        desk.sync("a")
        set_fields(erik, AFSNIT, name="Erik igen")
        desk.sync("a")
        set_fields(bob, AFSNIT, name="Bob igen")
        await sync(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        await press(pilot, "s", "escape")
        assert status(app).pending_edits == 0
    assert pending(bob) == [] and desk.name_of("b") == "Erik igen"


async def test_a_password_is_asked_for_when_there_is_no_keyring(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, no_keyring: Path, service: Service
) -> None:
    desk = Desk(tmp_path, run_cli, monkeypatch, service)
    desk.login("a", "alice")  # no keyring: the token is not kept
    assert desk.cli("a", "sync", "--password-stdin", stdin=SERVICE_USERS["alice"][2]).code == 0
    set_fields(desk.wc("a"), AFSNIT, note="med kodeord")
    app = make_app(desk.wc("a"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sync(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "no system keyring backend is available" in screen_text(app).lower()
        field = app.screen.query_one(Input)
        assert field.password
        field.value = "wrong"
        await press(pilot, "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and "Wrong user name or password" in screen_text(app)
        app.screen.query_one(Input).value = SERVICE_USERS["alice"][2]
        await press(pilot, "enter")
        await settle(pilot)
        assert status(app).pending_edits == 0 and not isinstance(app.screen, LoginScreen)
        set_fields(desk.wc("a"), AFSNIT, note="igen")
        await sync(pilot)  # the token is kept in memory for the session: no second prompt
        assert not isinstance(app.screen, LoginScreen) and status(app).pending_edits == 0
        token = main_screen(app).query_one(SyncActions).session_token
    assert token and desk.server(f"/units/{AFSNIT}")["data"]["note"] == "igen"
    for path in tmp_path.rglob("*"):
        if path.is_file() and "service" not in path.parts:
            data = path.read_bytes()
            assert SERVICE_USERS["alice"][2].encode() not in data and token.encode() not in data, path


async def test_the_status_bar_shows_the_newest_operating_message(desk: Desk) -> None:
    wc = signed_in(desk, "a", "viv")
    with desk.service.http("alice") as alice:
        alice.post("/messages", json={"text": "Planlagt nedetid kl. 22", "severity": "warning"})
    app = make_app(wc)
    async with app.run_test(size=(120, 40)) as pilot:  # at 80 columns the message is cut with …
        await settle(pilot)
        assert (status(app).message, status(app).message_severity) == ("Planlagt nedetid kl. 22", "warning")
        assert re.search(r"service online · synced \S+  Planlagt nedetid kl\. 22", screen_text(app))
        with desk.service.http("alice") as alice:
            alice.post("/messages", json={"text": "[bold]Ny[/] besked"})
        await sync(pilot)
        assert status(app).message == "[bold]Ny[/] besked" and "  [bold]Ny[/] besked" in screen_text(app)
