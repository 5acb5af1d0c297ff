"""The layout of the working copy's tables of register records, derived from the domain records.

A record table's columns are its record's stored fields, in field order: text, numbers and flags,
not the lists and nested records (stored in tables of their own) nor ``source_line``. A table adds
the columns its record has not (the owner's SOR id, a sort key, a SHAK code's level ...), and a few
columns sit where existing working copies have them, which is not always their place in the record.

Plain data, no SQLAlchemy: ``schema.py`` turns this layout into DDL (with SQLModel) when a working
copy is created; rows, the importer and the queries read their column lists here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field

from sortui.domain.model import (
    Address,
    Contact,
    Entity,
    Location,
    LocationMessage,
    MessageDefinition,
    ShakCode,
    ShakHospital,
    Snapshot,
    Speciality,
)

_NOT_STORED = frozenset({"source_line"})  # where a reader found a record: for its messages only


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: type  # str, int or bool
    nullable: bool = False
    default: object = None  # the value an ORM insert would give it (none in the DDL)
    attr: str | None = None  # the record field it holds; None for a column the table adds


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def values(self, record: object, **added: object) -> tuple:
        """A row of this table: ``record``'s fields and the ``added`` columns, in column order."""
        return tuple(added[c.name] if c.attr is None else getattr(record, c.attr) for c in self.columns)


def _record_table(
    name: str,
    record: type,
    primary_key: tuple[str, ...],
    *,
    leading: tuple[Column, ...] = (),
    added: tuple[Column, ...] = (),
    after: Mapping[str, str] | None = None,
    renamed: Mapping[str, str] | None = None,
    indexes: Mapping[str, tuple[str, ...]] | None = None,
) -> Table:
    """``leading`` columns, then ``record``'s stored fields (column names ``renamed`` from field names),
    then the ``added`` ones; each column in ``after`` is then moved to follow the column it names."""
    stored = _stored_fields(record, primary_key, renamed or {})
    columns = [*leading, *stored, *added]
    for column, predecessor in (after or {}).items():
        moved = next(c for c in columns if c.name == column)
        columns.remove(moved)
        columns.insert(next(i for i, c in enumerate(columns) if c.name == predecessor) + 1, moved)
    return Table(name, tuple(columns), primary_key, indexes or {})


def _stored_fields(record: type, primary_key: tuple[str, ...], renamed: Mapping[str, str]) -> list[Column]:
    """A column per stored field of ``record``: NULL allowed where the field is optional, except in the key."""
    hints = typing.get_type_hints(record)
    columns = []
    for f in dataclasses.fields(record):
        column_type = None if f.name in _NOT_STORED else _column_type(record, f.name, hints[f.name])
        if column_type is None:
            continue
        name = renamed.get(f.name, f.name)
        default = None if f.default is dataclasses.MISSING else f.default
        optional = column_type[1]
        columns.append(Column(name, column_type[0], optional and name not in primary_key, default, f.name))
    return columns


def _column_type(record: type, name: str, hint: object) -> tuple[type, bool] | None:
    """(type, nullable) of a field stored in a column; None for a list or a nested record."""
    args = typing.get_args(hint)
    optional = typing.get_origin(hint) in (types.UnionType, typing.Union) and type(None) in args
    base = next((a for a in args if a is not type(None)), None) if optional and len(args) == 2 else hint
    if base in (str, int, bool):
        return base, optional  # type: ignore[return-value]
    if typing.get_origin(base) is list or dataclasses.is_dataclass(base):
        return None
    raise TypeError(f"{record.__name__}.{name}: no column type for {hint}")


_SOR_ID = Column("sor_id", str)

# ``after`` keeps a column where existing working copies have it, when that is not its place in the record.
ENTITY = _record_table(
    "entity",
    Entity,
    ("sor_id",),
    added=(Column("sort_name", str),),  # the name folded for Danish ordering (æ ø å after z)
    after={"parent_sor_id": "kind", "sort_name": "name"},
    indexes={
        "ix_entity_parent_sort": ("parent_sor_id", "sort_name"),
        "ix_entity_shak": ("shak_code",),
        "ix_entity_provider": ("provider_number",),
    },
)
ADDRESS = _record_table("address", Address, ("sor_id", "kind"), leading=(_SOR_ID,))
CONTACT = _record_table("contact", Contact, ("sor_id",), leading=(_SOR_ID,))
SPECIALITY = _record_table("speciality", Speciality, ("sor_id", "seq"), leading=(_SOR_ID, Column("seq", int)))
LOCAL_ATTRIBUTE = Table("local_attribute", (_SOR_ID, Column("idx", int), Column("value", str)), ("sor_id", "idx"))
# ReplacesEntityCollection / ReplacedByEntityCollection; relation is replaces or replaced_by.
SUCCESSION = Table(
    "succession",
    (_SOR_ID, Column("relation", str), Column("seq", int), Column("other_sor_id", str)),
    ("sor_id", "relation", "seq"),
)
LOCATION = _record_table("location", Location, ("gln",), indexes={"ix_location_owner": ("owner_sor_id",)})
MESSAGE_DEFINITION = _record_table(
    "message_definition",
    MessageDefinition,
    ("urn",),
    renamed={"group": "grp"},  # GROUP is an SQL keyword
    indexes={"ix_message_type_version": ("type_code", "version_code")},
)
LOCATION_MESSAGE = _record_table("location_message", LocationMessage, ("gln", "message_urn"))
SHAK_CODE = _record_table(
    "shak_code",
    ShakCode,
    ("code", "valid_from"),
    added=(Column("level", str), Column("parent_code", str, nullable=True)),  # sgh / afd / afsnit; one level up
    after={"level": "changed", "record_type": "level", "parent_code": "record_type", "op_code": "grp_d"},
    indexes={"ix_shak_parent": ("parent_code", "code")},
)
SHAK_HOSPITAL = _record_table("shak_hospital", ShakHospital, ("code", "valid_from"), after={"name": "valid_to"})
# What was imported: one row per file, replaced when that kind of data is imported again.
SNAPSHOT = _record_table(
    "snapshot",
    Snapshot,
    ("kind", "source_file"),
    added=(Column("imported_at", str), Column("rows", int, default=0)),
    after={"imported_at": "created_at"},
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        ENTITY,
        ADDRESS,
        CONTACT,
        SPECIALITY,
        LOCAL_ATTRIBUTE,
        SUCCESSION,
        LOCATION,
        MESSAGE_DEFINITION,
        LOCATION_MESSAGE,
        SHAK_CODE,
        SHAK_HOSPITAL,
        SNAPSHOT,
    )
}

# Tables whose rows come from a SOR snapshot (replaced together on import).
ENTITY_TABLES = ("entity", "address", "contact", "speciality", "local_attribute", "succession", "location")
