"""Building blocks shared by the parts of the tree: one unit with its location number, and plain institutions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sortui.domain.model import Speciality
from sortui.generator.context import Gen, Node, Scope, Span
from sortui.generator.danish import DISTRICTS, PLACE_PREFIXES, PLACE_SUFFIXES, Municipality, PostTown
from sortui.generator.edi import MessageCatalogue, messages_for, new_location

OWNER_PRIVATE = "550891000005100"
OWNER_REGION = "550901000005105"
OWNER_MUNICIPALITY = "550911000005108"
OWNER_STATE = "550921000005103"
MAIN_SPECIALITY = "51000095001"  # SpecialityType: hovedspeciale

INST = {
    "hospital": "22232009",
    "gp": "394761003",
    "specialist": "550671000005100",
    "pharmacy": "264372000",
    "dentist": "550681000005102",
    "physio": "547011000005103",
    "occupational": "546821000005103",
    "chiro": "550641000005106",
    "midwife": "550631000005103",
    "laboratory": "550651000005108",
    "out_of_hours": "550661000005105",
    "psychologist": "550711000005101",
    "nursing_home": "42665001",
    "health_centre": "264361005",
    "addiction": "20078004",
    "rehabilitation": "546811000005109",
    "home_nursing": "550621000005101",
    "municipal_dental": "550691000005104",
    "dental_technician": "550701000005104",
    "podiatrist": "554061000005105",
    "other": "550411000005105",
}


@dataclass(frozen=True, slots=True)
class Ean:
    """How a unit gets its location number: own (with this message profile), inherited, or none."""

    profile: str
    p_own: float
    p_inherit: float = 1.0


class Builder:
    """Creates units below a parent scope; keeps the random source and the message catalogue together."""

    def __init__(self, gen: Gen, catalogue: MessageCatalogue):
        self.gen = gen
        self.catalogue = catalogue

    def unit(
        self,
        kind: str,
        parent: Scope | None,
        name: str,
        type_code: str | None,
        span: Span,
        ean: Ean,
        municipality: Municipality | None = None,
        town: PostTown | None = None,
    ) -> tuple[Node, Scope]:
        gen = self.gen
        assert parent is not None or municipality is not None
        municipality = municipality or parent.municipality  # type: ignore[union-attr]
        town = town or (parent.town if parent else gen.town(municipality))
        ent = gen.entity(kind, parent, name, type_code, span)
        node = Node(parent.depth + 1 if parent else 0, ent)
        inherited = parent.gln if parent else None
        gln: str | None = None
        if gen.chance(ean.p_own):
            ent.location = new_location(gen, ent, municipality.region, span)
            ent.ean_mode = "own"
            node.messages = messages_for(gen, ent.location, ean.profile, self.catalogue)
            gln = ent.location.gln
        elif inherited and gen.chance(ean.p_inherit):
            ent.ean_mode = "inherited"
            gln = inherited
        else:
            ent.ean_mode = "none"
        hospital_shak = parent.hospital_shak if parent else None
        return node, Scope(ent.sor_id, node.depth, span, municipality, gln, town, hospital_shak)

    def speciality(self, code: str | None) -> list[Speciality]:
        return [Speciality(code, MAIN_SPECIALITY)] if code else []

    def place_name(self) -> str:
        return self.gen.pick(PLACE_PREFIXES) + self.gen.pick(PLACE_SUFFIXES)

    def district(self, town: PostTown) -> str:
        return town.town if self.gen.chance(0.4) else self.gen.pick(DISTRICTS)


NameFn = Callable[[Builder, Scope], str]


@dataclass(frozen=True, slots=True)
class Plain:
    """A health institution outside the hospitals: its units carry no unit type and no unit flags."""

    name: str
    type_code: str
    profile: str
    unit_names: tuple[str, ...]  # patterns: {place} {district} {town} {n}
    sub_names: tuple[str, ...] = ("Team {district}", "Gruppe {n}", "Afsnit {letter}", "Dagvagt", "Aftenvagt")
    p_own_si: float = 0.8
    p_own_unit: float = 0.15


def pattern(builder: Builder, text: str, scope: Scope, n: int) -> str:
    return text.format(
        place=builder.place_name() if "{place}" in text else "",
        district=builder.district(scope.town) if "{district}" in text else "",
        town=scope.town.town,
        n=n,
        letter="ABCDEFGHIJKLMNOP"[(n - 1) % 16],
    )


def plain_institution(
    b: Builder, parent: Scope, plan: Plain, budget: int, p_close: float, domain: str | None
) -> Iterator[Node]:
    """An SI named ``plan.name`` with units and sub-units: exactly ``budget`` entities."""
    gen = b.gen
    span = gen.child_span(parent.span, p_close, 0.01)
    node, scope = b.unit("SI", parent, plan.name, plan.type_code, span, Ean(plan.profile, plan.p_own_si))
    ent = node.entity
    if gen.chance(0.6):
        ent.addresses.append(gen.address("postal", scope.town))
    ent.contact = gen.contact(parent.region, domain, website=False) if gen.chance(0.7) else None
    yield node
    if budget <= 1:
        return
    units = max(1, round((budget - 1) / (2.2 + gen.rng.random())))
    for i, size in enumerate(gen.split(budget - 1, units), 1):
        yield from _plain_unit(b, scope, plan, i, size, p_close)


def _plain_unit(b: Builder, parent: Scope, plan: Plain, n: int, budget: int, p_close: float) -> Iterator[Node]:
    gen = b.gen
    town = gen.town(parent.municipality)
    scope_for_name = Scope(parent.sor_id, parent.depth, parent.span, parent.municipality, None, town)
    name = pattern(b, gen.pick(plan.unit_names), scope_for_name, n)
    span = gen.child_span(parent.span, p_close, 0.01)
    node, scope = b.unit("OE", parent, name, None, span, Ean(plan.profile, plan.p_own_unit, 0.95), town=town)
    if gen.chance(0.5):
        node.entity.addresses.append(gen.address("visiting", town))
    if gen.chance(0.35):
        node.entity.contact = gen.contact(parent.region, None)
    yield node
    for i in range(1, budget):
        name = pattern(b, gen.pick(plan.sub_names), scope, i)
        sub_span = gen.child_span(scope.span, p_close / 2, 0.0)
        sub, _ = b.unit("OE", scope, name, None, sub_span, Ean(plan.profile, 0.02, 0.97))
        yield sub
