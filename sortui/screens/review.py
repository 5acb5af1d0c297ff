"""The review screen: a bulk review session one item at a time.

It shows the item's details and why it is in the queue, the progress, and a list of what was
decided (newest first) or the queue around the item (``v``). Single keys decide (``a`` approve,
``f`` flag with a note, ``s`` skip, each moving on), ``e`` opens the unit editor (the EDI editor
for a lokationsnummer) and comes back to the same item, ``u`` undoes the last decision, ``b``
jumps back to the item you came from, ``j``/``k`` move without deciding, ``n`` goes to the next
undecided item, ``x`` marks items and ``c`` applies one change to the marked ones
(``review_change``). Every read and write runs in a thread worker; a move reads one item and
stores the position, so quitting (``esc``/``q``) and resuming continue where you were. In
read-only mode the screen is view only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from sortui.screens import review_data
from sortui.screens.review_change import ChangeFlow
from sortui.screens.review_data import DECISION_MARKS, DECISION_STYLES, ItemView, Row, Snapshot, decision_text
from sortui.store import queries, review
from sortui.widgets import edit_data
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Badges

Change = Callable[[sqlite3.Connection], int | None]  # a write answering the new position (None: nothing done)
READONLY_NOTICE = "Read-only: the review is view only (decisions and edits write the working copy)"


class ItemDetail(VerticalScroll, can_focus=False):
    """The item's details; scrolled by the screen's keys (so arrows stay with the queue)."""


class ReviewScreen(Screen[list[str]]):
    """Answers the SOR-koder and GLNs edited meanwhile (the main screen refreshes them)."""

    HELP_TITLE = "Review"

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a", "decide('approved')", "Approve", tooltip="Approve the item and go to the next", id="review.approve"
        ),
        Binding("f", "flag", "Flag", tooltip="Flag the item with a note and go to the next", id="review.flag"),
        Binding(
            "s",
            "decide('skipped')",
            "Skip",
            tooltip="Skip the item (decided: skipped), go to the next",
            id="review.skip",
        ),
        Binding("e", "edit", "Edit", tooltip="Edit the unit or lokationsnummer, then back here", id="review.edit"),
        Binding("u", "undo", "Undo", tooltip="Undo the last decision and go back to its item", id="review.undo"),
        Binding(
            "x,space", "mark", "Mark", tooltip="Mark or unmark the item (for c) and go to the next", id="review.mark"
        ),
        Binding(
            "c", "change", "Change", tooltip="Apply one change to the marked items (or this one)", id="review.change"
        ),
        Binding("j,down", "move(1)", "Next item (no decision)", show=False, id="review.next"),
        Binding("k,up", "move(-1)", "Previous item (no decision)", show=False, id="review.previous"),
        Binding("b", "back", "Jump back to the item you came from", show=False, id="review.back"),
        Binding("n", "next_open", "Next undecided item", show=False, id="review.next_open"),
        Binding("g,home", "first", "First item", show=False, id="review.first"),
        Binding("G,end", "last", "Last item", show=False, id="review.last"),
        Binding("colon", "goto", "Go to item number", show=False, id="review.goto"),
        Binding(
            "asterisk", "mark_all", "Mark every undecided item, or clear the marks", show=False, id="review.mark_all"
        ),
        Binding("v", "toggle_list", "Show the decided items or the queue", show=False, id="review.list"),
        Binding("J,pagedown", "scroll_detail(1)", "Scroll the details down", show=False, id="review.detail_down"),
        Binding("K,pageup", "scroll_detail(-1)", "Scroll the details up", show=False, id="review.detail_up"),
        Binding("question_mark,f1", "help", "Help", tooltip="The review's keys", show=False, id="review.help"),
        Binding("escape,q", "close", "Back", tooltip="Back to the main screen (resume later)", id="review.close"),
    ]

    class Read(Message):
        """A read finished (after a write when ``written``)."""

        def __init__(self, snap: Snapshot, written: bool = False) -> None:
            super().__init__()
            self.snap = snap
            self.written = written

    class Failed(Message):
        def __init__(self, notice: str, severity: str = "error", written: bool = False) -> None:
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.written = written

    class Found(Message):
        """Where a search of the queue leads (``n``, ``*``)."""

        def __init__(self, what: str, seqs: list[int]) -> None:
            super().__init__()
            self.what = what
            self.seqs = seqs

    class EditLoaded(Message):
        def __init__(self, target: str, key: str, payload: Any) -> None:
            super().__init__()
            self.target = target
            self.key = key
            self.payload = payload

    def __init__(self, source: Source, session: str, view_date: str, debounce: float = 0.1) -> None:
        super().__init__()
        self.source = source
        self.session = session
        self.view_date = view_date
        self.debounce = debounce
        self.position = 0  # the item shown, or asked for (1-based; 0 before the first read)
        self.total = 0
        self.summary: review.SessionSummary | None = None
        self.view: ItemView | None = None
        self.decided: list[Row] = []
        self.window: list[Row] = []
        self.marks: set[int] = set()
        self.history: list[int] = []  # positions to jump back to (b)
        self.list_mode = "decided"  # or "queue"
        self.writing = False
        self.edited: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(Text(" Review ", style="bold reverse"), id="review-title")
        yield Static(Text("loading…", style="dim"), id="review-item")
        with Container(id="review-body"):
            with ItemDetail(id="review-detail"):
                yield Static(Text(""), id="review-detail-body")
            yield Static(Text(""), id="review-list")
        yield ChangeFlow(self.source, self.session, id="review-change")
        yield Footer(compact=True)
        yield Badges()

    def on_mount(self) -> None:
        self._open()
        if self.source.readonly:
            self.notify(READONLY_NOTICE, severity="warning", timeout=6, markup=False)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def queue_shown(self) -> bool:
        return self.list_mode == "queue"

    @property
    def unit_shown(self) -> str | None:
        """The SOR-kode of the unit the item shown is about (None: a lokationsnummer, or nothing shown)."""
        row = self.view.row if self.view is not None else None
        return row.key if row is not None and row.target == "entity" else None

    @work(thread=True, group="review-read")
    def _open(self) -> None:
        try:
            with self.source.connection() as conn:
                info = review.summary(conn, self.session)
                seq = max(1, min(info.position, info.size))
                snap = review_data.read(conn, self.session, seq, self.view_date, progress=True, window=True)
        except (review.ReviewError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Read(snap, written=True))

    @work(thread=True, group="review-read")
    def _fetch(self, seq: int, progress: bool = False) -> None:
        try:
            with self.source.connection() as conn:
                if not self.source.readonly:
                    review.set_position(conn, self.session, self.position)  # the latest position asked for
                snap = review_data.read(
                    conn, self.session, seq, self.view_date, progress=progress, window=self.queue_shown
                )
        except (review.ReviewError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Failed(f"Reading the review failed: {exc}"))
            return
        self.post_message(self.Read(snap))

    @on(Read)
    def _read(self, message: Read) -> None:
        snap = message.snap
        if message.written:
            self.writing = False
            self.position = snap.seq
        if snap.summary is not None:
            self.summary = snap.summary
            self.total = snap.summary.size
        if snap.decided is not None:
            self.decided = snap.decided
        if snap.seq == self.position:
            self._show(snap)
        self._refresh_lines()

    def _show(self, snap: Snapshot) -> None:
        self.view = snap.view
        if snap.window is not None:
            self.window = snap.window
        body = self.query_one("#review-detail-body", Static)
        if self.total == 0:
            body.update(Text("This session has no items: esc goes back.", style="dim"))
        elif snap.view is not None:
            body.update(snap.view.details)
        self.query_one(ItemDetail).scroll_home(animate=False)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.written:
            self.writing = False
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if self.summary is None:  # the session could not be opened
            self.dismiss(sorted(self.edited))

    # -- what is shown ----------------------------------------------------------------------------

    def _refresh_lines(self) -> None:
        self.query_one("#review-title", Static).update(self._title())
        self.query_one("#review-item", Static).update(self._item_line())
        box = self.query_one("#review-list", Static)
        box.update(self._list_text())
        if self.queue_shown:
            box.border_title, box.border_subtitle = "Queue", "v decided · ? help"
        else:
            box.border_title, box.border_subtitle = "Decided, newest first", "v queue · ? help"

    def _title(self) -> Text:
        t = Text(" Review ", style="bold reverse")
        if self.source.readonly:
            t.append(" READ-ONLY: view only", style="bold")
        t.append(f" {clean(self.session)}", style="bold")
        if self.total:
            t.append(f"  {self.position} of {self.total}")
        s = self.summary
        if s is not None:
            t.append(f"  {s.decided} decided ✓{s.approved} ⚑{s.flagged} ↷{s.skipped}")
        if self.marks:
            t.append(f"  ●{len(self.marks)} marked", style="bold")
        return t

    def _item_line(self) -> Text:
        view = self.view
        if view is None:
            return Text("")
        row = view.row
        t = Text(f"{row.seq}. ", style="bold")
        if row.target == "location":
            t.append(f"Lokationsnummer {row.key}", style="bold")
            t.append(f"  {clean(row.label)}" if row.label else "")
        else:
            t.append(clean(row.label) or row.key, style="bold")
            t.append(f"  SOR {row.key}", style="dim")
        if row.seq in self.marks:
            t.append("  ● marked", style="bold")
        t.append("\nWhy: ", style="dim")
        t.append(clean(row.reason))
        t.append("  ")
        t.append_text(decision_text(row.decision, row.note))
        return t

    def _list_text(self) -> Text:
        rows = self.window if self.queue_shown else self.decided
        if not rows:
            return Text("Nothing decided yet: a approve · f flag · s skip", style="dim")
        t = Text()
        for i, row in enumerate(rows):
            if i:
                t.append("\n")
            t.append_text(self._row_text(row))
        return t

    def _row_text(self, row: Row) -> Text:
        current = self.queue_shown and row.seq == self.position
        t = Text("▸" if current else " ", style="bold")
        t.append("●" if row.seq in self.marks else " ", style="bold")
        mark = DECISION_MARKS.get(row.decision or "", " ")
        t.append(mark, style=DECISION_STYLES.get(row.decision or "", ""))
        t.append(f"{row.seq:>6} ", style="dim")
        t.append(clean(row.label) or row.key)
        detail = row.note or (None if self.queue_shown else row.decision)
        if detail:
            t.append(f"  {clean(detail)}", style="dim")
        if current:
            t.stylize("reverse")
        return t

    # -- moving -----------------------------------------------------------------------------------

    def go(self, seq: int, remember: bool = False) -> None:
        """Show item ``seq`` (kept within the queue); ``remember`` lets ``b`` come back here."""
        if self.total == 0:
            return
        seq = max(1, min(self.total, seq))
        if remember and seq != self.position:
            self.history.append(self.position)
        self.position = seq
        self._refresh_lines()
        self._fetch(seq)

    def action_move(self, step: int) -> None:
        self.go(self.position + step)

    def action_first(self) -> None:
        self.go(1, remember=True)

    def action_last(self) -> None:
        self.go(self.total, remember=True)

    def action_back(self) -> None:
        if not self.history:
            self.notify("Nothing to jump back to", markup=False, timeout=3)
            return
        self.go(self.history.pop())

    def action_goto(self) -> None:
        from sortui.screens.prompts import PromptScreen

        def check(value: str) -> str | None:
            ok = value.isdigit() and 1 <= int(value) <= self.total
            return None if ok else f"type a number from 1 to {self.total}"

        def chosen(value: str | None) -> None:
            if value:
                self.go(int(value), remember=True)

        self.app.push_screen(PromptScreen("Go to item", f"1 to {self.total}", check=check), chosen)

    def action_next_open(self) -> None:
        self._find("next", lambda conn: [s] if (s := review.next_undecided(conn, self.session, self.position)) else [])

    def action_toggle_list(self) -> None:
        self.list_mode = "decided" if self.queue_shown else "queue"
        self._refresh_lines()
        if self.queue_shown:
            self._fetch(self.position)

    def action_scroll_detail(self, direction: int) -> None:
        detail = self.query_one(ItemDetail)
        detail.scroll_to(y=detail.scroll_y + direction * max(1, detail.size.height - 1), animate=False)

    @work(thread=True, group="review-find")
    @reports_errors
    def _find(self, what: str, finder: Callable[[sqlite3.Connection], list[int]]) -> None:
        with self.source.connection() as conn:
            seqs = finder(conn)
        self.post_message(self.Found(what, seqs))

    @on(Found)
    def _found(self, message: Found) -> None:
        if message.what == "next":
            if message.seqs:
                self.go(message.seqs[0], remember=True)
            else:
                self.notify("Every item is decided", markup=False, timeout=4)
        elif message.what == "undecided":
            self.marks = set(message.seqs)
            self.notify(f"Marked {len(self.marks)} undecided items: c changes them", markup=False, timeout=4)
            self._refresh_lines()

    # -- deciding -----------------------------------------------------------------------------------

    def _can_write(self) -> bool:
        if self.source.readonly:
            self.notify(READONLY_NOTICE, severity="warning", markup=False)
            return False
        if self.writing or self.view is None or self.view.row.seq != self.position:
            self.app.bell()  # a write is under way, or the item moved to is not shown yet: decide what you see
            return False
        return True

    def _write_change(self, change: Change, nothing: str = "") -> None:
        self.writing = True
        self._write(change, nothing)

    @work(thread=True, group="review-write")
    def _write(self, change: Change, nothing: str) -> None:
        try:
            with self.source.connection() as conn:
                seq = change(conn)
                if seq is None:
                    self.post_message(self.Failed(nothing, "information", written=True))
                    return
                snap = review_data.read(conn, self.session, seq, self.view_date, progress=True, window=self.queue_shown)
        except (review.ReviewError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Failed(str(exc), written=True))
            return
        self.post_message(self.Read(snap, written=True))

    def _decide(self, decision: str, note: str | None = None) -> None:
        assert self.view is not None
        seq, session = self.view.row.seq, self.session
        self.history.append(seq)
        self._write_change(lambda conn: review.decide(conn, session, seq, decision, note))
        if self.summary is not None and self.summary.decided + 1 == self.total and self.view.row.decision is None:
            self.notify("That was the last undecided item: esc goes back", markup=False, timeout=4)

    def action_decide(self, decision: str) -> None:
        if self._can_write():
            self._decide(decision)

    def action_flag(self) -> None:
        from sortui.screens.prompts import PromptScreen

        if not self._can_write():
            return
        assert self.view is not None
        row = self.view.row

        def noted(note: str | None) -> None:
            if note and self.view is not None and self.view.row.seq == row.seq and self._can_write():
                self._decide("flagged", note)

        check = lambda v: None if v.strip() else "a flag needs a note saying why"  # noqa: E731
        value = row.note if row.decision == "flagged" and row.note else ""
        title = f"Flag {row.seq}. {clean(row.label) or row.key}: why?"
        self.app.push_screen(PromptScreen(title, "A note for the record (required)", value, check), noted)

    def action_undo(self) -> None:
        if self._can_write():
            session = self.session
            self._write_change(lambda conn: review.undo_last(conn, session), "Nothing to undo in this session")

    # -- marking and changing many -------------------------------------------------------------------

    def action_mark(self) -> None:
        if self.total == 0:
            return
        seq = self.position
        self.marks.symmetric_difference_update({seq})
        if seq < self.total:
            self.go(seq + 1)
        else:
            self._refresh_lines()

    def action_mark_all(self) -> None:
        if self.marks:
            self.notify(f"Cleared {len(self.marks)} marks", markup=False, timeout=3)
            self.marks = set()
            self._refresh_lines()
            return
        session, size = self.session, self.total
        self._find("undecided", lambda conn: [i.seq for i in review.items(conn, session, 0, size) if not i.decision])

    def action_change(self) -> None:
        if not self._can_write():
            return
        assert self.view is not None
        seqs = sorted(self.marks) or [self.view.row.seq]
        self.query_one(ChangeFlow).start(seqs)

    @on(ChangeFlow.Done)
    def _changed(self, message: ChangeFlow.Done) -> None:
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.applied is not None:
            self.marks.difference_update(message.applied.changed)
            self.edited.update(message.applied.keys)
            self._fetch(self.position, progress=True)

    # -- editing --------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        if not self._can_write():
            return
        assert self.view is not None
        if self.view.missing:
            self.notify("It is no longer in the working copy", severity="warning", markup=False)
            return
        self._load_editor(self.view.row.target, self.view.row.key)

    @work(thread=True, group="review-edit")
    @reports_errors
    def _load_editor(self, target: str, key: str) -> None:
        with self.source.connection() as conn:
            payload: Any = None
            if target == "entity":
                payload = edit_data.load_editor_data(conn, key)
            elif (loc := queries.location(conn, key)) is not None:
                owner = queries.node(conn, loc.owner_sor_id)
                payload = edit_data.load_location(conn, key, loc.owner_sor_id, owner.name if owner else "")
        self.post_message(self.EditLoaded(target, key, payload))

    @on(EditLoaded)
    def _edit_loaded(self, message: EditLoaded) -> None:
        from sortui.screens.edi import EdiScreen
        from sortui.screens.editor import UnitEditor

        if message.payload is None:
            self.notify(f"{message.key} is no longer in the working copy", severity="warning", markup=False)
            return
        if message.target == "entity":
            editor = UnitEditor(self.source, message.payload, self.debounce, on_change=self.edited.update)
            self.app.push_screen(editor, lambda entries: self._edited([message.key] if entries else []))
        else:
            edi = EdiScreen(self.source, message.payload, self.edited.update)
            self.app.push_screen(edi, lambda _: self._edited([message.key]))

    def _edited(self, keys: list[str]) -> None:
        """Back from an editor: the same item, read again."""
        self.edited.update(keys)
        self._fetch(self.position)

    # -- help, leaving -------------------------------------------------------------------------------

    def action_help(self) -> None:
        from sortui.screens.help import HelpScreen, HelpSection

        rows: dict[str, tuple[list[str], str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if active.node is not self or not (binding.id or "").startswith("review."):
                continue
            keys, _ = rows.setdefault(binding.action, ([], binding.tooltip or binding.description))
            display = self.app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        intro = "Decisions are saved at once; esc goes back and the session resumes here. Keys can be remapped."
        section = HelpSection("Review", [(" ".join(k), d) for k, d in rows.values()])
        self.app.push_screen(HelpScreen("Help: review", intro, [section]))

    def action_close(self) -> None:
        self.dismiss(sorted(self.edited))
