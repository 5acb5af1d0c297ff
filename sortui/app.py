"""The Textual app: composition root only (settings, screens, workers, keymap)."""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from sortui import config, paths
from sortui.domain.errors import InputError
from sortui.domain.text import printable
from sortui.store import db, queries
from sortui.widgets.guard import reports_errors
from sortui.widgets.source import Source

if TYPE_CHECKING:
    from sortui.widgets.import_progress import ImportProgress

VIEW_DATE_ENV = "SORTUI_VIEW_DATE"


def binding_ids() -> list[str]:
    """Every binding id the keymap may name."""
    from sortui.screens.help import HelpScreen
    from sortui.screens.main import MainScreen
    from sortui.screens.marking import MarkingScreen
    from sortui.screens.navigation import NavigationScreen
    from sortui.screens.prompts import PromptScreen
    from sortui.widgets.detail_panel import DetailPanel
    from sortui.widgets.org_tree import OrgTree
    from sortui.widgets.search_pane import HitList, SearchInput

    screens = (SortApp, MainScreen, MarkingScreen, NavigationScreen, HelpScreen, PromptScreen)
    classes = (*screens, OrgTree, DetailPanel, SearchInput, HitList)
    every = (
        *classes,
        *shak_classes(),
        *edit_classes(),
        *review_classes(),
        *sync_classes(),
        *change_classes(),
        *import_classes(),
    )
    return [b.id for cls in every for b in cls.BINDINGS if isinstance(b, Binding) and b.id]


def sync_classes() -> tuple[type, ...]:
    """Sync's classes with bindings (issue 7): progress, password prompt, conflicts."""
    from sortui.screens.conflicts import ConflictList, ConflictsScreen
    from sortui.screens.login import LoginScreen, SignInScreen
    from sortui.screens.sync import SyncScreen

    return (SyncScreen, LoginScreen, SignInScreen, ConflictsScreen, ConflictList)


def import_classes() -> tuple[type, ...]:
    """The in-app import (issue 18): the path prompt with its completion, the import's box."""
    from sortui.screens.import_screen import ImportScreen
    from sortui.screens.path_prompt import MatchList, PathInput, PathPrompt

    return (PathPrompt, PathInput, MatchList, ImportScreen)


def change_classes() -> tuple[type, ...]:
    """What the last import changed (issue 16)."""
    from sortui.screens.what_changed import WhatChangedList, WhatChangedScreen

    return (WhatChangedScreen, WhatChangedList)


def edit_classes() -> tuple[type, ...]:
    """The editors' classes with bindings (issue 6)."""
    from sortui.screens.changes import ChangeList, ChangesScreen
    from sortui.screens.confirm import ConfirmScreen
    from sortui.screens.edi import EdiScreen, MessageTable, NewLocationScreen, ValidityScreen
    from sortui.screens.editor import UnitEditor
    from sortui.screens.move_parent import ParentScreen
    from sortui.widgets.form import FlagField, FormScroll
    from sortui.widgets.picker import PickerScreen

    screens = (UnitEditor, EdiScreen, NewLocationScreen, ValidityScreen, ChangesScreen, ConfirmScreen, PickerScreen)
    screens += (ParentScreen,)
    return (*screens, MessageTable, ChangeList, FlagField, FormScroll)


def review_classes() -> tuple[type, ...]:
    """The bulk review's classes with bindings (issue 8)."""
    from sortui.screens.review import ReviewScreen
    from sortui.screens.review_sessions import ReviewSessionsScreen, SessionList

    return (ReviewScreen, ReviewSessionsScreen, SessionList)


def shak_classes() -> tuple[type, ...]:
    """The SHAK navigator's classes with bindings."""
    from sortui.screens.shak import ShakScreen
    from sortui.screens.shak_history import ShakHistoryScreen
    from sortui.widgets.shak_detail import ShakUnits
    from sortui.widgets.shak_nav import ShakChecks, ShakFilter, ShakHits, ShakPane
    from sortui.widgets.shak_tree import ShakTree

    return (ShakScreen, ShakPane, ShakTree, ShakFilter, ShakHits, ShakChecks, ShakUnits, ShakHistoryScreen)


