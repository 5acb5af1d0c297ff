"""The generator's state: one seeded random source, id counters, dates and the records built from them.

Everything random comes from ``Gen.rng`` (a ``random.Random(seed)``) and is drawn in tree order,
so the same entity count and seed always give the same tree, record for record.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from sortui.domain.codes import gs1_check_digit, verhoeff_digit
from sortui.domain.model import Address, Contact, Entity, LocationMessage, ShakCode
from sortui.generator.danish import (
    POST_TOWNS_BY_CODE,
    POST_TOWNS_BY_MUNICIPALITY,
    STREETS,
    Municipality,
    PostTown,
    ascii_slug,
)
from sortui.generator.options import SNAPSHOT_DATE

T = TypeVar("T")

EARLIEST = date(1995, 1, 1)
NAME_MAX = 60
SOR_ID_NAMESPACE = "100001600"  # <item id> 1000016 00 <Verhoeff check digit>, like the register's ids

GEO_RELATION = {"SI": "1", "OE": "2"}
PHONE_PREFIXES = {
    "1081": ("96", "97", "98", "99"),
    "1082": ("86", "87", "89", "96", "97"),
    "1083": ("62", "63", "64", "65", "66", "73", "74", "75", "76"),
    "1084": ("33", "35", "36", "38", "39", "43", "44", "45", "48"),
    "1085": ("46", "55", "56", "57", "58", "59"),
}
REGION_DOMAINS = {
    "1081": "rn.dk",
    "1082": "rm.dk",
    "1083": "rsyd.dk",
    "1084": "regionh.dk",
    "1085": "regionsjaelland.dk",
}
_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


@dataclass(slots=True, frozen=True)
class Span:
    """A unit's validity: FirstFromDate, FromDate, ToDate (None = open) and UpdatedAt."""

    first: date
    start: date
    end: date | None
    updated: date

    def closed_by(self, day: date) -> bool:
        return self.end is not None and self.end < day


@dataclass(slots=True)
class Node:
    """What the generator yields: an entity at its depth, with the SHAK lines and message types it brings."""

    depth: int
    entity: Entity
    shak: list[ShakCode] = field(default_factory=list)
    messages: list[LocationMessage] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Scope:
    """What a unit's children need to know about it."""

    sor_id: str
    depth: int
    span: Span
    municipality: Municipality
    gln: str | None  # the effective lokationsnummer (own or inherited); None = none
    town: PostTown
    hospital_shak: str | None = None

    @property
    def region(self) -> str:
        return self.municipality.region


def fit(name: str, limit: int = NAME_MAX) -> str:
    """``name`` cut to ``limit`` characters (at a word boundary when there is one)."""
    if len(name) <= limit:
        return name
    cut = name[:limit].rsplit(" ", 1)[0].rstrip(",-– ")
    return cut or name[:limit]


