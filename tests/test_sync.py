"""Sync between working copies through a real service: push, pull, conflicts, rights, outages, credentials."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import SERVICE_USERS, Desk, RunCli, Service

from sortui.domain import wire
from sortui.store import db as store_db
from sortui.store import edits
from sortui.store.rows import load_entities
from sortui.sync import engine
from sortui.sync.client import ServiceClient, ServiceUnavailable

AFSNIT = "347831000016005"
HOSPITAL = "347811000016004"  # the SI above it (erik's and bob's subtree)
APOTEK = "306011000016003"
APOTEK_GLN = "5790000173624"
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def test_push_and_pull_round_trip_between_two_working_copies(desk: Desk) -> None:
    desk.login("a", "alice")
    assert "filled the working copy: 10 units, 2 lokationsnumre" in desk.sync("a").err
    desk.login("b", "erik")
    desk.sync("b")
    assert desk.cli("a", "set", AFSNIT, "name=Sengeafsnit", "postal.street=Køgevej").code == 0
    assert desk.cli("a", "edi", "add", APOTEK_GLN, "XH1530R", "--from", "2024-01-01").code == 0
    pushed = desk.sync("a").err
    assert "pushed 3 changes" in pushed and "3 our own" in pushed
    assert desk.journal("a") == [("synced", "name"), ("synced", "postal.street"), ("synced", URN)]
    assert desk.sql("a", "SELECT version FROM entity WHERE sor_id = ?", AFSNIT) == [(1,)]

    pulled = json.loads(desk.sync("b", "--json").out)
    assert (pulled["pulled"], pulled["applied"], pulled["own"]) == (3, 3, 0)
    assert desk.name_of("b") == "Sengeafsnit"
    assert desk.sql("b", "SELECT street FROM address WHERE sor_id = ? AND kind = 'postal'", AFSNIT) == [("Køgevej",)]
    assert desk.sql("b", "SELECT message_urn, from_date FROM location_message") == [(URN, "2024-01-01")]
    assert desk.sql("b", "SELECT version FROM location WHERE gln = ?", APOTEK_GLN) == [(1,)]
    assert desk.sql("b", "SELECT count(*) FROM search WHERE search MATCH 'sengeafsnit'") == [(1,)]
    assert desk.journal("b") == []  # pulled changes are not journaled

    assert desk.cli("b", "set", AFSNIT, "note=Fra Erik").code == 0
    desk.sync("b")
    back = json.loads(desk.sync("a", "--json").out)
    assert (back["applied"], back["own"]) == (1, 0)
    assert desk.sql("a", "SELECT note, version FROM entity WHERE sor_id = ?", AFSNIT) == [("Fra Erik", 2)]

    with closing(store_db.open_working_copy(desk.wc("b"))) as conn:
        edits.move_unit(conn, AFSNIT, HOSPITAL)
    desk.sync("b")
    desk.sync("a")
    assert desk.sql("a", "SELECT parent_sor_id, version FROM entity WHERE sor_id = ?", AFSNIT) == [(HOSPITAL, 3)]


def test_an_empty_working_copy_is_filled_from_the_service(desk: Desk, sor_wc: Path) -> None:
    desk.login("a", "viv")
    desk.sync("a")
    with (
        closing(store_db.open_working_copy(desk.wc("a"))) as filled,
        closing(store_db.open_working_copy(sor_wc)) as imported,
    ):
        got = {sid: wire.entity_to_data(e) for sid, e in load_entities(filled)}
        want = {sid: wire.entity_to_data(e) for sid, e in load_entities(imported)}
        locations = "SELECT * FROM location ORDER BY gln"
        assert filled.execute(locations).fetchall() == imported.execute(locations).fetchall()
    assert got == want
    assert desk.sql("a", "SELECT last_seq, user_name FROM sync_state") == [(0, "viv")]


def test_two_clients_edit_the_same_field_and_nothing_is_lost(desk: Desk) -> None:
    for name, user in (("a", "erik"), ("b", "bob")):
        desk.login(name, user)
        desk.sync(name)
    desk.cli("a", "set", AFSNIT, "name=Fra Erik")
    desk.sync("a")
    desk.cli("b", "set", AFSNIT, "name=Fra Bob", "note=Bobs note")
    result = desk.sync("b", expect=4)
    assert "1 conflict (1 edit held back)" in result.err
    (conflict,) = desk.cli("b", "conflicts", "--json").json()
    assert (conflict["base"], conflict["local"], conflict["server"], conflict["server_version"]) == (
        "Roskilde Øjenklinik, beh. afsnit",
        "Fra Bob",
        "Fra Erik",
        1,
    )
    unit = desk.server(f"/units/{AFSNIT}")
    assert unit["data"]["name"] == "Fra Erik" and unit["data"]["note"] == "Bobs note"  # the other field went through
    assert desk.name_of("b") == "Fra Bob" and desk.journal("b") == [("pending", "name"), ("synced", "note")]

    assert desk.cli("b", "resolve", str(conflict["entry_id"]), "--mine").code == 0
    assert "pushed 1 change\n" in desk.sync("b").err
    assert desk.server(f"/units/{AFSNIT}")["data"]["name"] == "Fra Bob"
    desk.sync("a")
    assert desk.name_of("a") == "Fra Bob"

    desk.cli("a", "set", AFSNIT, "name=Erik igen")
    desk.sync("a")
    desk.cli("b", "set", AFSNIT, "name=Bob igen")
    desk.sync("b", expect=4)
    (conflict,) = desk.cli("b", "conflicts", "--json").json()
    assert desk.cli("b", "resolve", str(conflict["entry_id"]), "--server").code == 0
    assert desk.name_of("b") == "Erik igen" and all(s == "synced" for s, _ in desk.journal("b"))
    assert "nothing to push" in desk.sync("b").err

    desk.cli("a", "set", AFSNIT, "name=Tredje")
    desk.sync("a")
    desk.cli("b", "set", AFSNIT, "name=Fjerde")
    desk.sync("b", expect=4)
    (conflict,) = desk.cli("b", "conflicts", "--json").json()
    assert desk.cli("b", "resolve", str(conflict["entry_id"]), "--value", "Femte").code == 0
    desk.sync("b")
    desk.sync("a")
    assert desk.server(f"/units/{AFSNIT}")["data"]["name"] == desk.name_of("a") == desk.name_of("b") == "Femte"
    assert desk.cli("b", "conflicts", "--json").json() == []


def test_an_edit_outside_the_subtree_is_refused_and_stays_pending(desk: Desk) -> None:
    desk.login("a", "erik")
    desk.sync("a")
    desk.cli("a", "set", APOTEK, "name=Erik var her")
    result = desk.sync("a", expect=5)
    assert "outside the subtrees" in result.err
    assert desk.journal("a") == [("pending", "name")] and desk.name_of("a", APOTEK) == "Erik var her"
    assert desk.server("/changes")["changes"] == []


def test_a_viewer_cannot_push(desk: Desk) -> None:
    desk.login("a", "viv")
    desk.sync("a")
    desk.cli("a", "set", AFSNIT, "note=x")
    assert "may not change units" in desk.sync("a", expect=5).err
    assert desk.journal("a") == [("pending", "note")]


def test_a_wrong_password_and_an_expired_token(desk: Desk) -> None:
    from sortui.server.db import make_engine
    from sortui.server.users import expire_tokens_of

    wrong = desk.cli("a", "login", desk.service.url, "--create", "--user", "alice", "--password-stdin", stdin="not-it")
    assert wrong.code == 5 and "wrong user name or password" in wrong.err
    assert not desk.wc("a").exists()  # a sign-in that failed made no working copy
    desk.login("a", "alice")
    desk.sync("a")
    engine_ = make_engine(desk.service.db_url)
    expire_tokens_of(engine_, "alice")
    engine_.dispose()
    desk.cli("a", "set", AFSNIT, "note=x")
    assert "expired" in desk.sync("a", expect=5).err
    assert desk.journal("a") == [("pending", "note")]
    assert "pushed 1 change\n" in desk.cli("a", "sync", "--password-stdin", stdin=SERVICE_USERS["alice"][2]).err


def test_the_service_down_during_a_sync(desk: Desk) -> None:
    desk.login("a", "alice")
    desk.sync("a")
    desk.cli("a", "set", AFSNIT, "note=offline")
    desk.service.stop()
    result = desk.sync("a", expect=3)
    assert "cannot reach the service" in result.err
    assert desk.journal("a") == [("pending", "note")]
    desk.service.start()
    assert "pushed 1 change\n" in desk.sync("a").err
    assert [c["new"] for c in desk.server("/changes")["changes"]] == ["offline"]


class LoseTheAnswer(httpx.HTTPTransport):
    """Delivers a push to the service, then loses the connection before the answer arrives."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/changesets"):
            response.read()
            response.close()
            raise httpx.ReadError("connection lost", request=request)
        return response


