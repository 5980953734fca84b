"""Reading a 財政見通し from a CSV or XLSX file, and importing it: all or nothing, every problem
named by file, row, column and value.

Columns and rows are found by what their headers say, never by position. Three layouts:
- wide: one row per fiscal year (a 年度 column), one column per flow (市債発行額, 元金償還額, 積立額,
  取崩額 and their usual synonyms) and/or per indicator (its name or 「指標3」: a direct forecast);
- transposed: one row per flow or indicator, fiscal years as column headers (令和7年度, R7, 2025年度,
  2025 …), as a 財政見通し table is usually printed;
- long: a 年度 column, a 項目 column (a flow or an indicator) and a 値 or 金額 column, optionally
  単位 and 指標 (the indicator a flow belongs to).
Years and numbers are read by the importer's rules (imports/import_cells.py): 和暦 or 西暦, 全角,
△ for negatives, units in a header 「市債発行額（千円）」, in a row above the table 「（単位：百万円）」,
in a 単位 column or in the cell 「12.3億円」, converted to the indicator's unit. What a scenario may
hold is the store's rule (store/scenarios.py): each problem here is that rule, said at its cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.imports.import_cells import (
    CellError,
    YearMismatchError,
    convert,
    header_field,
    header_name_and_unit,
    is_blank,
    normalize_header,
    normalize_unit,
    read_fiscal_year,
    read_number,
    read_year_header,
    shown,
    table_unit,
    unit_problem,
    units_line,
    value_in_unit,
)
from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.read_limits import HEADER_SEARCH_ROWS, Problem, reason_kind
from komae_kpi.imports.table_files import (
    SheetRow,
    TableFile,
    UncalculatedFormula,
    column_letter,
    read_table,
)
from komae_kpi.plan.model import Indicator, Plan, StockFlow
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    require_current_schema,
    transaction,
)
from komae_kpi.store.permissions import require_scenario_entry, resolve_actor
from komae_kpi.store.queries import read_plan
from komae_kpi.store.record_changes import require_store_file
from komae_kpi.store.scenarios import (
    Scenario,
    ScenarioFlow,
    ScenarioForecast,
    ScenarioLogEntry,
    backup_before_change,
    both_problem,
    exists_problem,
    flow_problem,
    missing_flow_problem,
    missing_flows,
    name_problem,
    not_a_stock_problem,
    read_scenarios,
    write_checked,
    year_problem,
)

Layout = Literal["wide", "transposed", "long"]
LAYOUT_LABELS: dict[Layout, str] = {
    "wide": "年度ごとの行",
    "transposed": "項目ごとの行（年度が列）",
    "long": "年度・項目・値の列",
}

# The words a 財政見通し uses for each flow, by the flow's code (stock_flows.csv); the flow's own
# name there is always accepted too. Compared after normalize_header and _folded.
FLOW_WORDS: dict[str, tuple[str, ...]] = {
    "issuance": ("発行額", "市債発行額", "地方債発行額", "起債額", "借入額", "市債借入額"),
    "repayment": ("償還額", "元金償還額", "元金償還金", "元金償還", "償還元金", "公債費元金"),
    "deposit": ("積立額", "積立金", "積立", "基金積立額"),
    "withdrawal": ("取崩額", "取崩", "基金取崩額", "繰入額"),
}
# What a flow's header may start with before its word: 「財政調整基金積立額」, 「市債償還額」.
_PREFIXES = ("財政調整基金", "財調", "基金", "一般会計", "地方債", "市債")
# Okurigana are written or not: 取り崩し額 = 取崩し額 = 取崩額, 積立て額 = 積立額.
_FOLDS = (("取り崩し", "取崩"), ("取崩し", "取崩"), ("取り崩", "取崩"), ("積立て", "積立"))
# Headers of the long layout, compared after normalize_header.
ITEM_HEADERS = frozenset({"項目", "項目名", "区分", "科目", "内訳", "item"})
VALUE_HEADERS = frozenset({"値", "金額", "額", "見込値", "計画額", "見込額", "value", "amount"})
_INDICATOR_NUMBER = re.compile(r"^指標(\d{1,3})$")
# Headers that are neither an item nor data: ignored wherever they stand.
_IGNORED_FIELDS = ("note", "source")


def _folded(text: str) -> str:
    for old, new in _FOLDS:
        text = text.replace(old, new)
    return text


@dataclass(frozen=True, kw_only=True)
class _Item:
    """What a header or a label names: a flow (tied to the indicator it names, if any), or an
    indicator's value (a forecast); unit: a unit the header gives 「（千円）」."""

    flow: StockFlow | None = None
    indicator: Indicator | None = None
    unit: str | None = None

    @property
    def label(self) -> str:
        if self.flow is not None:
            return self.flow.name
        assert self.indicator is not None
        return self.indicator.name


