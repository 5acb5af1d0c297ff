"""`sortui server add-user`: what it refuses (exit 2, the reason, the service's users unchanged) and --replace."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from conftest import SERVICE_USERS

from sortui.server.db import make_engine
from sortui.server.users import UserError, add_user, issue_token, user_for_token

HOSPITAL = "347811000016004"


@pytest.fixture
def db_url(tmp_path: Path, _service_template: Path) -> str:
    shutil.copyfile(_service_template, tmp_path / "service.sqlite")
    return f"sqlite:///{tmp_path / 'service.sqlite'}"


def add(run_cli, monkeypatch: pytest.MonkeyPatch, url: str, *args: str, password: str = "a-good-password"):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run_cli("server", "add-user", "--database", url, *args, "--password-stdin", db=None)


def users(run_cli, url: str) -> list[dict]:  # type: ignore[no-untyped-def]
    result = run_cli("server", "users", "--database", url, "--json", db=None)
    assert result.code == 0, result.err
    return result.json()


@pytest.mark.parametrize(
    ("args", "password", "says"),
    [
        (("kim hansen", "--role", "viewer"), "pw", "'kim hansen' is not a user name"),
        (("kim@host", "--role", "viewer"), "pw", "is not a user name"),
        (("k" * 101, "--role", "viewer"), "pw", "at most 100 characters"),
        (("kim", "--role", "viewer"), "", "the password is empty"),
        (("kim", "--role", "editor"), "pw", "an editor needs at least one --subtree"),
        (
            ("kim", "--role", "editor", "--subtree", "999999999999999"),
            "pw",
            "not units of the register: 999999999999999",
        ),
        (("alice", "--role", "viewer"), "pw", "user alice exists; add --replace"),
    ],
)
def test_add_user_refuses_and_changes_no_user(
    run_cli, monkeypatch: pytest.MonkeyPatch, db_url: str, args: tuple[str, ...], password: str, says: str
) -> None:
    before = users(run_cli, db_url)
    result = add(run_cli, monkeypatch, db_url, *args, password=password)
    assert result.code == 2 and says in result.err and "Traceback" not in result.err
    assert users(run_cli, db_url) == before


def test_an_unknown_role_is_refused_below_the_cli(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(UserError, match="unknown role 'owner'"):
            add_user(engine, "kim", "owner", "pw")
    finally:
        engine.dispose()


def test_replace_changes_role_and_password_and_signs_the_user_out(
    run_cli, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    engine = make_engine(db_url)
    try:
        old, _ = issue_token(engine, "erik", SERVICE_USERS["erik"][2])
        assert old is not None and user_for_token(engine, old.token)[0] is not None
        result = add(run_cli, monkeypatch, db_url, "erik", "--role", "viewer", "--replace", password="a-new-password")
        assert result.code == 0, result.err
        assert {u["name"]: (u["role"], u["subtrees"]) for u in users(run_cli, db_url)}["erik"] == ("viewer", [])
        assert user_for_token(engine, old.token)[0] is None  # signed out
        assert issue_token(engine, "erik", SERVICE_USERS["erik"][2]) == (None, "erik")  # the old password
        issued, _ = issue_token(engine, "erik", "a-new-password")
        assert issued is not None and issued.user.role == "viewer"
    finally:
        engine.dispose()
