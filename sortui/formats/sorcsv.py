"""Classic ``sor.csv`` (sorcsv v1.2.1.19): one row per SOR unit, ``;`` separated, Latin-1, header row.

``COLUMNS`` maps each header to a model field and is the only column definition: the reader and the
writer both follow it (sor-domain.md §4). Field paths: an Entity attribute (``sor_id``), ``kind``
(SORtype), ``ean_mode`` (Nedarvningsstatus), ``postal.``/``visiting.``/``activity.`` + Address
attribute, ``contact.`` + Contact attribute, ``location.`` + Location attribute (the entity's own
number only) and ``speciality.N`` (the N-th speciality code).

Header spellings confirmed from code that reads the real file: ``SOR-kode``, ``Parent-SOR-kode``,
``Enhedsnavn``, ``Enhedstype``, ``CVR``, ``Hovedspeciale``, ``P_Postnummer``, ``P_By``,
``Postadresse``, ``Telefon``, ``E-mail``, ``Hjemmeside``; the prefixes ``A_``/``P_`` and the
column ``A_KK`` (kommunekode).
Known only as names normalised by a client, spelled here as we believe the original is:
``SORtype``, ``Gældende fra dato``, ``Ophørt dato``, ``Sidst ændret dato``, ``SghAfdkode``,
``Ydernummer``, ``Lokalkode``, ``Fax``, ``Lokationsnummer``, ``Region``, ``EDB-system``,
``Systemleverandør``, ``Netoperatør``, ``Nedarvningsstatus`` (``egen``/``nedarvet``; ``ingen`` is
ours), ``Apoteksnummer``.
Our own (not seen in any source): ``Første gyldighed``, ``Geografisk relation``,
``Geografisk parent-SOR-kode``, ``Note``, the three flags, ``EDI-administrator``, ``Kun intern
kommunikation``, ``Ikke aktiv`` and the ``Lokationsnummer …`` note/date columns, ``Speciale 2`` …
``Speciale 8``, the visiting block prefix ``B_`` and the address columns beyond those above
(``Besøgsadresse``/``Aktivitetsadresse`` hold the street like ``Postadresse`` does).

Reading: a file that starts with a UTF-8 byte order mark is read as UTF-8 (what a spreadsheet saves
as "CSV UTF-8"). Unknown columns (``Institutionsejer``, ``P_Region``, ``A_X`` …) are ignored. With
``nedarvet`` the ``Lokationsnummer`` shown is the inherited one and is not kept; an own number
(``egen``, or a number with a blank status) becomes ``Entity.location``. Dates may be ISO,
YYYYMMDD or DD-MM-YYYY and are stored as ISO; flags read ja/nej, true/false, 1/0.
Known losses: ``Enhedstype`` in the register's file is a text (``hospital``); it is kept as it is
in ``entity_type_code``. Speciality types, local attributes, replaces/replaced-by and the
location's SorStatus flag (set when the location has a from date) are not in this file.
Writing: dates ISO, flags ``ja``/``nej``, CRLF line ends, Latin-1 (Windows-1252 for C1 controls),
every value as it is, so that the file reads back exactly. ``write_spreadsheet_csv`` writes the same
columns for a spreadsheet instead: UTF-8 with a BOM, and no cell that a spreadsheet would run as a
formula (``spreadsheet_safe``); it is for reading, not for importing back.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import compress
from operator import attrgetter
from pathlib import Path

from sortui.domain.codes import gln_errors, sor_id_errors
from sortui.domain.errors import InputError
from sortui.domain.fields import (
    ENTITY_FIELDS,
    ENTITY_FLAG_FIELDS,
    LOCATION_FIELDS,
    LOCATION_FLAG_FIELDS,
    MAX_SPECIALITIES,
)
from sortui.domain.model import ADDRESS_KINDS, KINDS, Address, Contact, Entity, Location, Speciality
from sortui.formats.common import (
    UTF8_BOM,
    CsvPart,
    ReadPosition,
    decode_lines,
    encoding_of,
    read_csv_rows,
    require_columns,
)
from sortui.formats.shak import WINDOWS_LATIN1, holds_c1, windows_text

ENCODING = "latin-1"
DELIMITER = ";"


def _address_columns(kind: str, prefix: str, street: str) -> dict[str, str]:
    attrs = (
        ("Husnummer", "building"),
        ("Etage", "floor"),
        ("Sidedør", "suite"),
        ("Opgang", "stairway"),
        ("Stednavn", "sublocation"),
        ("Adresseringsnavn", "street_for_addressing"),
        ("Bydel", "district_subdivision"),
        ("Postboks", "po_box"),
        ("Postnummer", "postcode"),
        ("By", "district_name"),
        ("Land", "country"),
        ("KK", "municipality_code"),
    )
    return {street: f"{kind}.street"} | {f"{prefix}_{h}": f"{kind}.{attr}" for h, attr in attrs}


# header -> model field path, in file order (see the module docstring).
COLUMNS: dict[str, str] = {
    "SOR-kode": "sor_id",
    "Parent-SOR-kode": "parent_sor_id",
    "SORtype": "kind",
    "Enhedsnavn": "name",
    "Enhedstype": "entity_type_code",
    "Gældende fra dato": "from_date",
    "Ophørt dato": "to_date",
    "Første gyldighed": "first_from_date",
    "Sidst ændret dato": "updated_at",
    "SghAfdkode": "shak_code",
    "Ydernummer": "provider_number",
    "Apoteksnummer": "pharmacy_number",
    "Lokalkode": "local_code",
    "CVR": "cvr",
    "Geografisk relation": "geo_parent_relation",
    "Geografisk parent-SOR-kode": "geo_parent_sor_id",
    "Note": "note",
    "Ambulant aktivitet": "ambulant",
    "Patienter indlægges": "admitted",
    "Indberetningsniveau": "reporting_level",
    "Lokationsnummer": "location.gln",
    "Nedarvningsstatus": "ean_mode",
    "EDB-system": "location.system_type",
    "Systemleverandør": "location.system_supplier",
    "Netoperatør": "location.communication_supplier",
    "Region": "location.region_code",
    "EDI-administrator": "location.edi_administrator",
    "Kun intern kommunikation": "location.only_internal",
    "Ikke aktiv": "location.non_active",
    "Lokationsnummer note": "location.note",
    "Lokationsnummer gyldig fra": "location.from_date",
    "Lokationsnummer ophørt": "location.to_date",
    "Lokationsnummer første gyldighed": "location.first_from_date",
    "Lokationsnummer sidst ændret": "location.updated_at",
    **_address_columns("postal", "P", "Postadresse"),
    **_address_columns("visiting", "B", "Besøgsadresse"),
    **_address_columns("activity", "A", "Aktivitetsadresse"),
    "Telefon": "contact.phone",
    "Fax": "contact.fax",
    "E-mail": "contact.email",
    "Hjemmeside": "contact.website",
    "Hovedspeciale": "speciality.1",
    **{f"Speciale {i}": f"speciality.{i}" for i in range(2, MAX_SPECIALITIES + 1)},
}
CONFIRMED_HEADERS = frozenset(
    {
        "SOR-kode", "Parent-SOR-kode", "Enhedsnavn", "Enhedstype", "CVR", "Hovedspeciale", "Postadresse",
        "P_By", "P_Postnummer", "Telefon", "E-mail", "Hjemmeside", "A_KK", "A_By", "A_Postnummer",
    }
)  # fmt: skip
REQUIRED = ("SOR-kode", "Parent-SOR-kode", "SORtype", "Enhedsnavn")

KIND_ALIASES = {"IE": "IE", "SI": "SI", "OE": "OE", "IO": "IE", "HI": "SI", "OU": "OE"}
BOOL_WORDS = {"ja": True, "nej": False, "j": True, "n": False, "true": True, "false": False}
BOOL_WORDS |= {"1": True, "0": False, "yes": True, "no": False}
# The attributes of a unit or its location number read as dates or as flags.
DATE_ATTRS = frozenset(
    name for fds in (ENTITY_FIELDS, LOCATION_FIELDS) for name, fd in fds.items() if fd.kind == "date"
)
BOOL_ATTRS = frozenset((*ENTITY_FLAG_FIELDS, *LOCATION_FLAG_FIELDS))
_EXCEL_TEXT = re.compile(r'^="(.*)"$')
_DMY = re.compile(r"^(\d{2})[-./](\d{2})[-./](\d{4})$")


@dataclass(frozen=True, slots=True)
class FlatDialect:
    """How one flat CSV format spells the entity: its columns and its words for flags and EAN mode.

    Paths starting with ``@`` are the format's own (derived) columns: skipped here, filled by the
    format's module. ``readers`` is what reading makes of the columns: by header, the column's place
    in ``columns`` and how a cell of it goes into a row's entity (``_cell_reader``).
    """

    columns: Mapping[str, str]
    ean_words: Mapping[str, str]  # ean_mode -> word written
    true_word: str
    false_word: str
    readers: Mapping[str, tuple[int, CellReader]] = field(init=False, repr=False, compare=False)
    mode_by_word: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        readers = {h: (rank, _cell_reader(p)) for rank, (h, p) in enumerate(self.columns.items()) if p[:1] != "@"}
        object.__setattr__(self, "readers", readers)
        words = {word: mode for mode, word in self.ean_words.items()} | {"": ""}
        object.__setattr__(self, "mode_by_word", words)

    def header(self, path: str) -> str:
        return next((h for h, p in self.columns.items() if p == path), path)


# -- values ---------------------------------------------------------------------------------------


# A register's file holds few distinct dates, each many times; the cache is bounded whatever a file holds.
@functools.lru_cache(maxsize=20_000)
def parse_date(value: str) -> str:
    """ISO date from YYYY-MM-DD (a time after it is dropped), YYYYMMDD or DD-MM-YYYY; else ValueError."""
    text = value.strip()
    if len(text) > 10 and text[10] in "T ":
        text = text[:10]
    if m := _DMY.match(text):
        text = f"{m[3]}-{m[2]}-{m[1]}"
    elif len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def parse_bool(value: str) -> bool:
    try:
        return BOOL_WORDS[value.strip().lower()]
    except KeyError:
        raise ValueError(f"expected ja/nej (or true/false, 1/0), found {value!r}") from None


def parse_kind(value: str) -> str:
    kind = KIND_ALIASES.get(value.strip().upper())
    if kind is None:
        raise ValueError(f"unknown SOR type {value!r} (expected IE, SI or OE; or IO, HI, OU)")
    return kind


def unexcel(value: str) -> str:
    """``="123"`` (text forced for Excel) as ``123``; other values stripped."""
    value = value.strip()
    m = _EXCEL_TEXT.match(value) if value.startswith("=") else None
    return m[1].strip() if m else value


def read_header(path: Path, encoding: str, delimiter: str, name: str) -> list[str]:
    """The header row's column names (a BOM is dropped); an empty file is an InputError."""
    for _, text in decode_lines(path, encoding, name):
        return [h.strip() for h in next(csv.reader([text], delimiter=delimiter), [])]
    raise InputError("file is empty (expected a header row)", name, 1)