@dataclass(frozen=True, kw_only=True)
class _Items:
    """Finds flows and indicators by the words files use for them."""

    flows: dict[str, StockFlow]
    indicators: dict[str, Indicator]
    numbers: dict[int, Indicator]

    @classmethod
    def of(cls, plan: Plan) -> _Items:
        flows: dict[str, StockFlow] = {}
        for f in plan.stock_flows:
            for word in (*FLOW_WORDS.get(f.flow_code, ()), f.name):
                flows[_folded(normalize_header(word))] = f
        return cls(
            flows=flows,
            indicators={normalize_header(x.name): x for x in plan.indicators},
            numbers={x.indicator_no: x for x in plan.indicators},
        )

    def _flow(self, text: str) -> StockFlow | None:
        text = _folded(text).removeprefix("の")
        for candidate in (text, *(text.removeprefix(p).removeprefix("の") for p in _PREFIXES)):
            if candidate in self.flows:
                return self.flows[candidate]
        return None

    def _indicator(self, text: str) -> Indicator | None:
        match = _INDICATOR_NUMBER.match(text)
        if match:
            return self.numbers.get(int(match.group(1)))
        return self.indicators.get(text)

    def find(self, cell: Any) -> _Item | None:
        """The item a header or a label names, or None."""
        if is_blank(cell) or isinstance(cell, (int, float)):
            return None
        name, unit = header_name_and_unit(cell)
        flow = self._flow(name)
        if flow is not None:
            return _Item(flow=flow, unit=unit)
        indicator = self._indicator(name)
        if indicator is not None:
            return _Item(indicator=indicator, unit=unit)
        # 「経常収支比率の発行額」, 「指標5 発行額」: a flow said to be an indicator's.
        for key, x in [
            *self.indicators.items(),
            *((f"指標{n}", x) for n, x in self.numbers.items()),
        ]:
            if name.startswith(key):
                flow = self._flow(name.removeprefix(key))
                if flow is not None:
                    return _Item(flow=flow, indicator=x, unit=unit)
        return None

    def words(self) -> str:
        """What a file may name, for the message about a name it may not."""
        flows = "・".join(dict.fromkeys(f.name for f in self.flows.values()))
        return f"増減（{flows}）または指標の名前・「指標3」（見込値）"


def _year_header(cell: Any) -> int | YearMismatchError | None:
    """The fiscal year a column header names (import_cells.read_year_header): 令和7年度, R7,
    2025年度, 2025, 「令和7年度（見込）」; the error of one that names a year two ways that disagree
    (「令和7年度(2026)」); None for a header that names no year."""
    if is_blank(cell) or isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)) and not 1900 <= cell <= 2200:
        return None  # a number in a header row that is not a year
    try:
        return read_year_header(cell)
    except YearMismatchError as exc:
        return exc
    except CellError:
        return None


@dataclass(frozen=True, kw_only=True)
class _Entry:
    """One number read: where it stands, its year, what it is and the units said for it."""

    where: str  # 「見通し.csv 5行目 C列「市債発行額」」
    cell: Any
    year: int
    year_where: str  # where the year was read, so that a wrong year is named once
    item: _Item
    number: float
    units: tuple[tuple[str, str], ...]  # (where it is said, unit)


