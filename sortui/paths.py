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


def default_db_path() -> Path:
    """``SORTUI_DB`` if set, else ``working-copy.sqlite`` in the user data dir."""
    env = os.environ.get("SORTUI_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "working-copy.sqlite"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"
