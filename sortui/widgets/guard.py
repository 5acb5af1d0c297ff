"""Thread workers that report a failing working copy as a notice instead of ending the app."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode

from sortui.store.db import WorkingCopyError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(fn: F) -> F:
    """Wrap a worker method: SQLite and file errors become an error notice (the app keeps running).

    A ``WorkingCopyError`` says itself what is wrong (``WorkingCopyBusy``: an import holds the
    working copy, nothing was changed), so its message is the notice.
    """

    @functools.wraps(fn)
    def wrapper(self: DOMNode, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except WorkingCopyError as exc:
            self.app.notify(str(exc), severity="error", timeout=10, markup=False)
            return None
        except (sqlite3.Error, OSError) as exc:
            self.app.notify(f"Reading the working copy failed: {exc}", severity="error", timeout=10, markup=False)
            return None

    return wrapper  # type: ignore[return-value]
