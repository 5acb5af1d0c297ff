"""The review sessions: the list to resume or delete, and starting a new one.

``R`` on the main screen opens ``ReviewSessionsScreen``: the sessions of the working copy with
their size, decided and flagged counts and source; enter resumes one, ``n`` starts a new one from a
saved rule (``review.RULES``, by their Danish titles), the current search or the subtree under the
tree's cursor (a name is suggested), ``D`` deletes one after a confirmation. The screen answers the
session to open; the main screen then pushes the ``ReviewScreen``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from sortui.screens.review_data import source_text, suggest_name
from sortui.store import review
from sortui.widgets.edit_data import Choice
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

NAME_WIDTH = 24


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """What a new session can start from: the view date, the unit under the cursor, the current search."""

    view_date: str
    unit: tuple[str, str] | None = None  # (SOR id, name)
    search: str | None = None
    hits: str = ""  # how many the search finds, in words ("57", "10,000+")
    search_under: str | None = None  # the SOR-kode of the subtree the search is limited to


def session_text(s: review.SessionSummary) -> Text:
    t = Text(f"{clean(s.name)[: NAME_WIDTH - 1]:<{NAME_WIDTH}}", style="bold", no_wrap=True, overflow="ellipsis")
    t.append(f"{s.size:>7,} {s.decided:>8,} {s.flagged:>8,}  ")
    t.append(clean(source_text(s.source)), style="dim")
    return t


def header_text() -> Text:
    return Text(f"{'name':<{NAME_WIDTH}}{'items':>7} {'decided':>8} {'flagged':>8}  source", style="underline")


def source_choices(ctx: ReviewContext) -> list[Choice]:
    """Where a new session can take its queue from."""
    choices = [Choice(f"rule:{r.name}", f"Regel: {r.title}", r.name) for r in review.RULES.values()]
    if ctx.search:
        under = f" i undertræet {ctx.search_under}" if ctx.search_under else ""
        choices.append(Choice(f"search:{ctx.search}", f"Søgning: {clean(ctx.search)}{under}", f"{ctx.hits} hits"))
    else:
        choices.append(Choice("search:", "Søgning: type a search text…"))
    if ctx.unit:
        sor_id, name = ctx.unit
        choices.append(Choice(f"subtree:{sor_id}", f"Undertræ: {clean(name)} and below", sor_id))
    return choices


def default_name(source: str, ctx: ReviewContext, taken: set[str]) -> str:
    kind, _, value = source.partition(":")
    if kind == "rule":
        base = f"{value} {ctx.view_date}"
    elif kind == "subtree":
        base = f"undertræ {ctx.unit[1] if ctx.unit else value}"
    else:
        base = f"søgning {value}"
    return suggest_name(base, taken)


class SessionList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="reviews.down"),
        Binding("k", "cursor_up", "Up", show=False, id="reviews.up"),
    ]


class ReviewSessionsScreen(Screen[str | None]):
    """Answers the name of the session to open, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", tooltip="Start a session from a rule, the search or the subtree", id="reviews.new"),
        Binding(
            "D,delete", "delete", "Delete", tooltip="Delete the session under the cursor (asks)", id="reviews.delete"
        ),
        Binding("escape,q", "close", "Back", tooltip="Back to the main screen", id="reviews.close"),
    ]

    class Listed(Message):
        def __init__(self, sessions: list[review.SessionSummary], notice: str | None = None) -> None:
            super().__init__()
            self.sessions = sessions
            self.notice = notice

    class Started(Message):
        def __init__(self, name: str, size: int | None, problem: str | None = None) -> None:
            super().__init__()
            self.name = name
            self.size = size
            self.problem = problem

    def __init__(self, source: Source, ctx: ReviewContext, new: bool = False) -> None:
        super().__init__()
        self.source = source
        self.ctx = ctx
        self.open_new = new
        self.sessions: list[review.SessionSummary] = []
        self.starting = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Review sessions", style="bold"), id="reviews-title")
        yield Static(header_text(), id="reviews-header")
        yield SessionList(id="reviews-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(SessionList).focus()
        self._list()
        if self.open_new:
            self.action_new()

    @property
    def listing(self) -> SessionList:
        return self.query_one(SessionList)

    @work(thread=True, exclusive=True, group="reviews-list")
    @reports_errors
    def _list(self) -> None:
        with self.source.connection() as conn:
            found = review.sessions(conn)
        self.post_message(self.Listed(found))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if message.notice:
            self.notify(message.notice, markup=False, timeout=3)
        self.sessions = message.sessions
        listing = self.listing
        old = listing.highlighted
        listing.clear_options()
        if self.sessions:
            listing.add_options([Option(session_text(s)) for s in self.sessions])
            listing.highlighted = min(old or 0, len(self.sessions) - 1)
        else:
            listing.add_option(Option(Text("No review sessions yet: n starts one", style="dim"), disabled=True))
        title = Text.assemble(("Review sessions", "bold"), f"  {len(self.sessions)} in the working copy")
        title.append("  enter resume · n new · D delete", style="dim")
        if self.source.readonly:
            title.append("  READ-ONLY", style="bold")
        self.query_one("#reviews-title", Static).update(title)

    def current(self) -> review.SessionSummary | None:
        index = self.listing.highlighted
        return self.sessions[index] if index is not None and 0 <= index < len(self.sessions) else None

    @on(OptionList.OptionSelected, "#reviews-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.sessions):
            self.dismiss(self.sessions[event.option_index].name)

    def action_close(self) -> None:
        self.dismiss(None)

    # -- delete ------------------------------------------------------------------------------------

    def action_delete(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        s = self.current()
        if s is None:
            return
        if self.source.readonly:
            self.notify("Read-only: sessions cannot be deleted", severity="warning", markup=False)
            return
        body = Text(f"{clean(s.name)}: {s.size} items, {s.decided} decided ({s.flagged} flagged).\n")
        body.append("The decisions and notes are lost; export them first with `sortui review export`.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(s.name)

        self.app.push_screen(ConfirmScreen("Delete the review session?", body, "delete"), answered)

    @work(thread=True, group="reviews-write")
    @reports_errors
    def _delete(self, name: str) -> None:
        with self.source.connection() as conn:
            review.delete(conn, name)
            found = review.sessions(conn)
        self.post_message(self.Listed(found, f"Deleted the review session {clean(name)}"))

    # -- new ---------------------------------------------------------------------------------------

    def action_new(self) -> None:
        from sortui.widgets.picker import PickerScreen

        if self.source.readonly:
            self.notify("Read-only: a review session is stored in the working copy", severity="warning", markup=False)
            return
        picker = PickerScreen("New review: what to go through", source_choices(self.ctx), filterable=False)
        self.app.push_screen(picker, self._source_chosen)

    def _source_chosen(self, source: str | None) -> None:
        from sortui.screens.prompts import PromptScreen

        if not source:
            return
        if source == "search:":
            check = lambda v: None if v else "type what to search for"  # noqa: E731
            prompt = PromptScreen("New review of a search", "Every unit the search finds", check=check)
            self.app.push_screen(prompt, lambda text: self._source_chosen(f"search:{text}") if text else None)
            return
        taken = {s.name for s in self.sessions}

        def check(value: str) -> str | None:
            return "type a name" if not value else (f"{value!r} exists already" if value in taken else None)

        def named(name: str | None) -> None:
            if name:
                self._start(name, source)

        hint = f"From {clean(source_text(source))}, on {self.ctx.view_date}"
        prompt = PromptScreen("Name of the review session", hint, default_name(source, self.ctx, taken), check)
        self.app.push_screen(prompt, named)

    @work(thread=True, group="reviews-write")
    def _start(self, name: str, source: str) -> None:
        kind, _, value = source.partition(":")
        try:
            with self.source.connection() as conn:
                sources = {kind: value}
                if kind == "search" and value == self.ctx.search and self.ctx.search_under:
                    sources["subtree"] = self.ctx.search_under  # the search as the user sees it: in the subtree
                size = review.start(conn, name, self.ctx.view_date, **sources)
                if size == 0:
                    review.delete(conn, name)
        except (review.ReviewError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Started(name, None, str(exc)))
            return
        self.post_message(self.Started(name, size))

    @on(Started)
    def _started(self, message: Started) -> None:
        if message.problem:
            self.notify(clean(message.problem), severity="error", markup=False)
        elif message.size == 0:
            self.notify("Nothing to review: the queue would be empty", severity="warning", markup=False)
        else:
            self.notify(f"Review {clean(message.name)}: {message.size} items", markup=False, timeout=3)
            self.dismiss(message.name)