class Gen:
    """Random source, counters and record builders shared by all parts of the tree."""

    def __init__(self, seed: int, snapshot: date = SNAPSHOT_DATE):
        self.rng = random.Random(seed)
        self.snapshot = snapshot
        self._item = 10_000 + self.rng.randrange(5_000)
        self._gln = 1_000_000 + self.rng.randrange(100_000)
        self._yder = 1_000 + self.rng.randrange(500)
        self._pharmacy = 100 + self.rng.randrange(50)

    # -- random helpers ------------------------------------------------------

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def day_between(self, low: date, high: date) -> date:
        if high <= low:
            return low
        return low + timedelta(days=self.rng.randrange((high - low).days + 1))

    def split(self, total: int, parts: int) -> list[int]:
        """``parts`` positive sizes summing to ``total`` (uneven, like real departments)."""
        parts = max(1, min(parts, total))
        weights = [0.3 + self.rng.random() * self.rng.random() * 3 for _ in range(parts)]
        scale = (total - parts) / sum(weights)
        sizes = [1 + int(w * scale) for w in weights]
        for i in range(total - sum(sizes)):
            sizes[i % parts] += 1
        return sizes

    # -- identifiers ---------------------------------------------------------

    def sor_id(self) -> str:
        self._item += 1 + self.rng.randrange(3)
        body = f"{self._item}{SOR_ID_NAMESPACE}"
        return body + verhoeff_digit(body)

    def gln(self) -> str:
        self._gln += 1 + self.rng.randrange(9)
        body = f"579{self._gln:09d}"
        return body + gs1_check_digit(body)

    def provider_number(self) -> str:
        """A ydernummer: 6 digits, leading zeros kept."""
        self._yder += 1 + self.rng.randrange(3)
        return f"{self._yder:06d}"

    def pharmacy_number(self) -> int:
        self._pharmacy += 1 + self.rng.randrange(3)
        return self._pharmacy

    def cvr(self) -> str:
        """An 8-digit CVR number with a valid modulus-11 check."""
        while True:
            digits = [1 + self.rng.randrange(9)] + [self.rng.randrange(10) for _ in range(6)]
            rest = sum(d * w for d, w in zip(digits, _CVR_WEIGHTS, strict=False)) % 11
            check = (11 - rest) % 11
            if check < 10:
                return "".join(map(str, digits)) + str(check)

    def phone(self, region: str) -> str:
        return self.pick(PHONE_PREFIXES[region]) + f"{self.rng.randrange(1_000_000):06d}"

    # -- dates ---------------------------------------------------------------

    def root_span(self, p_close: float, p_future: float, earliest: date = EARLIEST) -> Span:
        if self.chance(p_future):
            return self._future_span(None)
        first = self.day_between(earliest, self.snapshot - timedelta(days=60))
        return self._span(first, None, p_close)

    def child_span(self, parent: Span, p_close: float, p_future: float) -> Span:
        if parent.first > self.snapshot:
            return self._future_span(parent)
        if parent.end is None and self.chance(p_future):
            return self._future_span(None)
        latest = min(parent.end or self.snapshot, self.snapshot) - timedelta(days=1)
        first = parent.first if self.chance(0.4) else self.day_between(parent.first, latest)
        return self._span(first, parent.end, p_close)

    def _future_span(self, parent: Span | None) -> Span:
        first = parent.first if parent else self.snapshot + timedelta(days=1 + self.rng.randrange(240))
        updated = self.snapshot - timedelta(days=1 + self.rng.randrange(60))
        return Span(first, first, None, updated)

    def _span(self, first: date, parent_end: date | None, p_close: float) -> Span:
        end = self._end(first, parent_end, p_close)
        high = min(end or self.snapshot, self.snapshot)
        start = self.day_between(first, high) if self.chance(0.3) else first
        if end is not None and end < self.snapshot:
            anchor = end + timedelta(days=self.rng.randrange(-10, 10))
        else:
            anchor = start + timedelta(days=self.rng.randrange(-20, 400))
        updated = max(min(anchor, self.snapshot), first - timedelta(days=20))
        return Span(first, start, end, min(updated, self.snapshot))

    def _end(self, first: date, parent_end: date | None, p_close: float) -> date | None:
        if parent_end is not None:
            return parent_end if self.chance(0.75) else self.day_between(first, parent_end)
        if self.chance(p_close):
            return self.day_between(first, self.snapshot - timedelta(days=1))
        if self.chance(0.01):
            return self.snapshot + timedelta(days=1 + self.rng.randrange(180))
        return None

    # -- records -------------------------------------------------------------

    def town(self, municipality: Municipality) -> PostTown:
        return self.pick(POST_TOWNS_BY_MUNICIPALITY[municipality.code])

    def address(self, kind: str, town: PostTown, street: str | None = None, building: str | None = None) -> Address:
        number = building or str(1 + int(self.rng.paretovariate(1.2) * 3) % 250)
        if building is None and self.chance(0.15):
            number += self.pick("ABCD")
        addr = Address(
            kind=kind,
            street=street or self.pick(STREETS),
            building=number,
            postcode=town.postcode,
            district_name=town.town,
            country="DK",
            municipality_code=f"{int(town.municipality):04d}",
        )
        if kind != "postal" and self.chance(0.25):
            addr.floor = self.pick(("st", "1", "2", "3", "4", "kld"))
        return addr

    def contact(self, region: str, domain: str | None, mailbox: str | None = None, website: bool = True) -> Contact:
        contact = Contact(phone=self.phone(region))
        if domain:
            contact.email = f"{mailbox or 'kontakt'}@{domain}"
            if website:
                contact.website = f"www.{domain}"
        if self.chance(0.08):
            contact.fax = self.phone(region)
        return contact

    def entity(self, kind: str, parent: Scope | None, name: str, type_code: str | None, span: Span) -> Entity:
        return Entity(
            sor_id=self.sor_id(),
            kind=kind,
            name=fit(name),
            parent_sor_id=parent.sor_id if parent else None,
            entity_type_code=type_code,
            geo_parent_relation=GEO_RELATION.get(kind),
            from_date=span.start.isoformat(),
            to_date=span.end.isoformat() if span.end else None,
            first_from_date=span.first.isoformat(),
            updated_at=span.updated.isoformat(),
        )


def private_domain(name: str) -> str:
    return ascii_slug(name)[:40].strip("-") + ".dk"


def town_by_postcode(postcode: str) -> PostTown:
    return POST_TOWNS_BY_CODE[postcode]
