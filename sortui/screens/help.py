"""Help for every screen (F1): what the screen is for, the keys of the focused part, of the screen and
those that work everywhere, and where the config file is that remaps them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from sortui.screens.text_modal import TextModal, scroll_bindings
from sortui.widgets.text_sections import Row, append_section


@dataclass(frozen=True, slots=True)
class HelpSection:
    title: str
    rows: list[tuple[str, str]]  # (keys, description)


def help_text(intro: str, sections: list[HelpSection]) -> Text:
    t = Text()
    t.append(f"{intro}\n", style="dim")
    for section in sections:
        append_section(t, section.title, [Row(keys, description) for keys, description in section.rows], indent="  ")
    return t


class HelpScreen(TextModal):
    BOX_ID = "help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", show=False, id="help.close"),
        *scroll_bindings("help"),
    ]

    def __init__(self, title: str, intro: str, sections: list[HelpSection]) -> None:
        super().__init__(title, help_text(intro, sections))

    @property
    def help_title(self) -> str:
        return self.box_title


def remap_note(config_path: Path | None) -> str:
    """Where the keys are remapped (the config file's path when known)."""
    where = str(config_path) if config_path else "the config file (`sortui locate` prints where it is)"
    return f"Keys can be remapped under [keymap] in {where}."


# What every text field does with its keys (moving, deleting, copying): nothing of the screen's own.
_FIELD_ACTIONS = frozenset(b.action for b in Input.BINDINGS if isinstance(b, Binding))

KeyRows = dict[tuple[int, str], tuple[list[str], str]]


def key_rows(screen: Screen[Any], local: Any = None) -> tuple[KeyRows, KeyRows, KeyRows]:
    """The active bindings with a description, as (keys, what they do): those of ``local`` (default: the
    focused widget and its containers below the screen), of the screen, and of the app."""
    app = screen.app
    chain = local if local is not None else screen.focused
    mine: KeyRows = {}
    here: KeyRows = {}
    everywhere: KeyRows = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.system:
            continue
        node = active.node
        if node is app:
            rows = everywhere
        elif node is screen:
            rows = here
        elif chain is not None and (node is chain or node in chain.ancestors):
            if isinstance(node, Input) and binding.action in _FIELD_ACTIONS:
                continue  # moving the cursor in a field: every field does it, it says nothing of this screen
            rows = mine
        else:
            continue
        keys, _ = rows.setdefault((id(node), binding.action), ([], binding.tooltip or binding.description))
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return mine, here, everywhere


def rows_of(rows: KeyRows) -> list[tuple[str, str]]:
    return [(" ".join(keys), description) for keys, description in rows.values()]


def screen_help(screen: Screen[Any], config_path: Path | None) -> HelpScreen:
    """The help of ``screen``: its ``HELP`` text and its keys, by where they work."""
    mine, here, everywhere = key_rows(screen)
    title = getattr(screen, "HELP_TITLE", "") or type(screen).__name__.removesuffix("Screen")
    rows = rows_of(everywhere)
    sections = [
        HelpSection(title, rows_of(here)),
        HelpSection("The focused part", rows_of(mine)),
        HelpSection("Everywhere", rows),
    ]
    intro = " ".join(part for part in (getattr(screen, "HELP", ""), remap_note(config_path)) if part)
    return HelpScreen(f"Help: {title}", intro, [s for s in sections if s.rows])
