"""Errors that name where bad input is: file, line and element or column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SourcePos:
    """Where in an input file something was found (file, 1-based line, element or column)."""

    file: str
    line: int | None = None
    where: str | None = None  # element name (XML) or column name (CSV)

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
        if self.where:
            text += f" ({self.where})"
        return text


class InputError(Exception):
    """Bad input: the CLI prints it and exits 2; the working copy is left untouched."""

    def __init__(self, message: str, file: str, line: int | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.at = SourcePos(file, line, where)

    def __str__(self) -> str:
        return f"{self.at}: {self.message}"


@dataclass(slots=True)
class InputWarning:
    message: str
    at: SourcePos

    def __str__(self) -> str:
        return f"{self.at}: warning: {self.message}"
