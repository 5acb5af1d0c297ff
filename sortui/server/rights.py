"""Who may do what: roles, and the SOR subtrees an editor was granted (checked on the server).

- viewer: nothing.
- editor: units (set, move, create) inside the subtrees granted; a created unit's parent
  must be inside them.
- edi-admin: location-number attributes and message types, anywhere.
- admin: everything.

A unit's location-number mode (operation ``ean``) changes the unit and, when the unit
gets an own number or gives one up, a location number with its attributes and message
types. The location part is EDI work: giving a unit its own number or taking it away
needs an EDI administrator or an administrator (no subtree applies to them). A change
that involves no own number (inherited <-> none) is unit work: an editor inside their
subtrees, or an administrator.
"""

from __future__ import annotations

from collections.abc import Callable

from sortui.server.users import User

# What each role may change, by operation target.
WRITABLE = {
    "viewer": frozenset(),
    "editor": frozenset({"entity"}),
    "edi-admin": frozenset({"location", "message"}),
    "admin": frozenset({"entity", "location", "message"}),
}

ParentOf = Callable[[str], str | None]


class Forbidden(Exception):
    """An operation the user's role or subtrees do not allow."""


def check_target(user: User, target: str) -> None:
    if target not in WRITABLE.get(user.role, frozenset()):
        what = {"entity": "units", "location": "location-number attributes", "message": "message types"}[target]
        raise Forbidden(f"{user.name} ({user.role}) may not change {what}")


def check_ean(user: User, touches_location: bool) -> None:
    """May ``user`` change a unit's location-number mode (see the module doc)?"""
    if user.role == "admin":
        return
    if touches_location and user.role != "edi-admin":
        raise Forbidden(
            f"{user.name} ({user.role}) may not give a unit its own lokationsnummer or take it away: "
            "that needs an EDI administrator or an administrator"
        )
    if not touches_location and user.role != "editor":
        raise Forbidden(f"{user.name} ({user.role}) may not change how a unit inherits its lokationsnummer")


class SubtreeCheck:
    """Whether a SOR id lies inside one of the user's subtrees, walking the parents (cached)."""

    def __init__(self, user: User, parent_of: ParentOf):
        self.user = user
        self.parent_of = parent_of
        self.inside: dict[str, bool] = {}

    def allowed(self, sor_id: str) -> bool:
        if self.user.role == "admin":
            return True
        granted = set(self.user.subtrees)
        path: list[str] = []
        current: str | None = sor_id
        verdict = False
        while current is not None and current not in path:
            if current in self.inside:
                verdict = self.inside[current]
                break
            if current in granted:
                verdict = True
                break
            path.append(current)
            current = self.parent_of(current)
        for seen in path:
            self.inside[seen] = verdict
        return verdict

    def require(self, sor_id: str) -> None:
        if not self.allowed(sor_id):
            raise Forbidden(f"{self.user.name} may not change {sor_id}: it is outside the subtrees granted")


def summary(role: str, subtrees: list[str] | tuple[str, ...]) -> str:
    """What ``role`` may change, in a sentence (for `sortui status`)."""
    where = ", ".join(subtrees) or "no subtree"
    return {
        "viewer": "reads the register, changes nothing",
        "editor": f"changes and creates units inside {where} (and below)",
        "edi-admin": "changes location numbers and message types anywhere, gives units their own lokationsnummer",
        "admin": "changes everything, publishes operating messages",
    }.get(role, f"unknown role {role!r}")
