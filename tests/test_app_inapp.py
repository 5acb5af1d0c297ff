"""The whole job without leaving the app (issue 18): import a file (path prompt with completion,
progress, all or nothing), sign in to the real service on loopback and sync from the palette,
sign out, and copy a row or the detail panel as text."""

from __future__ import annotations

import http.server
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import SERVICE_USERS, SYNC_AFSNIT, WIDE_SI, Service, free_port
from test_app_support import main_screen, make_app, notices, press, screen_text, settle, until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from sortui.app import SortApp
from sortui.screens.confirm import ConfirmScreen
from sortui.screens.import_screen import ImportScreen
from sortui.screens.login import LoginScreen, SignInScreen
from sortui.screens.path_prompt import PathPrompt
from sortui.store import db as store_db
from sortui.store import edits, workfiles
from sortui.store.importer import import_files
from sortui.sync import credentials, state
from sortui.widgets.path_completion import MAX_SCAN, complete, expand

HOSTILE = "900000000200003"  # named "\x1b[31mEvil red" (tests/conftest.py add_app_test_units)


def dump(path: Path) -> list[str]:
    """Every row of the working copy, as SQL."""
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


async def palette(pilot: Pilot, title: str) -> None:
    """Run the palette's command ``title`` (typed, as a user would)."""
    await press(pilot, "ctrl+p")
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*title)
    await settle(pilot)
    await press(pilot, "enter")
    await settle(pilot)


def shak_top(app: SortApp) -> list[str]:
    return [node.label.plain for node in main_screen(app).shak_pane.tree.root.children]


async def import_in_app(pilot: Pilot, typed: str, complete_with_tab: bool = False) -> ImportScreen:
    """``I``, the path typed (then tab), enter; waits for the import and answers its box."""
    await press(pilot, "I")
    prompt = pilot.app.screen
    assert isinstance(prompt, PathPrompt)
    prompt.query_one(Input).value = typed
    await settle(pilot)
    if complete_with_tab:
        await press(pilot, "tab")
    await press(pilot, "enter")
    await settle(pilot)
    box = pilot.app.screen
    assert isinstance(box, ImportScreen) and box.done
    return box


# -- completion of a path -------------------------------------------------------------------------


def test_completion_lists_files_and_folders_and_completes_as_far_as_they_agree(tmp_path: Path) -> None:
    (tmp_path / "sor-2024").mkdir()
    for name in ("sor.zip", "sor.xml", ".hidden", "SHAKCOMPLETE.TXT"):
        (tmp_path / name).write_text("x")
    found = complete("so", tmp_path)
    assert found.matches == ["sor-2024/", "sor.xml", "sor.zip"] and found.common == "sor"
    assert complete("sor.", tmp_path).common == "sor."  # two files agree no further
    assert complete("sor-", tmp_path).common == "sor-2024/"  # the one match, a folder: into it
    assert complete("", tmp_path).matches == ["SHAKCOMPLETE.TXT", "sor-2024/", "sor.xml", "sor.zip"]
    assert complete(".h", tmp_path).matches == [".hidden"]  # hidden files only when asked for
    assert complete(f"{tmp_path}/SH", Path("/")).suggestion == f"{tmp_path}/SHAKCOMPLETE.TXT"
    assert complete(f"{tmp_path}/", Path("/")).suggestion is None  # nothing begun: nothing greyed
    missing = complete("nowhere/x", tmp_path)
    assert missing.matches == [] and missing.problem is not None and "nowhere" in missing.problem


def test_a_path_typed_after_the_start_folder_begins_again_at_a_double_slash(tmp_path: Path) -> None:
    """The prompt starts with the current folder: typing an absolute path (or ~) after it starts over."""
    (tmp_path / "SHAKCOMPLETE.TXT").write_text("x")
    start = Path("/somewhere/else")
    assert expand(f"/somewhere/else/{tmp_path}/SHAKCOMPLETE.TXT", start) == tmp_path / "SHAKCOMPLETE.TXT"
    assert expand("/somewhere/else/~/x", start) == Path.home() / "x"
    assert expand("sor.xml", start) == start / "sor.xml" and expand("a//", start) == Path("/")
    assert complete(f"/somewhere/else/{tmp_path}/SH", start).matches == ["SHAKCOMPLETE.TXT"]


