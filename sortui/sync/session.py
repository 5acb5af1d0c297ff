"""Signing a working copy in and out, and opening a signed-in client: shared by the CLI and the app.

The working copy remembers the service and the user (``sync_state``); the token lives in the
keyring, or in ``SORTUI_TOKEN``; without either, the caller asks for the password and passes it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sortui.sync import credentials, state
from sortui.sync.client import ServiceClient, SyncError, host_port, normalise_url
from sortui.sync.exit_codes import EXIT_NO_SERVICE, EXIT_REFUSED


class NotConnected(SyncError):
    """No central service is set up for the working copy (it has never been signed in to one)."""

    exit_code = EXIT_NO_SERVICE


class PasswordNeeded(SyncError):
    """No stored token (no keyring, none kept, no SORTUI_TOKEN): ask for the password and try again."""

    exit_code = EXIT_REFUSED


@dataclass(slots=True)
class LoginResult:
    url: str
    user: dict[str, Any]  # name, role, subtrees
    expires_at: str
    stored: bool  # the token is in the keyring
    keyring_reason: str  # why not, when it is not
    token: str = field(default="", repr=False)  # for a caller that keeps it for its session (the app)


@dataclass(slots=True)
class LogoutResult:
    url: str | None
    revoked: bool  # the service revoked the token
    forgotten: bool  # a stored token was removed from the keyring
    problem: str | None = None


def login(conn: sqlite3.Connection, url: str, user: str, password: str, insecure: bool = False) -> LoginResult:
    """Sign in, keep the token in the keyring if there is one, and remember service and user."""
    url = normalise_url(url)
    with ServiceClient(url, insecure=insecure) as client:
        info = client.sign_in(user, password)
    with conn:
        state.write_state(conn, service_url=url, user_name=user)
    stored = credentials.store_token(url, user, info.token)
    reason = "" if stored else credentials.keyring_info().reason or "the keyring refused the token"
    return LoginResult(url, info.user, info.expires_at, stored, reason, info.token)


def logout(conn: sqlite3.Connection, insecure: bool = False) -> LogoutResult:
    """Revoke the token on the service (if it can be reached) and forget it here."""
    known = state.read_state(conn)
    if not known.service_url or not known.user_name:
        return LogoutResult(None, False, False)
    token = credentials.load_token(known.service_url, known.user_name)
    revoked, problem = False, None
    if token:
        try:
            with ServiceClient(known.service_url, token=token, insecure=insecure) as client:
                client.sign_out()
            revoked = True
        except SyncError as exc:
            problem = exc.message
    forgotten = credentials.forget_token(known.service_url, known.user_name)
    return LogoutResult(known.service_url, revoked, forgotten, problem)


def service_of(conn: sqlite3.Connection) -> tuple[str, str]:
    """(service URL, user) this working copy signs in to; NotConnected when none."""
    known = state.read_state(conn)
    if not known.service_url or not known.user_name:
        raise NotConnected(
            "no central service is set up for this working copy: `sortui login URL --user NAME` connects one"
        )
    return known.service_url, known.user_name


def open_client(
    conn: sqlite3.Connection, password: str | None = None, insecure: bool = False, token: str | None = None
) -> ServiceClient:
    """A client with a token: from the password when given, else ``token`` (one the caller keeps in
    memory for its session), else $SORTUI_TOKEN or the keyring.

    Raises NotConnected, PasswordNeeded (ask and call again with ``password``), or the
    client's errors when signing in with the password fails.
    """
    url, user = service_of(conn)
    token = None if password else (token or credentials.load_token(url, user))
    if not token and password is None:
        keyring = credentials.keyring_info()
        why = keyring.reason if not keyring.available else "no token is stored for this service"
        raise PasswordNeeded(f"{why}: the password of {user}@{host_port(url)} is needed")
    client = ServiceClient(url, token=token, insecure=insecure)
    if token:
        return client
    try:
        client.sign_in(user, password or "")
    except BaseException:
        client.close()
        raise
    return client
