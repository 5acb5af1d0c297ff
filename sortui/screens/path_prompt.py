"""Asking for files by their paths, with completion (the in-app import).

As the path is typed, the files and folders it may go on to are listed under it (read in a thread:
``widgets.path_completion``), the first one greyed in the field: ``tab`` completes as far as the
matches agree (into a folder when there is one), ``right`` takes the greyed name, ``down`` goes into
the list, where ``enter`` takes a match and ``space`` adds a file to those imported together (or
drops it). ``enter`` in the field answers the files added and the path typed, when it is a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from sortui.widgets.form import SafeInput
from sortui.widgets.path_completion import Completion, PathSuggester, complete, expand
from sortui.widgets.safe import clean

HINT = "tab completes · → takes the grey name · ↓ the list (space adds a file) · enter imports · esc cancels"
CHOSEN_MARK = "✓ "


class PathInput(SafeInput):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "screen.complete", "Complete the name", show=False, id="path.complete"),
        Binding("down", "screen.focus_matches", "The matching files", show=False, id="path.matches"),
    ]


class MatchList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next match", show=False, id="path.down"),
        Binding("k", "cursor_up", "Previous match", show=False, id="path.up"),
        Binding("tab", "screen.focus_field", "Back to the path", show=False, id="path.field"),
        Binding("space", "screen.toggle_chosen", "Add or drop the file (import several at once)", id="path.add"),
    ]


class PathPrompt(ModalScreen[list[Path] | None]):
    """Answers the paths of existing files (``~`` expanded, relative to ``cwd``; in the order they
    were added, the one typed last), or None."""

    HELP_TITLE = "Import files"
    HELP = "Type the path of a register file (space in the list adds more); each file's kind is found from its content."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="path.cancel"),
    ]

    def __init__(self, title: str, start: str, cwd: Path) -> None:
        super().__init__()
        self.title_text = title
        self.start = start
        self.cwd = cwd
        self.shown: Completion | None = None  # the completion the list shows
        self.chosen: list[Path] = []  # files added with space, imported with the one typed

    def compose(self) -> ComposeResult:
        with Vertical(id="path-prompt"):
            yield Static(Text(self.title_text, style="bold"), id="path-title")
            suggester = PathSuggester(self.cwd, self._completed)
            field = PathInput(value=self.start, id="path-input", suggester=suggester, select_on_focus=False)
            field.cursor_blink = False
            yield field
            yield MatchList(id="path-matches")
            yield Static(Text(), id="path-chosen")
            yield Static(Text(HINT, style="dim"), id="path-hint")

    def on_mount(self) -> None:
        self.query_one(PathInput).focus()

    @property
    def field(self) -> PathInput:
        return self.query_one(PathInput)

    # -- the matches ----------------------------------------------------------------------

    def _completed(self, found: Completion) -> None:
        """A completion of what the field held (from the suggester): listed if it is still what it holds."""
        if found.typed == self.field.value:
            self._show(found)

    def _show(self, found: Completion) -> None:
        self.shown = found
        matches = self.query_one(MatchList)
        matches.clear_options()
        matches.add_options([Option(self._match_line(m)) for m in found.matches])
        if found.problem:
            self._hint(found.problem, "bold")
        elif not found.matches:
            self._hint("no file or folder starts so", "dim")
        else:
            more = "+" if found.more else ""
            self._hint(f"{len(found.matches)}{more} matching · {HINT}", "dim")

    def _match_line(self, match: str) -> Text:
        if match.endswith("/"):
            return Text(clean(match), style="bold")
        chosen = self.shown is not None and expand(self.shown.value_of(match), self.cwd) in self.chosen
        return Text.assemble((CHOSEN_MARK if chosen else "  ", "bold"), clean(match))

    def action_toggle_chosen(self) -> None:
        """Space in the list: the file under the cursor is imported too (or not any more)."""
        matches = self.query_one(MatchList)
        index = matches.highlighted
        if self.shown is None or index is None or index >= len(self.shown.matches):
            return
        match = self.shown.matches[index]
        if match.endswith("/"):
            return
        path = expand(self.shown.value_of(match), self.cwd)
        if path in self.chosen:
            self.chosen.remove(path)
        else:
            self.chosen.append(path)
        matches.replace_option_prompt_at_index(index, self._match_line(match))
        names = ", ".join(clean(p.name) for p in self.chosen)
        self.query_one("#path-chosen", Static).update(Text(f"With: {names}" if names else "", style="bold"))

    def _hint(self, text: str, style: str) -> None:
        self.query_one("#path-hint", Static).update(Text(clean(text), style=style))

    def action_complete(self) -> None:
        """Tab: as far as the matches agree (the folder's contents are listed next)."""
        self._complete(self.field.value)

    @work(thread=True, exclusive=True, group="path-complete")
    def _complete(self, typed: str) -> None:
        found = complete(typed, self.cwd)
        self.app.call_from_thread(self._apply, found)

    def _apply(self, found: Completion) -> None:
        field = self.field
        if field.value != found.typed:
            return  # typed on meanwhile
        self._show(found)
        if found.common != found.typed:
            field.value = found.common
            field.cursor_position = len(field.value)

    def action_focus_matches(self) -> None:
        matches = self.query_one(MatchList)
        if matches.option_count:
            matches.highlighted = matches.highlighted or 0
            matches.focus()

    def action_focus_field(self) -> None:
        self.field.focus()

    @on(OptionList.OptionSelected, "#path-matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.shown is None or event.option_index >= len(self.shown.matches):
            return
        match = self.shown.matches[event.option_index]
        field = self.field
        field.value = self.shown.value_of(match)
        field.cursor_position = len(field.value)
        field.focus()
        if not match.endswith("/"):
            self._answer(field.value)

    # -- the answer --------------------------------------------------------------------------

    @on(Input.Submitted, "#path-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value)

    def _answer(self, typed: str) -> None:
        path = expand(typed, self.cwd) if typed.strip() else None
        if self.chosen and (path is None or path.is_dir()):
            self.dismiss(self.chosen)  # the files added (the folder typed is where they were picked)
            return
        if path is None:
            self._hint("type the path of a file", "bold")
            return
        if path.is_dir():
            self._hint(f"{typed} is a folder: tab or ↓ to pick a file in it", "bold")
            if not typed.endswith("/"):
                self.field.value = typed + "/"
                self.field.cursor_position = len(self.field.value)
            return
        if not path.exists():
            self._hint(f"no such file: {typed}", "bold")
            return
        self.dismiss([*(p for p in self.chosen if p != path), path])

    def action_cancel(self) -> None:
        self.dismiss(None)