def _layout(items: _Items, row: SheetRow) -> Layout | None:
    """The layout whose header this row is, or None."""
    fields = [header_field(c) for c in row.cells]
    keys = [normalize_header(c) for c in row.cells]
    has_year = "fiscal_year" in fields
    has_value = any(k in VALUE_HEADERS or f == "value" for k, f in zip(keys, fields, strict=True))
    has_item = any(k in ITEM_HEADERS or f == "indicator" for k, f in zip(keys, fields, strict=True))
    if has_year and has_value and has_item:
        return "long"
    if has_year and any(items.find(c) for c in row.cells):
        return "wide"
    if sum(1 for c in row.cells if _year_header(c) is not None) >= 2:
        return "transposed"
    return None


@dataclass(kw_only=True)
class _Reader:
    plan: Plan
    table: TableFile
    items: _Items
    problems: list[str] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    layout: Layout | None = None
    table_unit: str | None = None
    # What is kept, each with where it was read (a second one for the same key names the first).
    flows: dict[tuple[str, int], tuple[ScenarioFlow, str]] = field(default_factory=dict)
    # Every flow cell written, kept or refused (a refused one is named already, not as missing).
    flow_cells: set[tuple[str, int]] = field(default_factory=set)
    # Rows and columns that are not an item of a scenario (市税, 公債費, a total …): a 財政見通し table
    # as printed holds many; they are listed in the preview, not refused.
    ignored: list[str] = field(default_factory=list)
    forecasts: dict[tuple[int, int], tuple[ScenarioForecast, str]] = field(default_factory=dict)
    wrong_years: set[str] = field(default_factory=set)
    # A line of units right under the header (「（百万円）」 under each year): column → (where, unit).
    column_units: dict[int, tuple[str, str]] = field(default_factory=dict)

    def at(self, row: SheetRow, index: int | None = None, header: Any = None) -> str:
        place = f"{self.table.name} {row.number}行目"
        if index is None:
            return place
        return f"{place} {column_letter(index)}列「{shown(header)}」"

    def problem(self, where: str, value: Any, reason: str) -> None:
        shown_value = "" if is_blank(value) else f"の「{shown(value)}」"
        self.problems.append(Problem(f"{where}{shown_value}: {reason}", kind=reason_kind(reason)))

    def read(self) -> None:
        if self.table.problems:
            self.problems.extend(self.table.problems)
            return
        rows = list(self.table.rows)
        for position, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            found = self._layout_of(row)
            if found is None:
                self.table_unit = table_unit(row.cells) or self.table_unit
                continue
            self.layout, read_rows = found
            body = rows[position + 1 :]
            if body:
                self.column_units = _units_line(body[0])
            read_rows(row, body[1:] if self.column_units else body)
            break
        else:
            self.problems.append(
                f"{self.table.name}: 見出し行が見つかりません。「年度」の列と増減・指標の列（年度ごとの行）、"
                "年度を見出しにした列（項目ごとの行）、または「年度・項目・金額」の列を置いてください。"
            )
            return
        if not self.entries and not self.problems:
            unread = (
                f"（財政見通しの項目として読めない行・列: {'、'.join(self.ignored)}。"
                f"読み取る項目は{self.items.words()}）"
                if self.ignored
                else ""
            )
            self.problems.append(f"{self.table.name}: 財政見通しの値がありません{unread}。")
        for flow, year, present in missing_flows(self.plan, self.flow_cells):
            kept = self.flows.get((present.flow_code, year))
            if kept is not None:
                self.problem(kept[1], None, missing_flow_problem(flow, year, present))

    def _layout_of(
        self, row: SheetRow
    ) -> tuple[Layout, Callable[[SheetRow, list[SheetRow]], None]] | None:
        layout = _layout(self.items, row)
        if layout is None:
            return None
        readers = {
            "long": self._read_long,
            "wide": self._read_wide,
            "transposed": self._read_transposed,
        }
        return layout, readers[layout]

    # --- the three layouts ----------------------------------------------------------------------

    def _read_wide(self, header: SheetRow, rows: list[SheetRow]) -> None:
        year_index = next(i for i, c in enumerate(header.cells) if header_field(c) == "fiscal_year")
        columns = {i: self.items.find(c) for i, c in enumerate(header.cells) if i != year_index}
        for row in rows:
            values = {i: _cell(row, i) for i in columns}
            if all(is_blank(v) for v in values.values()):
                continue
            year_cell = _cell(row, year_index)
            year_where = self.at(row, year_index, header.cells[year_index])
            year = self._year(year_where, year_cell)
            for i, value in values.items():
                if is_blank(value):
                    continue
                where = self.at(row, i, header.cells[i])
                item = columns[i]
                if item is None:
                    self._unknown_header(where, header.cells[i], value)
                elif year is not None:
                    self._entry(where, value, year, year_where, item, self._under(i))

    def _read_transposed(self, header: SheetRow, rows: list[SheetRow]) -> None:
        found = {i: y for i, c in enumerate(header.cells) if (y := _year_header(c)) is not None}
        first = min(found)
        years: dict[int, int] = {}
        for i, year in found.items():
            if isinstance(year, CellError):
                # The column's numbers belong to no year that can be told: named once, here.
                self.problem(f"{self.at(header)} {column_letter(i)}列", header.cells[i], str(year))
            else:
                years[i] = year
        unit_index = next(
            (i for i, c in enumerate(header.cells[:first]) if header_field(c) == "unit"), None
        )
        labels = [i for i in range(first) if i != unit_index]
        for row in rows:
            values = {i: _cell(row, i) for i in years}
            if all(is_blank(v) for v in values.values()):
                continue  # a heading such as 歳入, or an empty line
            label_cells = [_cell(row, i) for i in labels if not is_blank(_cell(row, i))]
            item = next((x for c in reversed(label_cells) if (x := self.items.find(c))), None)
            if item is None:
                said = "・".join(shown(c) for c in label_cells) or "（項目名なし）"
                self.ignored.append(f"{row.number}行目「{said}」")
                continue
            units = self._unit_column(row, unit_index, header)
            for i, value in values.items():
                if is_blank(value):
                    continue
                where = f"{self.at(row)}（{item.label}） {column_letter(i)}列「{shown(header.cells[i])}」"
                year_where = self.at(header, i, header.cells[i])
                year = years[i]
                self._entry(where, value, year, year_where, item, units + self._under(i))

    def _read_long(self, header: SheetRow, rows: list[SheetRow]) -> None:
        fields = [header_field(c) for c in header.cells]
        keys = [normalize_header(c) for c in header.cells]
        year_index = fields.index("fiscal_year")
        value_index = next(
            i
            for i, (k, f) in enumerate(zip(keys, fields, strict=True))
            if k in VALUE_HEADERS or f == "value"
        )
        value_unit = header_name_and_unit(header.cells[value_index])[1]
        item_index = next((i for i, k in enumerate(keys) if k in ITEM_HEADERS), None)
        indicator_index = next((i for i, f in enumerate(fields) if f == "indicator"), None)
        if item_index is None:
            item_index, indicator_index = indicator_index, None
        assert item_index is not None
        unit_index = next((i for i, f in enumerate(fields) if f == "unit"), None)
        for row in rows:
            value = _cell(row, value_index)
            if is_blank(value):
                continue  # nothing planned on this line
            where = self.at(row, value_index, header.cells[value_index])
            item_where = self.at(row, item_index, header.cells[item_index])
            item = self._long_item(item_where, _cell(row, item_index))
            if item is None and not is_blank(_cell(row, item_index)):
                self.ignored.append(f"{row.number}行目「{shown(_cell(row, item_index))}」")
                continue
            year_where = self.at(row, year_index, header.cells[year_index])
            year = self._year(year_where, _cell(row, year_index))
            if item is not None and indicator_index is not None:
                item = self._tied(row, indicator_index, header.cells[indicator_index], item)
            if year is None or item is None:
                continue
            units = self._unit_column(row, unit_index, header) + self._under(value_index)
            if value_unit is not None:
                units += ((f"{column_letter(value_index)}列の見出し", value_unit),)
            self._entry(where, value, year, year_where, item, units)

    # --- cells ------------------------------------------------------------------------------------

    def _year(self, where: str, cell: Any) -> int | None:
        if is_blank(cell):
            self.problems.append(f"{where}: 年度が空欄です。")
            return None
        try:
            return read_fiscal_year(cell)
        except CellError as exc:
            self.problem(where, cell, str(exc))
            return None

    def _unknown_header(self, where: str, header: Any, value: Any) -> None:
        if header_field(header) in _IGNORED_FIELDS:
            return
        column = where.split(" ", 2)[-1]  # 「B列「市税」」: one mention per column
        if column not in self.ignored:
            self.ignored.append(column)

    def _long_item(self, where: str, cell: Any) -> _Item | None:
        if is_blank(cell):
            self.problems.append(f"{where}: 項目が空欄です。")
            return None
        return self.items.find(cell)  # None: not an item of a scenario (listed as ignored)

    def _tied(self, row: SheetRow, index: int, header: Any, item: _Item) -> _Item | None:
        """The long layout's 指標 column: the indicator a flow is said to belong to."""
        cell = _cell(row, index)
        if is_blank(cell):
            return item
        where = self.at(row, index, header)
        found = self.items.find(cell)
        if found is None or found.indicator is None or found.flow is not None:
            self.problem(where, cell, "計画の指標として読めません（指標の名前、または「指標3」）。")
            return None
        if item.flow is None:
            if item.indicator != found.indicator:
                self.problem(where, cell, f"項目の「{item.label}」と指標が違います。")
                return None
            return item
        return _Item(flow=item.flow, indicator=found.indicator, unit=item.unit)

    def _under(self, index: int) -> tuple[tuple[str, str], ...]:
        """The unit written under the column's header, as a unit said for its values."""
        return (self.column_units[index],) if index in self.column_units else ()

    def _unit_column(
        self, row: SheetRow, index: int | None, header: SheetRow
    ) -> tuple[tuple[str, str], ...]:
        if index is None:
            return ()
        unit = normalize_unit(_cell(row, index))
        return (
            ((f"{column_letter(index)}列「{shown(header.cells[index])}」", unit),) if unit else ()
        )

    def _entry(
        self,
        where: str,
        cell: Any,
        year: int,
        year_where: str,
        item: _Item,
        units: tuple[tuple[str, str], ...],
    ) -> None:
        if isinstance(cell, UncalculatedFormula):
            self.problem(
                where,
                cell,
                "数式の計算結果がファイルに保存されていません。Excelで開いて保存し直すか、"
                "値として貼り付けてください。",
            )
            return
        try:
            number, written = read_number(cell)
        except CellError as exc:
            self.problem(where, cell, str(exc))
            return
        said = [*units]
        if written is not None:
            said.append(("値", written))
        if item.unit is not None:
            said.append(("見出し", item.unit))
        entry = _Entry(
            where=where,
            cell=cell,
            year=year,
            year_where=year_where,
            item=item,
            number=number,
            units=tuple(said),
        )
        self.entries.append(entry)
        self._keep(entry)

    def _unit(self, entry: _Entry, indicator: Indicator) -> tuple[str | None, str | None]:
        """(the unit the number is in, None for the indicator's own; a problem, or None).

        What the value, its header or its row says must agree. The unit above the table is for
        whatever says none, where it fits: a table in 百万円 may hold a ratio in % as well."""
        distinct = dict.fromkeys(unit for _, unit in entry.units)
        if len(distinct) > 1:
            said = "、".join(f"{where}「{unit}」" for where, unit in entry.units)
            return None, f"単位が食い違っています（{said}）。"
        if distinct:
            return next(iter(distinct)), None
        fits = self.table_unit is not None and unit_problem(indicator, self.table_unit) is None
        return (self.table_unit if fits else None), None

    def _keep(self, e: _Entry) -> None:
        """Check an entry by the store's rules and keep it in the indicator's unit."""
        plan = self.plan
        wrong_year = year_problem(plan, e.year)
        if wrong_year:
            if e.year_where not in self.wrong_years:
                self.problems.append(f"{e.year_where}: {wrong_year}")
                self.wrong_years.add(e.year_where)
            return
        flow, x = e.item.flow, e.item.indicator
        if flow is not None and x is not None and x.indicator_no != flow.indicator_no:
            self.problem(e.where, e.cell, not_a_stock_problem(plan, x.indicator_no, flow))
        elif flow is not None:
            self._keep_flow(e, flow)
        else:
            assert x is not None
            self._keep_forecast(e, x)

    def _keep_flow(self, e: _Entry, flow: StockFlow) -> None:
        self.flow_cells.add((flow.flow_code, e.year))
        stock = self.plan.indicator(flow.indicator_no)
        unit, problem = self._unit(e, stock)
        problem = problem or (unit_problem(stock, unit) if unit is not None else None)
        amount = convert(e.number, unit, stock) if problem is None else 0.0
        problem = problem or flow_problem(self.plan, flow, amount)
        key = (flow.flow_code, e.year)
        if problem is None and key in self.flows:
            problem = _twice(flow.name, e.year, self.flows[key][1])
        forecast = self.forecasts.get((flow.indicator_no, e.year))
        if problem is None and forecast is not None:
            problem = both_problem(self.plan, flow.indicator_no, e.year, f"見込値は{forecast[1]}")
        if problem:
            self.problem(e.where, e.cell, problem)
            return
        kept = ScenarioFlow(fiscal_year=e.year, flow_code=flow.flow_code, amount=amount)
        self.flows[key] = (kept, e.where)

    def _keep_forecast(self, e: _Entry, x: Indicator) -> None:
        unit, problem = self._unit(e, x)
        value = 0.0
        if problem is None:
            try:
                value = value_in_unit(x, self.plan.rule(x.indicator_no), e.number, unit)
            except CellError as exc:
                problem = str(exc)
        key = (x.indicator_no, e.year)
        if problem is None and key in self.forecasts:
            problem = _twice(f"{x.name}の見込値", e.year, self.forecasts[key][1])
        moved = [
            where
            for (code, year), (_, where) in self.flows.items()
            if year == e.year and self.plan.stock_flow(code).indicator_no == x.indicator_no
        ]
        if problem is None and moved:
            problem = both_problem(self.plan, x.indicator_no, e.year, f"増減は{moved[0]}")
        if problem:
            self.problem(e.where, e.cell, problem)
            return
        kept = ScenarioForecast(indicator_no=x.indicator_no, fiscal_year=e.year, value=value)
        self.forecasts[key] = (kept, e.where)


