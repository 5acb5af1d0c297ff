"""Resolving what a user types (a SOR-kode, lokationsnummer, SHAK-kode or ydernummer) to units.

Shared by the command line (``show``) and the app (go to, move under).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sortui.store import queries

_PREFIXES = {"sor": "sor_id", "gln": "gln", "shak": "shak", "yder": "provider_number"}


def resolve_key(conn: sqlite3.Connection, key: str) -> list[tuple[str, str]]:
    """What ``key`` is: [(kind, value)]; a prefix ``sor:``, ``gln:``, ``shak:`` or ``yder:`` says which."""
    prefix, sep, rest = key.partition(":")
    if sep and prefix.lower() in _PREFIXES:
        wanted = _PREFIXES[prefix.lower()]
        return [m for m in queries.find_key(conn, rest) if m[0] == wanted]
    return queries.find_key(conn, key)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a go-to key leads: a SOR-kode, or why it leads nowhere."""

    sor_id: str | None
    note: str | None = None


def go_to_target(conn: sqlite3.Connection, key: str) -> Target:
    """A SOR-kode for ``key``: itself, a GLN's owner, a SHAK-kode's or ydernummer's first unit."""
    for kind, value in resolve_key(conn, key):
        ids: list[str]
        if kind == "sor_id":
            return Target(value)
        if kind == "gln":
            loc = queries.location(conn, value)
            ids = [loc.owner_sor_id] if loc else []
        elif kind == "shak":
            ids = queries.sor_ids_for_shak(conn, value)
        else:
            ids = queries.sor_ids_for_provider(conn, value)
        if ids:
            more = f" ({len(ids)} units, showing the first)" if len(ids) > 1 else ""
            return Target(ids[0], f"{kind_name(kind)} {value}{more}")
        if kind == "shak":
            return Target(None, f"SHAK-kode {value} has no SOR unit")
    return Target(None, f"{key}: not found (no SOR-kode, GLN, SHAK-kode or ydernummer)")


def kind_name(kind: str) -> str:
    return {"gln": "GLN", "shak": "SHAK-kode", "provider_number": "ydernummer"}.get(kind, kind)
