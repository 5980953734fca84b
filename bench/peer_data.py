"""Peer data for the benchmarks: the seven shared years of the ministry's 主要財政指標一覧, and a
synthetic 30 years of every municipality (each value of the latest shared year moved a little at
random, a year at a time: the same entities and indicators, thirty times over)."""

from __future__ import annotations

import random
from pathlib import Path

from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.peer_import import apply_peer_import, plan_changes
from komae_kpi.imports.peer_workbooks import PeerRow, PeerWorkbook, read_peer_workbook
from komae_kpi.store.connection import connect, transaction
from komae_kpi.store.peers import read_entities, write_entities, write_values

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "soumu-shuyo-zaisei-shihyo"


def shared_workbooks() -> list[ImportSource]:
    """The 14 shared files (seven years, city and prefecture averages)."""
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is missing: the benchmark reads the shared workbooks")
    return [
        ImportSource(name=f"{p.parent.name}_{p.name}", data=p.read_bytes())
        for p in sorted(SHARED.glob("*/*"))
        if p.suffix in (".xls", ".xlsx")
    ]


def import_shared(db: Path) -> None:
    apply_peer_import(db, shared_workbooks(), user="bench")


def import_synthetic(db: Path, years: int = 30, seed: int = 7) -> int:
    """Thirty fiscal years ending in the latest shared one, every municipality and average;
    returns how many values were written."""
    rng = random.Random(seed)
    latest = [s for s in shared_workbooks() if s.name.endswith("R3.xlsx")]
    books = [read_peer_workbook(s.name, s.data) for s in latest]
    synthetic: list[PeerWorkbook] = []
    for book in books:
        for back in range(years):
            year = book.fiscal_year - back
            rows = tuple(
                PeerRow(
                    row_number=row.row_number,
                    code=row.code,
                    prefecture=row.prefecture,
                    name=row.name,
                    values={
                        k: None if v is None else round(v * (1 + rng.uniform(-0.05, 0.05)), 2)
                        for k, v in row.values.items()
                    },
                )
                for row in book.rows
            )
            synthetic.append(
                PeerWorkbook(
                    file_name=f"synthetic_{year}_{book.file_name}",
                    sha256=book.sha256,
                    sheet=book.sheet,
                    kind=book.kind,
                    fiscal_year=year,
                    indicators=book.indicators,
                    rows=rows,
                )
            )
    # The national average differs between the two synthetic files of a year: keep the city's.
    synthetic = [
        b
        if b.kind == "city"
        else PeerWorkbook(
            file_name=b.file_name,
            sha256=b.sha256,
            sheet=b.sheet,
            kind=b.kind,
            fiscal_year=b.fiscal_year,
            indicators=b.indicators,
            rows=tuple(r for r in b.rows if r.prefecture != "全国"),
        )
        for b in synthetic
    ]
    with connect(db, read_only=False) as con:
        changes = plan_changes(read_entities(con), [], synthetic)
        assert changes.ok, changes.problems[:3]
        with transaction(con):
            write_entities(con, changes.added, changes.coded)
            write_values(con, changes.values)
    return len(changes.values)
