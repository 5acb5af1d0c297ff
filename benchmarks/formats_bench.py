"""Imports of every format the register publishes, against the SOR XML path and the bare lxml floor.

    python benchmarks/formats_bench.py [--scales 20000,200000,600000] [--runs 1]

For each scale, the generator's file set (all formats, cached in ``benchmarks/.cache/formats-nN``)
is imported one file at a time into a fresh working copy, ``sortui import FILE`` as a subprocess
(wall and CPU time of all its processes, from ``run.measure_process``; the best of ``--runs``);
the floor is a bare ``lxml.etree.iterparse`` loop over ``sor.xml`` touching every element.
Budgets (issue 13): sor.zip, sor.csv and SorEntity_daily.csv within 1.2× sor.xml; sor.xml within
1.5× the floor.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CACHE, SEED, Run, compile_bytecode, fig_floor, generator_stamp, measure_process

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


def import_s(path: Path, work: Path, runs: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the best of ``runs`` imports of ``path`` into a fresh working copy."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        db = work / "wc.sqlite"
        for old in work.glob("wc.sqlite*"):
            old.unlink()
        got = measure_process([sys.executable, "-m", "sortui", "--db", str(db), "import", str(path)])
        if got.code != 0:
            raise RuntimeError(f"{path}: import failed ({got.code}): {got.stderr}")
        best = min(best, (got.wall_s, got.cpu_s))
    return best


def measure(entities: int, runs: int) -> dict[str, tuple[float, float]]:
    data = file_set(entities)
    work = CACHE / f"formats-work-n{entities}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    found = {name: import_s(data / name, work, runs) for name in FILES}
    floor = Run(entities, data, work)
    fig_floor(floor)
    found["floor"] = (floor.values["floor_s"], floor.values["floor_s"])
    return found


def table(results: dict[int, dict[str, tuple[float, float]]]) -> str:
    scales = list(results)
    lines = [
        "| file | " + " | ".join(f"{n:,}: wall s (CPU s)" for n in scales) + " | " + " | ".join(f"× xml at {n:,}" for n in scales) + " |",
        "|---|" + "---|" * (2 * len(scales)),
    ]  # fmt: skip
    for name in (*FILES, "floor"):
        cells = [f"{results[n][name][0]:.2f} ({results[n][name][1]:.2f})" for n in scales]
        ratios = [f"{results[n][name][0] / results[n]['sor.xml'][0]:.2f}×" for n in scales]
        lines.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    xml_floor = [f"{results[n]['sor.xml'][0] / results[n]['floor'][0]:.2f}×" for n in scales]
    lines.append("| sor.xml / floor | " + " | ".join("" for _ in scales) + " | " + " | ".join(xml_floor) + " |")
    return "\n".join(lines)


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
