"""Writing advise's result: a catalog file `apply` reads, and the checks' `-- expect:` lines.

The catalog file carries a hash of its body: a later run rewrites it only while the hash
holds, so a hand edit is never overwritten silently (`--force` to overwrite). A check file is
rewritten only when it still says what advise read at the start of the run, and every change
is reported (file:line, old → new).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from plinto_db.advise.model import AdviseRun, ExpectChange, Proposal
from plinto_db.errors import UserError
from plinto_db.doctor.model import human_bytes

if TYPE_CHECKING:
    from plinto_db.check.results import CheckResult, CheckRun
    from plinto_db.check.workload import Check, Expectation

HEADER = "-- plinto-db advise:"
HASH_LINE = re.compile(r"^-- body-sha256: ([0-9a-f]{64})$", re.MULTILINE)
_CONTINUATION = re.compile(r"^--\s{2,}\S")


def check_writable(path: Path, force: bool) -> None:
    """Refuse, before anything runs, a --write target advise must not overwrite."""
    if path.is_dir():
        raise UserError(f"--write {path}: is a folder; give a file name (e.g. indexes/50_advised.sql)")
    if path.suffix != ".sql":
        raise UserError(f"--write {path}: a catalog file must end in .sql (apply reads *.sql)")
    if not path.exists() or force:
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.startswith(HEADER):
        raise UserError(
            f"--write {path}: the file exists and was not written by advise; "
            "choose another name, or pass --force to replace it"
        )
    found = HASH_LINE.search(text)
    body = text[found.end() :] if found else ""
    if not found or _digest(body) != found.group(1):
        raise UserError(
            f"--write {path}:1: edited by hand since advise wrote it; keep your edits in "
            "another file, or pass --force to replace it"
        )


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def catalog_text(run: AdviseRun) -> str:
    body = "".join(_entry(p) for p in run.proposals)
    head = (
        f"{HEADER} {len(run.proposals)} index(es) for the checks in {run.checks_dir},\n"
        f"-- costed with {run.method} on {run.server}. Review, then `plinto-db apply`.\n"
        "-- advise rewrites this file while the hash below holds; edit a copy instead.\n"
        f"-- body-sha256: {_digest(body)}"
    )
    return head + body


def _entry(proposal: Proposal) -> str:
    served = ", ".join(
        f"{s.check} ({s.before:,.0f} → {s.after:,.0f}, -{s.gain:.0%})" for s in proposal.serves
    )
    size = human_bytes(proposal.size_bytes) if proposal.size_bytes is not None else "unknown"
    rules = ", ".join(proposal.candidate.rules) or "equality"
    return (
        f"\n\n-- serves: {served}\n"
        f"-- rules: {rules}; estimated size: {size}\n"
        f"{proposal.sql};"
    )


def write_catalog(run: AdviseRun, path: Path, *, force: bool) -> str:
    check_writable(path, force)  # again: it may have changed during the run
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalog_text(run) + "\n", encoding="utf-8")
    return str(path)


def update_expectations(
    run: AdviseRun, today: CheckRun, *, bundled: bool
) -> tuple[ExpectChange, ...]:
    """Name each proposal in the `-- expect:` lines of the checks it serves (never in the
    bundled workload, which belongs to the installed package)."""
    serving: dict[str, list[Proposal]] = {}
    for proposal in run.proposals:
        for item in proposal.serves:
            serving.setdefault(item.check, []).append(proposal)
    changes = []
    for result in today.results:
        proposals = serving.get(result.check.name)
        if not proposals:
            continue
        if bundled:
            changes.append(_refused(result.check, "the bundled workload: give --checks DIR"))
            continue
        changes.append(_update_one(result, proposals))
    return tuple(c for c in changes if c is not None)


def _refused(check: Check, why: str) -> ExpectChange:
    return ExpectChange(check.name, str(check.file), check.line, (), (), False, why)


def _update_one(result: CheckResult, proposals: list[Proposal]) -> ExpectChange | None:
    from plinto_db.check.judge import Verdict
    from plinto_db.check.workload import ExpectKind, parse_check

    check = result.check
    text = check.file.read_text(encoding="utf-8")
    try:
        now = parse_check(text, check.file)
    except UserError:
        now = None
    if now is None or now.expectations != check.expectations or now.sql != check.sql:
        return _refused(check, "the file changed since advise read it: not touched")
    named = {n for e in check.expectations if e.names_indexes for _, n in e.names}
    new = [f"-- expect: index {p.name}" for p in proposals if p.name not in named]
    if not new:
        return None
    tables = {p.candidate.table for p in proposals}

    def replaced(e: Expectation) -> bool:
        if e.names_indexes:
            return result.verdict is Verdict.FAIL
        return e.kind is ExpectKind.SEQSCAN and e.names[0][1] in tables

    old = [e for e in check.expectations if replaced(e)]
    lines = text.splitlines(keepends=True)
    newline = "\n" if not lines or lines[0].endswith("\n") else ""
    at = (old[0].line if old else check.expectations[-1].line + 1) - 1
    drop = set()
    for e in old:
        drop.add(e.line - 1)
        follow = e.line
        while follow < len(lines) and _CONTINUATION.match(lines[follow]):
            drop.add(follow)
            follow += 1
    if not old:  # after the last expectation and its continuation lines
        while at < len(lines) and _CONTINUATION.match(lines[at]):
            at += 1
    inserted = [line + (newline or "\n") for line in new]
    out = [line for i, line in enumerate(lines[:at]) if i not in drop]
    out += inserted + [line for i, line in enumerate(lines[at:], start=at) if i not in drop]
    check.file.write_text("".join(out), encoding="utf-8")
    return ExpectChange(
        check.name,
        str(check.file),
        at + 1 - sum(1 for i in drop if i < at),
        tuple(f"-- expect: {e.describe()}" for e in old),
        tuple(new),
        True,
    )
