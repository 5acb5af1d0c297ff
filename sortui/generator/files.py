"""Writing a generated tree as the register's file set, with the project's own writers.

Each file is written from a fresh pass of the (deterministic) generator, so nothing is held in
memory between files and the same entity count and seed give byte-identical files: the
snapshot date and CreatedAtTime come from the arguments, never from the clock, and the zip entry
carries a fixed timestamp.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

from sortui.domain.model import Entity
from sortui.generator.context import SNAPSHOT_DATE, Node
from sortui.generator.edi import MessageCatalogue, load_catalogue
from sortui.generator.options import FILE_NAMES, FORMATS
from sortui.generator.tree import generate
from sortui.paths import data_dir
from sortui.store.export import zip_sor_xml

TYPE_LISTS = ("owner_type", "institution_type", "unit_type")

Nodes = Callable[[], Iterator[Node]]


def created_at(snapshot: date) -> str:
    """CreatedAtTime of a generated file: 02:15 Danish winter time on the snapshot date."""
    return f"{snapshot.isoformat()}T02:15:00+01:00"


def write_file_set(
    folder: Path,
    entities: int,
    seed: int,
    formats: tuple[str, ...] = FORMATS,
    snapshot: date = SNAPSHOT_DATE,
) -> dict[str, Path]:
    """Write the files named by ``formats`` (keys of ``FILE_NAMES``) into ``folder``; returns kind -> path."""
    unknown = [f for f in formats if f not in FILE_NAMES]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue()

    def nodes() -> Iterator[Node]:
        return generate(entities, seed, snapshot, catalogue)

    paths = {kind: folder / FILE_NAMES[kind] for kind in FORMATS if kind in formats}
    if "xml" in paths or "zip" in paths:
        _write_xml_and_zip(nodes, folder, paths, snapshot)
    if "csv" in paths:
        _write_csv(nodes, paths["csv"])
    if "sor2" in paths:
        _write_sor2(nodes, paths["sor2"], snapshot)
    if "shak" in paths:
        _write_shak(nodes, paths["shak"])
    if "edi" in paths:
        _write_edi(nodes, paths["edi"], catalogue)
    return paths


def _write_xml_and_zip(nodes: Nodes, folder: Path, paths: dict[str, Path], snapshot: date) -> None:
    from sortui.formats.sorxml_writer import write_sor_xml

    xml = paths.get("xml", folder / f".{FILE_NAMES['xml']}.tmp")
    items = ((node.depth, node.entity) for node in nodes())
    write_sor_xml(items, xml, snapshot_date=snapshot.isoformat(), created_at=created_at(snapshot))
    if "zip" in paths:
        zip_xml(xml, paths["zip"], snapshot)
    if "xml" not in paths:
        xml.unlink()


def zip_xml(xml: Path, target: Path, snapshot: date) -> None:
    """``target`` as a zip holding ``xml`` as ``sor.xml``, like the register's sor.zip; reproducible bytes."""
    zip_sor_xml(xml, target, datetime(snapshot.year, snapshot.month, snapshot.day, 2, 15, 0))


def _write_csv(nodes: Nodes, path: Path) -> None:
    from sortui.formats.sorcsv import write_sor_csv

    write_sor_csv((node.entity for node in nodes()), path)


def _write_sor2(nodes: Nodes, path: Path, snapshot: date) -> None:
    """SorEntity_daily.csv holds what is valid or still to come on the day: units already closed are left out."""
    from sortui.formats.sor2csv import write_sor2_csv

    day = snapshot.isoformat()
    current = (node.entity for node in nodes() if not _closed(node.entity, day))
    write_sor2_csv(current, path, type_names=type_names())


def _closed(ent: Entity, day: str) -> bool:
    return ent.to_date is not None and ent.to_date < day


def _write_shak(nodes: Nodes, path: Path) -> None:
    from sortui.formats.shak import write_shak_complete

    write_shak_complete((line for node in nodes() for line in node.shak), path)


def _write_edi(nodes: Nodes, path: Path, catalogue: MessageCatalogue) -> None:
    from sortui.formats.edimap import write_location_messages

    write_location_messages((m for node in nodes() for m in node.messages), path, catalogue.by_urn)


def type_names() -> dict[str, str]:
    """Entity type code -> Danish name (owner, institution and unit types) from the shipped code lists."""
    with open(data_dir() / "codelists" / "codes.csv", encoding="utf-8", newline="") as fh:
        return {row["code"]: row["text"] for row in csv.DictReader(fh) if row["list"] in TYPE_LISTS}


def import_order(paths: dict[str, Path]) -> list[Path]:
    """The files of a set in the order to import them (SOR data before the message types on its numbers)."""
    order = ("zip", "xml", "csv", "sor2", "shak", "edi")
    sor = next((paths[k] for k in order[:4] if k in paths), None)
    return [p for p in (sor, paths.get("shak"), paths.get("edi")) if p is not None]
