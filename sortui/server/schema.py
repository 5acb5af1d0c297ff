"""The service's tables (SQLModel, with a registry of their own, apart from the working copy's).

The change feed is numbered after the changesets commit: a changeset writes its ``change`` rows
without a number (``seq`` NULL), and ``feed.py`` numbers every committed row without
one, one numbering at a time, moving ``register_state.head_seq`` past them. So the feed is
1..head without gaps, and a changeset's transaction never waits for another's commit.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Text, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ServerModel(SQLModel, registry=registry()):
    """Base of the service's tables: their own metadata, never the working copy's."""


def _json() -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=True)


class RegisterState(ServerModel, table=True):
    __tablename__ = "register_state"
    id: int = Field(default=1, primary_key=True)
    head_seq: int = 0  # the newest sequence number in the change feed: every row up to it is numbered
    changesets: int = 0  # changesets numbered
    service_id: str  # random, made at creation: tells one service's feed from another's
    created_at: str


class EntityRecord(ServerModel, table=True):
    """One unit: own values as JSON (see ``sortui.domain.wire``)."""

    __tablename__ = "entity"
    __table_args__ = (Index("ix_entity_parent", "parent_sor_id"),)
    sor_id: str = Field(primary_key=True, max_length=18)
    parent_sor_id: str | None = Field(default=None, max_length=18)
    kind: str = Field(max_length=2)
    version: int = 0
    data: str = Field(sa_column=Column(Text, nullable=False))


class LocationRecord(ServerModel, table=True):
    """One lokationsnummer: attributes and registered message types as JSON."""

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_owner", "owner_sor_id"),)
    gln: str = Field(primary_key=True, max_length=13)
    owner_sor_id: str = Field(max_length=18)
    version: int = 0
    data: str = Field(sa_column=Column(Text, nullable=False))


class IdSequence(ServerModel, table=True):
    """The next item number of SOR ids the service issues for units created by clients."""

    __tablename__ = "id_sequence"
    name: str = Field(primary_key=True, max_length=20)
    next_value: int


class Account(ServerModel, table=True):
    """A user of the service ("user" is a reserved word in PostgreSQL)."""

    __tablename__ = "account"
    name: str = Field(primary_key=True, max_length=100)
    role: str = Field(max_length=20)  # viewer / editor / edi-admin / admin
    subtrees: str = "[]"  # JSON list of SOR ids an editor may change (with everything below them)
    password_hash: str
    created_at: str


class AccessToken(ServerModel, table=True):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "access_token"
    __table_args__ = (Index("ix_access_token_account", "account"),)
    token_hash: str = Field(primary_key=True, max_length=64)
    account: str = Field(max_length=100)
    created_at: str
    expires_at: str


class Changeset(ServerModel, table=True):
    """An applied changeset: the client's id makes a retry return this result instead of applying again."""

    __tablename__ = "changeset"
    id: str = Field(primary_key=True, max_length=100)
    account: str = Field(max_length=100)
    created_at: str
    operations: int = 0
    result: str = Field(sa_column=Column(Text, nullable=False))
    digest: str | None = Field(default=None, max_length=64)  # of the operations: a reused id is refused


class Change(ServerModel, table=True):
    """The change feed, which is also the audit log: who, when, what, before and after."""

    __tablename__ = "change"
    __table_args__ = (
        Index("ux_change_seq", "seq", unique=True),
        Index("ix_change_unnumbered", "id", sqlite_where=text("seq IS NULL"), postgresql_where=text("seq IS NULL")),
        Index("ix_change_item", "target", "key", "seq"),
        Index("ix_change_changeset", "changeset_id"),
    )
    id: int | None = Field(default=None, primary_key=True)  # the order the rows were written in
    seq: int | None = None  # the feed's number, given after the commit (server/feed.py); NULL until then
    changeset_id: str = Field(max_length=100)
    target: str = Field(max_length=10)
    key: str = Field(max_length=18)
    op: str = Field(max_length=10)
    field: str | None = Field(default=None, max_length=200)
    old_value: str | None = Field(default=None, sa_column=_json())
    new_value: str | None = Field(default=None, sa_column=_json())
    new_version: int
    account: str = Field(max_length=100)
    created_at: str


class ShakCodeRecord(ServerModel, table=True):
    """A version of a SHAK code (a line of SHAKCOMPLETE.TXT) as JSON; loaded with the register, published again."""

    __tablename__ = "shak_code"
    code: str = Field(primary_key=True, max_length=20)
    valid_from: str = Field(primary_key=True, max_length=10)
    data: str = Field(sa_column=Column(Text, nullable=False))


class OperatingMessage(ServerModel, table=True):
    """A "driftsbesked" shown in the clients' status bar."""

    __tablename__ = "operating_message"
    id: int | None = Field(default=None, primary_key=True)
    created_at: str
    account: str = Field(max_length=100)
    severity: str = Field(default="info", max_length=10)  # info / warning / critical
    text: str = Field(sa_column=Column(Text, nullable=False))
    valid_until: str | None = None


class Heartbeat(ServerModel, table=True):
    """A minute in which a service process was running (see ``availability``): one row per minute."""

    __tablename__ = "heartbeat"
    minute: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # minutes since 1970 (UTC)


class SignInThrottle(ServerModel, table=True):
    """Failed sign-ins of one user name or one client address, and until when it is refused."""

    __tablename__ = "sign_in_throttle"
    key: str = Field(primary_key=True, max_length=80)  # "user:<SHA-256 of the name>" or "address:<IP>"
    failures: int = 0  # in a row, forgotten an hour after the last
    last_failure: float = 0.0  # Unix time
    blocked_until: float = 0.0
    refused: int = 0  # attempts answered 429 while blocked (not checked, not written one by one)


class SignInEvent(ServerModel, table=True):
    """The sign-in audit log: every checked sign-in, its outcome, the user and the client address."""

    __tablename__ = "sign_in_event"
    __table_args__ = (Index("ix_sign_in_event_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: str
    account: str | None = Field(default=None, max_length=100)  # only a name of a user: a typed name may be a password
    address: str = Field(max_length=64)
    outcome: str = Field(max_length=20)  # signed_in / failed


METADATA = ServerModel.metadata
