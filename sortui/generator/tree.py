"""The entity generator: a realistic, deterministic SOR tree of a given size, streamed in tree order.

Shape (sor-domain.md §1, §9): the five regions own the public hospitals (SHAK codes, departments,
sections, teams) and their other institutions; the 98 municipalities own their health units;
the state owns a few institutions; and thousands of private owners (GPs with ydernumre,
specialists, dentists, physiotherapists, chiropractors, pharmacies, private hospitals, ...) each
stand as their own IE at the top level. Shares of the entity count: regions 30 %, municipalities
25 %, the state 1.5 %, private owners the rest.

``generate`` yields ``Node`` records (depth, entity, the SHAK lines and message types it brings)
one at a time, parents before children; nothing is kept, so memory is flat in the entity count.
The same ``entities`` and ``seed`` always give the same nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sortui.domain.model import Entity
from sortui.generator.context import SNAPSHOT_DATE, Gen, Node
from sortui.generator.danish import MUNICIPALITIES, REGIONS
from sortui.generator.edi import MessageCatalogue, load_catalogue
from sortui.generator.hospitals import ShakCodes, region_tree
from sortui.generator.municipal import municipality_tree, proportional, state_tree
from sortui.generator.options import MIN_ENTITIES
from sortui.generator.private import PrivateOwners
from sortui.generator.units import Builder

REGION_SHARE, MUNICIPAL_SHARE, STATE_SHARE = 0.30, 0.25, 0.015
ENTITIES_PER_HOSPITAL = 900
P_CLOSE_PUBLIC = 0.11  # chance a public unit (below the owner) is closed, before its parents' closures
P_CLOSE_PRIVATE = 0.2  # chance a private owner (and all below it) has closed


def generate(
    entities: int, seed: int, snapshot: date = SNAPSHOT_DATE, catalogue: MessageCatalogue | None = None
) -> Iterator[Node]:
    """Exactly ``entities`` nodes, depth first (depth 0 = IE), deterministic in ``entities`` and ``seed``."""
    if entities < MIN_ENTITIES:
        raise ValueError(f"generate at least {MIN_ENTITIES} entities (asked for {entities})")
    b = Builder(Gen(seed, snapshot), catalogue or load_catalogue())
    shak = ShakCodes()
    regions = round(entities * REGION_SHARE)
    municipal = round(entities * MUNICIPAL_SHARE)
    state = round(entities * STATE_SHARE)
    yield from _regions(b, shak, regions)
    for m, size in zip(MUNICIPALITIES, proportional(municipal, [m.population_k for m in MUNICIPALITIES]), strict=True):
        yield from municipality_tree(b, m, size, P_CLOSE_PUBLIC)
    yield from state_tree(b, state, P_CLOSE_PUBLIC)
    yield from PrivateOwners(b, shak, P_CLOSE_PRIVATE).generate(entities - regions - municipal - state)


def _regions(b: Builder, shak: ShakCodes, budget: int) -> Iterator[Node]:
    population = [sum(m.population_k for m in MUNICIPALITIES if m.region == r) for r in REGIONS]
    sizes = proportional(budget, population)
    total_hospitals = max(2 * len(REGIONS), min(150, round(budget / ENTITIES_PER_HOSPITAL)))
    hospitals = [max(2, n) for n in proportional(total_hospitals, population)]
    for region, size, count in zip(REGIONS, sizes, hospitals, strict=True):
        yield from region_tree(b, shak, region, size, count, P_CLOSE_PUBLIC)


def generate_entities(entities: int, seed: int, snapshot: date = SNAPSHOT_DATE) -> Iterator[tuple[int, Entity]]:
    """``(depth, Entity)`` in tree order: the shape ``write_sor_xml`` takes."""
    for node in generate(entities, seed, snapshot):
        yield node.depth, node.entity
