"""The open data set: CSV (UTF-8 with BOM, for Excel), the same tables as JSON, and a data dictionary."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_type_hints

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.files import atomic_path, atomic_write_text
from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan import facts
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
from komae_kpi.store.demo import DEMO_SOURCE

# How the data dictionary names a field's type (型) by its type in the model.
_KINDS: dict[object, str] = {int: "整数", int | None: "整数", float: "数値", float | None: "数値"}
_TEXT = "文字列"
_DATE = "日付"


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


def _published_columns(record_type: type[TableRecord]) -> dict[str, Column]:
    """The record class's published fields (those with a label, plan.model.ColumnSpec) as columns,
    in declaration order."""
    hints = get_type_hints(record_type)
    return {
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


def _table(
    record_type: type[TableRecord],
    title: str,
    records: Callable[[Snapshot], Sequence[Any]],
    after: Mapping[str, tuple[str | Column, ...]],
) -> Table:
    """The open data table of a model record class: its published fields, in the model's order, and
    the derived columns.

    after: what stands after a published field: derived columns, or a field moved there from its
    place in the model (by name; the open data's column order is older than the model's field
    order). A new field is published where the model declares it, without a change here.
    """
    published = _published_columns(record_type)
    placed = [c for cs in after.values() for c in cs]
    unknown = [
        n for n in [*after, *(c for c in placed if isinstance(c, str))] if n not in published
    ]
    if unknown:
        raise ValueError(f"{record_type.__name__} publishes no field {unknown}")
    moved = {c for c in placed if isinstance(c, str)}
    ordered: list[Column] = []
    for name, column in published.items():
        if name not in moved:
            ordered.append(column)
        for c in after.get(name, ()):
            ordered.append(published[c] if isinstance(c, str) else c)
    return Table(file_stem=record_type.TABLE, title=title, columns=tuple(ordered), records=records)


def _as_of(value: Literal["baseline", "target"], label: str) -> Column:
    """The date an indicator's baseline or target describes (Indicator.as_of): its fiscal year's
    end, or for a ※ indicator the next 1 April."""
    year = f"{value}_fiscal_year"
    return Column(
        name=f"{value}_as_of",
        label=f"{label}の時点",
        kind=_DATE,
        description=f"{label}が示す日（年度末または4月1日）",
        value=lambda x, _: x.as_of(getattr(x, year)).isoformat(),
    )


def _of_indicator(*, name: str, label: str, of: str) -> Column:
    """A field (`of`) of the value's indicator, repeated for the reader (参照用)."""
    return Column(
        name=name,
        label=label,
        kind=_TEXT,
        description=f"参照用の{label}",
        value=lambda v, n: getattr(n.snapshot.plan.indicator(v.indicator_no), of),
    )


