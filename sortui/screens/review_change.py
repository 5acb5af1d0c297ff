"""One change applied to many review items: FIELD=VALUE on units, or a message type added to / removed
from lokationsnumre.

``ChangeFlow`` (a hidden widget of the review screen) asks what to change, previews it in a worker
(how many change, how many have it already, how many are refused and why), asks for a
confirmation and applies it through the journal in a worker: one ``edits.set_fields`` per
unit, or ``edits.add_message_to_many`` / ``remove_message_from_many`` for lokationsnumre.
The items that changed are then decided *approved* with a note of the change (``review.decide_many``,
so undo steps back one at a time; the journal entries themselves are undone on the pending-changes
screen). Items refused or unchanged keep their decision and their mark.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget

from sortui.domain.fields import editable_entity_fields, entity_field_path, field_label, field_suggestions
from sortui.domain.words import plural
from sortui.store import edits, queries, review
from sortui.store.journal import EditError
from sortui.store.rows import load_entity
from sortui.widgets.edit_data import Choice, message_choices, message_name, owner_name, show_value
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

SHOWN_REASONS = 4  # refusal reasons listed in the preview


@dataclass(frozen=True, slots=True)
class Target:
    seq: int
    target: str  # entity / location
    key: str


@dataclass(slots=True)
class ChangePlan:
    """What applying one change to the selection would do."""

    kind: str  # set | add | remove
    path: str  # a field path, or a message type's URN
    value: Any
    label: str  # the change in words (also the decision's note)
    change: list[Target] = field(default_factory=list)
    unchanged: list[Target] = field(default_factory=list)
    refused: dict[str, list[Target]] = field(default_factory=dict)
    warnings: int = 0
    names: dict[str, str] = field(default_factory=dict)  # the name of each unit (a number's owner) that changes

    def refuse(self, reason: str, target: Target) -> None:
        self.refused.setdefault(reason, []).append(target)

    @property
    def refused_count(self) -> int:
        return sum(len(v) for v in self.refused.values())

    @property
    def unchanged_words(self) -> str:
        return "do not have it" if self.kind == "remove" else "have it already"

    @property
    def note(self) -> str:
        return f"changed: {self.label}"


@dataclass(frozen=True, slots=True)
class Applied:
    changed: list[int]  # seqs changed (and decided approved)
    refused: int
    entries: int
    keys: list[str]


# -- FIELD=VALUE ---------------------------------------------------------------------------


def parse_assignment(text: str) -> tuple[str, Any]:
    """``FIELD=VALUE`` as (field path, stored value); ValueError says what is wrong."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ValueError("type FIELD=VALUE, e.g. contact.phone=12345678 (an empty VALUE clears the field)")
    path = entity_field_path(name)
    if path is None:
        choices = [*editable_entity_fields(), *(field_label(p) for p in editable_entity_fields())]
        raise ValueError(f"{name.strip()!r} is not a field that can be edited{field_suggestions(name, choices)}")
    try:
        return path, edits.parse_value(path, raw)
    except EditError as exc:
        raise ValueError(str(exc)) from None


def check_assignment(text: str) -> str | None:
    try:
        parse_assignment(text)
    except ValueError as exc:
        return str(exc)
    return None


def plan_fields(conn: sqlite3.Connection, targets: list[Target], path: str, value: Any) -> ChangePlan:
    """Check ``path = value`` on every unit (``edits.check_entity_changes``)."""
    label = f"{field_label(path)} ({path}) = {show_value(value)}"
    plan = ChangePlan("set", path, value, label)
    for t in targets:
        if t.target != "entity":
            plan.refuse("not a unit", t)
            continue
        ent = load_entity(conn, t.key)
        conn.row_factory = None
        if ent is None:
            plan.refuse("no longer in the working copy", t)
        elif edits.entity_value(ent, path) == value:
            plan.unchanged.append(t)
        else:
            plan.names[t.key] = ent.name
            _check_unit(conn, plan, t)
    return plan


def _check_unit(conn: sqlite3.Connection, plan: ChangePlan, t: Target) -> None:
    problems = edits.check_entity_changes(conn, t.key, {plan.path: plan.value})
    errors = [p for p in problems if p.is_error]
    if errors:
        plan.refuse(errors[0].message, t)
    else:
        plan.change.append(t)
        plan.warnings += len(problems)


def apply_fields(conn: sqlite3.Connection, plan: ChangePlan) -> tuple[list[Target], int, int]:
    """One bulk change on the units (one transaction, one journal group); (changed, refused now, entries)."""
    written, refused = edits.set_fields_on_many(conn, [t.key for t in plan.change], {plan.path: plan.value})
    done = {e.key for e in written}
    return [t for t in plan.change if t.key in done], len(refused), len(written)


