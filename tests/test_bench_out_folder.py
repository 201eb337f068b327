"""`--out` of bench and demo is settled before anything connects (PG15, PG18): a path that
cannot be a folder is one line and exit 2, with the catalog, the ledger and the embedded
server untouched; a folder that can be made is made up front, parents included, and a run
that ends before writing into it leaves no empty folder behind."""

from __future__ import annotations

import psycopg
from test_bench_refusals import QUICK, one_line
from test_bench_support import SMALL, apply_some, catalog_states, run


def ledger_rows(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('plinto_db.apply_ledger')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT count(*) FROM plinto_db.apply_ledger").fetchone()[0]


def test_an_out_path_that_cannot_be_a_folder_is_refused_before_the_catalog_changes(
    new_db, tmp_path
):
    dsn = new_db("seeded")
    apply_some(dsn, ["idx_sessions_user_id"])
    found, recorded = catalog_states(dsn), ledger_rows(dsn)
    (tmp_path / "afile").write_text("not a folder\n")
    for out, words in (
        ("afile", "--out afile: this is a file, not a folder"),
        ("afile/b/c", "--out afile/b/c: afile is a file, not a folder"),
    ):
        done = run(tmp_path, "bench", "--dsn", dsn, "--yes", *QUICK, *SMALL, "--out", out)
        assert done.returncode == 2, done.stderr
        assert one_line(done.stderr) == f"plinto-db: error: {words}"
        assert "dropping" not in done.stderr and "timing" not in done.stderr
    assert ledger_rows(dsn) == recorded  # no drop, no rebuild
    assert catalog_states(dsn) == found
    assert (tmp_path / "afile").read_text() == "not a folder\n"


def test_the_out_folder_is_made_with_its_parents_and_holds_the_report(new_db, tmp_path):
    dsn = new_db("seeded")
    out = tmp_path / "new" / "deep" / "folder"
    done = run(tmp_path, "bench", "--dsn", dsn, "--yes", *QUICK, *SMALL, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "report.md").is_file() and (out / "results.json").is_file()


def test_a_refused_run_leaves_no_empty_out_folder_behind(new_db, tmp_path):
    dsn = new_db("seeded")
    done = run(tmp_path, "bench", "--dsn", dsn, *QUICK, *SMALL, "--out", "new/folder")
    assert done.returncode == 2  # not the embedded server, no --yes
    assert "--yes" in one_line(done.stderr)
    assert not (tmp_path / "new").exists()
    default = run(tmp_path, "bench", "--dsn", dsn, *QUICK, *SMALL)
    assert default.returncode == 2
    assert not (tmp_path / "plinto-bench").exists()


def test_demo_refuses_an_out_file_before_starting_the_server(tmp_path):
    (tmp_path / "afile").write_text("")
    data_dir = tmp_path / "pgdata"
    done = run(
        tmp_path,
        "demo",
        "--data-dir",
        str(data_dir),
        "--users",
        "100",
        "--out",
        "afile",
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert one_line(done.stderr) == "plinto-db: error: --out afile: this is a file, not a folder"
    assert done.stdout == ""
    assert not data_dir.exists()  # no server started, nothing seeded
