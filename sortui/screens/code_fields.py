"""Coded fields in the editors: each shows the name of the code typed in it, and f4 picks a code from
its list (the named codes and those the working copy uses), filtered as you type.

A form screen mixes in ``CodeFields`` and sets ``code_choices`` ({field path: choices}, read by
``edit_data`` in a worker); ``update_code_hints`` shows the names under the fields, ``pick_code``
opens the picker on the focused coded field. A field of several codes (``specialities``) adds or
removes the picked one.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen

from sortui.domain.fields import field_label
from sortui.widgets.edit_data import Choice
from sortui.widgets.form import FieldInput, FieldRow
from sortui.widgets.safe import clean

MULTI = ("specialities",)  # fields holding several codes, separated by spaces


def code_hint(choices: list[Choice], text: str, multi: bool = False) -> Text:
    """What the codes typed in a coded field are: their names, "unknown code", and how to pick another
    (nothing for an empty field: its placeholder says so)."""
    names = {c.value: c.label for c in choices}
    codes = text.split() if multi else [text.strip()] if text.strip() else []
    t = Text(style="dim")
    for i, code in enumerate(codes):
        if i:
            t.append(", ")
        t.append(clean(names.get(code, "unknown code")) if code in names else f"{clean(code)}: unknown code")
    if codes:
        t.append("  · f4 picks another")
    return t


class CodeFields:
    """The coded fields of a form screen (mixed in before the Screen class)."""

    code_choices: dict[str, list[Choice]]

    def update_code_hints(self) -> None:
        screen: Screen[Any] = self  # type: ignore[assignment]
        for row in screen.query(FieldRow):
            if row.path in self.code_choices and isinstance(row.field, FieldInput):
                row.set_hint(code_hint(self.code_choices[row.path], row.field.value, row.path in MULTI))

    def pick_code(self) -> None:
        """The picker of the focused coded field (a notice when the field has no list)."""
        from sortui.widgets.picker import PickerScreen

        screen: Screen[Any] = self  # type: ignore[assignment]
        focused = screen.focused
        path = getattr(focused, "path", None)
        if not isinstance(focused, FieldInput) or path not in self.code_choices:
            coded = ", ".join(field_label(p) for p in self.code_choices)
            screen.notify(f"f4 picks a code on the coded fields: {coded}", markup=False, timeout=5)
            return
        current = focused.value.split() if path in MULTI else [focused.value.strip()]
        choices = [Choice(c.value, c.label, c.detail, c.value in current) for c in self.code_choices[path]]
        title = f"{field_label(path)}: pick one to add or remove" if path in MULTI else field_label(path)
        start = 0 if path in MULTI else next((i for i, c in enumerate(choices) if c.marked), 0)
        picker = PickerScreen(title, choices, start=start)  # a single code: the cursor starts on it
        screen.app.push_screen(picker, lambda code: self._picked(focused, code))

    def _picked(self, field: FieldInput, code: str | None) -> None:
        if code is not None:
            if field.path in MULTI:
                codes = field.value.split()
                field.value = " ".join([c for c in codes if c != code] if code in codes else [*codes, code])
            else:
                field.value = code
        field.focus()
