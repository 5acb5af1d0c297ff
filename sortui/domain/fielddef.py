"""A field's definition (Danish label, length, kind, rules, XML name) and how a record carries it.

A record in ``model.py`` declares each described field with ``described(...)``: the definition
travels in the dataclass field's metadata, so the record is the one place a field is written down.
``fields.py`` collects them per record (``field_defs``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from sortui.domain.text import codepoint, is_surrogate, unsafe_character

Rule = Callable[[str], list[str]]

_METADATA_KEY = "sortui.field_def"
_FLAG_KEY = "sortui.flag_label"


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    label: str
    xml: str | None = None
    min_len: int = 0
    max_len: int | None = None
    kind: str = "text"  # text | date | bool | code | int
    errors: Rule | None = None
    warnings: Rule | None = None
    editable: bool = True  # False: kept by the register (an id, the date it was last changed), never typed in
    multiline: bool = False  # True: the value may hold line feeds (a note); no other control character

    def check(self, value: str | None) -> tuple[list[str], list[str]]:
        """(errors, warnings) for ``value``; None and '' mean absent and are not checked."""
        if value is None or value == "":
            return [], []
        if unsafe := unsafe_text(self.label, value, self.multiline):
            return [unsafe], []
        errs: list[str] = []
        if self.max_len is not None and len(value) > self.max_len:
            errs.append(f"{self.label} is {len(value)} characters, at most {self.max_len} allowed")
        if len(value) < self.min_len:
            errs.append(f"{self.label} is {len(value)} characters, at least {self.min_len} required")
        if self.kind == "date" and not _is_iso_date(value):
            errs.append(f"{self.label} {value!r} is not a date (YYYY-MM-DD)")
        if self.kind in ("code", "int") and not value.isdigit():
            errs.append(f"{self.label} {value!r} must be digits")
        if self.errors:
            errs.extend(self.errors(value))
        warns = self.warnings(value) if self.warnings and not errs else []
        return errs, warns

    def passes(self) -> Callable[[str], bool]:
        """A predicate compiled once from this definition: True only when ``check`` finds nothing.

        For bulk validation (a national import checks millions of values): the common case, a
        value within its length, of the right kind and passing the rules, is answered without
        building message lists. A value it does not pass goes through ``check`` for the messages,
        so the rules and their wording stay in ``check`` and the rules functions alone.
        """
        lo, hi = self.min_len, sys.maxsize if self.max_len is None else self.max_len
        digits, is_date = self.kind in ("code", "int"), self.kind == "date"
        if self.errors or self.warnings:
            errors, warnings = self.errors or _no_problems, self.warnings or _no_problems

            def ok(value: str) -> bool:
                if not lo <= len(value) <= hi or (digits and not value.isdigit()) or not value.isprintable():
                    return False
                if is_date and not (value in _VALID_DATES or _remember_date(value)):
                    return False
                return not errors(value) and not warnings(value)

            return ok
        if is_date:
            return lambda value: lo <= len(value) <= hi and (value in _VALID_DATES or _remember_date(value))
        if digits:  # digits are printable: no control character gets through
            return lambda value: lo <= len(value) <= hi and value.isdigit()
        # ``isprintable`` is False for every control character (and for a few harmless ones, such as
        # a no-break space, which ``check`` then passes).
        return lambda value: lo <= len(value) <= hi and value.isprintable()


def described(
    label: str,
    *,
    xml: str | None = None,
    min_len: int = 0,
    max_len: int | None = None,
    kind: str = "text",
    errors: Rule | None = None,
    warnings: Rule | None = None,
    editable: bool = True,
    multiline: bool = False,
    default: Any = None,
) -> Any:
    """A record's dataclass field carrying its definition; ``default=dataclasses.MISSING`` makes it required.

    The definition's ``name`` is the field's, filled in by ``field_defs``.
    """
    definition = FieldDef("", label, xml, min_len, max_len, kind, errors, warnings, editable, multiline)
    return field(default=default, metadata={_METADATA_KEY: definition})


def flag(label: str, *, default: bool | None = None) -> Any:
    """A record's yes/no field that a user can set, with its Danish label (``flag_labels``)."""
    return field(default=default, metadata={_FLAG_KEY: label})


def field_defs(record: type) -> dict[str, FieldDef]:
    """The definitions of ``record``'s described fields by name, in field order."""
    return {
        f.name: replace(f.metadata[_METADATA_KEY], name=f.name) for f in fields(record) if _METADATA_KEY in f.metadata
    }


def flag_labels(record: type) -> dict[str, str]:
    """The labels of ``record``'s flags (``flag``) by field name, in field order."""
    return {f.name: f.metadata[_FLAG_KEY] for f in fields(record) if _FLAG_KEY in f.metadata}


def unsafe_text(label: str, value: str, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be the text of the field ``label``: it holds a control character (a line
    feed is allowed when ``multiline``) or bytes that are not text. None when it is text."""
    ch = unsafe_character(value, allow_newline=multiline)
    if ch is None:
        return None
    if is_surrogate(ch):
        return f"{label} holds {codepoint(ch)}, which is not a character (bytes that are not UTF-8?)"
    only = " (of the control characters, only line feeds are)" if multiline else ""
    return f"{label} holds the control character {codepoint(ch)}, which is not allowed{only}"


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _no_problems(value: str) -> list[str]:
    return []


# Dates seen to be valid (a register has a few thousand distinct ones); bounded, so memory stays flat.
_VALID_DATES: set[str] = set()


def _remember_date(value: str) -> bool:
    if not _is_iso_date(value):
        return False
    if len(_VALID_DATES) >= 20000:
        _VALID_DATES.clear()
    _VALID_DATES.add(value)
    return True
