"""``sortui status``: what the register's "test your access" page answers, for this working copy.

Is the service reachable (and how fast), which version, am I signed in and until when, with which
rights, which keyring backend holds my token, and is my working copy healthy (integrity check,
pending edits, conflicts, last sync). Each check runs even when an earlier one failed; ``exit_code``
is the first problem's, with the exit codes of ``sync``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from sortui.store import journal
from sortui.sync import credentials, state
from sortui.sync.client import (
    ServiceClient,
    ServiceRefused,
    ServiceStatus,
    SyncError,
    status,
)
from sortui.sync.exit_codes import EXIT_CONFLICTS, EXIT_NO_SERVICE, EXIT_REFUSED, EXIT_UNAVAILABLE

EXIT_OK, EXIT_DAMAGED = 0, 2


@dataclass(slots=True)
class SignIn:
    user: str | None = None
    signed_in: bool = False
    role: str | None = None
    subtrees: list[str] = field(default_factory=list)
    expires_at: str | None = None
    token_from: str | None = None  # "keyring" or the environment variable
    keyring: str = ""  # the backend's name
    keyring_available: bool = False
    problem: str | None = None


@dataclass(slots=True)
class WorkingCopy:
    path: str
    integrity: str = "ok"  # "ok", or what SQLite's integrity check found
    pending: int = 0
    conflicts: int = 0
    last_sync_at: str | None = None
    last_seq: int = 0


@dataclass(slots=True)
class AccessReport:
    url: str | None
    service: ServiceStatus | None
    sign_in: SignIn
    working_copy: WorkingCopy | None
    problems: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def fail(self, code: int, problem: str) -> None:
        self.problems.append(problem)
        if self.exit_code == EXIT_OK:
            self.exit_code = code


def working_copy_health(conn: sqlite3.Connection, path: str) -> WorkingCopy:
    """SQLite's integrity check, and what waits to be synchronised."""
    found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    known = state.read_state(conn)
    return WorkingCopy(
        path,
        "ok" if found == ["ok"] else "; ".join(found),
        journal.pending_count(conn),
        len(state.conflicts(conn)),
        known.last_sync_at,
        known.last_seq,
    )


def check_access(url: str | None, user: str | None, wc: WorkingCopy | None, insecure: bool = False) -> AccessReport:
    """Every check against the service at ``url`` as ``user`` (either None when not connected)."""
    keyring = credentials.keyring_info()
    report = AccessReport(url, None, SignIn(user, keyring=keyring.name, keyring_available=keyring.available), wc)
    if wc is not None and wc.integrity != "ok":
        report.fail(EXIT_DAMAGED, f"the working copy is damaged: {wc.integrity}")
    if url is None:
        report.fail(
            EXIT_NO_SERVICE, "this working copy is not connected to a service: run `sortui login URL --user NAME`"
        )
        return report
    report.service = status(url, insecure=insecure)
    if not report.service.reachable or report.service.error:
        report.fail(EXIT_UNAVAILABLE, report.service.error or "the service cannot be reached")
    _check_sign_in(report, url, insecure)
    if wc is not None and wc.conflicts:
        report.fail(EXIT_CONFLICTS, f"{wc.conflicts} conflicts recorded: see `sortui conflicts`")
    return report


def _check_sign_in(report: AccessReport, url: str, insecure: bool) -> None:
    found = report.sign_in
    if found.user is None:
        found.problem = "no user name: run `sortui login URL --user NAME`"
        report.fail(EXIT_REFUSED, found.problem)
        return
    token = credentials.load_token(url, found.user)
    found.token_from = (
        (credentials.ENV_TOKEN if os.environ.get(credentials.ENV_TOKEN) else "keyring") if token else None
    )
    if not token:
        why = credentials.keyring_info().reason or "no token is kept in the keyring"
        found.problem = f"not signed in ({why}): run `sortui login {url} --user {found.user}`"
        report.fail(EXIT_REFUSED, found.problem)
        return
    if report.service is None or not report.service.reachable:
        return
    try:
        with ServiceClient(url, token=token, insecure=insecure) as client:
            me = client.me()
    except ServiceRefused as exc:
        found.problem = f"{exc.message}: run `sortui login {url} --user {found.user}`"
        report.fail(EXIT_REFUSED, found.problem)
        return
    except SyncError as exc:
        found.problem = exc.message
        report.fail(exc.exit_code, exc.message)
        return
    found.signed_in, found.role = True, me.get("role")
    found.subtrees = [s for s in me.get("subtrees") or [] if isinstance(s, str)]
    expires = me.get("token_expires_at")
    found.expires_at = expires if isinstance(expires, str) else None