def test_an_interrupted_push_is_retried_with_its_id_and_applied_once(desk: Desk) -> None:
    desk.login("a", "alice")
    desk.sync("a")
    desk.cli("a", "set", AFSNIT, "note=en gang")
    with closing(store_db.open_working_copy(desk.wc("a"))) as conn:
        client = ServiceClient(desk.service.url, token=desk.service.token("alice"), transport=LoseTheAnswer())
        with client, pytest.raises(ServiceUnavailable):
            engine.sync(conn, client)
    ((status, changeset_id),) = desk.sql("a", "SELECT status, changeset_id FROM journal")
    assert status == "sent" and changeset_id
    assert [c["changeset"] for c in desk.server("/changes")["changes"]] == [changeset_id]  # it did arrive
    ((entry_id,),) = desk.sql("a", "SELECT id FROM journal")
    refused = desk.cli("a", "changes", "--undo", str(entry_id))  # it may have been applied: undoing it would lie
    assert refused.code != 0 and "being sent; sync first" in refused.err
    assert desk.sql("a", "SELECT status, note FROM journal JOIN entity ON sor_id = key") == [("sent", "en gang")]

    desk.cli("a", "set", AFSNIT, "note=to gange")  # made meanwhile, on the version before the lost answer
    result = desk.sync("a")
    assert "pushed 2 changes (1 from an interrupted push, applied once)" in result.err
    feed = desk.server("/changes")["changes"]
    assert [(c["changeset"] == changeset_id, c["new"], c["version"]) for c in feed] == [
        (True, "en gang", 1),
        (False, "to gange", 2),
    ]
    assert desk.sql("a", "SELECT note, version FROM entity WHERE sor_id = ?", AFSNIT) == [("to gange", 2)]


