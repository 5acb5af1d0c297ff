"""Form rows for the editors: a label, a one-line field (text or a yes/no flag), a hint and the
field's problems (errors and warnings) under it. Labels and lengths come from ``domain.fields``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS, ENTITY_FIELDS, LOCATION_FIELDS, FieldDef
from sortui.domain.model import ADDRESS_KINDS
from sortui.domain.validation import Problem
from sortui.widgets.safe import clean

FLAG_TEXT = {None: "–", True: "yes", False: "no"}


def field_def(path: str) -> FieldDef | None:
    """The definition of an editable field path such as ``name``, ``postal.street`` or ``location.note``."""
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        return ADDRESS_FIELDS.get(name)
    if group == "contact":
        return CONTACT_FIELDS.get(name)
    if group == "location":
        return LOCATION_FIELDS.get(name)
    return ENTITY_FIELDS.get(path)


def dom_id(path: str) -> str:
    return "f-" + path.replace(".", "-")


def concerns(problem: Problem, path: str) -> bool:
    """Whether ``problem`` belongs by the field ``path`` (``specialities.x`` by ``specialities``)."""
    return problem.field == path or problem.field.startswith(path + ".")


class PrintableHighlighter(Highlighter):
    """Draws a field's text with its control characters as symbols; the value itself stays exact."""

    def highlight(self, text: Text) -> None:
        text.plain = clean(text.plain)


class SafeInput(Input):
    """A one-line field that never draws a control character it holds (one loaded, or pasted)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", PrintableHighlighter())
        super().__init__(*args, **kwargs)


class FieldInput(SafeInput):
    """A one-line text field that knows its field path."""

    def __init__(self, path: str, value: str, max_length: int | None, placeholder: str = "") -> None:
        super().__init__(
            value=value, max_length=max_length or 0, placeholder=placeholder, id=dom_id(path), select_on_focus=False
        )
        self.path = path
        self.cursor_blink = False

    @property
    def text(self) -> str:
        return self.value


class FlagField(Static, can_focus=True):
    """A yes/no flag; with ``three_state`` also "not given" (–)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "cycle", "Toggle", show=False, id="form.flag_toggle"),
        Binding("y", "set(True)", "Yes", show=False, id="form.flag_yes"),
        Binding("n", "set(False)", "No", show=False, id="form.flag_no"),
        Binding("backspace,delete", "set(None)", "Not given", show=False, id="form.flag_clear"),
    ]

    class Changed(Message):
        def __init__(self, flag: FlagField) -> None:
            super().__init__()
            self.flag = flag

    def __init__(self, path: str, value: bool | None, three_state: bool = True) -> None:
        super().__init__(id=dom_id(path))
        self.path = path
        self.three_state = three_state
        self.value: bool | None = value if three_state else bool(value)

    @property
    def text(self) -> str:
        return FLAG_TEXT[self.value]

    def render(self) -> Text:
        hint = "space, y, n: yes/no/–" if self.three_state else "space, y, n: yes/no"
        return Text.assemble((f"[{self.text:^3}]", "bold"), (f"  {hint}", "dim"))

    def action_cycle(self) -> None:
        order: list[bool | None] = [None, True, False] if self.three_state else [False, True]
        self.action_set(order[(order.index(self.value) + 1) % len(order)])

    def action_set(self, value: bool | None) -> None:
        if value is None and not self.three_state:
            return
        if value != self.value:
            self.value = value
            self.refresh()
            self.post_message(self.Changed(self))


class FormScroll(VerticalScroll, can_focus=False, inherit_bindings=False):
    """A scrolling form: ↑/↓ move between its fields (the focused field is scrolled into view)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "app.focus_next", "Next field", show=False, id="form.next"),
        Binding("up", "app.focus_previous", "Previous field", show=False, id="form.previous"),
        Binding("pagedown", "page_down", "Page down", show=False, id="form.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="form.page_up"),
    ]


class FieldRow(Horizontal):
    """Label and field on one line; hint, errors and warnings on lines after it when there are any.

    Those lines are mounted (after the row) the first time they have something to say: a form
    has many rows, and fewer widgets open faster.
    """

    def __init__(self, path: str, label: str, field: Widget, hint: Text | None = None) -> None:
        super().__init__(classes="field-row")
        self.path = path
        self.label = label
        self.field = field
        self.hint = hint
        self.notes: dict[str, Static] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(self.label), classes="field-label")
        yield self.field

    def on_mount(self) -> None:
        self.set_hint(self.hint)

    def _note(self, cls: str, text: Text) -> None:
        """Show ``text`` on the line of class ``cls`` below the row (hidden when empty)."""
        widget = self.notes.get(cls)
        if widget is not None:
            widget.update(text)
            widget.display = bool(text.plain)
        elif text.plain and self.parent is not None:
            order = ("field-hint", "field-errors", "field-warnings")
            earlier = [self.notes[c] for c in order[: order.index(cls)] if c in self.notes]
            widget = self.notes[cls] = Static(text, classes=f"field-note {cls}")
            self.parent.mount(widget, after=earlier[-1] if earlier else self)

    def set_hint(self, hint: Text | None) -> None:
        self.hint = hint
        self._note("field-hint", hint or Text())

    def set_problems(self, problems: Iterable[Problem]) -> None:
        found = list(problems)
        for cls, wanted in (("field-errors", True), ("field-warnings", False)):
            lines = [f"{'✗' if wanted else '!'} {clean(p.message)}" for p in found if p.is_error is wanted]
            self._note(cls, Text("\n".join(lines)))
        self.set_class(any(p.is_error for p in found), "-error")


def text_row(path: str, value: Any, label: str | None = None, placeholder: str = "") -> FieldRow:
    fd = field_def(path)
    shown = label or (fd.label if fd else path)
    if not placeholder and fd is not None and fd.kind == "date":
        placeholder = "YYYY-MM-DD"
    text = "" if value is None else " ".join(value) if isinstance(value, list) else str(value)
    field = FieldInput(path, text, fd.max_len if fd else None, placeholder)
    return FieldRow(path, shown, field)


def flag_row(path: str, value: bool | None, label: str, three_state: bool = True) -> FieldRow:
    return FieldRow(path, label, FlagField(path, value, three_state))


def form_fields(root: Widget) -> dict[str, FieldInput | FlagField]:
    """The fields under ``root`` by path."""
    found: dict[str, FieldInput | FlagField] = {w.path: w for w in root.query(FieldInput)}
    found.update({w.path: w for w in root.query(FlagField)})
    return found


def field_value(widget: FieldInput | FlagField) -> Any:
    """The value typed: flags as bool (or None), text through ``edits.parse_value`` ('' is None)."""
    from sortui.store.edits import parse_value

    return widget.value if isinstance(widget, FlagField) else parse_value(widget.path, widget.text)


def form_changes(root: Widget, original: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """{path without ``prefix``: value} of the fields whose text differs from ``original``."""
    return {
        path.removeprefix(prefix): field_value(widget)
        for path, widget in form_fields(root).items()
        if widget.text != original.get(path)
    }


def apply_problems(root: Widget, problems: list[Problem]) -> list[Problem]:
    """Show each problem by its field; returns those that belong to no field of the form."""
    rows = list(root.query(FieldRow))
    for row in rows:
        row.set_problems(p for p in problems if concerns(p, row.path))
    return [p for p in problems if not any(concerns(p, r.path) for r in rows)]
