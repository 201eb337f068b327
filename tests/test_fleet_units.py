"""The fleet's pure parts without a server: the targets file, choosing targets, the exit
code, and the runner's rules (a limit, one run per database, the canary, --fail-fast,
replicas) driven by jobs that are plain Python functions."""

from __future__ import annotations

import threading
import time

import pytest

from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.fleet.jobs import Job
from plinto_db.fleet.model import Finished, FleetRun, Standing, TargetRun, worst
from plinto_db.fleet.output import LiveLines
from plinto_db.fleet.runner import FleetOptions, Runner
from plinto_db.fleet.select import select_targets
from plinto_db.fleet.targets import Target, parse_targets, resolve
from plinto_db.report.fleet import fleet_document, totals_line


def _file(*tables: str) -> str:
    return "\n".join(f"[[target]]\n{body}\n" for body in tables)


def test_a_targets_file_reads_every_field():
    text = _file(
        'name = "eu-1"\ndsn = "dbname=a"\ntags = ["eu", "prod"]',
        'name = "eu-1-ro"\ndsn_env = "RO_DSN"\nrole = "replica"',
    )
    first, second = parse_targets(text, "f.toml")
    assert first == Target("eu-1", "dbname=a", None, "primary", ("eu", "prod"), "f.toml:1")
    assert second.replica and second.dsn_env == "RO_DSN" and second.where == "f.toml:6"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            _file('name = "a"\ndsn = "x"', 'name = "a"\ndsn = "y"'),
            "f.toml:5: duplicate target name 'a'",
        ),
        (
            _file('name = "a"\ndns = "x"'),
            "f.toml:3: unknown key 'dns' in a target; did you mean 'dsn'?",
        ),
        ("targets = 1\n" + _file('name = "a"\ndsn = "x"'), "f.toml:1: unknown key 'targets'"),
        (_file('name = "a"'), "f.toml:1: target 'a' gives neither dsn nor dsn_env"),
        (_file('name = "a"\ndsn = "x"\ndsn_env = "Y"'), "gives both dsn and dsn_env"),
        (_file('name = "a b"\ndsn = "x"'), "f.toml:2: name 'a b' is not a target name"),
        (_file('dsn = "x"'), "name missing"),
        (_file('name = "a"\ndsn = "x"\nrole = "standby"'), "f.toml:4: target 'a': role 'standby'"),
        (_file('name = "a"\ndsn = "x"\ntags = "eu"'), "tags must be a list of strings"),
        (_file('name = "a"\ndsn = ""'), "f.toml:3: target 'a': dsn must be a non-empty string"),
        ("", "f.toml:1: no targets"),
        ('[[target]]\nname = "a\n', "f.toml:2: not valid TOML"),
    ],
)
def test_a_bad_targets_file_is_one_error_at_its_line(text, says):
    with pytest.raises(UserError) as raised:
        parse_targets(text, "f.toml")
    assert says in raised.value.message


def test_resolve_reads_variables_and_refuses_an_unset_or_empty_one():
    targets = parse_targets(_file('name = "a"\ndsn_env = "A"', 'name = "b"\ndsn_env = "B"'), "f")
    assert [r.dsn for r in resolve(targets, {"A": " dbname=a ", "B": "dbname=b"})] == [
        "dbname=a",
        "dbname=b",
    ]
    with pytest.raises(UserError, match=r"f:5: target 'b': environment variable B is not set"):
        resolve(targets, {"A": "x"})
    with pytest.raises(UserError, match="environment variable B is empty"):
        resolve(targets, {"A": "x", "B": ""})


def test_target_and_tag_pick_the_union_in_file_order():
    targets = parse_targets(
        _file(
            'name = "a"\ndsn = "x"\ntags = ["eu"]',
            'name = "b"\ndsn = "x"\ntags = ["us"]',
            'name = "c"\ndsn = "x"\ntags = ["eu"]',
        ),
        "f",
    )
    assert [t.name for t in select_targets(targets)] == ["a", "b", "c"]
    assert [t.name for t in select_targets(targets, ("c", "b"))] == ["b", "c"]
    assert [t.name for t in select_targets(targets, ("b",), ("eu",))] == ["a", "b", "c"]
    with pytest.raises(UserError, match="did you mean 'a'"):
        select_targets(targets, ("aa",))
    with pytest.raises(UserError, match="tags in the file: eu, us"):
        select_targets(targets, (), ("asia",))


def test_the_worst_exit_code_ranks_failed_then_unusable_then_drift_then_blocked():
    assert worst([0, 4, 3]) == 3
    assert worst([4, 2, 3]) == 2
    assert worst([2, 1, 0]) == 1
    assert worst([]) == 0


