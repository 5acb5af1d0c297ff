"""``sortui generate``: write a synthetic, national-scale file set in the register's formats."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from sortui.cli.common import err
from sortui.generator.options import FILE_NAMES, FORMATS, MIN_ENTITIES, SNAPSHOT_DATE


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [f for f in chosen if f not in FILE_NAMES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)} (comma separated)")
    return chosen


def _entities(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < MIN_ENTITIES:
        raise argparse.ArgumentTypeError(f"at least {MIN_ENTITIES} entities")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "generate",
        help="write a synthetic, deterministic SOR file set (XML, zip, CSV, SOR2 CSV, SHAK, message types)",
        description="Generate a realistic SOR tree of N entities and write it in the register's formats. "
        "The same N and seed always give byte-identical files.",
    )
    p.add_argument("--entities", type=_entities, default=20_000, metavar="N", help="entities (IE+SI+OE), default 20000")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed, default 1")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write the files into")
    p.add_argument(
        "--formats",
        type=_formats,
        default=FORMATS,
        metavar="LIST",
        help=f"which files, comma separated: {','.join(FORMATS)} (default all)",
    )
    p.add_argument(
        "--snapshot-date",
        type=_date,
        default=SNAPSHOT_DATE,
        metavar="DATE",
        help=f"SnapshotDate of the data (default {SNAPSHOT_DATE.isoformat()})",
    )
    p.set_defaults(func=cmd_generate)
    return p


def cmd_generate(args: argparse.Namespace) -> int:
    from sortui.generator.files import import_order, write_file_set

    started = time.perf_counter()
    paths = write_file_set(args.output, args.entities, args.seed, args.formats, args.snapshot_date)
    for kind, path in paths.items():
        err.print(f"wrote {path} ({path.stat().st_size:,} bytes, {kind})")
    order = " ".join(str(p) for p in import_order(paths))
    err.print(
        f"{args.entities:,} entities in {time.perf_counter() - started:.1f} s; import with: sortui import {order}"
    )
    return 0