# -- message types -------------------------------------------------------------------------


def plan_messages(conn: sqlite3.Connection, targets: list[Target], action: str, urn: str) -> ChangePlan:
    verb = "added" if action == "add" else "removed"
    plan = ChangePlan(action, urn, None, f"message type {message_name(conn, urn)} {verb}")
    numbers = []
    for t in targets:
        if t.target != "location":
            plan.refuse("not a lokationsnummer", t)
        elif queries.location(conn, t.key) is None:
            plan.refuse("no longer in the working copy", t)
        else:
            numbers.append(t)
    have = edits.glns_with_message(conn, [t.key for t in numbers], urn)
    for t in numbers:
        changes = (t.key in have) == (action == "remove")
        (plan.change if changes else plan.unchanged).append(t)
        if changes:
            plan.names[t.key] = owner_name(conn, t.key)
    return plan


def apply_messages(conn: sqlite3.Connection, plan: ChangePlan) -> tuple[list[Target], int, int]:
    glns = [t.key for t in plan.change]
    if plan.kind == "add":
        entries = edits.add_message_to_many(conn, glns, plan.path)
    else:
        entries = edits.remove_message_from_many(conn, glns, plan.path)
    done = {e.key for e in entries}
    return [t for t in plan.change if t.key in done], 0, len(entries)


def apply_plan(conn: sqlite3.Connection, session: str, plan: ChangePlan, position: int) -> Applied:
    """Apply through the journal, decide the changed items approved, keep the reviewer at ``position``."""
    apply = apply_fields if plan.kind == "set" else apply_messages
    changed, refused, entries = apply(conn, plan)
    if changed:
        review.decide_many(conn, session, [t.seq for t in changed], "approved", plan.note)
        review.set_position(conn, session, position)
    return Applied([t.seq for t in changed], refused, entries, [t.key for t in changed])


def targets_of(conn: sqlite3.Connection, session: str, seqs: list[int]) -> list[Target]:
    found = (review.item(conn, session, seq) for seq in sorted(seqs))
    return [Target(it.seq, it.target, it.key) for it in found if it is not None]


def preview_text(plan: ChangePlan, count: int, what: str) -> Text:
    t = Text(f"{clean(plan.label)}\non the {count} {what}:\n\n")
    t.append(f"{len(plan.change):>6} change", style="bold")
    t.append(" (one bulk change: P undoes it in one step; decided approved)\n")
    t.append(f"{len(plan.unchanged):>6} {plan.unchanged_words} (left as they are)\n")
    t.append(f"{plan.refused_count:>6} refused", style="bold" if plan.refused else "")
    t.append(":\n" if plan.refused else "\n")
    reasons = sorted(plan.refused.items(), key=lambda kv: -len(kv[1]))
    for reason, items in reasons[:SHOWN_REASONS]:
        t.append(f"{len(items):>8}× {clean(reason)}\n")
    if len(reasons) > SHOWN_REASONS:
        t.append(f"         … and {len(reasons) - SHOWN_REASONS} more reasons\n", style="dim")
    if plan.warnings:
        t.append(f"{plan.warnings:>6} warnings (the changes are allowed)\n", style="dim")
    return t


# -- the dialogue ------------------------------------------------------------------------------


