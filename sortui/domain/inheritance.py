"""Inheritance of addresses, contact data and location numbers up the tree (sor-domain.md §2.4).

The store hands over the chain of ancestors (the unit first, the owner last)
with their own values; these functions say what is effective and where it
comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sortui.domain.model import Address, Contact, Location

T = TypeVar("T")


@dataclass(slots=True)
class ChainLink:
    """One entity on the way from a unit up to its owner, with its own values only."""

    sor_id: str
    name: str
    ean_mode: str
    addresses: dict[str, Address] = field(default_factory=dict)
    contact: Contact | None = None
    location: Location | None = None


@dataclass(slots=True)
class Effective(Generic[T]):
    """An effective value and the entity it comes from (None when nothing applies)."""

    value: T | None
    source_sor_id: str | None = None
    source_name: str | None = None
    inherited: bool = False
    via: str | None = None  # e.g. "postal" when a visiting address falls back to the postal one


def _found(value: T, chain: list[ChainLink], index: int, via: str | None = None) -> Effective[T]:
    link = chain[index]
    return Effective(value, link.sor_id, link.name, index > 0, via)


def effective_postal(chain: list[ChainLink]) -> Effective[Address]:
    for i, link in enumerate(chain):
        if "postal" in link.addresses:
            return _found(link.addresses["postal"], chain, i)
    return Effective(None)


def effective_address(chain: list[ChainLink], kind: str) -> Effective[Address]:
    """Postal is inherited from the parents; visiting falls back to postal; activity to visiting."""
    if not chain:
        return Effective(None)
    own = chain[0].addresses.get(kind)
    if own is not None:
        return _found(own, chain, 0)
    if kind == "postal":
        return effective_postal(chain)
    fallback = effective_address(chain, "visiting" if kind == "activity" else "postal")
    if fallback.value is not None and fallback.via is None:
        fallback.via = "visiting" if kind == "activity" else "postal"
    return fallback


def effective_contact(chain: list[ChainLink]) -> Effective[Contact]:
    for i, link in enumerate(chain):
        if link.contact is not None:
            return _found(link.contact, chain, i)
    return Effective(None)


def effective_location(chain: list[ChainLink]) -> Effective[Location]:
    """Own number, or the parent's effective number while the mode says 'inherited'."""
    for i, link in enumerate(chain):
        if link.ean_mode == "own" and link.location is not None:
            return _found(link.location, chain, i)
        if link.ean_mode != "inherited":
            return Effective(None)
    return Effective(None)
