"""Where sortui keeps things: working copy, config, shipped data."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "sortui"


def data_dir() -> Path:
    """The shipped ``data/`` folder: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "codelists").is_dir():
            return candidate
    raise FileNotFoundError(f"sortui's data folder is missing (looked in {here / 'data'} and {here.parent / 'data'})")


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def env_db_path() -> Path | None:
    """The working copy ``SORTUI_DB`` names, if it is set."""
    env = os.environ.get("SORTUI_DB")
    return Path(env).expanduser() if env else None


def default_db_path() -> Path:
    """``SORTUI_DB`` if set, else ``working-copy.sqlite`` in the user data dir."""
    return env_db_path() or user_data_dir() / "working-copy.sqlite"


def demo_db_path() -> Path:
    """The demo's own working copy (made from the bundled demo snapshot), never the user's."""
    return user_data_dir() / "demo.sqlite"


def is_demo(path: Path) -> bool:
    return Path(path).expanduser().resolve() == demo_db_path().resolve()


def state_dir() -> Path:
    """Where the app remembers where the user left each working copy (``widgets.session``)."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"
