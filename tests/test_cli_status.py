"""`sortui status`: what the register's "test your access" page answers, against a real service."""

from __future__ import annotations

from conftest import Desk

from sortui import __version__
from sortui.server.db import make_engine
from sortui.server.users import expire_tokens_of

AFSNIT = "347831000016005"


def test_a_signed_in_healthy_working_copy_says_everything(desk: Desk) -> None:
    desk.login("a", "erik")
    desk.sync("a")
    desk.cli("a", "set", AFSNIT, "note=venter")
    result = desk.cli("a", "status", "--json")
    assert result.code == 0, result.err
    report = result.json()
    service, sign_in, wc = report["service"], report["sign_in"], report["working_copy"]
    assert service["reachable"] and service["latency_ms"] > 0 and service["version"] == __version__
    assert service["database"] == "sqlite" and service["availability"]["sla_percent"] == 95.0
    assert (sign_in["user"], sign_in["signed_in"], sign_in["role"], sign_in["subtrees"]) == (
        "erik",
        True,
        "editor",
        ["347811000016004"],
    )
    assert sign_in["expires_at"] > service["availability"]["since"]
    assert sign_in["token_from"] == "keyring" and sign_in["keyring"] == "keyrings.alt.file.PlaintextKeyring"
    assert (wc["integrity"], wc["pending"], wc["conflicts"]) == ("ok", 1, 0) and wc["last_sync_at"]
    assert report["problems"] == [] and report["exit_code"] == 0

    text = desk.cli("a", "status")
    assert text.code == 0
    assert "as erik, the token is valid until" in text.out and "1 pending edit," in text.out
    assert "changes and creates units inside 347811000016004" in text.out


def test_status_exit_codes_follow_sync(desk: Desk) -> None:
    assert desk.cli("none", "status").code == 6  # no working copy, no service: none set up, as sync says
    for name, user in (("a", "erik"), ("b", "bob")):
        desk.login(name, user)
        desk.sync(name)
    desk.cli("a", "set", AFSNIT, "name=Fra Erik")
    desk.sync("a")
    desk.cli("b", "set", AFSNIT, "name=Fra Bob")
    desk.sync("b", expect=4)
    conflicted = desk.cli("b", "status")
    assert conflicted.code == 4 and "1 conflicts recorded" in conflicted.err

    engine = make_engine(desk.service.db_url)
    expire_tokens_of(engine, "erik")
    engine.dispose()
    expired = desk.cli("a", "status")
    assert expired.code == 5 and "the token has expired" in expired.err

    desk.service.stop()
    down = desk.cli("a", "status", "--json")
    assert down.code == 3 and not down.json()["service"]["reachable"]
    assert down.json()["working_copy"]["integrity"] == "ok"  # the local checks still ran


def test_a_damaged_working_copy_is_reported_and_left_as_it_is(run_cli, sor_wc) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(sor_wc)) as conn, conn:  # an index that no longer matches its table
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_entity_shak ON entity (name)' WHERE name = 'ix_entity_shak'"
        )
    before = hashlib.sha256(sor_wc.read_bytes()).hexdigest()
    result = run_cli("status", "--json")
    assert result.code == 2, result.err
    assert result.json()["problems"][0].startswith(
        "the working copy is damaged: row 1 missing from index ix_entity_shak"
    )
    assert result.json()["working_copy"]["integrity"].startswith("row 1 missing from index ix_entity_shak")
    assert hashlib.sha256(sor_wc.read_bytes()).hexdigest() == before


def test_status_says_what_is_missing_to_sign_in(desk: Desk) -> None:
    from contextlib import closing

    from sortui.store import db as store_db
    from sortui.sync import state

    desk.login("a", "erik")
    assert desk.cli("a", "logout").code == 0
    signed_out = desk.cli("a", "status", "--json")
    assert (
        signed_out.code == 5
        and f"not signed in (no token is kept in the keyring): run `sortui login {desk.service.url} --user erik`"
        in signed_out.json()["problems"]
    )
    assert signed_out.json()["sign_in"]["signed_in"] is False and signed_out.json()["service"]["reachable"]

    with closing(store_db.open_working_copy(desk.wc("a"))) as conn, conn:
        state.write_state(conn, user_name=None)
    nameless = desk.cli("a", "status")
    assert nameless.code == 5 and "no user name: run `sortui login URL --user NAME`" in nameless.err