# -- reading --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _RowState:
    ent: Entity
    loc: Location
    specs: dict[int, str]
    ean_word: str = ""


def entity_from_row(row: Mapping[str, str], dialect: FlatDialect, name: str, line: int) -> Entity:
    """One CSV row as an Entity; a bad value is an InputError naming the line and the column.

    The filled cells (most are empty; found in C) are read in the order of ``dialect.columns``,
    whatever the file's order: the first bad value reported, and the order of the addresses, do not
    depend on it.
    """
    state = _RowState(Entity(sor_id="", kind="", name="", source_line=line), _empty_location(), {})
    readers = dialect.readers
    filled = [(readers[h], h, v) for h, v in compress(row.items(), row.values()) if h in readers]
    filled.sort()  # by the column's place (unique): a file in that order is already sorted
    windows = holds_c1("".join(row.values()))  # only then can a cell hold a C1 control
    for (_, read), header, raw in filled:
        if windows:  # before the strip: byte 0x85 is an ellipsis in Windows-1252, not a line end to strip
            raw = windows_text(raw)
        raw = raw.strip()
        if raw[:1] == "=":
            raw = unexcel(raw)
        if not raw:
            continue
        try:
            read(state, raw)
        except ValueError as exc:
            raise InputError(str(exc), name, line, header) from None
    _finish(state, dialect, name, line)
    return state.ent


