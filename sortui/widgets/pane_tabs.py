"""One line of tabs over a ContentSwitcher: the names of its panes, the shown one highlighted.

Not focusable (``tab`` moves between panes, keys switch tabs); a click posts ``Chosen``.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class PaneTabs(Widget, can_focus=False):
    """Tabs ``(pane id, title)``; ``active`` is the id of the pane shown."""

    DEFAULT_CSS = """
    PaneTabs { height: 1; }
    """

    active: reactive[str] = reactive("")
    keys: reactive[dict[str, str]] = reactive(dict, always_update=True)  # pane id: the key that shows it

    class Chosen(Message):
        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, tabs: list[tuple[str, str]], active: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.tabs = tabs
        self.set_reactive(PaneTabs.active, active)

    def render(self) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        for tab, title in self.tabs:
            t.append(" ")
            t.append(f" {title} ", style="bold reverse" if tab == self.active else "dim")
            t.append(self._key(tab), style="dim")
        return t

    def _key(self, tab: str) -> str:
        key = self.keys.get(tab)
        return f"{key} " if key else ""

    def tab_at(self, x: int) -> str | None:
        """The tab at column ``x``."""
        end = 0
        for tab, title in self.tabs:
            end += len(title) + 3 + len(self._key(tab))
            if x < end:
                return tab
        return None

    def on_click(self, event: events.Click) -> None:
        tab = self.tab_at(event.x)
        if tab is not None:
            self.post_message(self.Chosen(tab))