def test_completion_reads_a_bounded_part_of_a_huge_folder(tmp_path: Path) -> None:
    for n in range(MAX_SCAN + 10):
        (tmp_path / f"f{n:05d}").touch()
    found = complete("f", tmp_path)
    assert found.more and len(found.matches) <= 200


def test_a_hostile_file_name_is_listed_printable_and_never_greyed_in(tmp_path: Path) -> None:
    (tmp_path / "evil\x1b[31m.xml").write_text("x")
    found = complete("evil", tmp_path)
    assert found.matches == ["evil\x1b[31m.xml"] and found.suggestion is None


async def test_the_prompt_completes_with_tab_and_lists_what_matches(sor_wc: Path, samples_dir: Path) -> None:
    folder = samples_dir / "sor"
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        field = app.screen.query_one(Input)
        field.value = f"{folder}/ONE_"
        assert await until(pilot, lambda: "ONE_APOTEK.xml" in screen_text(app))
        assert "ONE_PRAKSIS.xml" in screen_text(app) and "3 matching" in screen_text(app)
        await press(pilot, "tab")
        assert field.value == f"{folder}/ONE_"  # three files: as far as they agree
        field.value = f"{folder}/ONE_S"
        await settle(pilot)
        await press(pilot, "tab")
        assert field.value == f"{folder}/ONE_SYGEHUS.xml"
        field.value = str(samples_dir)
        await press(pilot, "enter")  # a folder: not answered, gone into
        assert isinstance(app.screen, PathPrompt) and field.value == f"{samples_dir}/"
        assert await until(pilot, lambda: "medcom/" in screen_text(app) and "sor/" in screen_text(app))
        await press(pilot, "escape")
        assert not isinstance(app.screen, PathPrompt)


# -- import ---------------------------------------------------------------------------------------


async def test_import_a_sample_file_from_the_app_rebases_pending_edits(sor_wc: Path, samples_dir: Path) -> None:
    with closing(store_db.open_working_copy(sor_wc)) as conn:
        edits.set_fields(conn, SYNC_AFSNIT, {"name": "Mit navn"})
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = await import_in_app(pilot, f"{samples_dir}/sor/ONE_SYG", complete_with_tab=True)
        text = box.result.plain
        assert "Imported ONE_SYGEHUS.xml" in text
        assert "pending edits applied again on the new data: 1" in text
        assert (
            "replaced 10 units (snapshot 2010-01-26 from ONE_APOTEK.xml, ONE_PRAKSIS.xml, ONE_SYGEHUS.xml) with 4"
            in text
        )
        await press(pilot, "escape")
        assert not isinstance(app.screen, ImportScreen) and box not in app.screen_stack
        assert main_screen(app).status.status.pending_edits == 1
    with closing(sqlite3.connect(sor_wc)) as conn:
        assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (SYNC_AFSNIT,)).fetchone() == ("Mit navn",)
        sources = [r[0] for r in conn.execute("SELECT source_file FROM snapshot WHERE kind = 'sor'")]
    assert sources and all(s.endswith("ONE_SYGEHUS.xml") for s in sources)


async def test_a_new_file_kind_appears_in_the_app_after_the_import(wc: Path, samples_dir: Path) -> None:
    import_files(wc, [samples_dir / "sor" / "ONE_SYGEHUS.xml"])
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert shak_top(app) == ["No SHAK-koder: import SHAKCOMPLETE.TXT (see the detail panel)"]
        box = await import_in_app(pilot, str(samples_dir / "sor" / "SHAKCOMPLETE.TXT"))
        assert "Imported SHAKCOMPLETE.TXT" in box.result.plain
        await press(pilot, "escape")
        await settle(pilot)
        assert len(shak_top(app)) > 5  # the navigator was read again


