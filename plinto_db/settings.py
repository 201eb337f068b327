"""Where to connect: the --dsn flag, then PLINTO_DB_DSN, then DATABASE_URL, else embedded."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DSN_ENV_VARS = ("PLINTO_DB_DSN", "DATABASE_URL")
DATA_DIR_ENV_VAR = "PLINTO_DB_DATA_DIR"
EMBEDDED_DATABASE = "plinto"

# SQLAlchemy-style URLs (postgresql+psycopg://) are common in DATABASE_URL; libpq wants postgresql://
_DRIVER_SUFFIX = re.compile(r"^(postgres(?:ql)?)\+\w+://")


@dataclass(frozen=True)
class Target:
    """A resolved connection target: an explicit DSN, or the embedded server's data dir."""

    dsn: str | None
    source: str  # "--dsn", "PLINTO_DB_DSN", "DATABASE_URL" or "embedded"
    data_dir: Path

    @property
    def embedded(self) -> bool:
        return self.dsn is None


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("plinto-db")) / "pgdata"


def resolve_data_dir(flag: Path | None) -> Path:
    if flag is not None:
        return flag.expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


def resolve_target(dsn_flag: str | None, data_dir_flag: Path | None = None) -> Target:
    data_dir = resolve_data_dir(data_dir_flag)
    if dsn_flag is not None and not dsn_flag.strip():
        # `--dsn "$PROD_DSN"` with the variable unset must not quietly use another database
        from plinto_db.errors import UserError

        raise UserError("--dsn is empty: give a connection string, or leave the option out")
    if dsn_flag:
        return Target(normalise_dsn(dsn_flag), "--dsn", data_dir)
    for var in DSN_ENV_VARS:
        value = os.environ.get(var)
        if value:
            return Target(normalise_dsn(value), var, data_dir)
    return Target(None, "embedded", data_dir)


def normalise_dsn(dsn: str) -> str:
    return _DRIVER_SUFFIX.sub(r"\1://", dsn.strip())
