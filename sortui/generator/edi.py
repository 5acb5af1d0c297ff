"""Location numbers (lokationsnumre) and the MedCom message types registered on them, by kind of receiver.

Message types are named by the catalogue's TypeCode (``DIS01``, ``XREF15``; FHIR ones by name and
version, ``carecommunication:5.0``) and resolved against the real MedCom catalogue in
``data/codelists/medcom-message-definitions.csv``; a name the catalogue lacks is an error at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sortui.domain.codes import verhoeff_digit
from sortui.domain.model import Entity, Location, LocationMessage, MessageDefinition
from sortui.generator.context import Gen, Span

_RECEIPTS = ("CTL01", "CTL02", "CTL03", "XCTL01", "XCTL02", "XCTL03")
_EHMI = ("carecommunication:5.0", "acknowledgement:2.0", "ehmisbdh-acknowledgement:1.0")
_LETTERS = ("DIS91", "XDIS91")

# profile -> (always registered, registered on some numbers)
PROFILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gp": (
        ("RPT01", "XRPT01", "RPT02", "DIS01", "XDIS01", "DIS02", "XDIS02", *_LETTERS, "CTL01", "CTL02", "CTL03"),
        ("RPT03", "RPT04", "XRPT02", "XRPT03", "XRPT04", "DIS03", "XDIS03", "DIS05", "XDIS05", "DIS06", "PRE60",
         "XPRE60", "DIS13", "XDIS22", "BIN01", "XBIN01", "homecareobservation:1.2", *_EHMI),
    ),
    "specialist": (
        ("REF06", "XREF06", "RPT01", "XRPT01", *_LETTERS, "CTL01", "CTL02", "CTL03"),
        ("RPT02", "RPT04", "DIS01", "XDIS01", "BIN01", "XBIN01", *_EHMI),
    ),
    "dentist": (("DIS91", "CTL01", "CTL02", "CTL03"), ("XDIS91", "BIN01", "XCTL01", "XCTL02", "XCTL03")),
    "physio": (("REF07", "XREF07", *_LETTERS, "CTL01", "CTL02", "CTL03"), ("DGOP", "GGOP", "BIN01", *_EHMI)),
    "chiro": (("DIS91", "CTL01", "CTL02", "CTL03"), ("XDIS91", "BIN01")),
    "psychologist": (("REF10", "XREF10", "DIS91", "CTL01", "CTL02", "CTL03"), ("XDIS91",)),
    "podiatrist": (("REF08", "DIS91", "CTL01", "CTL02", "CTL03"), ("XDIS91",)),
    "pharmacy": (("PRE01", "XPRE01", "CTL01", "CTL02", "CTL03"), ("DIS91", "XCTL01", "XCTL02", "XCTL03")),
    "municipality": (
        ("XREF15", "XDIS20", "XDIS17", "XDIS16", "XDIS18", "XDIS19", "DGOP", "XDIS91", "XCTL01", "XCTL02",
         "XCTL03", "carecommunication:5.0", "hospitalnotification:3.0", "acknowledgement:2.0"),
        ("XREF22", "XDIS21", "GGOP", "FS3X100", "XDIS90", "XBIN01", "XBIN02", "DIS20", "DIS17",
         "ehmisbdh-acknowledgement:1.0"),
    ),
    "hospital": (
        ("REF01", "XREF01", "RPT01", "XRPT01", "DIS01", "XDIS01", *_LETTERS, "CTL01", "CTL02", "CTL03",
         "XDIS14", "carecommunication:5.0", "acknowledgement:2.0"),
        ("REF06", "XREF06", "RPT02", "XRPT02", "RPT04", "XRPT04", "DIS14", "DIS95", "XDIS15", "BIN01", "XBIN01",
         "BIN02", "XBIN02", "XCTL01", "XCTL02", "XCTL03", "ehmisbdh-acknowledgement:1.0"),
    ),
    "radiology": (("REF02", "XREF02", *_LETTERS, "CTL01", "CTL02", "CTL03"), ("BIN01", "XBIN01", *_EHMI)),
    "lab": (("REQ01", "XREQ01", "DIS91", "CTL01", "CTL02", "CTL03"), ("DAO01", "XDAO01", "XDIS91")),
    "pathology": (("REQ03", "XREQ03", "DIS91", "CTL01", "CTL02", "CTL03"), ("XDIS91", "BIN01")),
    "settlement": (
        ("RUC01", "RUC02", "RUC03", "RUC04", "CTL01", "CTL02", "CTL03"),
        ("RUC05", "RUC06", "RUC07", "RUC08", "RUC09", "RUC10", "RUC11", "DIS90", "XDIS90"),
    ),
    "out_of_hours": (("DIS01", "XDIS01", "RPT01", *_LETTERS, "CTL01", "CTL02", "CTL03"), ("DIS06", *_EHMI)),
    "other": ((*_LETTERS, "CTL01", "CTL02", "CTL03"), ("BIN01", "XBIN01", *_EHMI)),
}  # fmt: skip

# When each message format came into use: no registration starts before its format existed.
FORMAT_START = {
    "EDIFACT": date(1995, 1, 1),
    "OIOXML": date(2006, 1, 1),
    "FHIR": date(2022, 9, 1),
    "ENVELOPE": date(2024, 1, 1),
}


def _code(item: int, namespace: str) -> str:
    body = f"{item}{namespace}00"
    return body + verhoeff_digit(body)


# SOR-internal code lists (SNOMED-like layout, namespaces from sor-domain.md §2.5).
SYSTEM_SUPPLIERS = tuple(_code(i, "1000055") for i in (100, 64, 23, 35, 47, 58, 71, 83, 95, 112, 124))
SYSTEM_TYPES = tuple(_code(i, "1000045") for i in (22, 161, 33, 45, 57, 69, 81, 93, 105, 117, 129, 141, 153))
# Net operators from data/codelists/net-operators.csv, with how often each is used.
NET_OPERATORS = (
    ("81000035007", 30),
    ("51000035003", 25),
    ("41000035001", 20),
    ("91000035009", 15),
    ("100097", 9),
    ("11000035002", 1),
)
EDI_ADMINISTRATORS = {"1081": "110", "1082": "120", "1083": "130", "1084": "106", "1085": "116"}
NOTES = (
    "Skiftet EPJ-system",
    "Modtager kun korrespondance",
    "Fælles lokationsnummer for hele klinikken",
    "Anvendes også af filialer",
)


class MessageCatalogue:
    """The MedCom catalogue looked up by TypeCode (or ``name:version`` for FHIR and envelope types)."""

    def __init__(self, definitions: Mapping[str, MessageDefinition]):
        self.by_urn = dict(definitions)
        self._by_key: dict[str, MessageDefinition] = {}
        for d in self.by_urn.values():
            self._by_key.setdefault(d.type_code, d)
            self._by_key[f"{d.type_code}:{d.version_code}"] = d
        missing = sorted({key for always, some in PROFILES.values() for key in always + some} - self._by_key.keys())
        if missing:
            raise ValueError(f"message types missing from the MedCom catalogue: {', '.join(missing)}")

    def get(self, key: str) -> MessageDefinition:
        return self._by_key[key]


def new_location(gen: Gen, owner: Entity, region: str, span: Span) -> Location:
    """An own lokationsnummer for ``owner``, valid as long as the owner."""
    start = gen.day_between(span.first, min(span.start, gen.snapshot)) if span.first <= gen.snapshot else span.first
    weights = [w for _, w in NET_OPERATORS]
    operator = gen.rng.choices([code for code, _ in NET_OPERATORS], weights)[0]
    return Location(
        gln=gen.gln(),
        owner_sor_id=owner.sor_id,
        only_internal=gen.chance(0.02),
        non_active=gen.chance(0.02),
        system_supplier=gen.pick(SYSTEM_SUPPLIERS),
        system_type=gen.pick(SYSTEM_TYPES),
        communication_supplier=operator,
        region_code=region,
        edi_administrator=EDI_ADMINISTRATORS[region],
        note=gen.pick(NOTES) if gen.chance(0.03) else None,
        from_date=start.isoformat(),
        to_date=owner.to_date,
        first_from_date=start.isoformat(),
        updated_at=owner.updated_at,
    )


def messages_for(gen: Gen, location: Location, profile: str, catalogue: MessageCatalogue) -> list[LocationMessage]:
    """The message types registered on ``location`` for a receiver of kind ``profile``."""
    always, some = PROFILES[profile]
    keys = list(always) + [k for k in some if gen.chance(0.35)]
    start = date.fromisoformat(location.from_date or gen.snapshot.isoformat())
    end = date.fromisoformat(location.to_date) if location.to_date else None
    out = []
    for key in keys:
        definition = catalogue.get(key)
        begin = max(start, FORMAT_START[definition.format])
        if end is not None and begin > end:
            continue
        begin = _registered(gen, begin, end)
        stop = end if end is not None else _retired(gen, begin)
        out.append(LocationMessage(location.gln, definition.urn, begin.isoformat(), stop and stop.isoformat()))
    return out


def _registered(gen: Gen, begin: date, end: date | None) -> date:
    if begin > gen.snapshot:
        return begin
    latest = min(end or gen.snapshot, gen.snapshot, begin + timedelta(days=400))
    return gen.day_between(begin, latest)


def _retired(gen: Gen, begin: date) -> date | None:
    """Now and then a registration was taken off the number again."""
    if begin < gen.snapshot - timedelta(days=30) and gen.chance(0.04):
        return gen.day_between(begin, gen.snapshot - timedelta(days=1))
    return None


def load_catalogue() -> MessageCatalogue:
    """The MedCom catalogue shipped in ``data/codelists``."""
    from sortui.formats.medcom import read_message_definitions
    from sortui.paths import data_dir

    definitions = read_message_definitions(data_dir() / "codelists" / "medcom-message-definitions.csv")
    return MessageCatalogue({d.urn: d for d in definitions})
