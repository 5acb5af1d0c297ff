"""Tables of the working copy (SQLModel), following sor-domain.md's recommended model.

SQLModel is the single definition of the schema; the DDL is generated from its
metadata and run on a plain sqlite3 connection (see ``db.py``), which keeps the
hot paths (bulk import, tree queries) free of ORM overhead.

Own values only: inherited addresses, contact data and location numbers are
computed by walking up the parents, never stored.
"""

from __future__ import annotations

from sqlalchemy import Index, PrimaryKeyConstraint
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import registry
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Field, SQLModel


class WorkingCopyModel(SQLModel, registry=registry()):
    """Base of the working copy's tables: their own metadata, apart from the server's."""


class EntityRow(WorkingCopyModel, table=True):
    """One IE, SI or OE (the snapshot holds one version per SOR id)."""

    __tablename__ = "entity"
    __table_args__ = (
        Index("ix_entity_parent_sort", "parent_sor_id", "sort_name"),
        Index("ix_entity_shak", "shak_code"),
        Index("ix_entity_provider", "provider_number"),
    )
    sor_id: str = Field(primary_key=True)
    kind: str  # IE / SI / OE
    parent_sor_id: str | None = None
    name: str
    sort_name: str  # name folded for Danish ordering (æ ø å after z)
    entity_type_code: str | None = None
    shak_code: str | None = None
    provider_number: str | None = None
    pharmacy_number: str | None = None
    local_code: str | None = None
    cvr: str | None = None
    geo_parent_relation: str | None = None
    geo_parent_sor_id: str | None = None
    ean_mode: str = "none"  # own / inherited / none
    ambulant: bool | None = None
    admitted: bool | None = None
    reporting_level: bool | None = None
    from_date: str | None = None
    to_date: str | None = None
    first_from_date: str | None = None
    updated_at: str | None = None
    note: str | None = None
    version: int = 0


class AddressRow(WorkingCopyModel, table=True):
    __tablename__ = "address"
    __table_args__ = (PrimaryKeyConstraint("sor_id", "kind"),)
    sor_id: str
    kind: str  # postal / visiting / activity
    sublocation: str | None = None
    street: str | None = None
    street_for_addressing: str | None = None
    building: str | None = None
    floor: str | None = None
    suite: str | None = None
    district_subdivision: str | None = None
    po_box: str | None = None
    postcode: str | None = None
    district_name: str | None = None
    country: str | None = None
    stairway: str | None = None
    municipality_code: str | None = None


class ContactRow(WorkingCopyModel, table=True):
    __tablename__ = "contact"
    sor_id: str = Field(primary_key=True)
    email: str | None = None
    website: str | None = None
    phone: str | None = None
    fax: str | None = None


class SpecialityRow(WorkingCopyModel, table=True):
    __tablename__ = "speciality"
    __table_args__ = (PrimaryKeyConstraint("sor_id", "seq"),)
    sor_id: str
    seq: int
    code: str
    type_code: str | None = None


class LocalAttributeRow(WorkingCopyModel, table=True):
    __tablename__ = "local_attribute"
    __table_args__ = (PrimaryKeyConstraint("sor_id", "idx"),)
    sor_id: str
    idx: int
    value: str


class SuccessionRow(WorkingCopyModel, table=True):
    """ReplacesEntityCollection / ReplacedByEntityCollection."""

    __tablename__ = "succession"
    __table_args__ = (PrimaryKeyConstraint("sor_id", "relation", "seq"),)
    sor_id: str
    relation: str  # replaces / replaced_by
    seq: int
    other_sor_id: str


class LocationRow(WorkingCopyModel, table=True):
    """A lokationsnummer (EAN/GLN) with its EDI attributes; owned by one entity."""

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_owner", "owner_sor_id"),)
    gln: str = Field(primary_key=True)
    owner_sor_id: str
    only_internal: bool = False
    non_active: bool = False
    system_supplier: str | None = None
    system_type: str | None = None
    communication_supplier: str | None = None
    region_code: str | None = None
    edi_administrator: str | None = None
    note: str | None = None
    from_date: str | None = None
    to_date: str | None = None
    first_from_date: str | None = None
    updated_at: str | None = None
    has_status: bool = True
    version: int = 0


class MessageDefinitionRow(WorkingCopyModel, table=True):
    """The MedCom message catalogue."""

    __tablename__ = "message_definition"
    __table_args__ = (Index("ix_message_type_version", "type_code", "version_code"),)
    urn: str = Field(primary_key=True)
    format: str
    grp: str
    type_code: str
    version_code: str
    title: str


class LocationMessageRow(WorkingCopyModel, table=True):
    """A message type a location number can receive (SOR-EDI)."""

    __tablename__ = "location_message"
    __table_args__ = (PrimaryKeyConstraint("gln", "message_urn"),)
    gln: str
    message_urn: str
    from_date: str | None = None
    to_date: str | None = None


class ShakCodeRow(WorkingCopyModel, table=True):
    """One version of a SHAK code (a line of SHAKCOMPLETE.TXT)."""

    __tablename__ = "shak_code"
    __table_args__ = (
        PrimaryKeyConstraint("code", "valid_from"),
        Index("ix_shak_parent", "parent_code", "code"),
    )
    code: str
    valid_from: str
    valid_to: str | None = None
    changed: str | None = None
    level: str  # sgh / afd / afsnit
    record_type: str  # sgh / afd as in the file
    parent_code: str | None = None
    text: str
    grp_a: str | None = None
    grp_b: str | None = None
    grp_c: str | None = None
    grp_d: str | None = None
    op_code: str | None = None


