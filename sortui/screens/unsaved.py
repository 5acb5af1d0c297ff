"""Forms that hold work not saved yet: every way out asks before throwing it away.

A form screen mixes in ``AsksBeforeLeaving`` and says what would be lost (``unsaved``); its own
way out (esc) calls ``leave``, and the app's quit (q, ctrl+q, the palette's Quit) asks through
``unsaved_work`` about every form open on the screen stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.screen import Screen


class AsksBeforeLeaving:
    """Mixed into a form screen (before the Screen class): ``leave`` asks when ``unsaved`` says something."""

    def unsaved(self) -> Text | None:
        """What leaving now would throw away, in a sentence; None when nothing."""
        raise NotImplementedError

    def leave(self, result: Any = None) -> None:
        """Dismiss with ``result``; with unsaved work only once the user said to discard it."""
        from sortui.screens.confirm import ConfirmScreen

        screen: Screen[Any] = self  # type: ignore[assignment]
        lost = self.unsaved()
        if lost is None:
            screen.dismiss(result)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                screen.dismiss(result)

        screen.app.push_screen(ConfirmScreen("Discard unsaved changes?", lost, "discard"), answered)


def unsaved_work(screens: Iterable[Screen[Any]]) -> list[Text]:
    """What the forms among ``screens`` would lose, one sentence each."""
    return [lost for s in screens if isinstance(s, AsksBeforeLeaving) and (lost := s.unsaved()) is not None]
