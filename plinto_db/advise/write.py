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

from plinto_db.advise.model import AdviseRun, ExpectChange, Proposal, cost_text
from plinto_db.doctor.model import human_bytes
from plinto_db.errors import UserError
from plinto_db.pg.identifiers import quote_ident

if TYPE_CHECKING:
    from plinto_db.check.results import CheckResult, CheckRun
    from plinto_db.check.workload import Check, Expectation

HEADER = "-- plinto-db advise:"
HASH_LINE = re.compile(r"^-- body-sha256: ([0-9a-f]{64})$", re.MULTILINE)
_CONTINUATION = re.compile(r"^--\s{2,}\S")


def check_writable(path: Path, force: bool) -> None:
    """Refuse, before anything runs, a --write target advise must not overwrite."""
    if path.is_dir():
        raise UserError(
            f"--write {path}: is a folder; give a file name (e.g. indexes/50_advised.sql)"
        )
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


def catalog_text(run: AdviseRun, kept: str = "") -> str:
    """The file: header, the entries an earlier run wrote (`kept`, as they are), then the new
    proposals (those not already there by name)."""
    kept = kept.rstrip("\n")
    new = [p for p in run.proposals if f" {quote_ident(p.name)} ON " not in kept]
    body = kept + "".join(_entry(p) for p in new) + "\n"
    head = (
        f"{HEADER} index(es) for the checks in {run.checks_dir},\n"
        f"-- costed with {run.method} on {run.server}. Review, then `plinto-db apply`.\n"
        "-- advise rewrites this file while the hash below holds; edit a copy instead.\n"
        f"-- body-sha256: {_digest(body)}"
    )
    return head + body


def _entry(proposal: Proposal) -> str:
    served = ", ".join(
        f"{s.check} ({cost_text(s.before)} → {cost_text(s.after)}, -{s.gain:.0%})"
        for s in proposal.serves
    )
    size = human_bytes(proposal.size_bytes) if proposal.size_bytes is not None else "unknown"
    rules = ", ".join(proposal.candidate.rules) or "equality"
    also = f"\n-- also used by: {', '.join(proposal.also_used_by)}" if proposal.also_used_by else ""
    return (
        f"\n\n-- serves: {served}{also}\n-- rules: {rules}; estimated size: {size}\n{proposal.sql};"
    )


def write_catalog(run: AdviseRun, path: Path, *, force: bool) -> str:
    """Write (or extend: an earlier run's entries stay, apply may have built them) the file."""
    check_writable(path, force)  # again: it may have changed during the run
    kept = ""
    if path.exists() and not force:
        found = HASH_LINE.search(path.read_text(encoding="utf-8"))
        kept = path.read_text(encoding="utf-8")[found.end() :] if found else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalog_text(run, kept), encoding="utf-8")
    return str(path)


def update_expectations(
    run: AdviseRun, today: CheckRun, *, bundled: bool
) -> tuple[ExpectChange, ...]:
    """Name each proposal in the `-- expect:` lines of the checks it serves (never in the
    bundled workload, which belongs to the installed package)."""
    serving: dict[str, list[Proposal]] = {}
    using: dict[str, list[Proposal]] = {}
    for proposal in run.proposals:
        for item in proposal.serves:
            serving.setdefault(item.check, []).append(proposal)
        for name in proposal.also_used_by:
            using.setdefault(name, []).append(proposal)
    changes = []
    for result in today.results:
        served, used = serving.get(result.check.name, []), using.get(result.check.name, [])
        if not served and not used:
            continue
        if bundled:
            changes.append(_refused(result.check, "the bundled workload: give --checks DIR"))
            continue
        changes.append(_update_one(result, served, used))
    return tuple(c for c in changes if c is not None)


def _refused(check: Check, why: str) -> ExpectChange:
    return ExpectChange(check.name, str(check.file), check.line, (), (), False, why)


def _update_one(
    result: CheckResult, served: list[Proposal], used: list[Proposal]
) -> ExpectChange | None:
    """Served: its failing index expectations (and a `seqscan` gap on the table) become
    `index NEW`, or `index NEW` is added. Used without being served (a plan the new index
    takes over): each index expectation admits it (`any-of OLD, NEW`)."""
    from plinto_db.check.workload import parse_check

    check = result.check
    text = check.file.read_text(encoding="utf-8")
    try:
        now = parse_check(text, check.file)
    except UserError:
        now = None
    if now is None or now.expectations != check.expectations or now.sql != check.sql:
        return _refused(check, "the file changed since advise read it: not touched")
    lines = text.splitlines(keepends=True)
    edits: dict[int, list[str]] = {}
    named = {n for e in check.expectations if e.names_indexes for _, n in e.names}
    add = [f"-- expect: index {p.name}\n" for p in served if p.name not in named]
    replaced = [e for e in check.expectations if add and _replaced(e, result, served)]
    old = [f"-- expect: {e.describe()}" for e in replaced]
    extend = [p.name for p in used if p.name not in named and p not in served]
    for e in check.expectations:
        if extend and e.names_indexes and e not in replaced:
            edits[e.line - 1] = [f"-- expect: any-of {', '.join([*e.shown, *extend])}\n"]
            old.append(f"-- expect: {e.describe()}")
            _drop_continuations(edits, lines, e.line)
    for number, e in enumerate(replaced):
        edits[e.line - 1] = add if number == 0 else []
        _drop_continuations(edits, lines, e.line)
    if add and not replaced:
        last = _end_of(lines, check.expectations[-1].line)
        edits[last] = [*edits.get(last, [lines[last]]), *add]
    if not edits:
        return None
    out = [part for i, line in enumerate(lines) for part in edits.get(i, [line])]
    if out and not out[-1].endswith("\n") and text.endswith("\n"):
        out[-1] += "\n"
    check.file.write_text("".join(out), encoding="utf-8")
    new = tuple(x.rstrip("\n") for i in sorted(edits) for x in edits[i] if x not in lines)
    return ExpectChange(check.name, str(check.file), min(edits) + 1, tuple(old), new, True)


def _replaced(e: Expectation, result: CheckResult, served: list[Proposal]) -> bool:
    from plinto_db.check.judge import Verdict
    from plinto_db.check.workload import ExpectKind

    if e.names_indexes:
        return result.verdict is Verdict.FAIL
    tables = {p.candidate.table for p in served}
    return e.kind is ExpectKind.SEQSCAN and e.names[0][1] in tables


def _drop_continuations(edits: dict[int, list[str]], lines: list[str], line: int) -> None:
    """Drop the continuation lines of the directive on `line` (1-based)."""
    follow = line
    while follow < len(lines) and _CONTINUATION.match(lines[follow]):
        edits[follow] = []
        follow += 1


def _end_of(lines: list[str], line: int) -> int:
    """The 0-based index of the last line of the directive starting on `line`."""
    end = line - 1
    while end + 1 < len(lines) and _CONTINUATION.match(lines[end + 1]):
        end += 1
    return end
