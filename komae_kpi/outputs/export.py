"""The open data set: CSV (UTF-8 with BOM, for Excel), the same tables as JSON, and a data dictionary."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from komae_kpi.common.files import atomic_path, atomic_write_text
from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import Plan
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str
    description: str


@dataclass(frozen=True)
class Table:
    file_stem: str
    title: str
    columns: tuple[Column, ...]


C = Column
TABLES: tuple[Table, ...] = (
    Table(
        "indicators",
        "指標",
        (
            C("indicator_no", "指標番号", "整数", "計画の「6 指標」の番号（1〜8）"),
            C("name", "指標名", "文字列", "計画に記載の指標名"),
            C("unit", "単位", "文字列", "%、億円、日"),
            C(
                "baseline_fiscal_year",
                "現状値の年度",
                "整数",
                "現状値の年度（西暦の年度。2023 = 令和5年度）",
            ),
            C("baseline_value", "現状値", "数値", "令和5年度末の値（※の指標は令和6年4月1日時点）"),
            C("target_fiscal_year", "目標値の年度", "整数", "目標値の年度（2029 = 令和11年度）"),
            C(
                "target_value",
                "目標値",
                "数値",
                "令和11年度末の目標値（※の指標は令和12年4月1日時点）",
            ),
            C(
                "comparator",
                "目標の向き",
                "文字列",
                "「>=」は目標値以上、「<=」は目標値以下を目指す",
            ),
            C(
                "kind",
                "目標の種類",
                "文字列",
                "improvement = 改善目標（現状値が目標値に達していない）、guardrail = 維持目標（現状値が既に目標を満たし、上限・下限を守る）",
            ),
            C("baseline_as_of", "現状値の時点", "日付", "現状値が示す日（年度末または4月1日）"),
            C("target_as_of", "目標値の時点", "日付", "目標値が示す日（年度末または4月1日）"),
            C("description", "説明", "文字列", "計画に記載の指標の説明"),
            C("note", "注記", "文字列", "計画に記載の※注記"),
        ),
    ),
    Table(
        "indicator_values",
        "指標の実績値",
        (
            C("indicator_no", "指標番号", "整数", "indicators の指標番号"),
            C("fiscal_year", "年度", "整数", "西暦の年度（4月〜翌年3月。2025 = 令和7年度）"),
            C("value", "実績値", "数値", "指標の単位による値"),
            C("source", "出典", "文字列", "値の出典"),
            C("note", "備考", "文字列", "補足"),
            C("indicator_name", "指標名", "文字列", "参照用の指標名"),
            C("unit", "単位", "文字列", "参照用の単位"),
        ),
    ),
    Table(
        "items",
        "取組項目",
        (
            C("item_no", "取組項目番号", "整数", "計画の取組項目の番号（1〜62）"),
            C("name", "取組項目名", "文字列", "計画本文に記載の取組項目名"),
            C("policy_no", "施策番号", "整数", "施策の番号（1〜3）"),
            C("direction_no", "方向性番号", "整数", "施策内の方向性の番号"),
            C("program_no", "基本事業番号", "整数", "方向性内の基本事業の番号"),
            C("program_name", "基本事業名", "文字列", "基本事業の名称"),
            C(
                "departments",
                "推進部署",
                "文字列",
                "推進部署を「・」で区切ったもの（関係各課・各施設所管課は特定の部署ではなく総称）",
            ),
            C(
                "repost_of",
                "再掲元の取組項目番号",
                "整数",
                "再掲の場合、元の取組項目の番号（空欄は再掲でない）",
            ),
            C("policy_name", "施策名", "文字列", "施策の名称"),
            C("direction_name", "方向性名", "文字列", "方向性の名称"),
            C(
                "alias",
                "別表記",
                "文字列",
                "計画の取組項目一覧での表記が本文と異なる場合の一覧側の表記",
            ),
            C("text", "取組内容", "文字列", "計画に記載の取組内容（箇条は改行区切り）"),
        ),
    ),
    Table(
        "item_statuses",
        "取組項目の進捗状況",
        (
            C("item_no", "取組項目番号", "整数", "items の取組項目番号"),
            C("fiscal_year", "年度", "整数", "西暦の年度（2025 = 令和7年度）"),
            C(
                "status",
                "進捗状況",
                "文字列",
                "完了・順調・やや遅れ・遅れ・未着手・見直し のいずれか",
            ),
            C("achievements", "取組実績", "文字列", "その年度の取組実績"),
            C("issues", "課題", "文字列", "その年度の課題"),
            C("next_steps", "今後の方向性", "文字列", "今後の方向性"),
            C("item_name", "取組項目名", "文字列", "参照用の取組項目名"),
        ),
    ),
    Table(
        "reference_values",
        "参考の財政指標",
        (
            C("series_code", "系列コード", "文字列", "参考系列の識別子"),
            C("series_name", "系列名", "文字列", "財政力指数・実質公債費比率・将来負担比率"),
            C("fiscal_year", "年度", "整数", "西暦の年度"),
            C("value", "値", "数値", "系列の単位による値"),
            C("unit", "単位", "文字列", "単位（財政力指数は無名数）"),
            C("source", "出典", "文字列", "値の出典"),
            C("note", "備考", "文字列", "補足"),
        ),
    ),
)


def table_rows(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows by file stem, with the values unaltered (no formula guard)."""
    plan: Plan = snapshot.plan
    policy_names = {p.policy_no: p.name for p in plan.policies}
    direction_names = {(d.policy_no, d.direction_no): d.name for d in plan.directions}
    item_names = {i.item_no: i.name for i in plan.items}
    series_by_code = {s.series_code: s for s in snapshot.reference_series}
    return {
        "indicators": [
            {
                "indicator_no": x.indicator_no,
                "name": x.name,
                "unit": x.unit,
                "baseline_fiscal_year": x.baseline_fiscal_year,
                "baseline_value": x.baseline_value,
                "target_fiscal_year": x.target_fiscal_year,
                "target_value": x.target_value,
                "comparator": x.comparator,
                "kind": x.kind,
                "baseline_as_of": x.as_of(x.baseline_fiscal_year).isoformat(),
                "target_as_of": x.as_of(x.target_fiscal_year).isoformat(),
                "description": x.description,
                "note": x.note,
            }
            for x in plan.indicators
        ],
        "indicator_values": [
            {
                "indicator_no": v.indicator_no,
                "fiscal_year": v.fiscal_year,
                "value": v.value,
                "source": v.source,
                "note": v.note,
                "indicator_name": plan.indicator(v.indicator_no).name,
                "unit": plan.indicator(v.indicator_no).unit,
            }
            for v in snapshot.values
        ],
        "items": [
            {
                "item_no": i.item_no,
                "name": i.name,
                "policy_no": i.policy_no,
                "direction_no": i.direction_no,
                "program_no": i.program_no,
                "program_name": plan.program(i.policy_no, i.direction_no, i.program_no).name,
                "departments": DEPARTMENT_SEPARATOR.join(i.departments),
                "repost_of": i.repost_of,
                "policy_name": policy_names[i.policy_no],
                "direction_name": direction_names[(i.policy_no, i.direction_no)],
                "alias": i.alias,
                "text": i.text,
            }
            for i in plan.items
        ],
        "item_statuses": [
            {
                "item_no": s.item_no,
                "fiscal_year": s.fiscal_year,
                "status": s.status,
                "achievements": s.achievements,
                "issues": s.issues,
                "next_steps": s.next_steps,
                "item_name": item_names.get(s.item_no),
            }
            for s in snapshot.statuses
        ],
        "reference_values": [
            {
                "series_code": v.series_code,
                "series_name": series_by_code[v.series_code].name,
                "fiscal_year": v.fiscal_year,
                "value": v.value,
                "unit": series_by_code[v.series_code].unit,
                "source": v.source,
                "note": v.note,
            }
            for v in snapshot.reference_values
        ],
    }


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(
            value
        )  # shortest text that reads back as the same number: 87.3, not 87.300000001
    return str(spreadsheet_safe(value))