class SortApp(App[None]):
    """sortui in the terminal."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "sortui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit sortui", id="app.quit"),
        Binding("f1", "help", "Help", tooltip="Help: what this screen is for and its keys", show=False, id="app.f1"),
    ]

    def __init__(
        self,
        db_path: Path,
        *,
        readonly: bool = False,
        view_date: str | None = None,
        config_path: Path | None = None,
        label: str | None = None,
        demo: bool = False,
        debounce: float = 0.1,
        session_dir: Path | None = None,
    ) -> None:
        """The app on the working copy ``db_path``; with ``demo`` it is the demo's own file, (re)built
        from the bundled snapshot first when missing or out of date, and labelled demo throughout.

        Where the user left this working copy is remembered in ``session_dir`` (default: the user state
        folder); without ``view_date`` the remembered view date is taken (else today's).
        """
        from sortui.widgets import session

        super().__init__()
        self.animation_level = "none"
        self.source = Source(Path(db_path), readonly)
        self.session_path = session.state_file(Path(db_path), session_dir)
        self.remembered = session.load(self.session_path)
        self.view_date = view_date or self.remembered.view_date or date.today().isoformat()
        self.settings = config.load(config_path, binding_ids)
        self.config_path = config_path
        self.label = label
        self.demo = demo
        self.debounce = debounce
        self._asking_to_quit = False

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keymap)
        for problem in self.settings.problems:
            self.notify(problem, title="Config", severity="warning", timeout=10, markup=False)
        if self.demo:
            self.prepare_demo()
        else:
            self._open_main()
            self.check_empty()

    def on_unmount(self) -> None:
        self.source.close()

    def _open_main(self) -> None:
        from sortui.screens.main import MainScreen

        main = MainScreen(
            self.source,
            self.view_date,
            self.label,
            self.debounce,
            demo=self.demo,
            session_path=self.session_path,
            remembered=self.remembered,
        )
        self.push_screen(main)

    @work(thread=True, group="startup")
    def prepare_demo(self) -> None:
        """Build the demo working copy if needed before anything reads it (its import's progress shown
        while it builds), then open the main screen."""
        from sortui.generator.demo import ensure_demo, holds_demo

        try:
            # the progress only when there is an import to follow: a current demo opens at once
            progress = None if holds_demo(self.source.path) else self.call_from_thread(self._preparing).report
            built = ensure_demo(self.source.path, progress)
        except (OSError, sqlite3.Error, InputError, db.WorkingCopyError) as exc:
            self.call_from_thread(self.exit, None, 2, Text(printable(f"sortui: the demo could not be prepared: {exc}")))
            return
        self.call_from_thread(self._demo_ready, built)

    def _preparing(self) -> ImportProgress:
        from sortui.widgets.import_progress import ImportProgress

        preparing = ImportProgress("Preparing the demo snapshot…", id="preparing")
        self.screen.mount(preparing)
        return preparing

    def _demo_ready(self, built: bool) -> None:
        self._open_main()
        again = ", made just now from the bundled snapshot" if built else ""
        self.notify(
            f"This is the demo{again}: a made-up extract of the register in a file of its own. "
            "Your own working copy is made by `sortui import FILE...`; the demo never mixes with it.",
            title="Demo data",
            timeout=10,
            markup=False,
        )

    @work(thread=True, group="startup")
    @reports_errors
    def check_empty(self) -> None:
        """Say how to fill an empty working copy (the demo never goes into it: it has a file of its own)."""
        from sortui.sync.state import read_state

        with self.source.connection() as conn:
            if queries.entity_count(conn) or queries.shak_present(conn):
                return
            connected = read_state(conn).service_url is not None
        if connected:
            self.notify("The working copy is empty: press F5 to fill it from the central service", markup=False)
        else:
            self.notify(
                "The working copy is empty: import a file with I, or sign in to a central service (ctrl+l) "
                "and fill it with F5",
                markup=False,
            )

    async def action_quit(self) -> None:
        """Quit (q, ctrl+q, the palette's Quit): asks first when a form holds unsaved changes or an
        import is running."""
        from sortui.screens.confirm import ConfirmScreen
        from sortui.screens.main import MainScreen
        from sortui.screens.unsaved import unsaved_work

        lost = unsaved_work(self.screen_stack)
        lost += [t for s in self.screen_stack if isinstance(s, MainScreen) for t in s.work_in_progress()]
        if not lost:
            self._quit_remembering()
            return
        if self._asking_to_quit:
            return
        self._asking_to_quit = True

        def answered(quit_anyway: bool | None) -> None:
            self._asking_to_quit = False
            if quit_anyway:
                self._quit_remembering()

        body = Text("\n").join(lost)
        body.append("\nQuitting now throws that away.")
        self.push_screen(ConfirmScreen("Quit without saving?", body, "quit"), answered)

    def _quit_remembering(self) -> None:
        """Quit, remembering where the user left the main screen."""
        from sortui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.save_session()
        self.exit()

    def action_help(self) -> None:
        """F1 on any screen: its help (the main and review screens have their own)."""
        from sortui.screens.help import HelpScreen, screen_help

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(screen_help(self.screen, self.config_path))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): the screen's commands first (the main screen's by name, any other
        screen's from its keys), then Help and Quit."""
        from sortui.screens.main import MainScreen

        if not isinstance(screen, MainScreen):
            yield from screen_commands(screen)
            yield SystemCommand("Help", "What this screen is for and its keys (f1)", self.action_help)
        if isinstance(screen, MainScreen):
            yield SystemCommand(
                "Go to", "Go to a SOR-kode, lokationsnummer, SHAK-kode or ydernummer (:)", screen.action_goto
            )
            yield SystemCommand("Search", "Search names, codes and addresses (/)", screen.action_search)
            yield SystemCommand(
                "Search under the cursor", "Search the unit and below it (f)", screen.action_search_under
            )
            yield SystemCommand("Next search hit", "Jump to the next hit (n)", screen.action_next_hit)
            yield SystemCommand("Back", "Back to the place visited before ([)", screen.action_history_back)
            yield SystemCommand("Forward", "Forward in the places visited (])", screen.action_history_forward)
            yield SystemCommand(
                "Filter the tree",
                "Only the units whose name or code matches, and those above (F)",
                screen.action_filter,
            )
            yield SystemCommand("Toggle closed units", "Show or hide closed units (c)", screen.action_toggle_closed)
            yield SystemCommand("Set view date", "View the register on another date (d)", screen.action_set_date)
            yield SystemCommand("Copy SOR-kode", "Copy the SOR-kode under the cursor (y)", screen.action_copy_id)
            yield SystemCommand(
                "Copy lokationsnummer", "Copy the lokationsnummer under the cursor (Y)", screen.action_copy_gln
            )
            yield SystemCommand(
                "Copy the row", "The row under the cursor as text: tree, search hit or SHAK (C)", screen.action_copy_row
            )
            yield SystemCommand("Copy the details", "The detail panel as plain text (D)", screen.action_copy_details)
            yield SystemCommand("SHAK navigator", "SHAK-koder by prefix (s)", screen.action_shak_pane)
            yield SystemCommand("Organisation tree", "The organisation tree (o)", screen.action_organisation_pane)
            yield SystemCommand("SHAK-kode of the unit", "Its SHAK-kode in the navigator (S)", screen.action_unit_shak)
            yield SystemCommand("SHAK checks", "Check SOR against SHAK on the view date", self._shak_checks)
            yield SystemCommand(
                "Maximise the pane", "The focused pane on the whole screen, or back (z)", screen.action_zoom
            )
            yield SystemCommand("Show or hide the details", "The detail panel (i)", screen.action_toggle_details)
            yield from edit_commands(screen)
            yield SystemCommand(
                "Export", "The marked units, or the subtree under the cursor, to a file (ctrl+e)", screen.action_export
            )
            yield SystemCommand(
                "Mark or unmark the row", "Tree, search hits, SHAK units (space)", screen.action_toggle_mark
            )
            yield SystemCommand("Mark all shown", "Every row the focused pane shows (*)", screen.action_mark_shown)
            yield SystemCommand("Unmark all", "Clear the marks (U)", screen.action_clear_marks)
            yield SystemCommand(
                "What changed", "What the last import changed, by institution (w)", screen.action_what_changed
            )
            yield SystemCommand("Sync", "Push pending edits, pull others' changes (F5)", screen.action_sync)
            yield SystemCommand(
                "Import a file",
                "Import a register file into the working copy, all or nothing (I)",
                screen.action_import_file,
            )
            yield SystemCommand(
                "Sign in (login)", "Sign in to the central service: URL, user, password (ctrl+l)", screen.action_sign_in
            )
            yield SystemCommand(
                "Sign out (logout)", "Sign out of the central service, forget the token", screen.action_sign_out
            )
            yield SystemCommand("Conflicts", "Sync conflicts: keep mine or the service's", screen.action_conflicts)
            yield SystemCommand("Review sessions", "Bulk review: resume or delete a session (R)", screen.action_reviews)
            yield SystemCommand(
                "New review session",
                "Review a rule's findings, the search hits or the subtree under the cursor",
                lambda: screen.action_reviews(new=True),
            )
            yield SystemCommand("Help", "Keys of the focused pane (? or F1)", screen.action_help)
        yield SystemCommand("Quit", "Quit sortui (q)", self.action_quit)
        yield from (c for c in super().get_system_commands(screen) if c.title not in ("Quit", "Keys"))

    def _shak_checks(self) -> None:
        from sortui.screens.main import MainScreen

        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.action_shak_pane()
            screen.shak_pane.action_checks()


def screen_commands(screen: Screen) -> Iterable[SystemCommand]:
    """Palette entries of ``screen``'s keys (and the focused part's): each runs what its key does."""
    from sortui.screens.help import key_rows

    mine, here, _ = key_rows(screen)
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding, node = active.binding, active.node
        key = (id(node), binding.action)
        if (key not in mine and key not in here) or binding.action in seen or not active.enabled:
            continue
        seen.add(binding.action)
        keys, description = mine.get(key) or here[key]
        title = binding.description if binding.description and len(binding.description) <= 40 else description
        help_text = f"{description} ({' '.join(keys)})"
        yield SystemCommand(title, help_text, _runner(screen, node, binding.action))


def _runner(screen: Screen, node: object, action: str):  # type: ignore[no-untyped-def]
    """A palette callback running ``action`` where its binding is (after the palette has closed)."""

    async def run() -> None:
        await screen.app.run_action(action, node)  # type: ignore[arg-type]

    return run


def edit_commands(screen: Screen) -> Iterable[SystemCommand]:
    """Palette entries of the editing operations (they run on the unit under the tree's cursor)."""
    from functools import partial

    from sortui.screens.edit_actions import OPS

    for op in OPS:
        yield SystemCommand(op.title, f"{op.help} ({op.key})", partial(screen.action_edit_op, op.name))  # type: ignore[attr-defined]


def view_date_from_env() -> str | None:
    value = os.environ.get(VIEW_DATE_ENV)
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise db.WorkingCopyError(f"{VIEW_DATE_ENV}={value!r} is not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    """Open the app on the working copy ``args.db`` (which exists: the CLI checked), or, with
    ``args.demo``, on the demo's own working copy there."""
    path = Path(args.db)
    demo = getattr(args, "demo", False)
    if not demo:
        db.open_working_copy(path, readonly=args.readonly).close()  # checks it, migrates an older one
    app = SortApp(
        path,
        readonly=args.readonly,
        view_date=view_date_from_env(),
        config_path=paths.config_file(),
        label=getattr(args, "label", None),
        demo=demo,
    )
    app.run()
    return app.return_code or 0
