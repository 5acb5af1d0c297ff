"""The five regions: hospitals with SHAK codes, departments and sections, and the regions' other institutions.

Below a hospital SI every OE has a unit type and OrganizationalUnitInformation (sor-domain.md §7.4).
Levels: department (SHAK ``hhhhdd``) -> section (``hhhhdds``, s = 0-9, A-Z) -> sub-unit (may share the
section's SHAK code, as the register allows) -> team. Each SHAK code is written once, by the unit
that introduces it, with 1-3 versions (history) for SHAKCOMPLETE.TXT.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sortui.domain.model import ShakCode
from sortui.generator.context import REGION_DOMAINS, Gen, Node, Scope, Span, fit, private_domain, town_by_postcode
from sortui.generator.danish import HOSPITALS, MUNICIPALITY_BY_CODE, POST_TOWNS, REGIONS, Hospital
from sortui.generator.units import INST, OWNER_REGION, Builder, Ean, Plain, plain_institution

SECTION_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
U_ADMIN, U_CLINICAL, U_SERVICE = "550811000005108", "550851000005109", "550821000005102"
U_EDUCATION, U_RESEARCH, U_ACUTE = "550831000005104", "550841000005107", "550871000005101"
U_ER, U_ICU, U_IMAGING, U_OR, U_PHARMACY = "225728007", "309904001", "309964003", "551611000005102", "554071000005100"

# region -> (SHAK hospital-code blocks, Regionshuset: post code, street, number)
REGION_SEATS = {
    "1081": ((80, 81, 82), "9220", "Niels Bohrs Vej", "30"),
    "1082": ((70, 71, 72), "8800", "Skottenborg", "26"),
    "1083": ((50, 51, 52), "7100", "Damhaven", "12"),
    "1084": ((13, 14, 15), "3400", "Kongens Vænge", "2"),
    "1085": ((30, 31, 32), "4180", "Alleen", "15"),
}
PRIVATE_SHAK_BLOCKS = (25, 26, 27, 28, 29, 20, 21, 22, 23, 24, 60, 61, 62, 63, 64, 65, 90, 91, 92, 93)

# section kind -> (name pattern, unit type, (ambulant, admitted, reporting level))
SECTIONS = {
    "ward": ("{adj} Sengeafsnit {letter}{n}", U_CLINICAL, (False, True, True)),
    "clinic": ("{adj} Ambulatorium", U_CLINICAL, (True, False, True)),
    "day": ("{adj} Dagafsnit", U_CLINICAL, (True, False, True)),
    "icu": ("Intensivt Afsnit {n}", U_ICU, (False, True, True)),
    "or": ("Operationsafsnit {letter}", U_OR, (True, False, False)),
    "er": ("Skadestuen", U_ER, (True, False, True)),
    "acute": ("Akutmodtagelsen {letter}", U_ACUTE, (True, True, True)),
    "imaging": ("{adj} Afsnit {letter}", U_IMAGING, (True, False, True)),
    "lab": ("Laboratoriet {letter}", U_SERVICE, (True, False, False)),
    "pharmacy": ("Sygehusapoteket, Afsnit {letter}", U_PHARMACY, (False, False, False)),
    "admin": ("{adj}, Stab {letter}", U_ADMIN, (False, False, False)),
    "research": ("Forskningsenhed {letter}", U_RESEARCH, (False, False, False)),
}


@dataclass(frozen=True, slots=True)
class Dept:
    name: str
    adj: str  # used in section names
    speciality: str | None
    unit_type: str
    grp: str  # SHAK AGrp of the department's lines
    sections: tuple[str, ...]
    profile: str = "hospital"


def _d(name: str, adj: str, spec: str | None, grp: str, sections: str = "ward clinic day", **kw: str) -> Dept:
    return Dept(
        name, adj, spec, kw.get("unit", U_CLINICAL), grp, tuple(sections.split()), kw.get("profile", "hospital")
    )


SOMATIC = (
    _d("Medicinsk Afdeling", "Medicinsk", "419192003", "010"),
    _d("Kardiologisk Afdeling", "Kardiologisk", "394579002", "012"),
    _d("Gastroenterologisk Afdeling", "Gastroenterologisk", "394584008", "013"),
    _d("Lungemedicinsk Afdeling", "Lungemedicinsk", "418112009", "014"),
    _d("Endokrinologisk Afdeling", "Endokrinologisk", "394583002", "015"),
    _d("Geriatrisk Afdeling", "Geriatrisk", "394811001", "016"),
    _d("Nyremedicinsk Afdeling", "Nyremedicinsk", "394589003", "018"),
    _d("Reumatologisk Afdeling", "Reumatologisk", "394810000", "019"),
    _d("Infektionsmedicinsk Afdeling", "Infektionsmedicinsk", "394807007", "020"),
    _d("Neurologisk Afdeling", "Neurologisk", "394591006", "040"),
    _d("Kirurgisk Afdeling", "Kirurgisk", "394609007", "050", "ward clinic day or"),
    _d("Ortopædkirurgisk Afdeling", "Ortopædkirurgisk", "394801008", "053", "ward clinic day or"),
    _d("Urologisk Afdeling", "Urologisk", "394612005", "054"),
    _d("Karkirurgisk Afdeling", "Karkirurgisk", "394602003", "051"),
    _d("Thoraxkirurgisk Afdeling", "Thoraxkirurgisk", "394603008", "052"),
    _d("Neurokirurgisk Afdeling", "Neurokirurgisk", "394610002", "056"),
    _d("Plastikkirurgisk Afdeling", "Plastikkirurgisk", "394611003", "057"),
    _d("Gynækologisk-Obstetrisk Afdeling", "Gynækologisk", "394585009", "060"),
    _d("Børne- og Ungeafdelingen", "Pædiatrisk", "394537008", "070"),
    _d("Øre-Næse-Halskirurgisk Afdeling", "Øre-Næse-Hals", "394604002", "030"),
    _d("Øjenafdelingen", "Øjen", "394594003", "034", "clinic day ward"),
    _d("Hudafdelingen", "Dermatologisk", "394582007", "025", "clinic day"),
    _d("Onkologisk Afdeling", "Onkologisk", "394592004", "038"),
    _d("Palliativ Enhed", "Palliativ", "394806003", "095", "clinic ward"),
    _d("Anæstesiologisk Afdeling", "Anæstesiologisk", "394577000", "084", "icu or clinic"),
    _d("Akutafdelingen", "Akut", None, "080", "acute er ward", unit=U_ACUTE),
    _d("Radiologisk Afdeling", "Billeddiagnostisk", "394914008", "086", "imaging", unit=U_IMAGING, profile="radiology"),
    _d("Klinisk Biokemisk Afdeling", "Klinisk Biokemisk", None, "088", "lab", unit=U_SERVICE, profile="lab"),
    _d("Klinisk Mikrobiologisk Afdeling", "Mikrobiologisk", "408454008", "089", "lab", unit=U_SERVICE, profile="lab"),
    _d("Patologiafdelingen", "Patologisk", "394597005", "090", "lab", unit=U_SERVICE, profile="pathology"),
    _d("Klinisk Fysiologisk og Nuklearmedicinsk Afdeling", "Klinisk Fysiologisk", "394601005", "087", "clinic imaging"),
    _d("Klinisk Genetisk Afdeling", "Klinisk Genetisk", "394580004", "092", "clinic lab"),
    _d("Arbejdsmedicinsk Klinik", "Arbejdsmedicinsk", "394821009", "094", "clinic"),
    _d("Sygehusapoteket", "Sygehusapoteket", None, "099", "pharmacy", unit=U_PHARMACY, profile="other"),
    _d("Hospitalsledelsen", "Hospitalsledelsen", None, "000", "admin research", unit=U_ADMIN, profile="other"),
)
PSYCHIATRY = (
    _d("Psykiatrisk Afdeling", "Psykiatrisk", "394587001", "100", "ward clinic day"),
    _d("Børne- og Ungdomspsykiatrisk Afdeling", "Børnepsykiatrisk", "394588006", "101", "ward clinic day"),
    _d("Retspsykiatrisk Afdeling", "Retspsykiatrisk", "394587001", "102", "ward clinic"),
    _d("Distriktspsykiatrien", "Distriktspsykiatrisk", "394587001", "103", "clinic day"),
    _d("Psykoseafdelingen", "Psykose", "394587001", "104", "ward clinic"),
    _d("Affektiv Afdeling", "Affektiv", "394587001", "105", "ward clinic day"),
)
SUB_UNITS = ("Team {n}", "Klinik {letter}", "Sygeplejeklinik", "Sekretariat", "Fysio- og Ergoterapi", "Funktion {n}")
TEAMS = ("Gruppe {n}", "Team {letter}", "Vagtlag {n}")


class ShakCodes:
    """Hands out 4-character hospital codes: regional blocks (``13xx`` …) and private ones."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def hospital(self, gen: Gen, blocks: tuple[int, ...]) -> str:
        for block in blocks:
            number = self._next.get(block, 0) + 1 + gen.rng.randrange(2)
            if number <= 99:
                self._next[block] = number
                return f"{block:02d}{number:02d}"
        raise ValueError("ran out of SHAK hospital codes; generate fewer hospitals")


