"""The user's settings: a TOML file in the user config dir (``sortui locate`` prints its path).

```toml
[keymap]
"tree.toggle_closed" = "x"
"app.search" = "slash,ctrl+f"
```

A missing file means defaults; a broken one gives problems to show, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Settings:
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def load(path: Path | None, known_ids: Callable[[], Iterable[str]] = tuple) -> Settings:
    """Settings from ``path``; every problem found is in ``problems`` and the rest still applies.

    ``known_ids`` gives the binding ids a keymap may name; it is called only when there is a keymap
    (the app's list imports every screen, which a start without a keymap does not need)."""
    settings = Settings(path=path)
    if path is None or not path.exists():
        return settings
    import tomllib  # only with a file to read: its regular expressions cost a start without one

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        settings.problems.append(f"{path}: not read ({exc}); using the default keys")
        return settings
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        settings.problems.append(f'{path}: [keymap] must be a table of binding id = "key"')
        return settings
    known = set(known_ids()) if keymap else set()
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            settings.problems.append(f'{path}: keymap {binding_id!r} must be a key such as "c" or "ctrl+f,f3"')
        elif known and binding_id not in known:
            settings.problems.append(f"{path}: keymap {binding_id!r} is not a binding id (see the help, ? or F1)")
        else:
            settings.keymap[binding_id] = keys.replace(" ", "")
    return settings
