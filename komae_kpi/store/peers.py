"""Peer context in the store: the municipalities and averages of 総務省「地方公共団体の主要財政指標一覧」
(CC BY 4.0) and their values by fiscal year, each value with the file it came from.

The workbooks are read in imports/peer_workbooks.py and matched to entities in
imports/peer_import.py; this module holds the tables' records, reads them and writes a prepared
change in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from komae_kpi.store.connection import fetch_all, next_id

EntityKind = Literal["municipality", "prefecture_average", "national_average"]
# The indicators of the ministry's tables, by their headers, in the order its columns come in.
PEER_INDICATORS: tuple[str, ...] = (
    "財政力指数",
    "経常収支比率",
    "実質公債費比率",
    "将来負担比率",
    "起債制限比率",
    "ラスパイレス指数",
    "ラスパイレス指数参考値",
)
NATIONAL = "全国"
AVERAGE_NAME = "市町村平均"


@dataclass(frozen=True, kw_only=True)
class PeerEntity:
    entity_id: int
    kind: EntityKind
    code: str | None  # 6-digit 団体コード; None for an average or a municipality known without one
    prefecture: str  # 都道府県名, 「全国」 for the national average
    name: str  # 団体名, 「市町村平均」 for an average


@dataclass(frozen=True, kw_only=True)
class PeerValue:
    fiscal_year: int
    entity_id: int
    indicator: str  # the ministry's header: 経常収支比率 …
    value: float | None  # None: published as not computed
    source_file: str
    source_sha256: str
    source_sheet: str


@dataclass(frozen=True, kw_only=True)
class PeerImportEntry:
    """One file of one import, for peer_imports."""

    file_name: str
    file_sha256: str
    sheet: str
    workbook_kind: str
    fiscal_year: int
    rows_read: int
    values_new: int
    values_changed: int


def read_entities(con: duckdb.DuckDBPyConnection) -> list[PeerEntity]:
    return [
        PeerEntity(entity_id=i, kind=k, code=c, prefecture=p, name=n)
        for i, k, c, p, n in fetch_all(
            con,
            "SELECT entity_id, kind, code, prefecture, name FROM peer_entities ORDER BY entity_id",
        )
    ]


def read_values(
    con: duckdb.DuckDBPyConnection,
    *,
    fiscal_years: Sequence[int] | None = None,
    entity_ids: Sequence[int] | None = None,
) -> list[PeerValue]:
    """Values, by fiscal year, entity and indicator; only these years or entities if given."""
    where: list[str] = []
    params: list[object] = []
    for column, wanted in (("fiscal_year", fiscal_years), ("entity_id", entity_ids)):
        if wanted is not None:
            where.append(f"{column} IN ({', '.join('?' * len(wanted))})" if wanted else "false")
            params.extend(wanted)
    sql = (
        "SELECT fiscal_year, entity_id, indicator, value, source_file, source_sha256, source_sheet"
        " FROM peer_values"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY fiscal_year, entity_id, indicator"
    )
    return [
        PeerValue(
            fiscal_year=y,
            entity_id=e,
            indicator=i,
            value=v,
            source_file=f,
            source_sha256=h,
            source_sheet=s,
        )
        for y, e, i, v, f, h, s in fetch_all(con, sql, params)
    ]


def peer_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        int(r[0]) for r in fetch_all(con, "SELECT DISTINCT fiscal_year FROM peer_values ORDER BY 1")
    ]


def write_entities(
    con: duckdb.DuckDBPyConnection, added: Sequence[PeerEntity], coded: Sequence[PeerEntity]
) -> None:
    """Add new entities, and give known ones the code a later workbook names."""
    if added:
        con.executemany(
            "INSERT INTO peer_entities (entity_id, kind, code, prefecture, name) VALUES (?, ?, ?, ?, ?)",
            [[e.entity_id, e.kind, e.code, e.prefecture, e.name] for e in added],
        )
    if coded:
        con.executemany(
            "UPDATE peer_entities SET code = ? WHERE entity_id = ?",
            [[e.code, e.entity_id] for e in coded],
        )


def write_values(con: duckdb.DuckDBPyConnection, values: Sequence[PeerValue]) -> None:
    """Insert or replace values (each with its source), in one statement: 60,000 values of seven
    years take a moment as one table, minutes as as many single inserts."""
    if not values:
        return
    # pandas (about half a second and 80 MB to load) only here, where values are written: the
    # readers of this module, and an import refused before it writes, never need it.
    import pandas as pd

    frame = pd.DataFrame(
        {
            "fiscal_year": [v.fiscal_year for v in values],
            "entity_id": [v.entity_id for v in values],
            "indicator": [v.indicator for v in values],
            "value": pd.array([v.value for v in values], dtype="Float64"),
            "source_file": [v.source_file for v in values],
            "source_sha256": [v.source_sha256 for v in values],
            "source_sheet": [v.source_sheet for v in values],
        }
    )
    con.register("incoming_peer_values", frame)
    try:
        con.execute(
            "INSERT OR REPLACE INTO peer_values (fiscal_year, entity_id, indicator, value,"
            " source_file, source_sha256, source_sheet) SELECT fiscal_year, entity_id, indicator,"
            " value, source_file, source_sha256, source_sheet FROM incoming_peer_values"
        )
    finally:
        con.unregister("incoming_peer_values")


def log_import(
    con: duckdb.DuckDBPyConnection, entries: Sequence[PeerImportEntry], *, user: str
) -> None:
    import_id = next_id(con, "peer_imports", "import_id")
    now = dt.datetime.now()
    con.executemany(
        "INSERT INTO peer_imports (import_id, seq, imported_at, imported_by, file_name,"
        " file_sha256, sheet, workbook_kind, fiscal_year, rows_read, values_new, values_changed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                import_id,
                seq,
                now,
                user,
                e.file_name,
                e.file_sha256,
                e.sheet,
                e.workbook_kind,
                e.fiscal_year,
                e.rows_read,
                e.values_new,
                e.values_changed,
            ]
            for seq, e in enumerate(entries, start=1)
        ],
    )
