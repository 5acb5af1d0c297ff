"""The 98 municipalities with their health units, and the state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sortui.domain.model import Contact
from sortui.generator.context import Node, Span, private_domain, town_by_postcode
from sortui.generator.danish import MUNICIPALITY_BY_CODE, POST_TOWNS_BY_MUNICIPALITY, Municipality
from sortui.generator.units import INST, OWNER_MUNICIPALITY, OWNER_STATE, Builder, Ean, Plain, plain_institution

# (label, institution type, message profile, unit name patterns, weight)
_MUNICIPAL: tuple[tuple[str, str, str, tuple[str, ...], float], ...] = (
    ("Sundhed og Omsorg", "other", "municipality",
     ("Hjemmeplejen {district}", "Plejecenter {place}", "Sygeplejeklinik {town}", "Akutteam {district}",
      "Demensteam {district}", "Rehabiliteringscenter {place}", "Aktivitetscenter {place}", "Sundhedshuset {town}",
      "Forebyggelsescenter {town}", "Visitationen", "Hjælpemiddelcentret", "Sundhedsplejen {district}",
      "Midlertidige pladser {place}", "Træningsenheden {district}"), 0.34),
    ("Hjemmesygeplejen", "home_nursing", "municipality",
     ("Hjemmesygeplejen {district}", "Sygeplejeklinik {town}", "Nattesygeplejen", "Akutteam {district}",
      "Hjemmeplejen {district}"), 0.18),
    ("Plejecentre", "nursing_home", "municipality",
     ("Plejecenter {place}", "Plejehjemmet {place}", "Ældrecenter {place}"), 0.2),
    ("Genoptræning og Rehabilitering", "rehabilitation", "municipality",
     ("Genoptræningscenter {town}", "Rehabiliteringsenheden {district}", "Træningscenter {place}"), 0.1),
    ("Den kommunale tandpleje", "municipal_dental", "dentist",
     ("Tandklinik {place}skolen", "Omsorgstandplejen", "Specialtandplejen", "Tandklinik {town}"), 0.07),
    ("Sundhedscentret", "health_centre", "municipality",
     ("Rygestop", "Patientuddannelse", "Forebyggelse {district}", "Kronikerforløb", "Sundhedsplejen {district}"), 0.06),
    ("Rusmiddelcentret", "addiction", "other",
     ("Rusmiddelcenter {town}", "Ungeindsatsen", "Alkoholbehandlingen", "Stofbehandlingen {district}"), 0.05),
)  # fmt: skip

_STATE: tuple[tuple[str, str, str, tuple[str, ...], float], ...] = (
    ("Statens Serum Institut", "laboratory", "lab",
     ("Klinisk Mikrobiologi", "Virologi", "Bakteriologi", "Parasitologi", "Blodtypeserologi", "Neonatal Screening"),
     0.35),
    ("Forsvarets Sundhedstjeneste", "other", "other", ("Sundhedscenter {town}", "Garnisonsklinik {district}"), 0.25),
    ("Kriminalforsorgens Sundhedstjeneste", "other", "other",
     ("Sundhedsafdelingen {place}", "Arresthusets klinik {district}"), 0.2),
    ("Styrelsen for Patientsikkerhed", "other", "other", ("Tilsyn {district}", "Embedslægerne {district}"), 0.1),
    ("Sundhedsdatastyrelsen", "other", "other", ("SOR-forvaltningen", "Landspatientregisteret", "Registre"), 0.1),
)  # fmt: skip


def proportional(total: int, weights: list[float]) -> list[int]:
    """Whole shares of ``total`` by ``weights``, each at least 1, summing to ``total`` (needs total >= len)."""
    scale = (total - len(weights)) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def municipality_tree(b: Builder, m: Municipality, budget: int, p_close: float) -> Iterator[Node]:
    """A municipality (IE) and its health institutions: exactly ``budget`` entities (at least 1)."""
    gen = b.gen
    town = POST_TOWNS_BY_MUNICIPALITY[m.code][0]
    span = Span(date(2007, 1, 1), date(2007, 1, 1), None, gen.snapshot - timedelta(days=gen.rng.randrange(600)))
    node, scope = b.unit("IE", None, m.full_name, OWNER_MUNICIPALITY, span, Ean("municipality", 0.25), m, town)
    node.entity.cvr = gen.cvr()
    node.entity.addresses.append(gen.address("postal", town, "Rådhuspladsen", "1"))
    domain = "kk.dk" if m.code == "101" else private_domain(m.name)
    node.entity.contact = gen.contact(m.region, domain)
    yield node
    if budget <= 1:
        return
    count = max(1, min(len(_MUNICIPAL), round((budget - 1) / 25), budget - 1))
    plans = _MUNICIPAL[:count]
    for plan, size in zip(plans, proportional(budget - 1, [p[4] for p in plans]), strict=True):
        label, inst, profile, units, _ = plan
        big = label == "Sundhed og Omsorg" and m.population_k >= 150
        name = f"{m.full_name}, {'Sundheds- og Omsorgsforvaltningen' if big else label}"
        p_unit = 0.3 if inst == "nursing_home" else 0.12
        yield from plain_institution(
            b, scope, Plain(name, INST[inst], profile, units, p_own_si=0.7, p_own_unit=p_unit), size, p_close, domain
        )


def state_tree(b: Builder, budget: int, p_close: float) -> Iterator[Node]:
    """The state (IE) with its health institutions: exactly ``budget`` entities."""
    gen = b.gen
    town = town_by_postcode("1250")
    m = MUNICIPALITY_BY_CODE[town.municipality]
    span = Span(date(2007, 1, 1), date(2007, 1, 1), None, gen.snapshot - timedelta(days=gen.rng.randrange(600)))
    node, scope = b.unit("IE", None, "Staten", OWNER_STATE, span, Ean("other", 0.0), m, town)
    node.entity.cvr = gen.cvr()
    node.entity.addresses.append(gen.address("postal", town, "Slotsholmsgade", "10"))
    # An owner must have VirtualAddressInformation (a telephone number) in SOR XML. Fixed values: they
    # draw nothing from the random stream, so everything else generated stays as it was.
    node.entity.contact = Contact(phone="33923300", email="kontakt@sum.dk", website="www.sum.dk")
    yield node
    if budget <= 1:
        return
    plans = _STATE[: max(1, min(len(_STATE), budget - 1))]
    for plan, size in zip(plans, proportional(budget - 1, [p[4] for p in plans]), strict=True):
        name, inst, profile, units, _ = plan
        institution = Plain(name, INST[inst], profile, units, p_own_si=0.9)
        yield from plain_institution(b, scope, institution, size, p_close, private_domain(name))
