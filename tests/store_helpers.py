"""Reading a whole store back, to prove that an operation changed nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, in a fresh read-only connection."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()