def _units_line(row: SheetRow) -> dict[int, tuple[str, str]]:
    """The units of a line of units (import_cells.units_line) by column, each with where it is."""
    return {
        i: (f"{row.number}行目 {column_letter(i)}列", unit)
        for i, unit in units_line(row.cells).items()
    }


def _cell(row: SheetRow, index: int) -> Any:
    return row.cells[index] if index < len(row.cells) else None


@dataclass(frozen=True, kw_only=True)
class ScenarioReading:
    """What a file holds as a scenario, or every problem with it (then scenario is None)."""

    file_name: str
    sha256: str
    format_label: str
    layout: Layout | None
    problems: tuple[str, ...]
    scenario: Scenario | None
    # 「読み取らない行・列（…）: 5行目「市税」、G列「合計」」: rows and columns read as not an item
    # of a scenario, or None.
    ignored_line: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def line(self) -> str:
        """「見通し.xlsx（Excel（シート「見通し」）、項目ごとの行（年度が列））」."""
        layout = f"、{LAYOUT_LABELS[self.layout]}" if self.layout else ""
        return f"{self.file_name}（{self.format_label}{layout}）"


def _twice(what: str, year: int, first: str) -> str:
    return f"{fy.wareki(year)}の{what}が{first}にもあります。1つにしてください。"