@pytest.fixture(params=[b"<html><body>Bad gateway</body></html>", b'{"hello": "world"}'], ids=["html", "json"])
def garbage_url(request: pytest.FixtureRequest) -> Iterator[str]:
    body: bytes = request.param

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_service_answering_garbage_changes_nothing(
    desk: Desk, garbage_url: str, sor_wc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = desk.cli("a", "login", garbage_url, "--create", "--user", "alice", "--password-stdin", stdin="pw")
    assert login.code == 3 and "answer" in login.err
    assert not desk.wc("a").exists()
    desk.run("set", AFSNIT, "note=lokal", db=sor_wc)
    with closing(store_db.open_working_copy(sor_wc)) as conn:
        from sortui.sync import state

        with conn:
            state.write_state(conn, service_url=garbage_url, user_name="alice")
    monkeypatch.setenv("SORTUI_TOKEN", "some-token")
    result = desk.run("sync", db=sor_wc)
    assert result.code == 3 and "answer" in result.err and "not" in result.err
    with closing(sqlite3.connect(sor_wc)) as conn:
        assert conn.execute("SELECT status FROM journal").fetchall() == [("pending",)]
        assert conn.execute("SELECT last_seq, last_sync_at FROM sync_state").fetchall() == [(0, None)]


def test_without_a_keyring_nothing_secret_is_stored(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, no_keyring: Path, service: Service
) -> None:
    desk = Desk(tmp_path, run_cli, monkeypatch, service)
    result = desk.login("a", "alice")
    assert "no system keyring backend is available" in result.err and "not stored anywhere" in result.err
    assert not no_keyring.exists() or not any(no_keyring.rglob("*"))
    assert "--password-stdin" in desk.sync("a", expect=5).err  # no terminal to ask on
    assert "filled the working copy" in desk.cli("a", "sync", "--password-stdin", stdin=SERVICE_USERS["alice"][2]).err
    monkeypatch.setenv("SORTUI_TOKEN", service.token("alice"))
    desk.cli("a", "set", AFSNIT, "note=med token")
    assert "pushed 1 change\n" in desk.sync("a").err
    secrets = [service.token("alice"), SERVICE_USERS["alice"][2]]
    for path in tmp_path.rglob("*"):
        if path.is_file() and "service" not in path.parts:
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path


def test_dry_run_and_logout(desk: Desk) -> None:
    desk.login("a", "alice")
    desk.login("b", "bob")
    desk.sync("a")
    desk.sync("b")
    desk.cli("b", "set", AFSNIT, "note=fra b")
    desk.sync("b")
    desk.cli("a", "set", AFSNIT, "name=Tørt løb")
    plan = json.loads(desk.sync("a", "--dry-run", "--json").out)
    assert [e["new"] for e in plan["push"]] == ["Tørt løb"] and (plan["pull"], plan["pull_by_others"]) == (1, 1)
    assert desk.journal("a") == [("pending", "name")]
    assert desk.sql("a", "SELECT note FROM entity WHERE sor_id = ?", AFSNIT) == [(None,)]
    assert desk.server("/changes")["head"] == 1

    assert "removed the token" in desk.cli("a", "logout").err
    assert desk.sync("a", expect=5).code == 5


def test_a_long_journal_goes_out_in_several_changesets_in_order(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_CHANGESET", 2)
    desk.login("a", "alice")
    desk.sync("a")
    desk.cli("a", "set", AFSNIT, "name=Et", "note=n")
    desk.cli("a", "set", AFSNIT, "name=To", "postal.street=Vej")
    desk.cli("a", "set", AFSNIT, "local_code=L1")
    assert "pushed 5 changes" in desk.sync("a").err
    feed = desk.server("/changes")["changes"]
    assert [(c["field"], c["new"], c["version"]) for c in feed] == [
        ("name", "Et", 1),
        ("note", "n", 1),
        ("name", "To", 2),
        ("postal.street", "Vej", 2),
        ("local_code", "L1", 3),
    ]
    assert len({c["changeset"] for c in feed}) == 3
    assert desk.cli("a", "conflicts").out.strip() == "no conflicts"


def _lines_with(lines: list[dict], kind: str) -> list[int]:
    return [i for i, r in enumerate(lines) if r["type"] == kind]


def _no_header(lines: list[dict]) -> None:
    del lines[0]


def _unit_without_id(lines: list[dict]) -> None:
    del lines[_lines_with(lines, "entity")[0]]["data"]["sor_id"]


def _messages_as_a_list(lines: list[dict]) -> None:
    lines[_lines_with(lines, "location")[0]]["data"]["messages"] = ["urn:x"]


def _no_end(lines: list[dict]) -> None:
    del lines[-1]


def _unit_twice(lines: list[dict]) -> None:
    at = _lines_with(lines, "entity")[0]
    lines.insert(at, lines[at])


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (_no_header, "does not start with a header"),
        (_unit_without_id, "malformed unit"),
        (_messages_as_a_list, "malformed lokationsnummer"),
        (_no_end, "ended early; nothing was loaded"),
        (_unit_twice, "duplicate record"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[1:],
)
def test_a_broken_snapshot_loads_nothing(service: Service, wc: Path, tamper, says: str) -> None:  # type: ignore[no-untyped-def]
    """The real service's snapshot, changed one way, served from 127.0.0.1: filling stops, nothing is kept."""
    from sortui.sync.client import BadAnswer
    from sortui.sync.snapshot import fill_from_snapshot, is_empty

    with service.http("alice") as http:
        records = [json.loads(line) for line in http.get("/snapshot").text.splitlines() if line.strip()]
    tamper(records)
    body = "".join(json.dumps(r) + "\n" for r in records).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = store_db.open_working_copy(wc)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with ServiceClient(url, token="t") as client, pytest.raises(BadAnswer, match=says):
            fill_from_snapshot(conn, client, lambda *a: None)
        assert is_empty(conn)
        assert conn.execute("SELECT count(*) FROM snapshot").fetchone() == (0,)
        assert conn.execute("SELECT last_seq FROM sync_state").fetchall() in ([], [(0,)])
    finally:
        conn.close()
        server.shutdown()
        server.server_close()