def export_open_data(snapshot: Snapshot, out_dir: Path) -> list[Path]:
    """Write every table as CSV (UTF-8 with BOM) and JSON, plus the data dictionary. Returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = table_rows(snapshot)
    written: list[Path] = []
    for table in TABLES:
        names = [c.name for c in table.columns]
        csv_path = out_dir / f"{table.file_stem}.csv"
        with (
            atomic_path(csv_path) as partial,
            partial.open("w", encoding="utf-8-sig", newline="") as f,
        ):
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(names)
            for row in rows[table.file_stem]:
                writer.writerow([_csv_cell(row[n]) for n in names])
        json_path = out_dir / f"{table.file_stem}.json"
        # JSON is read by programs, not spreadsheets: it carries the values unaltered.
        json_rows = [{n: row[n] for n in names} for row in rows[table.file_stem]]
        atomic_write_text(json_path, json.dumps(json_rows, ensure_ascii=False, indent=1) + "\n")
        written += [csv_path, json_path]
    written += _write_dictionary(out_dir, demo=snapshot.is_demo)
    return written


DEMO_NOTICE = (
    "【デモデータ】このデータセットは説明用に生成した架空の値を含みます。狛江市の実績ではありません。\r\n"
    "（架空の値の出典欄は「デモデータ（架空の値）」です）\r\n\r\n"
)


def _write_dictionary(out_dir: Path, *, demo: bool) -> list[Path]:
    header = ["ファイル", "列名", "項目名", "型", "説明"]
    entries = [
        [
            f"{t.file_stem}.csv / {t.file_stem}.json（{t.title}）",
            c.name,
            c.label,
            c.kind,
            c.description,
        ]
        for t in TABLES
        for c in t.columns
    ]
    csv_path = out_dir / "data_dictionary.csv"
    with atomic_path(csv_path) as partial, partial.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(entries)
    readme = out_dir / "README.txt"
    atomic_write_text(
        readme,
        (DEMO_NOTICE if demo else "")
        + "狛江市第7次行財政改革推進計画 進捗データ（オープンデータ）\r\n"
        "\r\n"
        "各表をCSV（UTF-8 BOM付き、Excelでそのまま開けます）とJSON（UTF-8）で収録しています。\r\n"
        "年度は西暦の年度（4月〜翌年3月）で、2025は令和7年度です。\r\n"
        "各列の意味は data_dictionary.csv（データ項目定義）を参照してください。\r\n"
        "CSVでは、= + - @ などで始まる文字列のセル（' に続けてそれらで始まるものを含む）に、"
        "表計算ソフトが数式として実行しないよう先頭に ' を付けています（JSONは元の値のままです）。\r\n",
        encoding="utf-8-sig",
    )
    return [csv_path, readme]
