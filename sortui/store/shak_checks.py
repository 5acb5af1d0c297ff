"""Consistency between the SOR tree and the SHAK classification (the SHAK-navigator's checks).

- prefix: a unit whose SHAK code does not start with its hospital's 4-character code;
- invalid: a unit carrying a code that the SHAK file has, but not valid on the date;
- missing: a unit carrying a code the SHAK file does not have at all;
- unmapped: a department code valid on the date that no SOR unit carries.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field

CHECKS = {
    "prefix": "SHAK-kode does not start with the hospital's code",
    "invalid": "SHAK-kode not valid on the date",
    "missing": "SHAK-kode not in the SHAK file",
    "unmapped": "department code valid on the date with no SOR unit",
}


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # a key of CHECKS
    shak_code: str
    sor_id: str | None = None
    name: str | None = None  # unit name, or the code's text for 'unmapped'
    detail: str | None = None


@dataclass
class ShakReport:
    on: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checks that need data the working copy lacks

    def counts(self) -> dict[str, int]:
        return {key: sum(1 for f in self.findings if f.check == key) for key in CHECKS}

    def as_json(self) -> dict[str, object]:
        return {
            "on": self.on,
            "counts": self.counts(),
            "skipped": self.skipped,
            "findings": [asdict(f) for f in self.findings],
        }


def _valid_on(alias: str) -> str:
    return f"({alias}.valid_from <= :on AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= :on))"


def prefix_mismatches(conn: sqlite3.Connection) -> list[Finding]:
    rows = conn.execute(
        """
        WITH RECURSIVE down(sor_id, hospital_code, hospital_id) AS (
            SELECT sor_id, substr(shak_code, 1, 4), sor_id FROM entity
            WHERE kind = 'SI' AND shak_code IS NOT NULL
            UNION ALL
            SELECT e.sor_id, down.hospital_code, down.hospital_id
            FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
        )
        SELECT e.sor_id, e.name, e.shak_code, d.hospital_code, d.hospital_id
        FROM down d JOIN entity e ON e.sor_id = d.sor_id
        WHERE e.kind = 'OE' AND e.shak_code IS NOT NULL AND substr(e.shak_code, 1, 4) <> d.hospital_code
        ORDER BY e.shak_code, e.sor_id
        """
    ).fetchall()
    return [
        Finding("prefix", code, sid, name, f"hospital {hospital_id} has SHAK-kode {hospital_code}")
        for sid, name, code, hospital_code, hospital_id in rows
    ]


def codes_not_valid(conn: sqlite3.Connection, on: str) -> list[Finding]:
    rows = conn.execute(
        f"""
        SELECT e.sor_id, e.name, e.shak_code,
               (SELECT max(s.valid_to) FROM shak_code s WHERE s.code = e.shak_code) AS last_to,
               (SELECT min(s.valid_from) FROM shak_code s WHERE s.code = e.shak_code) AS first_from
        FROM entity e
        WHERE e.shak_code IS NOT NULL
          AND EXISTS (SELECT 1 FROM shak_code s WHERE s.code = e.shak_code)
          AND NOT EXISTS (SELECT 1 FROM shak_code s WHERE s.code = e.shak_code AND {_valid_on("s")})
        ORDER BY e.shak_code, e.sor_id
        """,
        {"on": on},
    ).fetchall()
    return [
        Finding("invalid", code, sid, name, f"valid {first_from} – {last_to or ''}")
        for sid, name, code, last_to, first_from in rows
    ]


def codes_missing(conn: sqlite3.Connection) -> list[Finding]:
    rows = conn.execute(
        """
        SELECT e.sor_id, e.name, e.shak_code FROM entity e
        WHERE e.shak_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM shak_code s WHERE s.code = e.shak_code)
        ORDER BY e.shak_code, e.sor_id
        """
    ).fetchall()
    return [Finding("missing", code, sid, name) for sid, name, code in rows]


def unmapped_departments(conn: sqlite3.Connection, on: str) -> list[Finding]:
    rows = conn.execute(
        f"""
        SELECT s.code, s.text FROM shak_code s
        WHERE s.level = 'afd' AND {_valid_on("s")}
          AND NOT EXISTS (SELECT 1 FROM entity e WHERE e.shak_code = s.code)
        ORDER BY s.code
        """,
        {"on": on},
    ).fetchall()
    return [Finding("unmapped", code, None, text) for code, text in rows]


def check_shak(conn: sqlite3.Connection, on: str) -> ShakReport:
    """Run every check that the working copy has data for."""
    report = ShakReport(on)
    has_sor = conn.execute("SELECT 1 FROM entity LIMIT 1").fetchone() is not None
    has_shak = conn.execute("SELECT 1 FROM shak_code LIMIT 1").fetchone() is not None
    if has_sor:
        report.findings += prefix_mismatches(conn)
    else:
        report.skipped += ["prefix", "invalid", "missing", "unmapped"]
        return report
    if has_shak:
        report.findings += codes_not_valid(conn, on) + codes_missing(conn) + unmapped_departments(conn, on)
    else:
        report.skipped += ["invalid", "missing", "unmapped"]
    return report
