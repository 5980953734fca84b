"""A new indicator column is one field in the model plus its migration (issue 9).

In a copy of the project, one field is added to Indicator, one migration adds its store column and
indicators.csv gets the column with values; nothing else is edited. The copy then loads the plan,
initialises a store, reads the plan back and exports the open data, and the new values must come
back from every step. A loader, writer, reader or export that spelled out Indicator's columns by
hand would drop the field (or fail to build an Indicator) and fail this test.
"""

from __future__ import annotations

import csv
import difflib
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from komae_kpi.common.paths import PROJECT_ROOT
from komae_kpi.plan.model import (
    Indicator,
    IndicatorValue,
    ItemStatus,
    ReferenceSeries,
    ReferenceValue,
    TableRecord,
    column_of,
    key_names,
    plan_parts,
)
from komae_kpi.store.connection import connect
from komae_kpi.store.record_changes import ChangeEntry
from komae_kpi.store.tables import stored_names

NEW_FIELD = (
    "    interim_target_value: float | None = field(\n"
    '        metadata=column("中間目標値", "令和9年度末の中間目標値（試験用の列）")\n'
    "    )\n"
)
# Indicator 1 and 3 get an interim target; the others leave the cell empty (None).
NEW_VALUES = {1: "73.2", 3: "89.5"}
MIGRATION_SQL = "ALTER TABLE indicators ADD COLUMN interim_target_value DOUBLE;\n"

# Runs inside the copy: every step through the copy's own komae_kpi and data/.
ROUND_TRIP = """
import csv, json, sys
from pathlib import Path

import komae_kpi
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.export import export_open_data
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.queries import read_plan

assert Path(komae_kpi.__file__).resolve().is_relative_to(Path.cwd().resolve()), komae_kpi.__file__
store = Path("kpi.duckdb")
loaded = load_plan()
init_store(store)
with connect(store, read_only=True) as con:
    stored = con.execute(
        "SELECT indicator_no, interim_target_value FROM indicators ORDER BY indicator_no"
    ).fetchall()
    read_back = read_plan(con)
export_open_data(load_snapshot(store), Path("open"))
with open("open/indicators.csv", encoding="utf-8-sig", newline="") as f:
    exported_csv = {int(r["indicator_no"]): r["interim_target_value"] for r in csv.DictReader(f)}
with open("open/data_dictionary.csv", encoding="utf-8-sig", newline="") as f:
    dictionary = [r for r in csv.reader(f) if r[1] == "interim_target_value"]
exported_json = json.loads(Path("open/indicators.json").read_text(encoding="utf-8"))
json.dump(
    {
        "loaded": {x.indicator_no: x.interim_target_value for x in loaded.indicators},
        "stored": dict(stored),
        "read_back": {x.indicator_no: x.interim_target_value for x in read_back.indicators},
        "exported_csv": exported_csv,
        "exported_json": {r["indicator_no"]: r["interim_target_value"] for r in exported_json},
        "dictionary": dictionary,
    },
    sys.stdout,
)
"""


def _copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.duckdb", "*.duckdb.wal")
    shutil.copytree(PROJECT_ROOT / "komae_kpi", target / "komae_kpi", ignore=ignore)
    shutil.copytree(PROJECT_ROOT / "data", target / "data", ignore=ignore)
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", target / "pyproject.toml")


def _add_field(model: Path) -> None:
    """Add NEW_FIELD after Indicator's last field (before its first method)."""
    text = model.read_text(encoding="utf-8")
    start = text.index("class Indicator:")
    end = min(text.index(marker, start) for marker in ("\n\n    @", "\n\n    def "))
    model.write_text(text[: end + 1] + NEW_FIELD + text[end + 1 :], encoding="utf-8")