@dataclass(frozen=True, kw_only=True)
class ScenarioRequest:
    """A file to import as a scenario, and how: the scenario's name (None: the file's stem), its
    date and note, the sheet of a workbook (None: the first) and whether it may replace a scenario
    of the same name."""

    source: ImportSource
    name: str | None = None
    scenario_date: dt.date | None = None
    note: str | None = None
    sheet: str | None = None
    replace_existing: bool = False

    @property
    def scenario_name(self) -> str:
        return self.name if self.name is not None else Path(self.source.name).stem


def read_scenario_file(plan: Plan, request: ScenarioRequest) -> ScenarioReading:
    """The scenario the request's file holds, or all its problems."""
    source = request.source
    items = _Items.of(plan)
    table = read_table(
        source.name,
        source.data,
        sheet=request.sheet,
        is_header=lambda row: _layout(items, row) is not None,
    )
    reader = _Reader(plan=plan, table=table, items=items)
    reader.read()
    flows = [f for f, _ in reader.flows.values()]
    forecasts = [f for f, _ in reader.forecasts.values()]
    chosen = request.scenario_name
    problems = list(reader.problems)
    named = name_problem(chosen)
    if named:
        problems.append(named)
    scenario = None
    if not problems:
        scenario = Scenario(
            name=chosen,
            scenario_date=request.scenario_date,
            note=request.note,
            file_name=source.name,
            file_sha256=table.sha256,
            flows=tuple(sorted(flows, key=lambda f: (f.fiscal_year, f.flow_code))),
            forecasts=tuple(sorted(forecasts, key=lambda f: (f.indicator_no, f.fiscal_year))),
        )
    return ScenarioReading(
        file_name=source.name,
        sha256=table.sha256,
        format_label=table.format_label,
        layout=reader.layout,
        problems=tuple(problems),
        scenario=scenario,
        ignored_line=(
            f"読み取らない行・列（財政見通しの項目ではありません。読み取る項目は{reader.items.words()}）: "
            + "、".join(reader.ignored)
            if reader.ignored
            else None
        ),
    )


