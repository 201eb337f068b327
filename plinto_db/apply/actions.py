"""What apply does, as data: the state found for a catalog index, the actions planned for
it and the steps (exact SQL) each action runs. Pure: the planner (plan.py, partitions.py)
makes them, the executor runs them, --dry-run prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from plinto_db.apply.state import Relation
from plinto_db.catalog.spec import IndexSpec


class State(StrEnum):
    """What `status` and the planner found for one catalog index."""

    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    BUILDING = "building"
    DRIFTED = "drifted"
    NAME_TAKEN = "name-taken"
    # valid, but its definition could not be compared: a read-only server (a hot standby)
    # cannot normalise the catalog's definition, and no shape was recorded by apply
    UNVERIFIED = "unverified"
    # a partitioned index not valid yet: some partitions have no index attached under it
    PARTIAL = "partial"


UNVERIFIED_REASON = (
    "valid, but its definition was not compared with the catalog: this server is read-only "
    "and no shape of it is recorded (run `plinto-db apply` on the primary once: it records "
    "the catalog's shapes, which replicate)"
)


class ActionKind(StrEnum):
    CREATE = "create"
    SKIP = "skip"
    REBUILD_INVALID = "rebuild-invalid"
    WAIT = "wait"
    REPLACE_DRIFTED = "replace-drifted"
    REFUSE_DRIFTED = "refuse-drifted"
    DROP_LEFTOVER = "drop-leftover"
    DROP = "drop"
    RESUME = "resume"  # a partitioned index some of whose partitions are done
    ATTACH = "attach"  # a partition's existing matching index, attached instead of built


class StepKind(StrEnum):
    BUILD = "build"  # CREATE INDEX CONCURRENTLY: no lock_timeout, no statement_timeout
    DROP = "drop"  # DROP INDEX CONCURRENTLY: short lock_timeout, retried
    SWAP = "swap"  # two renames in one transaction: short lock_timeout, retried
    ANALYZE = "analyze"  # statistics for a new expression index
    PARENT = "parent"  # CREATE INDEX ON ONLY a partitioned table: short lock, retried
    ATTACH = "attach"  # ALTER INDEX ... ATTACH PARTITION: short lock, retried


@dataclass(frozen=True)
class Step:
    kind: StepKind
    statements: tuple[str, ...]  # one statement per execute; several only for SWAP
    index: str  # the index this step creates or drops (unquoted name)
    qualified: str = ""  # the same, schema-qualified and quoted
    # a failure is reported, not fatal: the action's work is done without it
    optional: bool = False
    # a BUILD's own undo: drops the INVALID index a failed or cancelled build leaves (F3)
    cleanup: Step | None = None
    why: str = ""  # what --dry-run says about an optional step

    @property
    def sql(self) -> str:
        return ";\n".join(self.statements)


@dataclass(frozen=True)
class Action:
    name: str  # catalog index name (or the leftover's name)
    table: str  # qualified table
    kind: ActionKind
    state: State | None
    steps: tuple[Step, ...] = ()
    reason: str = ""
    table_oid: int = 0
    table_pages: int = field(default=0, compare=False)
    spec: IndexSpec | None = field(default=None, compare=False)
    # WAIT: the index another session is building (the executor polls for its end by oid)
    relation: Relation | None = field(default=None, compare=False)
    # a partitioned catalog index is planned as several actions: `group` is its catalog
    # name, `target` the qualified index an action creates, `needs` the targets that must
    # exist before it runs (its parent's index), `position` "n of N" among its partitions
    group: str = ""
    target: str = ""
    needs: tuple[str, ...] = ()
    position: str = ""

    @property
    def changes_anything(self) -> bool:
        return bool(self.steps) or self.kind == ActionKind.WAIT

    @property
    def catalog_name(self) -> str:
        return self.group or self.name


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]

    @property
    def work(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.changes_anything)

    @property
    def refused(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind == ActionKind.REFUSE_DRIFTED)


class NameTaken(Exception):
    """A catalog name belongs to a relation that is not an index on that table."""

    def __init__(self, spec: IndexSpec, relation: Relation):
        table = f" on {relation.table.qualified}" if relation.table else ""
        super().__init__(
            f"{spec.location}: index name {spec.name!r} is already taken by "
            f"{relation.kind_name} {relation.qualified}{table}"
        )
