"""A DSN that cannot be used is one line and exit 2: never its password, even from DSNs
libpq cannot parse, and an explicitly empty --dsn never falls back to the embedded server."""

from __future__ import annotations

import pytest

from plinto_db.errors import UserError
from plinto_db.pg.connect import parse_dsn
from plinto_db.settings import resolve_target

SECRET = "t0pS3cret"


UNPARSABLE = [
    f"mysql://alice:{SECRET}@h/db",  # not a URL libpq knows: read as key=value
    f"postgresql://alice:{SECRET}@[::1/db",  # unterminated IPv6 host
    f"postgresql://alice:{SECRET}%zz@h/db",  # bad percent-encoding next to the password
    f"host=h password={SECRET} port",  # key without a value
    f"host=h password='{SECRET} port=5",  # unterminated quote
]


@pytest.mark.parametrize("dsn", UNPARSABLE)
def test_a_malformed_dsn_never_echoes_its_password(dsn):
    with pytest.raises(UserError) as caught:
        parse_dsn(dsn)
    message = str(caught.value)
    assert message.startswith("malformed connection string")
    assert SECRET not in message and "\n" not in message


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://alice:{SECRET}@db.example:notaport/app",
        f"host=db.example port=70000 password={SECRET}",
        "postgresql://alice@h1:5432,h2:x5433/app",
    ],
)
def test_a_bad_port_is_named_not_blamed_on_the_host(dsn):
    with pytest.raises(UserError) as caught:
        parse_dsn(dsn)
    message = str(caught.value)
    assert message.startswith("malformed connection string: port "), message
    assert "is not a number from 1 to 65535" in message and SECRET not in message


def test_a_list_of_ports_with_a_default_is_accepted():
    assert parse_dsn("host=h1,h2 port=5432,")["port"] == "5432,"


@pytest.mark.parametrize("dsn", UNPARSABLE[:3])
def test_cli_malformed_dsn_one_line_without_password(run_cli, dsn):
    result = run_cli("migrate", "--dsn", dsn)
    assert result.returncode == 2, result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_explicitly_empty_dsn_is_an_error_not_the_embedded_server(monkeypatch):
    # `--dsn "$PROD_DSN"` with the variable unset must not quietly use another database
    monkeypatch.delenv("PLINTO_DB_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for empty in ("", "   "):
        with pytest.raises(UserError, match="--dsn"):
            resolve_target(empty)


def test_cli_empty_dsn_exits_2_and_starts_nothing(run_cli, tmp_path):
    data_dir = tmp_path / "must-not-be-created"
    try:
        result = run_cli("migrate", "--dsn", "", "--data-dir", str(data_dir))
    finally:
        from plinto_db.server import embedded

        embedded.stop(data_dir)
    assert result.returncode == 2, result.stderr
    assert "--dsn" in result.stderr and not data_dir.exists()
