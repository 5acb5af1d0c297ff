"""Private owners: every practice, clinic and pharmacy is its own institution owner (IE) at the top level.

A GP practice is IE -> SI (lægepraksis) -> one OE per ydernummer; pharmacies have one OE per
branch with the pharmacy number and branch (``362,1``); private hospitals get SHAK codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from sortui.generator.context import Gen, Node, Scope, fit, private_domain
from sortui.generator.danish import FIRST_NAMES, MUNICIPALITIES, STREETS, SURNAMES, Hospital, Municipality
from sortui.generator.hospitals import PRIVATE_SHAK_BLOCKS, ShakCodes, hospital
from sortui.generator.units import INST, OWNER_PRIVATE, Builder, Ean

MAX_PRIVATE_HOSPITALS = 250
PHARMACY_WORDS = ("Løve", "Svane", "Hjorte", "Elefant", "Ørne", "Kronens", "Sankt Hans", "Sol", "Hvide", "Nye")

# speciality -> (clinic name, title)
SPECIALISTS = {
    "394594003": ("Øjenklinikken", "øjensygdomme"),
    "394582007": ("Hudklinikken", "hud- og kønssygdomme"),
    "394604002": ("Ørelægerne", "øre-, næse- og halssygdomme"),
    "394587001": ("Psykiatrisk Klinik", "psykiatri"),
    "394537008": ("Børnelægerne", "pædiatri"),
    "394585009": ("Gynækologisk Klinik", "gynækologi og obstetrik"),
    "394801008": ("Ortopædkirurgisk Klinik", "ortopædisk kirurgi"),
    "394810000": ("Gigtklinikken", "reumatologi"),
    "394579002": ("Hjerteklinikken", "kardiologi"),
    "394611003": ("Plastikkirurgisk Klinik", "plastikkirurgi"),
    "394577000": ("Smerteklinikken", "anæstesiologi"),
    "394588006": ("Børnepsykiatrisk Klinik", "børne- og ungdomspsykiatri"),
}


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    weight: float
    inst: str
    profile: str
    sizes: tuple[int, ...]  # entities per owner: IE + SI + OEs
    owner_names: tuple[str, ...]
    unit_names: tuple[str, ...]
    provider: bool = True  # the OEs carry a ydernummer
    speciality: str | None = None
    p_ean: float = 0.8  # the owner has its own location number


KINDS: tuple[Kind, ...] = (
    Kind("gp", 24, "gp", "gp", (3, 3, 3, 3, 4, 4, 5),
         ("Læge {first} {last}", "Lægerne {street}", "Lægehuset {town}", "Lægerne {last} og {last2}",
          "{town} Lægecenter", "Lægepraksis {place}"),
         ("Læge {first} {last}", "Lægerne {last} og {last2}"), speciality="408443003", p_ean=0.97),
    Kind("specialist", 12, "specialist", "specialist", (3, 3, 4),
         ("Speciallæge {first} {last}", "{clinic} {town}", "Speciallægecentret {town}"),
         ("Speciallæge i {title} {first} {last}", "Speciallæge {first} {last}"), p_ean=0.9),
    Kind("dentist", 22, "dentist", "dentist", (3, 3, 3, 4),
         ("Tandlæge {first} {last}", "Tandlægerne {street}", "{town} Tandlægecenter", "Tandklinikken {place}"),
         ("Tandlæge {first} {last}",), speciality="394812008", p_ean=0.75),
    Kind("physio", 18, "physio", "physio", (3, 3, 4, 5),
         ("Fysioterapeut {first} {last}", "{town} Fysioterapi", "Fysioterapi {street}", "Klinik for Fysioterapi {place}"),
         ("Fysioterapeut {first} {last}",), p_ean=0.8),
    Kind("chiro", 5, "chiro", "chiro", (3, 3, 4),
         ("Kiropraktor {first} {last}", "Kiropraktisk Klinik {town}", "Rygklinikken {town}"),
         ("Kiropraktor {first} {last}",), p_ean=0.6),
    Kind("psychologist", 5, "psychologist", "psychologist", (3,),
         ("Psykolog {first} {last}", "Psykologhuset {town}", "Psykologpraksis {place}"),
         ("Psykolog {first} {last}",), p_ean=0.7),
    Kind("podiatrist", 4, "podiatrist", "podiatrist", (3,),
         ("Fodterapeut {first} {last}", "{town} Fodklinik", "Fodplejen {street}"), ("Fodterapeut {first} {last}",),
         p_ean=0.5),
    Kind("pharmacy", 6, "pharmacy", "pharmacy", (3, 4, 4, 5, 6), (), (), provider=False, p_ean=1.0),
    Kind("hospital", 1.5, "hospital", "hospital", (8, 12, 20, 30, 45), (), (), provider=False),
    Kind("midwife", 1, "midwife", "other", (3,), ("Jordemoder {first} {last}", "Jordemoderhuset {town}"),
         ("Jordemoder {first} {last}",), provider=False, p_ean=0.4),
    Kind("occupational", 1, "occupational", "other", (3,), ("Ergoterapeut {first} {last}",),
         ("Ergoterapeut {first} {last}",), p_ean=0.4),
    Kind("laboratory", 0.5, "laboratory", "lab", (3,), ("{town} Lægelaboratorium",), ("Laboratoriet",),
         provider=False, p_ean=0.9),
)  # fmt: skip

_KIND_WEIGHTS = list(accumulate(k.weight for k in KINDS))
_MUNICIPALITY_WEIGHTS = list(accumulate(m.population_k for m in MUNICIPALITIES))


class PrivateOwners:
    """Thousands of owners, each an IE at the top level, spread over the country by population."""

    def __init__(self, b: Builder, shak: ShakCodes, p_close: float):
        self.b = b
        self.gen: Gen = b.gen
        self.shak = shak
        self.p_close = p_close
        self.hospitals = 0

    def generate(self, budget: int) -> Iterator[Node]:
        """Owners until exactly ``budget`` entities are made."""
        remaining = budget
        while remaining > 0:
            kind = self.gen.rng.choices(KINDS, cum_weights=_KIND_WEIGHTS)[0]
            if kind.key == "hospital" and self.hospitals >= MAX_PRIVATE_HOSPITALS:
                kind = KINDS[1]
            size = self.gen.pick(kind.sizes)
            if remaining - size < 3:
                size = remaining
            yield from self._owner(kind, size)
            remaining -= size

    def _owner(self, kind: Kind, size: int) -> Iterator[Node]:
        gen = self.gen
        municipality = pick_municipality(gen)
        town = gen.town(municipality)
        words = self._words(town.town)
        if kind.key == "pharmacy":
            words["owner"] = self._pharmacy_name(town.town)
            words["pharmacy"] = str(gen.pharmacy_number())
        elif kind.key == "hospital":
            words["owner"] = gen.pick(("Privathospitalet {place}", "{town} Øjenklinik", "Klinik {place}")).format(
                **words
            )
        else:
            words["owner"] = gen.pick(kind.owner_names).format(**words)
        span = gen.root_span(self.p_close, 0.015)
        node, scope = self.b.unit(
            "IE", None, words["owner"], OWNER_PRIVATE, span, Ean(kind.profile, kind.p_ean), municipality, town
        )
        ent = node.entity
        ent.cvr = gen.cvr()
        ent.addresses.append(gen.address("postal", town))
        ent.contact = gen.contact(municipality.region, private_domain(words["owner"]))
        yield node
        if size > 1:
            yield from self._institution(kind, scope, words, size - 1)

    def _institution(self, kind: Kind, owner: Scope, words: dict[str, str], budget: int) -> Iterator[Node]:
        if kind.key == "hospital":
            self.hospitals += 1
            plan = _private_hospital(words["owner"], owner)
            yield from hospital(
                self.b, owner, plan, self.shak.hospital(self.gen, PRIVATE_SHAK_BLOCKS), budget, self.p_close, True
            )
            return
        gen = self.gen
        span = gen.child_span(owner.span, 0.02, 0.0)
        node, scope = self.b.unit("SI", owner, words["owner"], INST[kind.inst], span, Ean(kind.profile, 0.03))
        if gen.chance(0.3):
            node.entity.addresses.append(gen.address("visiting", owner.town))
        yield node
        for i in range(1, budget):
            yield self._unit(kind, scope, words, i)

    def _unit(self, kind: Kind, parent: Scope, words: dict[str, str], n: int) -> Node:
        gen = self.gen
        if kind.key == "pharmacy":
            name = words["owner"] if n == 1 else f"{words['owner']}, filial {gen.town(parent.municipality).town}"
        elif n == 1 and gen.chance(0.5):
            name = words["owner"]
        else:
            name = gen.pick(kind.unit_names).format(**self._words(parent.town.town) | {"title": words["title"]})
        span = gen.child_span(parent.span, 0.06, 0.01)
        node, _ = self.b.unit("OE", parent, name, None, span, Ean(kind.profile, 0.04, 0.98))
        ent = node.entity
        if kind.provider:
            ent.provider_number = gen.provider_number()
        if kind.key == "pharmacy":
            ent.pharmacy_number = f"{words['pharmacy']},{n}"
        speciality = kind.speciality or (words["speciality"] if kind.key == "specialist" else None)
        ent.specialities = self.b.speciality(speciality)
        if n > 1 and gen.chance(0.5):
            ent.addresses.append(gen.address("visiting", parent.town))
        return node

    def _words(self, town: str) -> dict[str, str]:
        gen = self.gen
        speciality = gen.pick(list(SPECIALISTS))
        clinic, title = SPECIALISTS[speciality]
        return {
            "first": gen.pick(FIRST_NAMES),
            "last": gen.pick(SURNAMES),
            "last2": gen.pick(SURNAMES),
            "street": gen.pick(STREETS),
            "town": town,
            "place": self.b.place_name(),
            "clinic": clinic,
            "title": title,
            "speciality": speciality,
        }

    def _pharmacy_name(self, town: str) -> str:
        gen = self.gen
        if gen.chance(0.5):
            return f"{town} Apotek"
        if gen.chance(0.6):
            return fit(f"{town} {gen.pick(PHARMACY_WORDS)} Apotek")
        return f"{gen.pick(PHARMACY_WORDS)} Apoteket {town}"


def _private_hospital(name: str, owner: Scope) -> Hospital:
    return Hospital(name, owner.region, owner.town.postcode, "Klinikvej", "1")


def pick_municipality(gen: Gen) -> Municipality:
    """A municipality, weighted by population (where practices are)."""
    return gen.rng.choices(MUNICIPALITIES, cum_weights=_MUNICIPALITY_WEIGHTS)[0]
