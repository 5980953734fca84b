"""The open data set: CSV (UTF-8 with BOM, for Excel), the same tables as JSON, and a data dictionary."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from komae_kpi.common.files import atomic_path, atomic_write_text
from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import (
    Indicator,
    IndicatorValue,
    Item,
    ItemStatus,
    ReferenceSeries,
    ReferenceValue,
    TableRecord,
    column_of,
)
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR

# How the data dictionary names a field's type (型) by its type in the model.
_KINDS: dict[object, str] = {int: "整数", int | None: "整数", float: "数値", float | None: "数値"}
_TEXT = "文字列"


@dataclass(frozen=True, kw_only=True)
class _Names:
    """What a row refers to by number, by name: the open data repeats names for the reader."""

    snapshot: Snapshot
    policies: dict[int, str]
    directions: dict[tuple[int, int], str]
    items: dict[int, str]
    series: dict[str, ReferenceSeries]

    @classmethod
    def of(cls, snapshot: Snapshot) -> _Names:
        plan = snapshot.plan
        return cls(
            snapshot=snapshot,
            policies={p.policy_no: p.name for p in plan.policies},
            directions={(d.policy_no, d.direction_no): d.name for d in plan.directions},
            items={i.item_no: i.name for i in plan.items},
            series={s.series_code: s for s in snapshot.reference_series},
        )


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of an open data table and its data dictionary entry."""

    name: str
    label: str
    kind: str
    description: str
    value: Callable[[Any, _Names], object] = field(repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class Table:
    file_stem: str
    title: str
    columns: tuple[Column, ...]
    records: Callable[[Snapshot], Sequence[Any]] = field(repr=False, compare=False)


def _field_value(name: str) -> Callable[[Any, _Names], object]:
    def value(record: Any, _: _Names) -> object:
        found = getattr(record, name)
        # A list in one cell, as in the plan file: 「政策室・情報政策課」.
        return DEPARTMENT_SEPARATOR.join(found) if isinstance(found, tuple) else found

    return value


def _table(
    record_type: type[TableRecord],
    title: str,
    records: Callable[[Snapshot], Sequence[Any]],
    layout: tuple[str | Column, ...],
) -> Table:
    """The open data table of a model record class: its published fields and derived columns.

    A field is published when it has a label (plan.model.ColumnSpec). The columns follow `layout`
    (field names and derived columns, in the published order); a published field the layout does
    not name comes last, so that a new field is published without a change here.
    """
    hints = get_type_hints(record_type)
    published = {
        f.name: Column(
            name=f.name,
            label=info.label,
            kind=_KINDS.get(hints[f.name], _TEXT),
            description=info.description,
            value=_field_value(f.name),
        )
        for f in fields(record_type)
        if (info := column_of(f)).label is not None
    }
    named = [c if isinstance(c, Column) else published[c] for c in layout]
    rest = [c for name, c in published.items() if name not in layout]
    return Table(file_stem=record_type.TABLE, title=title, columns=(*named, *rest), records=records)


def _derived(
    name: str, label: str, kind: str, description: str, value: Callable[[Any, _Names], object]
) -> Column:
    return Column(name=name, label=label, kind=kind, description=description, value=value)


D = _derived
TABLES: tuple[Table, ...] = (
    _table(
        Indicator,
        "指標",
        lambda s: s.plan.indicators,
        (
            *("indicator_no", "name", "unit", "baseline_fiscal_year", "baseline_value"),
            *("target_fiscal_year", "target_value", "comparator"),
            D(
                "kind",
                "目標の種類",
                "文字列",
                "improvement = 改善目標（現状値が目標値に達していない）、guardrail = 維持目標（現状値が既に目標を満たし、上限・下限を守る）",
                lambda x, _: x.kind,
            ),
            D(
                "baseline_as_of",
                "現状値の時点",
                "日付",
                "現状値が示す日（年度末または4月1日）",
                lambda x, _: x.as_of(x.baseline_fiscal_year).isoformat(),
            ),
            D(
                "target_as_of",
                "目標値の時点",
                "日付",
                "目標値が示す日（年度末または4月1日）",
                lambda x, _: x.as_of(x.target_fiscal_year).isoformat(),
            ),
            *("description", "note"),
        ),
    ),
    _table(
        IndicatorValue,
        "指標の実績値",
        lambda s: s.values,
        (
            *("indicator_no", "fiscal_year", "value", "source", "note"),
            D(
                "indicator_name",
                "指標名",
                "文字列",
                "参照用の指標名",
                lambda v, n: n.snapshot.plan.indicator(v.indicator_no).name,
            ),
            D(
                "unit",
                "単位",
                "文字列",
                "参照用の単位",
                lambda v, n: n.snapshot.plan.indicator(v.indicator_no).unit,
            ),
        ),
    ),
    _table(
        Item,
        "取組項目",
        lambda s: s.plan.items,
        (
            *("item_no", "name", "policy_no", "direction_no", "program_no"),
            D(
                "program_name",
                "基本事業名",
                "文字列",
                "基本事業の名称",
                lambda i, n: (
                    n.snapshot.plan.program(i.policy_no, i.direction_no, i.program_no).name
                ),
            ),
            *("departments", "repost_of"),
            D(
                "policy_name",
                "施策名",
                "文字列",
                "施策の名称",
                lambda i, n: n.policies[i.policy_no],
            ),
            D(
                "direction_name",
                "方向性名",
                "文字列",
                "方向性の名称",
                lambda i, n: n.directions[(i.policy_no, i.direction_no)],
            ),
            *("alias", "text"),
        ),
    ),
    _table(
        ItemStatus,
        "取組項目の進捗状況",
        lambda s: s.statuses,
        (
            *("item_no", "fiscal_year", "status", "achievements", "issues", "next_steps"),
            D(
                "item_name",
                "取組項目名",
                "文字列",
                "参照用の取組項目名",
                lambda s, n: n.items.get(s.item_no),
            ),
        ),
    ),
    _table(
        ReferenceValue,
        "参考の財政指標",
        lambda s: s.reference_values,
        (
            "series_code",
            D(
                "series_name",
                "系列名",
                "文字列",
                "財政力指数・実質公債費比率・将来負担比率",
                lambda v, n: n.series[v.series_code].name,
            ),
            *("fiscal_year", "value"),
            D(
                "unit",
                "単位",
                "文字列",
                "単位（財政力指数は無名数）",
                lambda v, n: n.series[v.series_code].unit,
            ),
            *("source", "note"),
        ),
    ),
)


def table_rows(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows by file stem, with the values unaltered (no formula guard)."""
    names = _Names.of(snapshot)
    return {
        table.file_stem: [
            {c.name: c.value(record, names) for c in table.columns}
            for record in table.records(snapshot)
        ]
        for table in TABLES
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
