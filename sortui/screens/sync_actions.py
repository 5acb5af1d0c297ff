"""Synchronising from the app: the sync key, the password prompt, progress, the result, and the
service's status and operating message in the status bar.

A controller of the main screen (``screens.controller``). The network is used in thread workers
only (the sync client is httpx's synchronous one) and never when no service is configured; the
results come back as messages. Nothing secret is written to a file: a token got with a password is
kept in memory for this session (and in the system keyring when there is one).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message

from sortui.domain.words import plural
from sortui.screens.controller import Controller
from sortui.store import journal
from sortui.sync import state
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

if TYPE_CHECKING:
    from sortui.screens.login import SignIn
    from sortui.screens.sync import SyncScreen
    from sortui.sync.client import ServiceStatus, SyncError
    from sortui.sync.engine import SyncResult
    from sortui.sync.session import LoginResult, LogoutResult

STATUS_INTERVAL = 300.0  # seconds between checks of the service's status (0: only at start and after a sync)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a sync did not (fully) happen: ``kind`` says what the app does about it."""

    kind: str  # not_connected / password / offline / refused / error
    message: str
    user: str = ""
    where: str = ""  # host:port of the service


class SyncActions(Controller):
    """Runs syncs and service-status checks for the main screen."""

    class Progress(Message):
        def __init__(self, stage: str, done: int, total: int) -> None:
            super().__init__()
            self.stage, self.done, self.total = stage, done, total

    class Done(Message):
        def __init__(self, outcome: SyncResult | Failure, pending: int) -> None:
            super().__init__()
            self.outcome = outcome
            self.pending = pending

    class Checked(Message):
        def __init__(
            self, url: str | None, status: ServiceStatus | None, last_sync: str | None, user: str | None
        ) -> None:
            super().__init__()
            self.url = url
            self.status = status
            self.last_sync = last_sync
            self.user = user

    class SignedIn(Message):
        """A sign-in from the app: ``result``, or why not (``problem``) for the form asked again."""

        def __init__(self, asked: SignIn, result: LoginResult | None, problem: str = "") -> None:
            super().__init__()
            self.asked = asked
            self.result = result
            self.problem = problem

    class SignedOut(Message):
        def __init__(self, result: LogoutResult | None, problem: str = "") -> None:
            super().__init__()
            self.result = result
            self.problem = problem

    def __init__(self, source: Source, status_interval: float = STATUS_INTERVAL, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.status_interval = status_interval
        self.session_token: str | None = None  # got with a password when there is no keyring
        self.running = False
        self.progress: SyncScreen | None = None
        self.service: ServiceStatus | None = None  # None: no service configured (or not asked yet)
        self.url: str | None = None
        self.checked = False  # the working copy was asked which service it syncs with
        self.last_sync: str | None = None
        self.user: str | None = None  # who this working copy signs in as

    def on_mount(self) -> None:
        self.check_status()
        if self.status_interval > 0:
            self.set_interval(self.status_interval, self.check_status)

    # -- the service's status -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="service-status")
    @reports_errors
    def check_status(self) -> None:
        """Ask the service for its status and operating messages (nothing when none is configured)."""
        with self.source.connection() as conn:
            known = state.read_state(conn)
        url = known.service_url
        if url:  # only then is the client (httpx) loaded: the app starts without it
            from sortui.sync import client as sync_client
        answer = sync_client.status(url) if url else None
        self.post_message(self.Checked(url, answer, known.last_sync_at, known.user_name))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        message.stop()
        self.url, self.service, self.last_sync = message.url, message.status, message.last_sync
        self.user = message.user
        self.checked = True
        self._show_service()

    def _show_service(self) -> None:
        st = self.service
        if self.running:
            service, ok = "service: syncing…", True
        elif self.url is None:
            service, ok = ("no service configured" if self.checked else None), True
        elif st is None or not st.reachable:
            service, ok = "service offline", False
        else:
            service, ok = ("service online", True) if st.ok else ("service: not ok", False)
        newest = st.message if st is not None and st.reachable else None
        self.main.status.set(
            service=service,
            service_ok=ok,
            last_sync=sync_words(self.last_sync) if self.url else None,
            message=str(newest.get("text") or "") if newest else None,
            message_severity=str(newest.get("severity") or "info") if newest else "info",
        )

    # -- syncing --------------------------------------------------------------------------------

    def run(self, password: str | None = None) -> None:
        """Start a sync (the sync key); with ``password`` after the password prompt."""
        from sortui.screens.sync import SyncScreen

        if self.source.readonly:
            self.notify("Read-only: sync is not possible in read-only mode", severity="warning", markup=False)
            return
        if self.running:
            self.notify("A sync is running already", markup=False, timeout=3)
            return
        self.running = True
        self._show_service()
        self.progress = SyncScreen(self._where())
        self.app.push_screen(self.progress)
        self._sync(password)

    def _where(self) -> str:
        from sortui.sync.client import host_port

        return host_port(self.url) if self.url else "the central service"

    @work(thread=True, exclusive=True, group="sync")
    def _sync(self, password: str | None) -> None:
        outcome = self._attempt(password)
        try:
            with self.source.connection() as conn:
                pending = journal.pending_count(conn)
        except sqlite3.Error:
            pending = 0
        self.post_message(self.Done(outcome, pending))

    def _attempt(self, password: str | None) -> SyncResult | Failure:
        from sortui.sync import client as sync_client
        from sortui.sync import session

        try:
            with self.source.connection() as conn:
                return self._sync_with(conn, password)
        except session.NotConnected:
            return Failure("not_connected", "")
        except (sqlite3.Error, OSError) as exc:
            return Failure("error", f"Reading the working copy failed: {exc}")
        except sync_client.SyncError as exc:
            return self._failure(exc)

    def _sync_with(self, conn: sqlite3.Connection, password: str | None) -> SyncResult:
        from sortui.sync import engine, session

        with session.open_client(conn, password, token=self.session_token) as client:
            if password and client.token:
                self._keep_token(conn, client.token)
            return engine.sync(conn, client, self._report)

    def _keep_token(self, conn: sqlite3.Connection, token: str) -> None:
        """In memory for this session, and in the keyring when there is one (never in a file)."""
        from sortui.sync import credentials, session

        url, user = session.service_of(conn)
        credentials.store_token(url, user, token)
        self.session_token = token

    def _report(self, stage: str, done: int, total: int) -> None:
        self.post_message(self.Progress(stage, done, total))

    def _failure(self, exc: SyncError) -> Failure:
        from sortui.sync import client as sync_client
        from sortui.sync import session

        with self.source.connection() as conn:
            url, user = session.service_of(conn)
        where = sync_client.host_port(url)
        if isinstance(exc, session.PasswordNeeded):
            return Failure("password", _sentence(exc.message), user, where)
        if isinstance(exc, sync_client.ServiceRefused) and exc.status == 401:
            self.session_token = None
            reason = "Wrong user name or password." if exc.code == "bad_credentials" else _sentence(exc.message)
            return Failure("password", reason, user, where)
        if isinstance(exc, sync_client.ServiceUnavailable | sync_client.BadAnswer):
            return Failure("offline", exc.message, user, where)
        return Failure("refused", exc.message, user, where)

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        message.stop()
        if self.progress is not None:
            self.progress.report(message.stage, message.done, message.total)

    @on(Done)
    def _done(self, message: Done) -> None:
        message.stop()
        self.running = False
        if self.progress is not None:
            self.progress.finish()
            self.progress = None
        if isinstance(message.outcome, Failure):
            self._failed(message.outcome, message.pending)
        else:
            self._synced(message.outcome)
        self.check_status()

    def _failed(self, failure: Failure, pending: int) -> None:
        stay = f"pending edits: {pending}, kept for the next sync (F5)" if pending else "nothing is pending"
        if failure.kind == "not_connected":
            self._show_service()
            self.notify(
                "No central service is configured for this working copy: sign in to one (ctrl+l, "
                "or `sortui login URL --user NAME` in a shell), then sync again (F5).",
                title="Sync",
                severity="warning",
                timeout=10,
                markup=False,
            )
        elif failure.kind == "password":
            self._show_service()
            self._ask_password(failure, stay)
        elif failure.kind == "offline":
            from sortui.sync.client import ServiceStatus

            self.service = ServiceStatus(reachable=False, error=failure.message)
            self._show_service()
            text = f"{clean(_sentence(failure.message))} The service is offline; {stay}."
            self.notify(text, title="Sync", severity="warning", timeout=10, markup=False)
        else:
            self._show_service()
            self.notify(
                f"Not synchronised: {clean(_sentence(failure.message))} {stay[:1].upper()}{stay[1:]}.",
                title="Sync",
                severity="error",
                timeout=10,
                markup=False,
            )
        self._refresh_main({})

    def _ask_password(self, failure: Failure, stay: str) -> None:
        from sortui.screens.login import LoginScreen

        def answered(password: str | None) -> None:
            if password:
                self.run(password)
            else:
                self.notify(f"Not synchronised: no password given ({stay})", severity="warning", markup=False)

        self.app.push_screen(LoginScreen(failure.user, failure.where, failure.message), answered)

    def _synced(self, result: SyncResult) -> None:
        self.notify(summary(result), title="Synced", markup=False, timeout=6)
        self._refresh_main(result.created, full=bool(result.snapshot_entities))
        if result.conflicts:
            self.notify(
                f"{plural(len(result.conflicts), 'field')} changed here and on the service: choose what to keep",
                title="Conflicts",
                severity="warning",
                timeout=10,
                markup=False,
            )
            self.show_conflicts()

    def _refresh_main(self, created: dict[str, str], full: bool = False) -> None:
        """Tree, pending markers and count, details and snapshot date after a sync (new ids followed)."""
        main = self.main
        if full:
            main.reload()
            return
        item = main.tree.cursor_item()
        focus = created.get(item.sor_id, item.sor_id) if item is not None and item.sor_id else None
        main.after_edit([], structural=True, focus=focus)
        main.refresh_info()

    # -- signing in and out ------------------------------------------------------------------------

    def sign_in(self, asked: SignIn | None = None, problem: str = "") -> None:
        """The sign-in form (URL and user of the working copy's service filled in, or of ``asked``)."""
        from sortui.screens.login import SignInScreen

        if self.source.readonly:
            self.notify("Read-only: signing in is not possible in read-only mode", severity="warning", markup=False)
            return
        url, user = (asked.url, asked.user) if asked else (self.url or "", self.user or "")

        def answered(answer: SignIn | None) -> None:
            if answer is not None:
                self._sign_in(answer)

        self.app.push_screen(SignInScreen(url, user, problem), answered)

    @work(thread=True, exclusive=True, group="sign-in")
    def _sign_in(self, asked: SignIn) -> None:
        """As ``sortui login``: sign in, keep the token in the keyring, remember the service and the user."""
        from sortui.sync import client as sync_client
        from sortui.sync import session

        try:
            with self.source.connection() as conn:
                result = session.login(conn, asked.url, asked.user, asked.password)
        except sync_client.ServiceRefused as exc:
            wrong = exc.status == 401 and exc.code == "bad_credentials"
            self.post_message(self.SignedIn(asked, None, "Wrong user name or password." if wrong else exc.message))
        except sync_client.SyncError as exc:
            self.post_message(self.SignedIn(asked, None, _sentence(exc.message)))
        except (sqlite3.Error, OSError) as exc:
            self.post_message(self.SignedIn(asked, None, f"Writing the working copy failed: {exc}"))
        else:
            self.post_message(self.SignedIn(asked, result))

    @on(SignedIn)
    def _signed_in(self, message: SignedIn) -> None:
        from sortui.sync.client import host_port

        message.stop()
        result = message.result
        if result is None:
            self.sign_in(message.asked, message.problem)
            return
        self.session_token = result.token
        role = result.user.get("role") or "no role"
        kept = (
            "the token is kept in the system keyring"
            if result.stored
            else f"{result.keyring_reason}: the token is kept for this session only"
        )
        where = host_port(result.url)
        text = f"Signed in to {where} as {message.asked.user} ({role}); {kept}. F5 syncs."
        self.notify(clean(text), title="Signed in", timeout=8, markup=False)
        self.check_status()

    def sign_out(self) -> None:
        """As ``sortui logout``: the service revokes the token, and it is forgotten here."""
        self.session_token = None
        self._sign_out()

    @work(thread=True, exclusive=True, group="sign-in")
    def _sign_out(self) -> None:
        from sortui.sync import session

        try:
            with self.source.connection() as conn:
                self.post_message(self.SignedOut(session.logout(conn)))
        except (sqlite3.Error, OSError) as exc:
            self.post_message(self.SignedOut(None, f"Reading the working copy failed: {exc}"))

    @on(SignedOut)
    def _signed_out(self, message: SignedOut) -> None:
        message.stop()
        done = message.result
        if done is None or done.url is None:
            text = message.problem or "Not signed in to a service"
            severity = "warning" if message.problem else "information"
            self.notify(clean(text), title="Sign out", severity=severity, markup=False)
            return
        forgotten = "the token is removed from the keyring" if done.forgotten else "no token was stored"
        text = f"Signed out of {done.url}; {forgotten}."
        if done.problem:
            text += f" The service did not revoke the token: {_sentence(done.problem)}"
        self.notify(
            clean(text), title="Signed out", severity="warning" if done.problem else "information", markup=False
        )

    # -- conflicts -------------------------------------------------------------------------------

    def show_conflicts(self) -> None:
        from sortui.screens.conflicts import ConflictsScreen

        def closed(sor_id: str | None) -> None:
            if sor_id:
                self.main.visit_unit(sor_id)

        screen = ConflictsScreen(self.source, lambda _keys: self._refresh_main({}), self.url)
        self.app.push_screen(screen, closed)


def sync_words(at: str | None) -> str:
    """When the working copy last synchronised: ``14:03`` today, else the date; ``never``."""
    if not at:
        return "never"
    try:
        when = datetime.fromisoformat(at).astimezone()
    except ValueError:
        return at
    return when.strftime("%H:%M") if when.date() == datetime.now().astimezone().date() else when.date().isoformat()


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def summary(result: SyncResult) -> str:
    """What one sync did, in one or two sentences."""
    parts = []
    if result.snapshot_entities:
        parts.append(f"filled from the service: {result.snapshot_entities} units")
    parts.append(f"pushed {plural(result.pushed, 'edit')}" if result.pushed else "nothing to push")
    pulled = f"pulled {plural(result.pulled, 'change')}"
    if result.pulled:
        pulled += f" ({result.applied} by others applied, {result.kept_local} kept local)"
    parts.append(pulled)
    text = "; ".join(parts).capitalize()
    if result.created:
        text += f". {plural(len(result.created), 'new unit')} got a SOR-kode: "
        text += ", ".join(f"{p} → {r}" for p, r in result.created.items())
    if result.held_back:
        text += f". {result.held_back} edits held back by conflicts"
    return text