# --- the store --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScenarioPreview:
    """What importing a file would do: the reading, whether it replaces a scenario of that name,
    and every problem (the file's, the name's, the person's)."""

    reading: ScenarioReading
    replaces: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def scenario(self) -> Scenario | None:
        return self.reading.scenario if self.ok else None


def preview_scenario_import(
    path: Path,
    request: ScenarioRequest,
    *,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ScenarioPreview:
    """What importing the file would do, as `user` (default: the OS user). Writes nothing."""
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return _preview(con, request, user)


def _preview(
    con: duckdb.DuckDBPyConnection, request: ScenarioRequest, user: str | None
) -> ScenarioPreview:
    actor = resolve_actor(con, user or current_user())
    plan = read_plan(con)
    reading = read_scenario_file(plan, request)
    known = [s.name for s in read_scenarios(con)]
    problems = list(reading.problems)
    chosen = reading.scenario
    if chosen is not None:
        taken = None if request.replace_existing else exists_problem(chosen.name, known)
        problems += [taken] if taken else []
        try:
            require_scenario_entry(actor, plan, chosen.indicator_nos(plan))
        except PermissionDeniedError as exc:
            problems += exc.problems
    replaces = chosen is not None and chosen.name in known
    return ScenarioPreview(reading=reading, replaces=replaces, problems=tuple(problems))


def apply_scenario_import(
    path: Path,
    request: ScenarioRequest,
    *,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ScenarioLogEntry:
    """Read the file and keep its scenario in one transaction, checked and logged; nothing is
    written on any problem (ValidationError listing them all, PermissionDeniedError)."""
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        preview = _preview(con, request, user)
        if preview.scenario is not None and preview.replaces:
            backup_before_change(
                con, path, preview.scenario.name
            )  # what it replaces stays readable
        with transaction(con):
            plan = read_plan(con)
            reading = read_scenario_file(plan, request)
            if reading.scenario is None:
                raise ValidationError(list(reading.problems))
            return write_checked(
                con,
                plan,
                reading.scenario,
                user=user,
                replace_existing=request.replace_existing,
            )
