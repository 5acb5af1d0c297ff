"""Imports of every format the register publishes, against the SOR XML path and the bare lxml floor.

    python benchmarks/formats_bench.py [--scales 20000,200000,600000] [--runs 1]

For each scale, the generator's file set (all formats, cached in ``benchmarks/.cache/formats-nN``)
is imported one file at a time into a fresh working copy, ``sortui import FILE`` as a subprocess
(wall and CPU time of all its processes, from ``run.measure_process``; the best of ``--runs``);
the floor is a bare ``lxml.etree.iterparse`` loop over ``sor.xml`` touching every element.
Budgets (issue 13): sor.zip, sor.csv and SorEntity_daily.csv within 1.2× sor.xml; sor.xml within
1.5× the floor.

Each run is a round: every file once, then the floor once, so that a host whose speed drifts
(a shared VM) slows the things compared alike. Besides the best of each, the table gives the
median over the rounds of each round's own ratios (``med.``), which a slow minute moves less.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CACHE, SEED, compile_bytecode, generator_stamp, measure_process, time_floor

from sortui.generator.files import write_file_set

FILES = ("sor.xml", "sor.zip", "sor.csv", "SorEntity_daily.csv")


def file_set(entities: int) -> Path:
    data = CACHE / f"formats-n{entities}-s{SEED}"
    stamp = data / "STAMP"
    if not (stamp.is_file() and stamp.read_text() == generator_stamp()):
        shutil.rmtree(data, ignore_errors=True)
        write_file_set(data, entities, SEED, ("xml", "zip", "csv", "sor2"))
        stamp.write_text(generator_stamp())
    return data


def import_once(path: Path, work: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one import of ``path`` into a fresh working copy."""
    db = work / "wc.sqlite"
    for old in work.glob("wc.sqlite*"):
        old.unlink()
    got = measure_process([sys.executable, "-m", "sortui", "--db", str(db), "import", str(path)])
    if got.code != 0:
        raise RuntimeError(f"{path}: import failed ({got.code}): {got.stderr}")
    return got.wall_s, got.cpu_s


@dataclass
class Scale:
    """What the rounds at one scale found: each round's (wall, CPU) by file (the floor's CPU is its wall)."""

    rounds: list[dict[str, tuple[float, float]]] = field(default_factory=list)

    def best(self, name: str) -> tuple[float, float]:
        return min(found[name] for found in self.rounds)

    def median_ratio(self, name: str, to: str) -> float:
        return statistics.median(found[name][0] / found[to][0] for found in self.rounds)


def measure(entities: int, runs: int) -> Scale:
    data = file_set(entities)
    work = CACHE / f"formats-work-n{entities}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    scale = Scale()
    for _ in range(runs):
        found = {name: import_once(data / name, work) for name in FILES}
        floor = time_floor(data / "sor.xml")
        found["floor"] = (floor, floor)
        scale.rounds.append(found)
    return scale


def table(results: dict[int, Scale]) -> str:
    scales = list(results)
    lines = [
        "| file | " + " | ".join(f"{n:,}: wall s (CPU s)" for n in scales) + " | " + " | ".join(f"× xml at {n:,} (med.)" for n in scales) + " |",
        "|---|" + "---|" * (2 * len(scales)),
    ]  # fmt: skip
    for name in (*FILES, "floor"):
        cells = [f"{results[n].best(name)[0]:.2f} ({results[n].best(name)[1]:.2f})" for n in scales]
        ratios = [_ratios(results[n], name, "sor.xml") for n in scales]
        lines.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    xml_floor = [_ratios(results[n], "sor.xml", "floor") for n in scales]
    lines.append("| sor.xml / floor | " + " | ".join("" for _ in scales) + " | " + " | ".join(xml_floor) + " |")
    return "\n".join(lines)


def _ratios(scale: Scale, name: str, to: str) -> str:
    """Best against best, and in brackets the median of the rounds' own ratios."""
    best = scale.best(name)[0] / scale.best(to)[0]
    return f"{best:.2f}× ({scale.median_ratio(name, to):.2f}×)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="20000,200000", help="entities, comma separated")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    compile_bytecode()
    results = {n: measure(n, args.runs) for n in (int(s) for s in args.scales.split(","))}
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
