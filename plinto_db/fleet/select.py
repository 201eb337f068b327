"""--target NAME and --tag TAG: which targets of the file run. Pure.

A target runs when --target names it or it carries any --tag; with neither, all run.
A name or tag that picks nothing is an error (a typo must not quietly run nothing).
"""

from __future__ import annotations

import difflib

from plinto_db.errors import UserError
from plinto_db.fleet.targets import Target


def select_targets(
    targets: tuple[Target, ...], names: tuple[str, ...] = (), tags: tuple[str, ...] = ()
) -> tuple[Target, ...]:
    known = [t.name for t in targets]
    for name in names:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise UserError(f"--target {name}: no target of that name in the targets file{hint}")
    all_tags = sorted({tag for t in targets for tag in t.tags})
    for tag in tags:
        if tag not in all_tags:
            listed = ", ".join(all_tags) or "none"
            raise UserError(f"--tag {tag}: no target carries it (tags in the file: {listed})")
    if not names and not tags:
        return targets
    return tuple(t for t in targets if t.name in names or set(t.tags) & set(tags))
