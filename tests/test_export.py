"""init then export reproduces the plan exactly; the files are what a spreadsheet user expects."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import pytest

from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.export import TABLES, Column, _table, data_dictionary, export_open_data
from komae_kpi.plan.model import column
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_item_status
from tests import plan_expectations as expected

REQUIRED_COLUMNS = {
    "indicators": [
        "indicator_no",
        "name",
        "unit",
        "baseline_fiscal_year",
        "baseline_value",
        "target_fiscal_year",
        "target_value",
        "comparator",
    ],
    "indicator_values": ["indicator_no", "fiscal_year", "value", "source", "note"],
    "items": [
        "item_no",
        "name",
        "policy_no",
        "direction_no",
        "program_no",
        "program_name",
        "departments",
        "repost_of",
    ],
    "item_statuses": ["item_no", "fiscal_year", "status", "achievements", "issues", "next_steps"],
}


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no BOM"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def exported(store: Path, tmp_path: Path) -> Path:
    out = tmp_path / "open-data"
    export_open_data(load_snapshot(store), out)
    return out


def test_required_columns_come_first_in_the_agreed_order(exported: Path) -> None:
    for stem, columns in REQUIRED_COLUMNS.items():
        with (exported / f"{stem}.csv").open(encoding="utf-8-sig") as f:
            header = next(csv.reader(f))
        assert header[: len(columns)] == columns


def test_every_item_is_exported_as_in_the_plan(exported: Path) -> None:
    rows = {int(r["item_no"]): r for r in read_csv(exported / "items.csv")}
    programs = dict(line.split("|") for line in expected.PROGRAMS.strip().splitlines())
    assert sorted(rows) == list(range(1, 63))
    for no, (p, d, g), name, printed_departments in expected.items():
        row = rows[no]
        shown = row["name"] + ("(再掲)" if row["repost_of"] else "")
        assert shown == name, no
        assert (int(row["policy_no"]), int(row["direction_no"]), int(row["program_no"])) == (
            p,
            d,
            g,
        )
        assert row["program_name"] == programs[f"{p}-{d}-{g}"]
        assert row["departments"].split("・") == expected.split_departments(printed_departments), no
        assert row["repost_of"] == ("8" if no == 60 else ""), no


def test_every_indicator_is_exported_as_in_the_plan(exported: Path) -> None:
    rows = {int(r["indicator_no"]): r for r in read_csv(exported / "indicators.csv")}
    assert sorted(rows) == list(range(1, 9))
    for line in expected.INDICATORS.strip().splitlines():
        no, name, unit, baseline, target, comparator = line.split("|")
        row = rows[int(no)]
        assert (row["name"], row["unit"], row["comparator"]) == (name, unit, comparator)
        assert float(row["baseline_value"]) == float(baseline)
        assert float(row["target_value"]) == float(target)
        assert (row["baseline_fiscal_year"], row["target_fiscal_year"]) == ("2023", "2029")
    assert rows[2]["baseline_as_of"] == "2024-04-01" and rows[2]["target_as_of"] == "2030-04-01"
    assert rows[3]["kind"] == "guardrail" and rows[1]["kind"] == "improvement"


def test_values_keep_their_sources(exported: Path) -> None:
    rows = read_csv(exported / "indicator_values.csv")
    ratio = [r for r in rows if r["indicator_no"] == "3"]
    assert [int(r["fiscal_year"]) for r in ratio] == list(range(2005, 2024))
    assert all(r["source"] for r in rows)
    assert next(r for r in ratio if r["fiscal_year"] == "2023")["value"] == "87.3"


def test_json_holds_the_same_rows_as_csv(exported: Path) -> None:
    for table in TABLES:
        from_csv = read_csv(exported / f"{table.file_stem}.csv")
        from_json = json.loads((exported / f"{table.file_stem}.json").read_text(encoding="utf-8"))
        assert len(from_json) == len(from_csv)
        for a, b in zip(from_csv, from_json, strict=True):
            # CSV cells are guarded against formula execution; JSON keeps the raw values.
            assert a == {k: "" if v is None else str(spreadsheet_safe(v)) for k, v in b.items()}


def test_the_data_dictionary_describes_every_column_in_japanese(exported: Path) -> None:
    rows = read_csv(exported / "data_dictionary.csv")
    described = {(r["ファイル"].split(" ")[0], r["列名"]) for r in rows}
    for table in TABLES:
        with (exported / f"{table.file_stem}.csv").open(encoding="utf-8-sig") as f:
            for column in next(csv.reader(f)):
                assert (f"{table.file_stem}.csv", column) in described
    assert all(r["項目名"] and r["説明"] for r in rows)


def test_cells_a_spreadsheet_would_run_are_neutralised(store: Path, tmp_path: Path) -> None:
    save_item_status(
        store,
        1,
        2025,
        "順調",
        achievements='=HYPERLINK("http://example.invalid")',
        issues="-1件",
        next_steps="@SUM(A1)",
    )
    out = tmp_path / "out"
    export_open_data(load_snapshot(store), out)
    row = read_csv(out / "item_statuses.csv")[0]
    assert row["achievements"].startswith("'=")
    assert row["issues"] == "'-1件"
    assert row["next_steps"] == "'@SUM(A1)"
    assert spreadsheet_safe(-1.5) == -1.5  # numbers are not text and stay numbers
    raw = json.loads((out / "item_statuses.json").read_text(encoding="utf-8"))[0]
    assert raw["issues"] == "-1件" and raw["next_steps"] == "@SUM(A1)"


def test_texts_aliases_and_notes_survive_init_and_export(exported: Path) -> None:
    plan = load_plan()
    items = {int(r["item_no"]): r for r in read_csv(exported / "items.csv")}
    for item in plan.items:
        assert items[item.item_no]["text"] == item.text
        assert items[item.item_no]["alias"] == (item.alias or "")
    indicators = {int(r["indicator_no"]): r for r in read_csv(exported / "indicators.csv")}
    for x in plan.indicators:
        assert indicators[x.indicator_no]["description"] == (x.description or "")
        assert indicators[x.indicator_no]["note"] == (x.note or "")


def test_a_demo_stores_export_says_it_is_demo_data(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    out = tmp_path / "demo-export"
    export_open_data(load_snapshot(db), out)
    assert (out / "README.txt").read_text(encoding="utf-8-sig").startswith("【デモデータ】")
    demo_rows = [
        r for r in read_csv(out / "indicator_values.csv") if r["fiscal_year"] in ("2024", "2025")
    ]
    assert demo_rows and all(r["source"] == "デモデータ（架空の値）" for r in demo_rows)


def test_the_citys_export_has_no_demo_notice(exported: Path) -> None:
    assert "デモ" not in (exported / "README.txt").read_text(encoding="utf-8-sig")


def test_the_dictionary_states_the_plans_facts_from_the_plan(store: Path) -> None:
    snapshot = load_snapshot(store)
    described = {(t.file_stem, c.name): c.description for t, c in data_dictionary(snapshot)}
    assert not [d for d in described.values() if "{" in d or "}" in d]
    assert described[("indicators", "indicator_no")] == "計画の「6 指標」の番号（1〜8）"
    assert described[("indicators", "target_value")] == (
        "令和11年度末の目標値（※の指標は令和12年4月1日時点）"
    )
    assert described[("item_statuses", "status")] == (
        "完了・順調・やや遅れ・遅れ・未着手・見直し のいずれか"
    )
    # A plan with three indicators, none of them counted on 1 April, says so.
    fewer = replace(snapshot.plan, indicators=snapshot.plan.indicators[2:5])
    assert not any(x.measured_at == "next_april_1" for x in fewer.indicators)
    changed = {
        (t.file_stem, c.name): c.description
        for t, c in data_dictionary(replace(snapshot, plan=fewer))
    }
    assert changed[("indicators", "indicator_no")] == "計画の「6 指標」の番号（3〜5）"
    assert changed[("indicators", "target_value")] == "令和11年度末の目標値"


@dataclass(frozen=True, kw_only=True)
class _Sample:
    TABLE: ClassVar[str] = "samples"

    no: int = field(metadata=column("番号", "番号", key=True))
    name: str = field(metadata=column("名称", "名称"))
    hidden: str
    alias: str | None = field(metadata=column("別名", "別名"))
    added: float = field(metadata=column("新しい列", "後から足した列"))


def test_a_table_lists_the_models_fields_and_places_only_the_derived_columns() -> None:
    derived = Column(
        name="derived", label="導出", kind="文字列", description="", value=lambda r, n: None
    )
    table = _table(_Sample, "見本", lambda s: (), after={"no": ("alias", derived)})
    assert [c.name for c in table.columns] == ["no", "alias", "derived", "name", "added"]
    assert [c.kind for c in table.columns] == ["整数", "文字列", "文字列", "文字列", "数値"]
    with pytest.raises(ValueError, match="hidden"):
        _table(_Sample, "見本", lambda s: (), after={"hidden": (derived,)})