class ShakHospitalRow(WorkingCopyModel, table=True):
    """SHAKregion.txt: region, ownership, institution type and SOR id of hospital codes."""

    __tablename__ = "shak_hospital"
    __table_args__ = (PrimaryKeyConstraint("code", "valid_from"),)
    code: str
    valid_from: str
    valid_to: str | None = None
    name: str
    ownership: str | None = None
    institution_type: str | None = None
    region_code: str | None = None
    sor_id: str | None = None


class CodeListRow(WorkingCopyModel, table=True):
    __tablename__ = "code_list"
    __table_args__ = (PrimaryKeyConstraint("list", "code"),)
    list: str
    code: str
    text: str


class SnapshotRow(WorkingCopyModel, table=True):
    """What was imported: one row per file, replaced when that kind of data is imported again."""

    __tablename__ = "snapshot"
    __table_args__ = (PrimaryKeyConstraint("kind", "source_file"),)
    kind: str  # sor / shak / shak-region / edi / medcom
    source_file: str
    snapshot_date: str | None = None
    created_at: str | None = None
    imported_at: str
    sha256: str | None = None
    rows: int = 0


class JournalRow(WorkingCopyModel, table=True):
    """One local edit, committed before the UI says it is saved; pending until synced.

    ``old_value``/``new_value`` are JSON. ``base_version`` is the version of the
    entity or location number the edit was made on (for conflict detection).
    """

    __tablename__ = "journal"
    __table_args__ = (Index("ix_journal_target", "target", "key"), Index("ix_journal_status", "status"))
    id: int | None = Field(default=None, primary_key=True)
    created_at: str
    target: str  # entity / location / message
    key: str  # SOR id, or GLN for location and message edits
    op: str  # set / create / close / move / add / remove
    field: str | None = None  # e.g. "name", "postal.street", "contact.phone", "location.system_type"
    old_value: str | None = None
    new_value: str | None = None
    base_version: int = 0
    status: str = "pending"  # pending / sent / synced
    changeset_id: str | None = None


class ReviewSessionRow(WorkingCopyModel, table=True):
    """A named bulk review: a fixed queue of items taken from a rule, a search or a subtree."""

    __tablename__ = "review_session"
    name: str = Field(primary_key=True)
    source: str  # e.g. "rule:no-message-types", "search:klinik", "subtree:<SOR id>"
    created_at: str
    on_date: str | None = None
    position: int = 1  # the item the reviewer is at (1-based)


class ReviewItemRow(WorkingCopyModel, table=True):
    __tablename__ = "review_item"
    __table_args__ = (PrimaryKeyConstraint("session", "seq"), Index("ix_review_item_decision", "session", "decision"))
    session: str
    seq: int
    target: str  # entity / location
    key: str  # SOR id or GLN
    reason: str
    decision: str | None = None  # approved / flagged / skipped
    note: str | None = None
    decided_at: str | None = None


class ReviewLogRow(WorkingCopyModel, table=True):
    """Each decision with what it replaced, so the last one can be undone."""

    __tablename__ = "review_log"
    id: int | None = Field(default=None, primary_key=True)
    session: str
    seq: int
    previous_decision: str | None = None
    previous_note: str | None = None
    previous_position: int = 1


class SyncStateRow(WorkingCopyModel, table=True):
    """Where this working copy synchronises (one row): the service, the user, how far the feed was pulled.

    No secret here: the token or password lives in the system keyring.
    """

    __tablename__ = "sync_state"
    id: int = Field(default=1, primary_key=True)
    service_url: str | None = None
    user_name: str | None = None
    service_id: str | None = None  # the service's own id, to notice a working copy pointed at another one
    last_seq: int = 0  # the newest change-feed sequence number applied here
    last_sync_at: str | None = None


class ConflictRow(WorkingCopyModel, table=True):
    """A pending edit the service refused because the field changed there meanwhile (409).

    Values are JSON: the value the edit was based on, the local one and the service's.
    """

    __tablename__ = "conflict"
    __table_args__ = (Index("ix_conflict_item", "target", "key", "field"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int  # the newest pending journal entry of the field
    target: str
    key: str
    field: str | None = None
    base_value: str | None = None
    local_value: str | None = None
    server_value: str | None = None
    base_version: int = 0
    server_version: int | None = None
    detected_at: str


FTS_DDL = (
    "CREATE VIRTUAL TABLE search USING fts5("
    "sor_id UNINDEXED, name, codes, address, folded, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 3')"
)

# Tables whose rows come from a SOR snapshot (replaced together on import).
ENTITY_TABLES = ("entity", "address", "contact", "speciality", "local_attribute", "succession", "location")


def ddl_statements() -> list[str]:
    """CREATE statements for the current schema, generated from the SQLModel metadata."""
    dialect = sqlite.dialect()
    out: list[str] = []
    for table in WorkingCopyModel.metadata.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            out.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    out.append(FTS_DDL)
    return out


def columns(table: str) -> list[str]:
    """Column names of ``table`` in definition order."""
    return [c.name for c in WorkingCopyModel.metadata.tables[table].columns]