def _add_migration(migrations: Path) -> Path:
    numbers = [
        int(m.group(1)) for p in migrations.iterdir() if (m := re.match(r"(\d{4})_", p.name))
    ]
    path = migrations / f"{max(numbers) + 1:04d}_indicator_interim_target.sql"
    path.write_text(MIGRATION_SQL, encoding="utf-8")
    return path


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _add_csv_column(indicators_csv: Path) -> None:
    rows = _read_rows(indicators_csv)
    header, body = rows[0], rows[1:]
    new = [[*header, "interim_target_value"]]
    new += [[*row, NEW_VALUES.get(int(row[0]), "")] for row in body]
    with indicators_csv.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(new)


def _changed_files(original: Path, copy: Path) -> tuple[set[str], set[str]]:
    """(changed, added) files of the copy against the project, as paths relative to the copy."""
    changed: set[str] = set()
    added: set[str] = set()
    for path in copy.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(copy).as_posix()
        source = original / relative
        if not source.exists():
            added.add(relative)
        elif not filecmp.cmp(source, path, shallow=False):
            changed.add(relative)
    return changed, added


def test_a_new_indicator_column_round_trips_with_one_field_and_one_migration(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "project"
    _copy_project(copy)
    model = copy / "komae_kpi" / "plan" / "model.py"
    _add_field(model)
    migration = _add_migration(copy / "komae_kpi" / "store" / "migrations")
    _add_csv_column(copy / "data" / "plan" / "indicators.csv")

    # The only edits: the field in model.py, the new migration, the column of indicators.csv.
    changed, added = _changed_files(PROJECT_ROOT, copy)
    assert changed == {"komae_kpi/plan/model.py", "data/plan/indicators.csv"}
    assert added == {migration.relative_to(copy).as_posix()}
    diff = list(
        difflib.unified_diff(
            (PROJECT_ROOT / "komae_kpi/plan/model.py").read_text(encoding="utf-8").splitlines(),
            model.read_text(encoding="utf-8").splitlines(),
            lineterm="",
            n=0,
        )
    )
    edits = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert edits == ["+" + line for line in NEW_FIELD.splitlines()]
    before = _read_rows(PROJECT_ROOT / "data/plan/indicators.csv")
    after = _read_rows(copy / "data/plan/indicators.csv")
    assert [row[:-1] for row in after] == before

    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("KOMAE_KPI_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)

    indicator_nos = [str(x) for x in range(1, 9)]
    want = {
        no: float(NEW_VALUES[int(no)]) if int(no) in NEW_VALUES else None for no in indicator_nos
    }
    assert got["loaded"] == want  # the plan file loader
    assert got["stored"] == want  # the store writer
    assert got["read_back"] == want  # the store reader
    assert got["exported_json"] == want  # the open data, JSON
    assert got["exported_csv"] == {no: NEW_VALUES.get(int(no), "") for no in indicator_nos}
    assert got["dictionary"] == [
        [
            "indicators.csv / indicators.json（指標）",
            "interim_target_value",
            "中間目標値",
            "数値",
            "令和9年度末の中間目標値（試験用の列）",
        ]
    ]


# --- the declarations agree with the store --------------------------------------------------------


def test_every_record_class_matches_its_store_table(store: Path) -> None:
    """Each stored field is a column of the record's table, and its key is the primary key."""
    entered: list[type[TableRecord]] = [
        IndicatorValue,
        ItemStatus,
        ReferenceSeries,
        ReferenceValue,
        ChangeEntry,
    ]
    with connect(store, read_only=True) as con:
        for record_type in [*(part for _, part in plan_parts()), *entered]:
            table = record_type.TABLE
            have = {
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                    [table],
                ).fetchall()
            }
            assert set(stored_names(record_type)) <= have, table
            (primary,) = con.execute(
                "SELECT constraint_column_names FROM duckdb_constraints()"
                " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                [table],
            ).fetchone() or ([],)
            assert list(primary) == key_names(record_type), table


def test_unpublished_indicator_fields_are_the_ones_the_export_derives_from() -> None:
    # measured_at is published as the dates it implies (baseline_as_of, target_as_of).
    unpublished = [f.name for f in fields(Indicator) if column_of(f).label is None]
    assert unpublished == ["measured_at"]