TABLES: tuple[Table, ...] = (
    _table(
        Indicator,
        "指標",
        lambda s: s.plan.indicators,
        after={
            "comparator": (
                Column(
                    name="kind",
                    label="目標の種類",
                    kind=_TEXT,
                    description="improvement = 改善目標（現状値が目標値に達していない）、guardrail = 維持目標（現状値が既に目標を満たし、上限・下限を守る）",
                    value=lambda x, _: x.kind,
                ),
                _as_of("baseline", "現状値"),
                _as_of("target", "目標値"),
            ),
        },
    ),
    _table(
        IndicatorValue,
        "指標の実績値",
        lambda s: s.values,
        after={
            # The stage after the agreed columns (value, source, note), which it came later than.
            "note": (
                "stage",
                _of_indicator(name="indicator_name", label="指標名", of="name"),
                _of_indicator(name="unit", label="単位", of="unit"),
            ),
        },
    ),
    _table(
        Item,
        "取組項目",
        lambda s: s.plan.items,
        after={
            "item_no": ("name",),
            "program_no": (
                Column(
                    name="program_name",
                    label="基本事業名",
                    kind=_TEXT,
                    description="基本事業の名称",
                    value=lambda i, n: (
                        n.snapshot.plan.program(i.policy_no, i.direction_no, i.program_no).name
                    ),
                ),
            ),
            "repost_of": (
                Column(
                    name="policy_name",
                    label="施策名",
                    kind=_TEXT,
                    description="施策の名称",
                    value=lambda i, n: n.policies[i.policy_no],
                ),
                Column(
                    name="direction_name",
                    label="方向性名",
                    kind=_TEXT,
                    description="方向性の名称",
                    value=lambda i, n: n.directions[(i.policy_no, i.direction_no)],
                ),
                "alias",
            ),
        },
    ),
    _table(
        ItemStatus,
        "取組項目の進捗状況",
        lambda s: s.statuses,
        after={
            "next_steps": (
                Column(
                    name="item_name",
                    label="取組項目名",
                    kind=_TEXT,
                    description="参照用の取組項目名",
                    value=lambda s, n: n.items.get(s.item_no),
                ),
            ),
        },
    ),
    _table(
        ReferenceValue,
        "参考の財政指標",
        lambda s: s.reference_values,
        after={
            "series_code": (
                Column(
                    name="series_name",
                    label="系列名",
                    kind=_TEXT,
                    description="財政力指数・実質公債費比率・将来負担比率",
                    value=lambda v, n: n.series[v.series_code].name,
                ),
            ),
            "value": (
                Column(
                    name="unit",
                    label="単位",
                    kind=_TEXT,
                    description="単位（財政力指数は無名数）",
                    value=lambda v, n: n.series[v.series_code].unit,
                ),
            ),
        },
    ),
)


def data_dictionary(snapshot: Snapshot) -> list[tuple[Table, Column]]:
    """Every published column with its table, its description's {placeholders} filled from the plan
    (plan.facts.description_values): the data dictionary of the open data and the workbook."""
    values = facts.description_values(snapshot.plan)
    return [
        (table, replace(column, description=column.description.format_map(values)))
        for table in TABLES
        for column in table.columns
    ]


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
    written += _write_dictionary(out_dir, snapshot)
    return written


DEMO_NOTICE = (
    "【デモデータ】このデータセットは説明用に生成した架空の値を含みます。"
    f"{facts.PUBLISHER}の実績ではありません。\r\n"
    f"（架空の値の出典欄は「{DEMO_SOURCE}」です）\r\n\r\n"
)


def _write_dictionary(out_dir: Path, snapshot: Snapshot) -> list[Path]:
    header = ["ファイル", "列名", "項目名", "型", "説明"]
    entries = [
        [
            f"{t.file_stem}.csv / {t.file_stem}.json（{t.title}）",
            c.name,
            c.label,
            c.kind,
            c.description,
        ]
        for t, c in data_dictionary(snapshot)
    ]
    csv_path = out_dir / "data_dictionary.csv"
    with atomic_path(csv_path) as partial, partial.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(entries)
    readme = out_dir / "README.txt"
    first_year = facts.FIRST_FISCAL_YEAR
    atomic_write_text(
        readme,
        (DEMO_NOTICE if snapshot.is_demo else "")
        + f"{facts.TITLE} 進捗データ（オープンデータ）\r\n"
        "\r\n"
        "各表をCSV（UTF-8 BOM付き、Excelでそのまま開けます）とJSON（UTF-8）で収録しています。\r\n"
        f"年度は西暦の年度（4月〜翌年3月）で、{first_year}は{fy.wareki(first_year)}です。\r\n"
        "各列の意味は data_dictionary.csv（データ項目定義）を参照してください。\r\n"
        "CSVでは、= + - @ などで始まる文字列のセル（全角の＝＋－＠、前に空白・改行があるもの、"
        "' に続けてそれらで始まるものを含む）に、"
        "表計算ソフトが数式として実行しないよう先頭に ' を付けています（JSONは元の値のままです）。\r\n",
        encoding="utf-8-sig",
    )
    return [csv_path, readme]