def _empty_location() -> Location:
    return Location(gln="", owner_sor_id="", has_status=False)


CellReader = Callable[[_RowState, str], None]


def _cell_reader(path: str) -> CellReader:
    """How a (stripped, non-empty) cell of the column for ``path`` goes into the row's state."""
    group, _, attr = path.partition(".")
    if path == "kind":
        return lambda state, raw: setattr(state.ent, "kind", parse_kind(raw))
    if path == "ean_mode":
        return lambda state, raw: setattr(state, "ean_word", raw.lower())
    if group == "speciality":
        index = int(attr)
        return lambda state, raw: state.specs.__setitem__(index, raw)
    if group in ADDRESS_KINDS:
        return functools.partial(_read_address_cell, group, attr)
    if group == "contact":
        return functools.partial(_read_contact_cell, attr)
    if group == "location":
        return _typed_reader("loc", attr)
    return _typed_reader("ent", path)


def _read_address_cell(kind: str, attr: str, state: _RowState, raw: str) -> None:
    address = state.ent.address(kind)
    if address is None:
        address = Address(kind=kind)
        state.ent.addresses.append(address)
    setattr(address, attr, raw)


def _read_contact_cell(attr: str, state: _RowState, raw: str) -> None:
    state.ent.contact = state.ent.contact or Contact()
    setattr(state.ent.contact, attr, raw)


