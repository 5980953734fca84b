"""Where the project's files live, independent of the current directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
PLAN_DIR = DATA_DIR / "plan"
HISTORY_DIR = DATA_DIR / "history"
DEFAULT_DB_PATH = DATA_DIR / "komae_kpi.duckdb"
DB_ENV_VAR = "KOMAE_KPI_DB"


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The store to use: --db if given, else $KOMAE_KPI_DB, else data/komae_kpi.duckdb.

    Read at call time, never at import, so tests and pages that set the variable see it.
    """
    if explicit:
        return Path(explicit).expanduser().absolute()
    from_env = os.environ.get(DB_ENV_VAR, "").strip()
    if from_env:
        # Absolute, so that a child process started in another directory means the same file.
        return Path(from_env).expanduser().absolute()
    return DEFAULT_DB_PATH
