"""Users, roles and tokens of the service."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from sortui.server import security
from sortui.server.db import DriverSql, now, reading
from sortui.server.schema import AccessToken, Account, EntityRecord

ROLES = ("viewer", "editor", "edi-admin", "admin")
DEFAULT_TOKEN_MINUTES = 8 * 60


class UserError(Exception):
    """A user that cannot be added as asked."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    subtrees: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "subtrees": list(self.subtrees)}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: str
    user: User


def add_user(
    engine: Engine, name: str, role: str, password: str, subtrees: list[str] | None = None, replace: bool = False
) -> User:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not name or len(name) > 100 or any(c.isspace() or c in "@:/" for c in name):
        raise UserError(f"{name!r} is not a user name (no spaces, '@', ':' or '/'; at most 100 characters)")
    if not password:
        raise UserError("the password is empty")
    if role == "editor" and not subtrees:
        raise UserError("an editor needs at least one --subtree SOR_ID to edit")
    _check_subtrees(engine, subtrees or [])
    values = {
        "role": role,
        "subtrees": json.dumps(list(subtrees or [])),
        "password_hash": security.hash_password(password),
        "created_at": now(),
    }
    with engine.begin() as conn:
        exists = conn.execute(select(Account.name).where(Account.name == name)).first()
        if exists and not replace:
            raise UserError(f"user {name} exists; add --replace to change role, subtrees and password")
        if exists:
            conn.execute(update(Account).where(Account.name == name).values(**values))
            conn.execute(delete(AccessToken).where(AccessToken.account == name))
        else:
            conn.execute(insert(Account).values(name=name, **values))
    return User(name, role, tuple(subtrees or ()))


def _check_subtrees(engine: Engine, subtrees: list[str]) -> None:
    """Granted SOR ids must be units of the register (once it has been loaded)."""
    with engine.connect() as conn:
        if conn.execute(select(EntityRecord.sor_id).limit(1)).first() is None:
            return
        known = set(conn.execute(select(EntityRecord.sor_id).where(EntityRecord.sor_id.in_(subtrees))).scalars())
    missing = [s for s in subtrees if s not in known]
    if missing:
        raise UserError(f"not units of the register: {', '.join(missing)}")


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(Account.name, Account.role, Account.subtrees).order_by(Account.name)).all()
    return [User(r[0], r[1], tuple(json.loads(r[2]))) for r in rows]


def issue_token(
    engine: Engine, name: str, password: str, minutes: int = DEFAULT_TOKEN_MINUTES
) -> tuple[IssuedToken | None, str | None]:
    """(a new token, or None for a wrong name or password: the same work either way; the name when it is a user's)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Account.name, Account.role, Account.subtrees, Account.password_hash).where(Account.name == name)
        ).first()
    if not security.verify_password(password, row[3] if row else None) or row is None:
        return None, row[0] if row else None
    token = security.new_token()
    created = datetime.now(UTC)
    expires = (created + timedelta(minutes=minutes)).isoformat(timespec="seconds")
    with engine.begin() as conn:
        conn.execute(delete(AccessToken).where(AccessToken.expires_at < created.isoformat(timespec="seconds")))
        conn.execute(
            insert(AccessToken).values(
                token_hash=security.token_hash(token),
                account=name,
                created_at=created.isoformat(timespec="seconds"),
                expires_at=expires,
            )
        )
    return IssuedToken(token, expires, User(row[0], row[1], tuple(json.loads(row[2])))), row[0]


_ACCOUNT, _TOKEN = Account.__table__, AccessToken.__table__  # type: ignore[attr-defined]
_TOKEN_USER = DriverSql(  # every request runs it: compiled once
    select(_ACCOUNT.c.name, _ACCOUNT.c.role, _ACCOUNT.c.subtrees, _TOKEN.c.expires_at)
    .join(_TOKEN, _TOKEN.c.account == _ACCOUNT.c.name)
    .where(_TOKEN.c.token_hash == bindparam("h"))
)


def user_for_token(engine: Engine, token: str, conn: Connection | None = None) -> tuple[User | None, bool, str | None]:
    """(the token's user, expired?, when it expires): (None, False, None) for an unknown token.

    ``conn``: read on the request's own connection (``db.request_connection``)."""
    with reading(engine, conn) as conn:  # every request asks
        row = _TOKEN_USER(conn, {"h": security.token_hash(token)}).first()
    if row is None:
        return None, False, None
    if row[3] <= datetime.now(UTC).isoformat(timespec="seconds"):
        return None, True, row[3]
    return User(row[0], row[1], tuple(json.loads(row[2]))), False, row[3]


def revoke_token(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(AccessToken).where(AccessToken.token_hash == security.token_hash(token)))


def expire_tokens_of(engine: Engine, name: str) -> int:
    """Make every token of ``name`` expired now (for operators, and for tests of expiry)."""
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with engine.begin() as conn:
        return conn.execute(update(AccessToken).where(AccessToken.account == name).values(expires_at=past)).rowcount
