"""Check-digit and format rules for the register's identifiers.

Pure functions: no SQL, no I/O. Each ``check_*`` returns a list of problems
(empty when the value is fine) so callers can decide between error and warning.
"""

from __future__ import annotations

import functools
import re

# Verhoeff tables (the SNOMED CT check-digit algorithm that SOR ids follow).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

SOR_ID_MIN_LEN = 11
SOR_ID_MAX_LEN = 18
# 4 digits (hospital), 6 (department), 7 (section). The 7th may be a capital letter; older
# department codes in the real SHAK file also carry letters in positions 5-6 ("1500A1", "3004L0X").
SHAK_RE = re.compile(r"^[0-9]{4}$|^[0-9]{4}[0-9A-Z]{2}[0-9A-Z]?$")
GLN_RE = re.compile(r"^[0-9]{13}$")
PROVIDER_RE = re.compile(r"^[0-9]{1,9}$")


def _digit_product(backwards: str) -> int:
    """The Verhoeff product of ``backwards`` (the digits from the right), a digit at a time."""
    check = 0
    for i, ch in enumerate(backwards):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check


# The product is a group's (D5), so runs of digits can be looked up whole: the product of the up to
# _RUN digits at a position divisible by _RUN (counted from the right, as the check reads them), by
# that position modulo 8 and the run's digits as they stand reversed. Every SOR id is
# checked on import: four lookups instead of fifteen steps (1 µs less). Made at the first check (8 ms).
_RUN = 4


@functools.cache
def _verhoeff_runs() -> tuple[dict[str, int], ...]:
    tables = []
    for offset in range(0, 8, _RUN):
        table = {"": 0}
        shorter = [""]
        for i in range(offset, offset + _RUN):
            row = _VERHOEFF_P[i % 8]
            longer = [run + ch for run in shorter for ch in "0123456789"]
            table.update((run, _VERHOEFF_D[table[run[:-1]]][row[int(run[-1])]]) for run in longer)
            shorter = longer
        del table[""]
        tables.append(table)
    return tuple(tables)


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is its Verhoeff check digit."""
    backwards = digits[::-1]
    runs = _verhoeff_runs()
    check = 0
    try:
        for at in range(0, len(backwards), _RUN):
            check = _VERHOEFF_D[check][runs[at % 8 // _RUN][backwards[at : at + _RUN]]]
    except KeyError:  # not ASCII digits: a digit at a time (``int`` reads any digit, and refuses the rest)
        return _digit_product(backwards) == 0
    return check == 0


def verhoeff_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits``."""
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return str(_VERHOEFF_INV[check])


def gs1_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for the first 12 digits of a GLN (weights 3/1 from the right)."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def sor_id_errors(value: str) -> list[str]:
    if not value.isdigit() or not value.isascii():
        return ["SOR-kode must contain digits only"]
    if not SOR_ID_MIN_LEN <= len(value) <= SOR_ID_MAX_LEN:
        return [f"SOR-kode must have {SOR_ID_MIN_LEN}-{SOR_ID_MAX_LEN} digits, not {len(value)}"]
    return []


def sor_id_warnings(value: str) -> list[str]:
    if sor_id_errors(value) or verhoeff_valid(value):
        return []
    return [f"SOR-kode {value} fails the Verhoeff check digit"]


def gln_errors(value: str) -> list[str]:
    if not GLN_RE.match(value):
        return [f"lokationsnummer {value!r} must be exactly 13 digits"]
    if gs1_check_digit(value[:12]) != value[12]:
        return [f"lokationsnummer {value} has a wrong GS1 check digit (expected {gs1_check_digit(value[:12])})"]
    return []


def shak_level(code: str) -> str | None:
    """'sgh' (4 chars), 'afd' (6) or 'afsnit' (7); None for a malformed code."""
    if not SHAK_RE.match(code):
        return None
    return {4: "sgh", 6: "afd", 7: "afsnit"}[len(code)]


def shak_errors(value: str) -> list[str]:
    if shak_level(value) is None:
        return [f"SHAK-kode {value!r} must be 4 digits, or 6 or 7 characters: 4 digits then digits or capital letters"]
    return []


def shak_parent(code: str) -> str | None:
    """The code one level up by prefix: section -> department -> hospital."""
    if len(code) == 7:
        return code[:6]
    if len(code) == 6:
        return code[:4]
    return None


def provider_number_errors(value: str) -> list[str]:
    if not PROVIDER_RE.match(value):
        return [f"ydernummer {value!r} must be 1-9 digits (leading zeros are kept)"]
    return []


def looks_like_gln(text: str) -> bool:
    return bool(GLN_RE.match(text)) and text.startswith("57")


def classify_key(key: str) -> list[str]:
    """Which kinds of identifier ``key`` could be, most likely first.

    Used by ``show`` and the go-to prompt: a key is tried as each kind in turn.
    """
    key = key.strip()
    kinds: list[str] = []
    if GLN_RE.match(key):
        kinds.append("gln")
    if key.isdigit() and SOR_ID_MIN_LEN <= len(key) <= SOR_ID_MAX_LEN:
        kinds.append("sor_id")
    if shak_level(key.upper()):
        kinds.append("shak")
    if PROVIDER_RE.match(key):
        kinds.append("provider_number")
    return kinds