def _typed_reader(holder: str, attr: str) -> CellReader:
    """Sets ``attr`` of the row's entity or location: a date, a flag or text by what ``attr`` is."""
    get = attrgetter(holder)
    if attr in DATE_ATTRS:
        return lambda state, raw: setattr(get(state), attr, parse_date(raw))
    if attr in BOOL_ATTRS:
        return lambda state, raw: setattr(get(state), attr, parse_bool(raw))
    return lambda state, raw: setattr(get(state), attr, raw)


DIALECT = FlatDialect(COLUMNS, {"own": "egen", "inherited": "nedarvet", "none": "ingen"}, "ja", "nej")


def _finish(state: _RowState, dialect: FlatDialect, name: str, line: int) -> None:
    ent = state.ent
    if not ent.kind:
        raise InputError("SOR type is blank", name, line, dialect.header("kind"))
    for path in ("sor_id", "parent_sor_id"):
        value = getattr(ent, path)
        problems = sor_id_errors(value) if value or path == "sor_id" else []
        if problems:
            raise InputError(problems[0], name, line, dialect.header(path))
    ent.specialities = [Speciality(code) for _, code in sorted(state.specs.items())]
    _resolve_ean(state, dialect, name, line)


def _resolve_ean(state: _RowState, dialect: FlatDialect, name: str, line: int) -> None:
    mode = dialect.mode_by_word.get(state.ean_word)
    if mode is None:
        raise InputError(
            f"unknown value {state.ean_word!r} (expected {', '.join(w for w in dialect.ean_words.values() if w)})",
            name,
            line,
            dialect.header("ean_mode"),
        )
    loc = state.loc
    mode = mode or ("own" if loc.gln else "none")
    state.ent.ean_mode = mode
    if mode != "own":
        return
    gln_header = dialect.header("location.gln")
    if not loc.gln:
        raise InputError(f"the entity has its own location number, but {gln_header} is blank", name, line, gln_header)
    if problems := gln_errors(loc.gln):
        raise InputError(problems[0], name, line, gln_header)
    loc.owner_sor_id = state.ent.sor_id
    loc.has_status = loc.from_date is not None
    state.ent.location = loc


