"""Regenerate the bundled demo snapshot in ``data/demo`` (``python benchmarks/make_demo.py``).

The files are deterministic: running this again without changing the generator rewrites the
same bytes, so ``git status`` stays clean.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sortui.generator.demo import DEMO_ENTITIES, DEMO_SEED, write_demo


def main() -> int:
    paths = write_demo()
    total = sum(p.stat().st_size for p in paths)
    for path in paths:
        print(f"{path}  {path.stat().st_size:,} bytes")
    print(f"{DEMO_ENTITIES:,} entities, seed {DEMO_SEED}: {total:,} bytes in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
