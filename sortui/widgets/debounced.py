"""Reading what the cursor rests on: wait until it has rested, read in a thread worker, keep the latest answer.

Moving the cursor (or typing) asks for a read every time; reading on every key would queue
up reads nobody looks at. ``DebouncedLoad`` waits ``debounce`` seconds after the last ask,
then runs the read in a thread worker and hands its result to ``loaded`` on the event loop.
An answer to an ask that was overtaken by a newer one (or by ``cancel_load``) is dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import work
from textual.message import Message
from textual.timer import Timer

from sortui.widgets.guard import reports_errors
from sortui.widgets.source import Source

ResultT = TypeVar("ResultT")
Read = Callable[[sqlite3.Connection], ResultT]

if TYPE_CHECKING:  # a mixin for widgets and screens: type-checked as one
    from textual.widget import Widget as _Host
else:
    _Host = object


class DebouncedLoad(Generic[ResultT], _Host):
    """Mixin for a widget or screen with ``source`` and ``debounce`` (0: read at once); it implements ``loaded``."""

    source: Source
    debounce: float
    _load_timer: Timer | None = None
    _load_asked = 0  # the number of the latest ask: answers to older ones are dropped

    class Loaded(Message, bubble=False):
        def __init__(self, asked: int, result: Any) -> None:
            super().__init__()
            self.asked = asked
            self.result = result

    def load_later(self, read: Read[ResultT]) -> None:
        """Run ``read`` (in a thread worker, with a connection) once no other ask came for ``debounce`` seconds."""
        self.cancel_load()
        asked = self._load_asked
        if self.debounce <= 0:
            self._run_load(asked, read)
        else:
            self._load_timer = self.set_timer(self.debounce, lambda: self._run_load(asked, read))

    def cancel_load(self) -> None:
        """Forget the asks so far: a read not started yet is not started, an answer still to come is dropped."""
        if self._load_timer is not None:
            self._load_timer.stop()
            self._load_timer = None
        self._load_asked += 1

    @work(thread=True, group="debounced-load")
    @reports_errors
    def _run_load(self, asked: int, read: Read[ResultT]) -> None:
        with self.source.connection() as conn:
            result = read(conn)
        self.post_message(DebouncedLoad.Loaded(asked, result))

    def _on_debounced_load_loaded(self, message: Loaded) -> None:  # by name: a plain mixin cannot use @on
        if message.asked == self._load_asked:
            self.loaded(message.result)

    def loaded(self, result: ResultT) -> None:
        """Show ``result``, the answer to the latest ask."""
        raise NotImplementedError