def shak_lines(gen: Gen, code: str, text: str, span: Span, grp_a: str, grp_b: str = "") -> list[ShakCode]:
    """The versions of one SHAK code: usually one, sometimes two or three with older texts."""
    record = "sgh" if len(code) == 4 else "afd"
    starts = [span.first]
    if span.start - span.first > timedelta(days=120) and gen.chance(0.5):
        if gen.chance(0.3):
            starts.append(span.first + (span.start - span.first) / 2)
        starts.append(span.start)
    lines = []
    for i, start in enumerate(starts):
        newest = i == len(starts) - 1
        end = span.end if newest else starts[i + 1] - timedelta(days=1)
        old_text = text if newest else _old_text(text, len(starts) - 1 - i)
        changed = min(start, gen.snapshot) - timedelta(days=gen.rng.randrange(45))
        lines.append(
            ShakCode(
                code=code,
                record_type=record,
                valid_from=start.isoformat(),
                valid_to=end.isoformat() if end else None,
                changed=changed.isoformat(),
                text=fit(old_text),
                grp_a=grp_a or None,
                grp_b=grp_b or None,
                op_code=("1" if len(starts) == 1 else "3") if newest else None,
            )
        )
    return lines


def _old_text(text: str, age: int) -> str:
    text = text.replace("Afdeling", "Afd.").replace("afdeling", "afd.").replace("Afsnit", "Afs.")
    return text.upper() if age >= 2 else text + " (gl.)"


