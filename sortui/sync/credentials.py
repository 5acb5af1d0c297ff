"""Where the client keeps its token: the system keyring (service ``sortui``, user ``name@host:port``).

Without a keyring backend nothing secret is written anywhere: the token comes from
``SORTUI_TOKEN`` or a password asked for once per run.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass

from sortui.sync.client import host_port

SERVICE = "sortui"
ENV_TOKEN = "SORTUI_TOKEN"


def account(url: str, user: str) -> str:
    return f"{user}@{host_port(url)}"


@dataclass(frozen=True, slots=True)
class KeyringInfo:
    available: bool
    name: str
    reason: str = ""


def keyring_info() -> KeyringInfo:
    """Whether a real keyring backend is there (the ``fail`` backend means none)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration is the same as none
        return KeyringInfo(False, "none", f"the keyring could not be loaded ({type(exc).__name__})")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return KeyringInfo(False, name, "no system keyring backend is available")
    return KeyringInfo(True, name)


def store_token(url: str, user: str, token: str) -> bool:
    """Keep the token in the keyring; False when there is no keyring (nothing is written then)."""
    if not keyring_info().available:
        return False
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, account(url, user), token)
    except (KeyringError, OSError):  # a keyring file that cannot be written is no keyring
        return False
    return True


def load_token(url: str, user: str) -> str | None:
    """``SORTUI_TOKEN`` if set, else the keyring's token for this user and service, else None."""
    env = os.environ.get(ENV_TOKEN)
    if env:
        return env.strip()
    if not keyring_info().available:
        return None
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, account(url, user))
    except (KeyringError, OSError):
        return None


def forget_token(url: str, user: str) -> bool:
    """Remove the stored token; False when there was none (or no keyring)."""
    if not keyring_info().available:
        return False
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, account(url, user))
    except (PasswordDeleteError, KeyringError, OSError):
        return False
    return True


def read_password(from_stdin: bool, prompt: str) -> str:
    """The password from the first line of standard input, or asked for without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)
