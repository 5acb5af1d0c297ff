"""Where the client keeps its token (sync/credentials.py), with real keyring backends: keyrings.alt's
plaintext file, keyring's fail backend (none), and a backend setting that cannot be loaded."""

from __future__ import annotations

from pathlib import Path

import keyring.core
import pytest

from sortui.sync import credentials

URL = "http://127.0.0.1:8765"


def test_a_token_is_stored_loaded_and_forgotten_in_the_keyring(plain_keyring: Path) -> None:
    assert credentials.keyring_info().available
    assert credentials.store_token(URL, "alice", "tok-1")
    assert credentials.load_token(URL, "alice") == "tok-1"
    assert credentials.load_token(URL, "bob") is None  # another user of the same service
    assert credentials.load_token("http://127.0.0.1:9999", "alice") is None  # another service
    assert credentials.forget_token(URL, "alice")
    assert credentials.load_token(URL, "alice") is None
    assert not credentials.forget_token(URL, "alice")  # nothing left to forget


def test_sortui_token_comes_before_the_keyring(plain_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.store_token(URL, "alice", "from-keyring")
    monkeypatch.setenv(credentials.ENV_TOKEN, "  from-env\n")
    assert credentials.load_token(URL, "alice") == "from-env"


def test_without_a_keyring_nothing_is_stored_or_forgotten(no_keyring: Path) -> None:
    info = credentials.keyring_info()
    assert not info.available and "no system keyring backend" in info.reason
    assert not credentials.store_token(URL, "alice", "tok")
    assert credentials.load_token(URL, "alice") is None
    assert not credentials.forget_token(URL, "alice")


def test_a_keyring_setting_that_cannot_be_loaded_is_no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    monkeypatch.delenv(credentials.ENV_TOKEN, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    info = credentials.keyring_info()
    assert (info.available, info.name) == (False, "none") and "could not be loaded" in info.reason
    assert not credentials.store_token(URL, "alice", "tok")
    assert credentials.load_token(URL, "alice") is None
    assert not (tmp_path / "xdg-data").exists()


def test_a_keyring_that_fails_on_use_keeps_nothing(plain_keyring: Path) -> None:
    """A keyring file that is a folder: the plaintext backend fails on every use; sign-in goes on without it."""
    credentials.store_token(URL, "alice", "tok")
    path = Path(keyring.get_keyring().file_path)
    path.unlink()
    path.mkdir()
    assert not credentials.store_token(URL, "alice", "tok-2")
    assert credentials.load_token(URL, "alice") is None
    assert not credentials.forget_token(URL, "alice")


def test_the_password_is_the_first_line_of_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO("hemmeligt kodeord\r\nmore\n"))
    assert credentials.read_password(True, "Password: ") == "hemmeligt kodeord"