class ChangeFlow(Widget):
    """Runs the apply-a-change dialogue for its review screen (not shown); ends with ``Done``."""

    DEFAULT_CSS = "ChangeFlow { display: none; }"

    class Loaded(Message):
        def __init__(self, targets: list[Target], catalogue: list[Choice]) -> None:
            super().__init__()
            self.targets = targets
            self.catalogue = catalogue

    class Planned(Message):
        def __init__(self, plan: ChangePlan, count: int) -> None:
            super().__init__()
            self.plan = plan
            self.count = count

    class Done(Message):
        """The change was applied (bubbles to the review screen)."""

        def __init__(self, applied: Applied | None, notice: str, severity: str = "information") -> None:
            super().__init__()
            self.applied = applied
            self.notice = notice
            self.severity = severity

    def __init__(self, source: Source, session: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.session = session
        self.busy = False

    def start(self, seqs: list[int]) -> None:
        """Ask for a change to the items ``seqs`` (their kinds decide which change)."""
        if self.busy:
            self.notify("A change is being prepared or applied", severity="warning", markup=False)
            return
        self.busy = True
        self._load(seqs)

    @work(thread=True, group="review-change")
    def _load(self, seqs: list[int]) -> None:
        try:
            with self.source.connection() as conn:
                targets = targets_of(conn, self.session, seqs)
                locations = any(t.target == "location" for t in targets)
                catalogue = message_choices(conn, set()) if locations else []
        except (sqlite3.Error, OSError) as exc:
            self.post_message(self.Done(None, f"Reading the working copy failed: {exc}", "error"))
            return
        self.post_message(self.Loaded(targets, catalogue))

    def _stop(self, notice: str | None = None) -> None:
        self.busy = False
        if notice:
            self.notify(notice, severity="warning", markup=False)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        kinds = {t.target for t in message.targets}
        if not kinds:
            self._stop("Nothing to change")
        elif len(kinds) > 1:
            self._stop("The marked items mix units and lokationsnumre: mark only one kind")
        elif kinds == {"entity"}:
            self._ask_field(message.targets)
        else:
            self._ask_message(message.targets, message.catalogue)

    def _ask_field(self, targets: list[Target]) -> None:
        from sortui.screens.prompts import PromptScreen

        def chosen(text: str | None) -> None:
            if not text:
                self._stop()
                return
            path, value = parse_assignment(text)
            self._plan(lambda conn: plan_fields(conn, targets, path, value), len(targets))

        hint = "A field's name (contact.phone) or Danish label (Telefon), =, the value; nothing after = clears it."
        title = f"Change on {units(len(targets))}: FIELD=VALUE"
        self.app.push_screen(PromptScreen(title, hint, check=check_assignment), chosen)

    def _ask_message(self, targets: list[Target], catalogue: list[Choice]) -> None:
        from sortui.widgets.picker import PickerScreen

        count = plural(len(targets), "lokationsnummer", "lokationsnumre")
        actions = [
            Choice("add", f"Add a message type to the {count}"),
            Choice("remove", f"Remove one from the {count}"),
        ]

        def picked(urn: str | None, action: str) -> None:
            if not urn:
                self._stop()
                return
            self._plan(lambda conn: plan_messages(conn, targets, action, urn), len(targets))

        def chose(action: str | None) -> None:
            if not action:
                self._stop()
                return
            title = f"{'Add' if action == 'add' else 'Remove'}: which message type?"
            self.app.push_screen(PickerScreen(title, catalogue), lambda urn: picked(urn, action))

        self.app.push_screen(PickerScreen("Change the lokationsnumre", actions, filterable=False), chose)

    @work(thread=True, group="review-change")
    def _plan(self, planner: Any, count: int) -> None:
        try:
            with self.source.connection() as conn:
                plan = planner(conn)
        except (EditError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Done(None, f"Refused: {exc}", "error"))
            return
        self.post_message(self.Planned(plan, count))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        from sortui.screens.confirm import ConfirmScreen

        message.stop()
        plan = message.plan
        what = "units" if plan.kind == "set" else "lokationsnumre"
        body = preview_text(plan, message.count, what)
        if not plan.change:
            self._stop(nothing_text(plan))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(plan, self.screen_position())
            else:
                self._stop()

        title = f"Change {len(plan.change)} of the {message.count} {what}?"
        items = [Text.assemble((t.key, "bold"), "  ", clean(plan.names.get(t.key, ""))) for t in plan.change]
        self.app.push_screen(ConfirmScreen(title, body, "apply", items), answered)

    def screen_position(self) -> int:
        return int(getattr(self.screen, "position", 1))

    @work(thread=True, group="review-change")
    def _apply(self, plan: ChangePlan, position: int) -> None:
        try:
            with self.source.connection() as conn:
                applied = apply_plan(conn, self.session, plan, position)
        except (EditError, review.ReviewError, sqlite3.Error, OSError) as exc:
            self.post_message(self.Done(None, f"Not applied: {exc}", "error"))
            return
        notice = f"Changed {len(applied.changed)} (one bulk change of {plural(applied.entries, 'journal entry', 'journal entries')}), decided approved"
        if plan.refused_count + applied.refused:
            notice += f"; {plan.refused_count + applied.refused} refused (still marked)"
        self.post_message(self.Done(applied, notice))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.busy = False  # the message bubbles on to the screen


def nothing_text(plan: ChangePlan) -> str:
    """Why nothing would change: how many have it already, how many are refused and the commonest reason."""
    words = f"Nothing to change ({clean(plan.label)}): {len(plan.unchanged)} {plan.unchanged_words}"
    if plan.refused:
        reason, items = max(plan.refused.items(), key=lambda kv: len(kv[1]))
        words += f", {plan.refused_count} refused ({len(items)}× {clean(reason)})"
    return words


def units(count: int) -> str:
    return plural(count, "unit")