def region_tree(
    b: Builder, shak: ShakCodes, region: str, budget: int, hospitals: int, p_close: float
) -> Iterator[Node]:
    """A region (IE), its hospitals and its other institutions: exactly ``budget`` entities."""
    gen = b.gen
    blocks, postcode, street, number = REGION_SEATS[region]
    town = town_by_postcode(postcode)
    municipality = MUNICIPALITY_BY_CODE[town.municipality]
    span = Span(date(2007, 1, 1), date(2007, 1, 1), None, gen.snapshot - timedelta(days=gen.rng.randrange(400)))
    node, scope = b.unit("IE", None, REGIONS[region], OWNER_REGION, span, Ean("other", 0.0), municipality, town)
    node.entity.cvr = gen.cvr()
    node.entity.addresses.append(gen.address("postal", town, street, number))
    domain = REGION_DOMAINS[region]
    node.entity.contact = gen.contact(region, domain)
    yield node
    rest = budget - 1
    other = min(rest - hospitals, max(len(_regional_plans(region)), rest // 10))
    sizes = gen.split(rest - other, hospitals)
    for plan, size in zip(_hospital_plans(region, len(sizes)), sizes, strict=True):
        yield from hospital(b, scope, plan, shak.hospital(gen, blocks), size, p_close)
    if other > 0:
        plans = _regional_plans(region)
        for plan, size in zip(plans, gen.split(other, len(plans)), strict=False):
            yield from plain_institution(b, scope, plan, size, p_close, domain)


def _hospital_plans(region: str, count: int) -> list[Hospital]:
    real = [h for h in HOSPITALS if h.region == region]
    towns = [p for p in POST_TOWNS if MUNICIPALITY_BY_CODE[p.municipality].region == region]
    extra = [
        Hospital(f"Regionshospital {t.town}", region, t.postcode, "Sygehusvej", str(i + 1)) for i, t in enumerate(towns)
    ]
    plans = (real + extra)[:count]
    while len(plans) < count:
        base = plans[len(plans) % len(real + extra)]
        plans.append(Hospital(f"{base.name}, Matrikel {len(plans)}", region, base.postcode, base.street, base.building))
    return plans


def _regional_plans(region: str) -> list[Plain]:
    name = REGIONS[region]
    return [
        Plain(f"{name}, Administration", INST["other"], "settlement",
              ("Praksisafregning", "Økonomi", "Sekretariat", "Kvalitet og Udvikling", "Sundhedsplanlægning")),
        Plain(f"Lægevagten, {name}", INST["out_of_hours"], "out_of_hours",
              ("Lægevagt {town}", "Akutklinik {town}", "Visitationen")),
        Plain(f"Præhospitalet, {name}", INST["other"], "other",
              ("Vagtcentralen", "Akuttelefonen", "Lægebil {town}", "Ambulancestation {town}")),
        Plain(f"Tandreguleringen, {name}", INST["municipal_dental"], "dentist", ("Tandreguleringsklinik {town}",)),
    ]  # fmt: skip


def hospital(
    b: Builder, parent: Scope, plan: Hospital, code: str, budget: int, p_close: float, private: bool = False
) -> Iterator[Node]:
    """A hospital SI with departments, sections and sub-units: exactly ``budget`` entities."""
    gen = b.gen
    town = town_by_postcode(plan.postcode)
    span = gen.child_span(parent.span, p_close / 4, 0.0)
    node, scope = b.unit(
        "SI",
        parent,
        plan.name,
        INST["hospital"],
        span,
        Ean("hospital", 0.4),
        MUNICIPALITY_BY_CODE[town.municipality],
        town,
    )
    scope = Scope(scope.sor_id, scope.depth, span, scope.municipality, scope.gln, town, code)
    ent = node.entity
    ent.shak_code = code
    ent.addresses.append(gen.address("postal", town, plan.street, plan.building))
    domain = private_domain(plan.name) if private else REGION_DOMAINS[parent.region]
    ent.contact = gen.contact(parent.region, domain)
    node.shak = shak_lines(gen, code, plan.name, span, "161" if private else "101", "2" if private else "1")
    yield node
    if budget <= 1:
        return
    templates = list(PSYCHIATRY if "sykiatri" in plan.name else SOMATIC)
    gen.rng.shuffle(templates)
    depts = min(99, max(1, round((budget - 1) / (8 + 10 * gen.rng.random()))))
    numbers = _department_numbers(gen, depts)
    for i, size in enumerate(gen.split(budget - 1, len(numbers))):
        dept = templates[i % len(templates)]
        suffix = f" {i // len(templates) + 1}" if i >= len(templates) else ""
        dept_code = f"{code}{numbers[i]:02d}"
        yield from _department(b, scope, dept, suffix, dept_code, size, p_close, plan.name, domain)


def _department_numbers(gen: Gen, count: int) -> list[int]:
    numbers, current = [], 0
    for left in range(count, 0, -1):
        current += 1 + (gen.rng.randrange(2) if 99 - current > left * 2 else 0)
        numbers.append(current)
    return numbers


def _hospital_short(name: str) -> str:
    return name.split(",")[0]


def _department(
    b: Builder,
    parent: Scope,
    dept: Dept,
    suffix: str,
    code: str,
    budget: int,
    p_close: float,
    hospital_name: str,
    domain: str,
) -> Iterator[Node]:
    gen = b.gen
    span = gen.child_span(parent.span, p_close * 0.6, 0.01)
    flags = (False, False, gen.chance(0.3))
    node, scope = b.unit("OE", parent, dept.name + suffix, dept.unit_type, span, Ean(dept.profile, 0.65))
    _hospital_unit(b, node, scope, code, dept.speciality, flags)
    node.shak = shak_lines(gen, code, f"{_hospital_short(hospital_name)}, {dept.name}{suffix}", span, dept.grp)
    if gen.chance(0.6):
        node.entity.contact = gen.contact(parent.region, domain, website=False)
    yield node
    if budget <= 1:
        return
    sections = min(len(SECTION_CHARS), max(1, round((budget - 1) / (2 + 3 * gen.rng.random()))))
    for i, size in enumerate(gen.split(budget - 1, sections)):
        kind = dept.sections[i % len(dept.sections)]
        yield from _section(b, scope, dept, kind, i + 1, code + SECTION_CHARS[i], size, p_close, hospital_name)


def _section(
    b: Builder, parent: Scope, dept: Dept, kind: str, n: int, code: str, budget: int, p_close: float, hospital_name: str
) -> Iterator[Node]:
    gen = b.gen
    text, unit_type, flags = SECTIONS[kind]
    name = text.format(adj=dept.adj, letter=dept.adj[0], n=n)
    repeat = (n - 1) // len(dept.sections)
    if repeat and "{n}" not in text:
        name += f" {repeat + 1}"
    span = gen.child_span(parent.span, p_close * 0.5, 0.01)
    node, scope = b.unit("OE", parent, name, unit_type, span, Ean(dept.profile, 0.15, 0.9))
    _hospital_unit(b, node, scope, code, dept.speciality, flags)
    node.shak = shak_lines(gen, code, f"{_hospital_short(hospital_name)}, {name}", span, dept.grp)
    yield node
    if budget <= 1:
        return
    subs = max(1, round((budget - 1) / (1.5 + 2 * gen.rng.random())))
    for i, size in enumerate(gen.split(budget - 1, subs), 1):
        yield from _sub_unit(b, scope, code, dept, i, size, p_close)


def _sub_unit(b: Builder, parent: Scope, code: str, dept: Dept, n: int, budget: int, p_close: float) -> Iterator[Node]:
    gen = b.gen
    name = gen.pick(SUB_UNITS).format(n=n, letter="ABCDEFGHJK"[(n - 1) % 10])
    span = gen.child_span(parent.span, p_close * 0.4, 0.0)
    node, scope = b.unit("OE", parent, name, U_CLINICAL, span, Ean(dept.profile, 0.03, 0.95))
    _hospital_unit(b, node, scope, code if gen.chance(0.3) else None, dept.speciality, (gen.chance(0.5), False, False))
    yield node
    for i in range(1, budget):
        team = gen.pick(TEAMS).format(n=i, letter="ABCDEFGHJK"[(i - 1) % 10])
        team_span = gen.child_span(scope.span, p_close * 0.3, 0.0)
        leaf, leaf_scope = b.unit("OE", scope, team, U_CLINICAL, team_span, Ean(dept.profile, 0.01, 0.98))
        _hospital_unit(b, leaf, leaf_scope, None, None, (gen.chance(0.5), False, False))
        yield leaf


def _hospital_unit(
    b: Builder, node: Node, scope: Scope, shak: str | None, speciality: str | None, flags: tuple[bool, bool, bool]
) -> None:
    """What every OE under a hospital has: unit flags, and maybe SHAK, speciality, address, local code."""
    gen = b.gen
    ent = node.entity
    ent.shak_code = shak
    ent.ambulant, ent.admitted, ent.reporting_level = flags
    ent.specialities = b.speciality(speciality)
    if gen.chance(0.35):
        visiting = gen.address("visiting", scope.town)
        visiting.stairway = f"Opgang {1 + gen.rng.randrange(60)}"
        ent.addresses.append(visiting)
    if gen.chance(0.25):
        ent.local_code = f"{scope.hospital_shak}-{gen.rng.randrange(1000, 10000)}"