def test_unstarted_targets_make_a_clean_fleet_exit_1():
    fleet = FleetRun("apply", [TargetRun("a", standing=Standing.OK, exit_code=0), TargetRun("b")])
    assert fleet.exit_code == 1
    assert totals_line(fleet).startswith("2 target(s): 1 ok, 1 not started; exit 1")


class Recorder:
    """A job of plain Python: how many run at once, on which databases, in what order."""

    def __init__(self, codes: dict[str, int] | None = None, *, writes: bool = True):
        self.codes = codes or {}
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.most = 0
        self.same_database_at_once = False
        self.order: list[str] = []
        self.job = Job("apply", writes, self.run)

    def run(self, dsn: str, sink) -> Finished:
        with self.lock:
            self.same_database_at_once |= self.running.get(dsn, 0) > 0
            self.running[dsn] = self.running.get(dsn, 0) + 1
            self.most = max(self.most, sum(self.running.values()))
            self.order.append(dsn)
        time.sleep(0.05)
        with self.lock:
            self.running[dsn] -= 1
        code = self.codes.get(dsn, 0)
        if code == 2:
            raise PlintoError(f"cannot connect to {dsn}")
        return Finished(code, "18.1", f"done on {dsn}", {"dsn": dsn})


def _run(recorder: Recorder, dsns: list[str], roles: dict[int, str] | None = None, **options):
    text = _file(
        *(
            f'name = "t{i}"\ndsn = "{dsn}"\nrole = "{(roles or {}).get(i, "primary")}"'
            for i, dsn in enumerate(dsns)
        )
    )
    targets = resolve(parse_targets(text, "f"), {})
    lines = LiveLines([t.name for t in targets], quiet=True, log_dir=None)
    return Runner(recorder.job, targets, FleetOptions(**options), lines).run()


def test_the_runner_keeps_to_the_limit_and_never_runs_two_on_one_database():
    recorder = Recorder()
    dsns = [f"host=/s dbname=d{i // 3}" for i in range(15)]  # each database three times in a row
    fleet = _run(recorder, dsns, parallel=4)
    assert recorder.most <= 4 and not recorder.same_database_at_once
    assert [r.standing for r in fleet.runs] == [Standing.OK] * 15 and fleet.exit_code == 0


def test_errors_of_one_target_leave_the_others_going_and_the_worst_code_wins():
    recorder = Recorder({"dbname=b": 2, "dbname=c": 3})
    fleet = _run(recorder, ["dbname=a", "dbname=b", "dbname=c", "dbname=d"], parallel=2)
    assert [r.exit_code for r in fleet.runs] == [0, 2, 3, 0]
    assert fleet.runs[1].error == "cannot connect to dbname=b" and fleet.runs[1].document is None
    assert fleet.exit_code == 2


def test_a_failed_canary_starts_nothing_else():
    recorder = Recorder({"dbname=a": 1})
    fleet = _run(recorder, ["dbname=a", "dbname=b", "dbname=c"], canary=1)
    assert recorder.order == ["dbname=a"]
    assert [r.standing for r in fleet.runs] == [Standing.FAILED, *[Standing.NOT_STARTED] * 2]
    assert fleet.runs[0].canary and "the canary failed on t0" in (fleet.stopped or "")


def test_fail_fast_starts_nothing_after_a_failure():
    recorder = Recorder({"dbname=b": 4})
    fleet = _run(recorder, ["dbname=a", "dbname=b", "dbname=c", "dbname=d"], parallel=1,
                 fail_fast=True)  # fmt: skip
    assert recorder.order == ["dbname=a", "dbname=b"]
    assert fleet.exit_code == 4 and fleet.count(Standing.NOT_STARTED) == 2


def test_a_replica_is_skipped_by_a_writing_job_and_run_by_a_reading_one():
    writing = _run(Recorder(), ["dbname=a", "host=ro dbname=a"], roles={1: "replica"}, canary=1)
    assert writing.runs[1].standing is Standing.SKIPPED and writing.runs[1].exit_code == 0
    reading = _run(Recorder(writes=False), ["dbname=a", "host=ro dbname=a"], roles={1: "replica"})
    assert reading.runs[1].standing is Standing.OK


def test_the_json_document_holds_each_target_s_own_document():
    fleet = _run(Recorder({"dbname=b": 2}), ["dbname=a", "dbname=b"])
    document = fleet_document(fleet)
    assert [t["name"] for t in document["targets"]] == ["t0", "t1"]
    assert document["targets"][0]["result"] == {"dsn": "dbname=a"}
    assert document["targets"][1]["exit_code"] == ExitCode.USAGE
    assert document["summary"]["exit_code"] == 2 and document["summary"]["error"] == 1