async def test_space_in_the_list_adds_files_imported_together(wc: Path, samples_dir: Path) -> None:
    import_files(wc, [samples_dir / "sor" / "ONE_APOTEK.xml"])
    folder = samples_dir / "sor"
    app = make_app(wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        prompt = app.screen
        assert isinstance(prompt, PathPrompt)
        prompt.query_one(Input).value = f"{folder}/"
        assert await until(pilot, lambda: prompt.shown is not None and "SHAKCOMPLETE.TXT" in prompt.shown.matches)
        await press(pilot, "down")
        while prompt.shown.matches[prompt.query_one("#path-matches").highlighted] != "SHAKCOMPLETE.TXT":
            await press(pilot, "j")
        await press(pilot, "space")
        assert "With: SHAKCOMPLETE.TXT" in screen_text(app) and "✓ SHAKCOMPLETE.TXT" in screen_text(app)
        await press(pilot, "tab")  # back to the field
        prompt.query_one(Input).value = f"{folder}/ONE_SYGEHUS.xml"
        await press(pilot, "enter")
        await settle(pilot)
        box = app.screen
        assert isinstance(box, ImportScreen)
        assert box.result.plain.startswith("Imported SHAKCOMPLETE.TXT, ONE_SYGEHUS.xml")
        assert "(shak-complete) from" in box.result.plain and "(sor-xml) from" in box.result.plain
    with closing(sqlite3.connect(wc)) as conn:
        kinds = {r[0] for r in conn.execute("SELECT kind FROM snapshot")}
    assert kinds == {"sor", "shak"}


def test_files_named_in_any_order_load_in_the_order_their_data_needs(tmp_path: Path) -> None:
    """The message types on lokationsnumre refer to the units' numbers: picked first, loaded last."""
    from sortui.generator.files import write_file_set

    files = write_file_set(tmp_path / "set", 500, 5)
    report = import_files(tmp_path / "wc.sqlite", [files["edi"], files["shak"], files["xml"]])
    assert [f.kind for f in report.files] == ["sor-xml", "shak-complete", "edi-map"]
    assert report.files[2].rows > 0 and report.files[2].warning_count == 0


async def test_a_broken_file_is_refused_and_the_working_copy_is_unchanged(
    sor_wc: Path, samples_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "cut.xml"
    broken.write_bytes((samples_dir / "sor" / "ONE_SYGEHUS.xml").read_bytes()[:3000])
    before = dump(sor_wc)
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = await import_in_app(pilot, str(broken))
        text = box.result.plain
        assert "Not imported: the file is refused" in text and f"{broken}:62" in text
        assert "The working copy is as it was." in text
        await press(pilot, "escape")
    assert dump(sor_wc) == before


async def test_an_import_while_another_runs_says_so(sor_wc: Path, samples_dir: Path) -> None:
    before = dump(sor_wc)
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with workfiles.ImportLock(sor_wc, [Path("other.xml")]):  # as a `sortui import` in another shell holds it
            box = await import_in_app(pilot, str(samples_dir / "sor" / "ONE_APOTEK.xml"))
        text = box.result.plain
        assert "Not imported: the working copy is busy" in text and "an import of other.xml" in text
    assert dump(sor_wc) == before


async def test_read_only_mode_and_the_demo_refuse_an_import(sor_wc: Path) -> None:
    app = make_app(sor_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        assert not isinstance(app.screen, PathPrompt)
        assert any("Read-only: import is not possible" in n for n in notices(app))
        app.demo = True
        app.source.readonly = False
        await press(pilot, "I")
        assert not isinstance(app.screen, PathPrompt)
        assert any(n.startswith("This is the demo, not your data") for n in notices(app))


async def test_an_import_runs_on_while_its_box_is_hidden(sor_wc: Path, samples_dir: Path) -> None:
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        app.screen.query_one(Input).value = str(samples_dir / "sor" / "ONE_APOTEK.xml")
        with closing(sqlite3.connect(sor_wc)) as writer:
            writer.execute("BEGIN IMMEDIATE")  # another writer: the import waits for it
            await pilot.press("enter")
            assert await until(pilot, lambda: isinstance(app.screen, ImportScreen))
            await pilot.press("escape")
            assert await until(pilot, lambda: not isinstance(app.screen, ImportScreen))
            assert "The import goes on; I shows its progress again" in notices(app)
            await pilot.press("I")  # shown again, not a second import
            assert await until(pilot, lambda: isinstance(app.screen, ImportScreen))
            await pilot.press("escape")
            assert await until(pilot, lambda: not isinstance(app.screen, ImportScreen))
            writer.rollback()
        await settle(pilot)
        done = [n for n in notices(app) if "imported 3 rows (sor-xml) from" in n]
        assert done and "replaced 10 units" in done[0]


async def test_x_cancels_an_import_and_nothing_is_imported(sor_wc: Path, samples_dir: Path) -> None:
    before = dump(sor_wc)
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        app.screen.query_one(Input).value = str(samples_dir / "sor" / "ONE_APOTEK.xml")
        with closing(sqlite3.connect(sor_wc)) as writer:
            writer.execute("BEGIN IMMEDIATE")  # the import waits for this writer: time to cancel it
            await pilot.press("enter")
            assert await until(pilot, lambda: isinstance(app.screen, ImportScreen))
            await pilot.press("x")
            assert await until(pilot, lambda: "Cancelling the import…" in notices(app))
            writer.rollback()
        await settle(pilot)
        box = app.screen
        assert isinstance(box, ImportScreen) and box.result.plain.startswith("Not imported: cancelled")
    assert dump(sor_wc) == before


async def test_quit_asks_while_an_import_runs(sor_wc: Path, samples_dir: Path) -> None:
    app = make_app(sor_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "I")
        app.screen.query_one(Input).value = str(samples_dir / "sor" / "ONE_APOTEK.xml")
        with closing(sqlite3.connect(sor_wc)) as writer:
            writer.execute("BEGIN IMMEDIATE")
            await pilot.press("enter")
            assert await until(pilot, lambda: isinstance(app.screen, ImportScreen))
            await pilot.press("escape", "q")
            assert await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "An import of ONE_APOTEK.xml is running: quitting cancels it" in screen_text(app)
            await pilot.press("escape")  # stay
            writer.rollback()
        await settle(pilot)
        assert app.is_running and any("imported 3 rows" in n for n in notices(app))


# -- the central service --------------------------------------------------------------------------


@pytest.fixture
def empty_wc(wc: Path) -> Path:
    store_db.open_working_copy(wc).close()
    return wc


def problem_shown(app: SortApp) -> str:
    """What the sign-in form, asked again, says was wrong."""
    assert isinstance(app.screen, SignInScreen)
    return app.screen.problem


async def sign_in(pilot: Pilot, url: str, user: str, password: str, again: bool = False) -> None:
    """The palette's Sign in (``again``: the form is open already, asked again), filled in, enter."""
    if not again:
        await palette(pilot, "Sign in")
    form = pilot.app.screen
    assert isinstance(form, SignInScreen)
    form.query_one("#signin-url", Input).value = url
    form.query_one("#signin-user", Input).value = user
    field = form.query_one("#signin-password", Input)
    assert field.password  # masked
    field.value = password
    field.focus()
    await press(pilot, "enter")
    await settle(pilot)


async def test_sign_in_keeps_the_token_in_the_keyring_then_sync_and_sign_out_from_the_palette(
    empty_wc: Path, service: Service, plain_keyring: Path
) -> None:
    app = make_app(empty_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(n.startswith("The working copy is empty: import a file with I, or sign in") for n in notices(app))
        await sign_in(pilot, service.url, "alice", "not her password")
        assert isinstance(app.screen, SignInScreen) and "Wrong user name or password" in screen_text(app)
        assert app.screen.query_one("#signin-url", Input).value == service.url  # asked again, filled in
        await sign_in(pilot, service.url, "alice", SERVICE_USERS["alice"][2], again=True)
        assert not isinstance(app.screen, SignInScreen)
        assert any(n.startswith(f"Signed in to 127.0.0.1:{service.port} as alice (admin)") for n in notices(app))
        assert credentials.load_token(service.url, "alice")
        assert main_screen(app).status.status.service == "service online"
        await palette(pilot, "Sync")
        assert main_screen(app).status.status.pending_edits == 0
        assert any(n.startswith("Filled from the service") for n in notices(app))
        await settle(pilot)
        assert main_screen(app).tree.root.children  # the tree shows the service's units
        await palette(pilot, "logout")
        assert any(n.startswith(f"Signed out of {service.url}; the token is removed") for n in notices(app))
        assert credentials.load_token(service.url, "alice") is None
    with closing(store_db.open_working_copy(empty_wc)) as conn:
        known = state.read_state(conn)
        assert (known.service_url, known.user_name) == (service.url, "alice")
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] > 0


async def test_without_a_keyring_the_token_is_kept_for_the_session(
    empty_wc: Path, service: Service, no_keyring: Path
) -> None:
    app = make_app(empty_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, service.url, "alice", SERVICE_USERS["alice"][2])
        assert any(
            "no system keyring backend is available: the token is kept for this session only" in n for n in notices(app)
        )
        await press(pilot, "f5")  # no password asked: the session's token
        await settle(pilot)
        assert not isinstance(app.screen, LoginScreen)
        assert any(n.startswith("Filled from the service") for n in notices(app))


async def test_the_sign_in_form_is_filled_from_the_working_copy(
    empty_wc: Path, service: Service, plain_keyring: Path
) -> None:
    with closing(store_db.open_working_copy(empty_wc)) as conn, conn:
        state.write_state(conn, service_url=service.url, user_name="erik")
    app = make_app(empty_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+l")
        form = app.screen
        assert isinstance(form, SignInScreen)
        assert form.query_one("#signin-url", Input).value == service.url
        assert form.query_one("#signin-user", Input).value == "erik"
        assert app.focused is form.query_one("#signin-password", Input)


async def test_sign_in_to_a_service_that_is_down_says_so(empty_wc: Path, plain_keyring: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = make_app(empty_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, url, "alice", "pw")
        assert isinstance(app.screen, SignInScreen)
        assert f"Cannot reach the service at {url}" in problem_shown(app)
    with closing(store_db.open_working_copy(empty_wc)) as conn:
        assert state.read_state(conn).service_url is None


class _Garbage(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b"<html><body>Welcome to the proxy</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_service() -> Iterator[str]:
    """A real HTTP server on loopback that answers an HTML page to everything (a captive portal)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_sign_in_to_a_service_answering_garbage_says_so(
    empty_wc: Path, plain_keyring: Path, garbage_service: str
) -> None:
    app = make_app(empty_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, garbage_service, "alice", "pw")
        assert isinstance(app.screen, SignInScreen)
        assert "something that is not JSON; is this a sortui service?" in problem_shown(app)
    assert credentials.load_token(garbage_service, "alice") is None


# -- copy -----------------------------------------------------------------------------------------


async def test_copy_the_row_and_the_details_as_plain_text(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = main_screen(app)
        main.jump_to(WIDE_SI)
        await settle(pilot)
        await press(pilot, "C")
        assert app.clipboard == f"SI  Testhospitalet  SOR-kode {WIDE_SI}  SHAK 9901  lok 5790000999019"
        notice = notices(app)[-1]
        assert "OSC 52" in notice and "set -g set-clipboard on" in notice
        await press(pilot, "D")
        assert app.clipboard == main.detail.text.plain.strip()
        assert "Testhospitalet" in app.clipboard and "\n" in app.clipboard
        main.jump_to(HOSTILE)
        await settle(pilot)
        await press(pilot, "C")
        assert app.clipboard == f"OE  ␛[31mEvil red  SOR-kode {HOSTILE}"
        await press(pilot, "D")
        assert "\x1b" not in app.clipboard and "␛[31mEvil red" in app.clipboard


async def test_copy_a_search_hit(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        app.screen.query_one(Input).value = "Afsnit 0042"
        await settle(pilot)
        await press(pilot, "down", "C")
        assert app.clipboard.startswith("OE Afsnit 0042") and "Testhospitalet" in app.clipboard
        assert app.clipboard.endswith("SOR-kode 900000000100042")
        assert any(n.startswith("Copied the search hit") for n in notices(app))


async def test_copy_from_the_palette(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main_screen(app).jump_to(WIDE_SI)
        await settle(pilot)
        await palette(pilot, "Copy the row")
        assert app.clipboard.startswith("SI  Testhospitalet")
