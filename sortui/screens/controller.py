"""The main screen's hidden controllers (editing, sync) and the part of the main screen they drive.

A controller is a widget that is never shown: the screen's bindings call it, it reads and writes
in thread workers and updates the screen through ``MainView``, so it needs no import of the screen.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from textual.widget import Widget

from sortui.widgets.detail_panel import DetailPanel
from sortui.widgets.marks import Marks
from sortui.widgets.org_tree import OrgTree
from sortui.widgets.search_pane import SearchPane
from sortui.widgets.source import Source
from sortui.widgets.status_bar import StatusBar


class MainView(Protocol):
    """What the controllers use of the main screen."""

    view_date: str
    marks: Marks

    @property
    def tree(self) -> OrgTree: ...

    @property
    def detail(self) -> DetailPanel: ...

    @property
    def status(self) -> StatusBar: ...

    @property
    def search(self) -> SearchPane: ...

    def has_class(self, *class_names: str) -> bool: ...

    def jump_to(self, sor_id: str, force: bool = True) -> None: ...

    def visit_unit(self, sor_id: str) -> None: ...

    def reload(self) -> None: ...

    def refresh_info(self) -> None: ...

    def after_edit(self, keys: list[str], structural: bool = False, focus: str | None = None) -> None: ...


class Controller(Widget):
    """Base of the main screen's controllers."""

    DEFAULT_CSS = "Controller { display: none; }"

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source

    @property
    def main(self) -> MainView:
        return cast(MainView, self.screen)
