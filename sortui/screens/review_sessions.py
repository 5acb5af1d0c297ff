"""The review sessions: the list to resume or delete, and starting a new one.

``R`` on the main screen opens ``ReviewSessionsScreen``: the sessions of the working copy with
their size, decided and flagged counts and source; enter resumes one, ``n`` starts a new one from a
saved rule (``review.RULES``, by their Danish titles), the marked units, the current search or the
subtree under the tree's cursor (when no unit is marked; a name is suggested), ``D`` deletes one
after a confirmation. With marks, ``R`` opens it with the new session's sources shown, the marked
units first. The screen answers the session to open; the main screen then pushes the ``ReviewScreen``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from sortui.domain.words import plural
from sortui.screens.review_data import source_text, suggest_name
from sortui.store import review
from sortui.widgets.edit_data import Choice
from sortui.widgets.guard import reports_errors
from sortui.widgets.marks import marked_words
from sortui.widgets.picker import PickerScreen
from sortui.widgets.safe import Fitted, clean
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Badges

NAME_WIDTH = 24


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """What a new session can start from: the view date, the unit under the cursor, the current search."""

    view_date: str
    unit: tuple[str, str] | None = None  # (SOR id, name)
    search: str | None = None
    hits: str = ""  # how many the search finds, in words ("57", "10,000+")
    search_under: str | None = None  # the SOR-kode of the subtree the search is limited to
    marked: tuple[str, ...] = ()  # the SOR-koder of the marked units (they replace the subtree as a source)


def session_text(s: review.SessionSummary) -> Text:
    t = Text(f"{clean(s.name)[: NAME_WIDTH - 1]:<{NAME_WIDTH}}", style="bold", no_wrap=True, overflow="ellipsis")
    t.append(f"{s.size:>7,} {s.decided:>8,} {s.flagged:>8,}  ")
    t.append(clean(source_text(s.source)), style="dim")
    return t


def header_text() -> Text:
    return Text(f"{'name':<{NAME_WIDTH}}{'items':>7} {'decided':>8} {'flagged':>8}  source", style="underline")


def source_choices(ctx: ReviewContext, counts: dict[str, int] | None = None) -> list[Choice]:
    """Where a new session can take its queue from; with ``counts``, how many items each rule queues."""

    def queued(rule: str) -> str:
        return "counting…" if counts is None else plural(counts.get(rule, 0), "item")

    choices = [Choice(f"rule:{r.name}", f"Rule: {r.title}", queued(r.name)) for r in review.RULES.values()]
    if ctx.marked:
        choices.insert(
            0, Choice("marked:", f"Marked: {marked_words(len(ctx.marked))}", plural(len(ctx.marked), "item"))
        )
    if ctx.search:
        under = f" in the subtree of {ctx.search_under}" if ctx.search_under else ""
        hits = f"{ctx.hits} {'hit' if ctx.hits == '1' else 'hits'}"
        choices.append(Choice(f"search:{ctx.search}", f"Search: {clean(ctx.search)}{under}", hits))
    else:
        choices.append(Choice("search:", "Search: type a search text…"))
    if ctx.unit and not ctx.marked:
        sor_id, name = ctx.unit
        choices.append(Choice(f"subtree:{sor_id}", f"Subtree: {clean(name)} and below", sor_id))
    return choices


def default_name(source: str, ctx: ReviewContext, taken: set[str]) -> str:
    kind, _, value = source.partition(":")
    if kind == "rule":
        base = f"{value} {ctx.view_date}"
    elif kind == "marked":
        base = f"{len(ctx.marked)} marked {ctx.view_date}"
    elif kind == "subtree":
        base = f"subtree {ctx.unit[1] if ctx.unit else value}"
    else:
        base = f"search {value}"
    return suggest_name(base, taken)


class SessionList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="reviews.down"),
        Binding("k", "cursor_up", "Up", show=False, id="reviews.up"),
    ]


class ReviewSessionsScreen(Screen[str | None]):
    """Answers the name of the session to open, or None."""

    HELP_TITLE = "Review sessions"
    HELP = (
        "Review sessions in the working copy: enter resumes one, n starts one from a rule (with how many items "
        "each would queue), the marked units, the search or the subtree (when none is marked), D deletes one."
    )

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

    class Counted(Message):
        """How many items each rule would queue (for the open picker)."""

        def __init__(self, counts: dict[str, int]) -> None:
            super().__init__()
            self.counts = counts

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
        self.picker: PickerScreen | None = None
        self.rule_counts: dict[str, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Review sessions", style="bold"), id="reviews-title")
        yield Static(header_text(), id="reviews-header")
        yield SessionList(id="reviews-list")
        yield Footer(compact=True)
        yield Badges()

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
            listing.add_options([Option(Fitted(session_text(s))) for s in self.sessions])
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
        if self.source.readonly:
            self.notify("Read-only: a review session is stored in the working copy", severity="warning", markup=False)
            return
        self.picker = PickerScreen("New review: what to go through", source_choices(self.ctx), filterable=False)
        self.app.push_screen(self.picker, self._source_chosen)
        self._count_rules()

    @work(thread=True, exclusive=True, group="reviews-count")
    @reports_errors
    def _count_rules(self) -> None:
        with self.source.connection() as conn:
            counts = review.rule_counts(conn, self.ctx.view_date)
        self.post_message(self.Counted(counts))

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        self.rule_counts = message.counts
        picker = self.picker
        if picker is not None and picker.is_attached:
            picker.set_choices(source_choices(self.ctx, message.counts))

    def _source_chosen(self, source: str | None) -> None:
        from sortui.screens.prompts import PromptScreen

        if not source:
            return
        if source == "search:":
            check = lambda v: None if v else "type what to search for"  # noqa: E731
            prompt = PromptScreen("New review of a search", "Every unit the search finds", check=check)
            self.app.push_screen(prompt, lambda text: self._source_chosen(f"search:{text}") if text else None)
            return
        kind, _, rule = source.partition(":")
        queued = self.rule_counts.get(rule) if kind == "rule" and self.rule_counts is not None else None
        if queued == 0:
            self.notify(f"Nothing to review: the rule finds no items on {self.ctx.view_date}", markup=False)
            return
        taken = {s.name for s in self.sessions}

        def check(value: str) -> str | None:
            return "type a name" if not value else (f"{value!r} exists already" if value in taken else None)

        def named(name: str | None) -> None:
            if name:
                self._start(name, source)

        size = f" ({plural(queued, 'item')})" if queued is not None else ""
        described = marked_words(len(self.ctx.marked)) if kind == "marked" else source_text(source)
        hint = f"From {clean(described)}{size}, on {self.ctx.view_date}"
        prompt = PromptScreen("Name of the review session", hint, default_name(source, self.ctx, taken), check)
        self.app.push_screen(prompt, named)

    @work(thread=True, group="reviews-write")
    def _start(self, name: str, source: str) -> None:
        kind, _, value = source.partition(":")
        try:
            with self.source.connection() as conn:
                sources: dict[str, Any] = {"units": list(self.ctx.marked)} if kind == "marked" else {kind: value}
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