def read_sor_csv(
    path: Path, label: str | None = None, part: CsvPart | None = None, position: ReadPosition | None = None
) -> Iterator[Entity]:
    """Each row of a classic sor.csv (of ``part`` of it) as an Entity (parent_sor_id from Parent-SOR-kode)."""
    name = label or str(path)
    encoding = encoding_of(path, ENCODING)  # a BOM says UTF-8 (a sheet saved as "CSV UTF-8")
    require_columns(set(read_header(path, encoding, DELIMITER, name)), REQUIRED, name)
    for line, row in read_csv_rows(path, encoding, DELIMITER, name, part, position):
        yield entity_from_row(row, DIALECT, name, line)


# -- writing --------------------------------------------------------------------------------------


def entity_values(ent: Entity, dialect: FlatDialect) -> dict[str, str]:
    """header -> text for one entity; ``@`` columns are left blank for the caller."""
    if ent.kind not in KINDS:
        raise ValueError(f"SOR-kode {ent.sor_id}: unknown kind {ent.kind!r}")
    if ent.ean_mode == "own" and ent.location is None:
        raise ValueError(f"SOR-kode {ent.sor_id}: ean_mode is own but there is no location")
    if len(ent.specialities) > MAX_SPECIALITIES:
        raise ValueError(f"SOR-kode {ent.sor_id}: more than {MAX_SPECIALITIES} specialities")
    return {header: _text(_value(ent, path, dialect), dialect) for header, path in dialect.columns.items()}


def _value(ent: Entity, path: str, dialect: FlatDialect) -> str | bool | None:
    group, _, attr = path.partition(".")
    if path.startswith("@"):
        return None
    if path == "ean_mode":
        return dialect.ean_words[ent.ean_mode]
    if group == "speciality":
        index = int(attr) - 1
        return ent.specialities[index].code if index < len(ent.specialities) else None
    holder: object | None = ent
    if group in ADDRESS_KINDS:
        holder = ent.address(group)
    elif group == "contact":
        holder = ent.contact
    elif group == "location":
        holder = ent.location if ent.ean_mode == "own" else None
    else:
        attr = path
    return getattr(holder, attr) if holder is not None else None


def _text(value: str | bool | None, dialect: FlatDialect) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return dialect.true_word if value else dialect.false_word
    return value


def encode_csv_row(values: list[str], delimiter: str, encoding: str, errors: str = "strict") -> bytes:
    """One CSV row (CRLF) as bytes; ValueError naming the value when the encoding cannot hold it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(values)
    text = buffer.getvalue()
    try:
        return text.encode(encoding, errors=errors)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise ValueError(f"{bad!r} cannot be written as {encoding} (row {values[0]!r})") from None


def write_sor_csv(entities: Iterable[Entity], path: Path) -> None:
    """Write a classic sor.csv with the columns of ``COLUMNS``."""
    with open(path, "wb") as fh:
        fh.write(encode_csv_row(list(COLUMNS), DELIMITER, "cp1252", WINDOWS_LATIN1))
        for ent in entities:
            values = entity_values(ent, DIALECT)
            fh.write(encode_csv_row(list(values.values()), DELIMITER, "cp1252", WINDOWS_LATIN1))


# -- for a spreadsheet ----------------------------------------------------------------------------

# A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` as a spreadsheet shows it and never runs it: a leading apostrophe when it would
    start a formula (the spreadsheet then shows the text after the apostrophe)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_spreadsheet_csv(entities: Iterable[Entity], path: Path) -> None:
    """sor.csv's columns for a spreadsheet: UTF-8 with a BOM, ``;``, CRLF, every cell ``spreadsheet_safe``."""
    with open(path, "wb") as fh:
        fh.write(UTF8_BOM + encode_csv_row(list(COLUMNS), DELIMITER, "utf-8"))
        for ent in entities:
            cells = [spreadsheet_safe(v) for v in entity_values(ent, DIALECT).values()]
            fh.write(encode_csv_row(cells, DELIMITER, "utf-8"))
