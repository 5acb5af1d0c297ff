"""Asking for the password when there is no usable token (no keyring, none stored, or it expired),
and signing in to a service from the app (``SignInScreen``: URL, user, password).

The password is only passed on to sign in; it is never stored. The token the service gives back
is kept in memory for this session (and in the system keyring when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sortui.widgets.form import SafeInput
from sortui.widgets.safe import clean

HINT = "enter signs in · esc cancels (edits stay pending). The password is not stored."


class LoginScreen(ModalScreen[str | None]):
    """Answers the password typed (masked), or None when cancelled."""

    HELP_TITLE = "Sign in"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="login.cancel"),
    ]

    def __init__(self, user: str, where: str, reason: str) -> None:
        super().__init__()
        self.user = user
        self.where = where
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="login"):
            yield Static(Text(f"Sign in to {clean(self.where)}", style="bold"), id="login-title")
            yield Static(Text(clean(self.reason)), id="login-reason")
            yield Static(Text.assemble("Password of ", (clean(self.user), "bold"), ":"), id="login-user")
            field = Input(password=True, id="login-password")
            field.cursor_blink = False
            yield field
            yield Static(Text(HINT, style="dim"), id="login-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#login-hint", Static).update(Text("Type the password (or esc to cancel)", style="bold"))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


SIGN_IN_HINT = "enter goes on to the next field, then signs in · esc cancels. The password is not stored."


@dataclass(frozen=True, slots=True)
class SignIn:
    url: str
    user: str
    password: str = field(repr=False)


class SignInScreen(ModalScreen[SignIn | None]):
    """The service's URL, the user and the password (masked); answers them, or None when cancelled."""

    HELP_TITLE = "Sign in to the central service"
    HELP = "The token the service gives back is kept in the system keyring, as `sortui login` keeps it."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="signin.cancel"),
    ]

    def __init__(self, url: str, user: str, problem: str = "") -> None:
        super().__init__()
        self.url = url
        self.user = user
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            yield Static(Text("Sign in to the central service", style="bold"), id="signin-title")
            if self.problem:
                yield Static(Text(clean(self.problem), style="bold"), id="signin-problem")
            for label, field_id, value in (("URL", "signin-url", self.url), ("User", "signin-user", self.user)):
                yield Static(Text(label, style="dim"))
                box = SafeInput(
                    value=value, id=field_id, placeholder="https://sor.example.dk" if label == "URL" else ""
                )
                box.cursor_blink = False
                yield box
            yield Static(Text("Password", style="dim"))
            password = Input(password=True, id="signin-password")
            password.cursor_blink = False
            yield password
            yield Static(Text(SIGN_IN_HINT, style="dim"), id="signin-hint")

    def on_mount(self) -> None:
        first_empty = next((f for f in self.query(Input) if not f.value), None)
        (first_empty or self.query_one("#signin-password", Input)).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(Input))
        values = {f.id: f.value.strip() if f.id != "signin-password" else f.value for f in fields}
        missing = next((f for f in fields if not values[f.id]), None)
        if missing is None:
            self.dismiss(SignIn(values["signin-url"], values["signin-user"], values["signin-password"]))
        elif event.input is not missing and fields.index(event.input) < fields.index(missing):
            fields[fields.index(event.input) + 1].focus()
        else:
            self.query_one("#signin-hint", Static).update(Text("Fill in every field (or esc to cancel)", style="bold"))
            missing.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
