"""The register's code lists: which lists there are, which field takes its codes from which, and
how a code is said in words (its name next to it, or that the lists have no name for it).

The codes themselves live in the working copy's ``code_list`` table, loaded from the lists shipped
in ``data/codelists`` and extended by ``sortui codes import FILE`` (``store/codelists.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

# A list's id: the Danish name the register gives what it lists (its field label).
CODE_LISTS: dict[str, str] = {
    "sor_type": "SOR-type",
    "region": "Region",
    "owner_type": "Ejertype",
    "institution_type": "Institutionstype",
    "unit_type": "Enhedstype",
    "speciality": "Speciale",
    "speciality_type": "Specialetype",
    "geo_parent_relation": "Geografisk placering",
    "communication_supplier": "Netoperatør",
    "system_supplier": "Systemleverandør",
    "system_type": "EDB-system",
    "edi_administrator": "EDI-administrator",
    "shak_ownership": "Ejerforhold (SHAK)",
    "shak_institution_type": "Institutionsart (SHAK)",
}

# The list of a unit's type code, by the unit's kind.
ENTITY_TYPE_LISTS = {"IE": "owner_type", "SI": "institution_type", "OE": "unit_type"}

# The list of each coded field path the editors and ``set`` edit (a unit's type: ``ENTITY_TYPE_LISTS``).
FIELD_LISTS: dict[str, str] = {
    "geo_parent_relation": "geo_parent_relation",
    "specialities": "speciality",
    "location.system_supplier": "system_supplier",
    "location.system_type": "system_type",
    "location.communication_supplier": "communication_supplier",
    "location.region_code": "region",
    "location.edi_administrator": "edi_administrator",
}

CONFIRMATIONS = ("yes", "inferred", "no")  # yes: from the register; inferred: read from its data; no: a guess
UNKNOWN = "unknown code"


@dataclass(frozen=True, slots=True)
class CodeName:
    """The name a code list gives a code, and how sure that name is."""

    text: str
    confirmed: str = "yes"

    @property
    def doubt(self) -> str | None:
        """Why the name is not the register's word (None when it is)."""
        return {"inferred": "inferred", "no": "unconfirmed"}.get(self.confirmed)


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One code of a list, as a code-list file has it."""

    list: str
    code: str
    text: str
    confirmed: str = "yes"
    source_line: int | None = None


def list_of(path: str, kind: str | None = None) -> str | None:
    """The code list of field ``path`` (``entity_type_code`` needs the unit's ``kind``); None: not coded."""
    if path == "entity_type_code":
        return ENTITY_TYPE_LISTS.get(kind or "")
    return FIELD_LISTS.get(path if path in FIELD_LISTS else f"location.{path}")


def code_words(code: str | None, name: CodeName | None) -> str:
    """``Klinisk enhed (550851000005109)``; ``Kommune (550911000005108, unconfirmed)`` for a name the
    lists only guess; ``1121000055003 (unknown code)`` when they have none. '' for no code."""
    if not code:
        return ""
    if name is None:
        return f"{code} ({UNKNOWN})"
    doubt = f", {name.doubt}" if name.doubt else ""
    return f"{name.text} ({code}{doubt})"


def name_words(name: CodeName | None) -> str:
    """A code's name alone (as a hint beside a typed code): ``unknown code`` when the lists have none."""
    if name is None:
        return UNKNOWN
    return f"{name.text} ({name.doubt})" if name.doubt else name.text
