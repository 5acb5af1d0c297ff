"""Provisional SOR ids: what a working copy calls a unit it created until the register issues a real id.

A provisional SOR id has the SOR-id layout <sequence><namespace 1000016><partition><check digit>
with the partition 99, which real SOR ids (partition 00) never use; it passes the SOR-id rules.
"""

from __future__ import annotations

from sortui.domain import codes

PROVISIONAL_SUFFIX = "100001699"


def provisional_sor_id(sequence: int) -> str:
    body = f"{sequence}{PROVISIONAL_SUFFIX}"
    return body + codes.verhoeff_digit(body)


def is_provisional(sor_id: str) -> bool:
    """A SOR id given here to a unit created locally (not yet issued by the register)."""
    body = sor_id[:-1]
    return sor_id.isdigit() and body.endswith(PROVISIONAL_SUFFIX) and len(body) > len(PROVISIONAL_SUFFIX)
