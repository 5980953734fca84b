"""Importing actuals and item statuses from CSV and XLSX files: preview, then all or nothing.

prepare() reads the files against the plan and the records in the store and returns a preview:
every record new, changed (before → after) or unchanged, and every problem in every file. Nothing
is written while there is a problem. apply_import() recomputes the preview inside the write
connection, refuses if it differs from the one the person saw, backs the store up, and writes every
change and its history in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar, cast, get_args, get_type_hints

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import StalePreviewError, ValidationError
from komae_kpi.common.stages import DEFAULT_STAGE, Stage
from komae_kpi.imports.import_cells import (
    HEADERS,
    REFERENCE_FIELDS,
    CellError,
    Field,
    References,
    cell_text,
    header_field,
    header_field_and_unit,
    is_blank,
    normalize_unit,
    read_fiscal_year,
    read_number,
    read_stage,
    shown,
    table_unit,
    text_cell_problem,
    unit_cell,
    unit_problem,
    units_line,
    value_in_unit,
)
from komae_kpi.imports.read_limits import HEADER_SEARCH_ROWS, Problem, reason_kind
from komae_kpi.imports.table_files import (
    SheetRow,
    TableFile,
    UncalculatedFormula,
    column_letter,
    read_table,
)
from komae_kpi.judgement.approvals import finding_rule
from komae_kpi.plan.model import IndicatorValue, ItemStatus, Plan, columns, key_names
from komae_kpi.store.backups import DEFAULT_KEEP, make_backup
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    require_current_schema,
    transaction,
)
from komae_kpi.store.entries import (
    actual_year_problem,
    repost_problem,
    status_problem,
    status_year_problem,
)
from komae_kpi.store.entry_rules import EntryRules, date_refusal, published_refusal
from komae_kpi.store.permissions import Actor, entry_refusal, require_reviewer, resolve_actor
from komae_kpi.store.queries import read_indicator_values, read_plan
from komae_kpi.store.record_changes import (
    ENTRY_FIELDS,
    RECORD_TYPES,
    Record,
    RecordChange,
    RecordKey,
    RecordKind,
    read_records,
    require_store_file,
    stage_refusal,
)
from komae_kpi.store.review import (
    approve_submissions,
    explanation_problem,
    read_submissions,
    records_to_edit,
    submit_changes,
)

# The importer's own fields for what a row refers to: a subject, by number or name, and a unit.
_SUBJECT: dict[RecordKind, Field] = {"indicator_value": "indicator", "item_status": "item"}
_CHECKED: dict[RecordKind, tuple[Field, ...]] = {"indicator_value": ("unit",), "item_status": ()}


def _entered(kind: RecordKind) -> tuple[Field, ...]:
    """The fields a person enters for this kind (record_changes.ENTRY_FIELDS) that have headers."""
    return tuple(name for name in ENTRY_FIELDS[kind] if name in HEADERS)


def _defaulted(kind: RecordKind) -> frozenset[Field]:
    """The entered fields the record gives a value of its own when the file has none (an actual's
    stage: 決算)."""
    return frozenset(
        f.name for f in fields(RECORD_TYPES[kind]) if f.name in HEADERS and f.default is not MISSING
    )


def _required(kind: RecordKind) -> tuple[Field, ...]:
    """The subject, the year, and each entered field the record cannot leave empty (None) and
    has no default for."""
    hints = get_type_hints(RECORD_TYPES[kind])
    filled = [
        f
        for f in _entered(kind)
        if type(None) not in get_args(hints[f]) and f not in _defaulted(kind)
    ]
    return (_SUBJECT[kind], "fiscal_year", *filled)


_ENTERED: dict[RecordKind, tuple[Field, ...]] = {kind: _entered(kind) for kind in RECORD_TYPES}
_REQUIRED: dict[RecordKind, tuple[Field, ...]] = {kind: _required(kind) for kind in RECORD_TYPES}
# What makes a row reported: an entered field other than a defaulted one (a row with only its
# 区分 filled in, as a form may come pre-filled, reports nothing).
_REPORTING: dict[RecordKind, frozenset[Field]] = {
    kind: frozenset(_ENTERED[kind]) - _defaulted(kind) for kind in RECORD_TYPES
}
# A file's kind shows in its 実績値 column or any status column; 出典 and 備考 do not tell it (a
# status sheet may have a 備考 column of its own, which is ignored).
_KIND_FIELDS: dict[RecordKind, tuple[Field, ...]] = {
    "indicator_value": ("value",),
    "item_status": _ENTERED["item_status"],
}
# Columns that belong to the other kind of file, or to none, are read only where they apply.
_USED: dict[RecordKind, frozenset[Field]] = {
    kind: frozenset({_SUBJECT[kind], "fiscal_year", *_ENTERED[kind], *_CHECKED[kind]})
    for kind in RECORD_TYPES
}
# How messages name a field: the subject and the unit in the importer's words, the record's fields
# by the open data's 項目名 (plan.model's labels).
_FIELD_NAMES: dict[Field, str] = {
    "indicator": "指標（指標番号・指標名）",
    "item": "取組項目（項目番号・取組項目名）",
    "unit": "単位",
}
_FIELD_NAMES.update(
    (name, c.label)
    for record_type in RECORD_TYPES.values()
    for name, c in columns(record_type)
    if name in HEADERS and c.label is not None
)
KIND_LABELS: dict[RecordKind, str] = {
    "indicator_value": "指標の実績値",
    "item_status": "取組項目の進捗状況",
}


@dataclass(frozen=True, kw_only=True)
class ImportSource:
    name: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Column:
    index: int
    header: str
    field: Field
    unit: str | None = None  # a unit in the header: 「実績値（千円）」

    @property
    def label(self) -> str:
        return f"{column_letter(self.index)}列「{self.header}」"


@dataclass(frozen=True, kw_only=True)
class FileSummary:
    name: str
    sha256: str
    format_label: str
    kind: RecordKind | None
    records: int
    unreported_rows: tuple[int, ...] = ()  # rows with a subject but nothing entered: skipped
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NotApplied:
    """A row read without problem that the import leaves out: its value is of an earlier stage
    than the value in force (a 見込 after the 決算). Not an error: the rest of the file applies."""

    where: str  # 「a.csv 3行目」
    change: RecordChange  # the value in force (before) and the row's (after)
    reason: str

    @property
    def text(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class ImportPreview:
    files: tuple[FileSummary, ...]
    problems: tuple[str, ...]
    changes: tuple[RecordChange, ...]  # every record the files hold, unchanged ones included
    not_applied: tuple[NotApplied, ...] = ()  # rows left out by the rule of stages

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def to_write(self) -> tuple[RecordChange, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    preview: ImportPreview
    written: int  # records saved: in force at once, or submitted for review
    backup: Path | None
    submitted: int = 0  # of those, submitted for review (0 when no users are registered)
    approved: int = 0  # of the submitted, approved at once (`import --approve`)
    left_waiting: tuple[str, ...] = ()  # submitted but not approved at once, each with why


# --- reading ------------------------------------------------------------------------------------


R = TypeVar("R", IndicatorValue, ItemStatus)


class _RowCells:
    """One data row being read: its cells by column, its columns by field, and how to report a cell."""

    def __init__(
        self,
        row: SheetRow,
        cells: dict[Column, Any],
        by_field: dict[Field, list[Column]],
        reader: _FileReader,
    ) -> None:
        self.row = row
        self.cells = cells
        self.by_field = by_field
        self._reader = reader

    def problem(self, column: Column, reason: str) -> None:
        """Name the file, the row as a spreadsheet shows it, the column and the value."""
        value = self.cells[column]
        where = self._reader.where(self.row, column)
        text = f"{where}: {reason}" if is_blank(value) else f"{where}の「{shown(value)}」: {reason}"
        self._reader.problems.append(Problem(text, kind=reason_kind(reason)))

    def required(self, name: Field) -> Column | None:
        """The field's column, or None (and a problem) when its cell is blank."""
        column = self.by_field[name][0]
        if is_blank(self.cells[column]):
            self.problem(column, "空欄です。")
            return None
        return column


def _header_columns(row: SheetRow) -> list[Column]:
    """The row's cells that are headers the importer knows."""
    return [
        Column(index=i, header=str(cell).strip(), field=found, unit=unit)
        for i, cell in enumerate(row.cells)
        for found, unit in [header_field_and_unit(cell)]
        if found is not None
    ]


def _is_header(row: SheetRow) -> bool:
    """A header row names at least two of the importer's fields."""
    return len(_header_columns(row)) >= 2


@dataclass(kw_only=True)
class _FileReader:
    plan: Plan
    references: References
    current: dict[RecordKey, Record]
    table: TableFile
    rules: EntryRules
    problems: list[str] = field(default_factory=list)
    records: list[tuple[SheetRow, Record]] = field(default_factory=list)
    unreported: list[int] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    kind: RecordKind | None = None
    table_unit: str | None = None

    def where(self, row: SheetRow, column: Column | None = None) -> str:
        place = f"{self.table.name} {row.number}行目"
        return f"{place} {column.label}" if column else place

    def read(self) -> None:
        if self.table.problems:
            self.problems.extend(self.table.problems)
            return
        found = self._find_header()
        if found is None:
            others = [n for n in self.table.sheet_names if n not in self.table.format_label]
            hint = (
                f"{self.table.format_label}を読みました。ほかのシート「{'」「'.join(others)}」を"
                "読むには、シート名（コマンドでは --sheet）を指定してください。"
                if others
                else ""
            )
            self.problems.append(
                f"{self.table.name}: 見出し行が見つかりません。1行目（または表の上端）に、"
                "「指標・年度・実績値」または「取組項目・年度・進捗状況」の見出しを置いてください。"
                + hint
            )
            return
        header_row, columns = found
        if not self._check_columns(header_row, columns):
            return
        units_row = self._units_row(header_row, columns)
        read = columns if units_row is None else self._with_units(units_row, columns)
        if read is None:
            return
        for row in self.table.rows:
            if row.number > header_row.number and row is not units_row:
                self._read_row(row, read)

    def _units_row(self, header_row: SheetRow, columns: list[Column]) -> SheetRow | None:
        """The row under the header when it states units and nothing else, one of them under a
        value column: the second row of a two-row header (「実績値」 over 「（千円）」)."""
        below = next((r for r in self.table.rows if r.number > header_row.number), None)
        if below is None:
            return None
        written = units_line(below.cells)
        return below if any(c.index in written for c in columns if c.field == "value") else None

    def _with_units(self, units_row: SheetRow, columns: list[Column]) -> list[Column] | None:
        """The value columns with the unit written under them; None (and a problem) when it
        contradicts the unit in the header."""
        read: list[Column] = []
        for column in columns:
            cell = units_row.cells[column.index] if column.index < len(units_row.cells) else None
            unit = unit_cell(cell)
            if column.field != "value" or unit is None:
                read.append(column)
            elif column.unit is not None and column.unit != unit:
                self.problems.append(
                    f"{self.where(units_row, column)}の「{shown(cell)}」: 見出しの単位"
                    f"「{column.unit}」と違います。単位は1か所に書いてください。"
                )
                return None
            else:
                read.append(replace(column, unit=unit))
        return read

    def _find_header(self) -> tuple[SheetRow, list[Column]] | None:
        for row in self.table.rows[:HEADER_SEARCH_ROWS]:
            columns = _header_columns(row)
            if len(columns) < 2:  # not a header (_is_header)
                # A line above the table may state the unit of its values: 「（単位：千円）」.
                self.table_unit = table_unit(row.cells) or self.table_unit
            else:
                self.ignored = [
                    f"{column_letter(i)}列「{str(cell).strip()}」"
                    for i, cell in enumerate(row.cells)
                    if not is_blank(cell) and header_field(cell) is None
                ]
                return row, columns
        return None

    def _check_columns(self, header_row: SheetRow, columns: list[Column]) -> bool:
        fields = {c.field for c in columns}
        kinds = [k for k, marks in _KIND_FIELDS.items() if fields & set(marks)]
        where = f"{self.table.name} {header_row.number}行目（見出し）"
        if len(kinds) != 1:
            self.problems.append(
                f"{where}: 実績値の列と進捗状況の列が両方あります。指標の実績値と取組項目の進捗状況は"
                "別のファイルにしてください。"
                if kinds
                else f"{where}: 「実績値」（指標の実績値）または「進捗状況」（取組項目）の列がありません。"
            )
            return False
        self.kind = kinds[0]
        ok = True
        for required in _REQUIRED[self.kind]:
            if required not in fields:
                self.problems.append(f"{where}: {_FIELD_NAMES[required]}の列がありません。")
                ok = False
        # Only columns that are read must be unique; a second 備考 in a status file is just ignored.
        read = [c.field for c in columns if c.field in _USED[self.kind]]
        for name in dict.fromkeys(f for f in read if f not in REFERENCE_FIELDS):
            same = [c for c in columns if c.field == name]
            if len(same) > 1:
                self.problems.append(
                    f"{where}: {'と'.join(c.label for c in same)}がどちらも"
                    f"{_FIELD_NAMES[name]}を表しています。1列にしてください。"
                )
                ok = False
        self.ignored += [c.label for c in columns if c.field not in _USED[self.kind]]
        return ok

    def _read_row(self, row: SheetRow, columns: list[Column]) -> None:
        assert self.kind is not None
        cells = {c: (row.cells[c.index] if c.index < len(row.cells) else None) for c in columns}
        used = [c for c in columns if c.field in _USED[self.kind]]
        if all(is_blank(cells[c]) for c in used):
            return  # an empty line
        if all(is_blank(cells[c]) for c in used if c.field in _REPORTING[self.kind]):
            self.unreported.append(row.number)
            return
        before = len(self.problems)
        formulas = [c for c in used if isinstance(cells[c], UncalculatedFormula)]
        for column in formulas:
            self.problems.append(
                f"{self.where(row, column)}の数式「{shown(str(cells[column]))}」: 計算結果がファイルに"
                "保存されていません。Excelで開いて保存し直すか、値として貼り付けてください。"
            )
        if formulas:
            return  # the row's values are unknown; reading the rest would only add noise
        for column in used:
            text_problem = text_cell_problem(column.field, column.header, cells[column])
            if text_problem:
                self.problems.append(
                    f"{self.where(row, column)}の「{shown(cells[column])}」: {text_problem}"
                )
        by_field: dict[Field, list[Column]] = {}
        for c in used:
            by_field.setdefault(c.field, []).append(c)
        r = _RowCells(row, cells, by_field, self)

        subject = self._read_subject(r, by_field[_SUBJECT[self.kind]])
        year_column = r.required("fiscal_year")
        year = None
        if year_column is not None:
            try:
                year = read_fiscal_year(cells[year_column])
            except CellError as exc:
                r.problem(year_column, str(exc))
        record: Record | None
        if self.kind == "indicator_value":
            record = self._actual(r, subject, year)
        else:
            record = self._status(r, subject, year)
        if record is not None and len(self.problems) == before:
            self.records.append((row, record))

    def _read_subject(self, r: _RowCells, columns: list[Column]) -> int | None:
        lookup = (
            self.references.indicator if self.kind == "indicator_value" else self.references.item
        )
        found: list[tuple[Column, int]] = []
        for column in columns:
            if is_blank(r.cells[column]):
                continue
            try:
                found.append((column, lookup(r.cells[column])))
            except CellError as exc:
                r.problem(column, str(exc))
                return None
        if not found:
            r.problem(columns[0], "空欄です。")
            return None
        if len({no for _, no in found}) > 1:
            what = "指標" if self.kind == "indicator_value" else "取組項目"
            self.problems.append(
                f"{self.where(r.row)}: "
                + "と".join(f"{c.label}（{what}{no}）" for c, no in found)
                + f"が別々の{what}を指しています。"
            )
            return None
        return found[0][1]

    def _record(self, record_type: type[R], r: _RowCells, **values: Any) -> R:
        """The record from the row's values. Each text field the file has no column for keeps what
        the store holds: an import never blanks what it does not mention."""
        assert self.kind is not None
        subject_no, fiscal_year = (values[name] for name in key_names(record_type))
        key = RecordKey(kind=self.kind, subject_no=subject_no, fiscal_year=fiscal_year)
        existing = self.current.get(key)
        for f in fields(record_type):
            if f.name in values:
                continue
            column = r.by_field.get(cast(Field, f.name))
            if column:
                values[f.name] = cell_text(r.cells[column[0]])
            else:
                values[f.name] = getattr(existing, f.name) if existing is not None else None
        return record_type(**values)

    def _actual(
        self, r: _RowCells, indicator_no: int | None, year: int | None
    ) -> IndicatorValue | None:
        value_column = r.required("value")
        value = None
        if value_column is not None:
            try:
                number, written_unit = read_number(r.cells[value_column])
            except CellError as exc:
                r.problem(value_column, str(exc))
            else:
                value = self._value_in_unit(r, indicator_no, number, written_unit, value_column)
        if year is not None:
            problem = actual_year_problem(self.plan, year)
            if problem:
                r.problem(r.by_field["fiscal_year"][0], problem)
                year = None
        stage = self._stage(r)
        if indicator_no is None or year is None or value is None or stage is None:
            return None
        record = self._record(
            IndicatorValue,
            r,
            indicator_no=indicator_no,
            fiscal_year=year,
            value=value,
            stage=stage,
        )
        assert value_column is not None  # a value was read from it
        published = self.rules.published_figure(record)
        refused = published_refusal(self.plan, published, record) if published else None
        if refused:
            r.problem(value_column, refused)
        early = date_refusal(self.plan, record, self.rules.today)
        if early:
            r.problem(r.by_field.get("stage", r.by_field["fiscal_year"])[0], early)
        # A row carrying the published figure's value is that figure: unchanged.
        return published if published is not None and not refused else record

    def _stage(self, r: _RowCells) -> Stage | None:
        """The row's 区分; 決算 without the column (what an import meant before stages existed),
        not what the store holds: a file that does not say 見込 states a settled figure."""
        column = r.by_field.get("stage", [None])[0]
        if column is None:
            return DEFAULT_STAGE
        try:
            return read_stage(r.cells[column])
        except CellError as exc:
            r.problem(column, str(exc))
            return None

    def _value_in_unit(
        self,
        r: _RowCells,
        indicator_no: int | None,
        number: float,
        written_unit: str | None,
        value_column: Column,
    ) -> float | None:
        if indicator_no is None:
            return None
        indicator = self.plan.indicator(indicator_no)
        unit_column = r.by_field.get("unit", [None])[0]
        column_unit = normalize_unit(r.cells[unit_column]) if unit_column is not None else None
        if unit_column is not None and column_unit is not None:
            problem = unit_problem(indicator, column_unit)
            if problem:
                r.problem(unit_column, problem)
                return None
            if written_unit is not None and written_unit != column_unit:
                r.problem(
                    value_column,
                    f"値に書かれた単位「{written_unit}」と{unit_column.label}の「{column_unit}」が違います。",
                )
                return None
        declared = value_column.unit or self.table_unit
        if written_unit is not None and declared is not None and written_unit != declared:
            where = value_column.label if value_column.unit else "表の上の「単位」"
            r.problem(
                value_column,
                f"値に書かれた単位「{written_unit}」と{where}の「{declared}」が違います。",
            )
            return None
        if column_unit is not None and declared is not None and column_unit != declared:
            assert unit_column is not None
            r.problem(
                unit_column,
                f"単位「{column_unit}」が見出しまたは表の上の単位「{declared}」と違います。",
            )
            return None
        unit = written_unit or column_unit or declared
        try:
            return value_in_unit(indicator, self.plan.rule(indicator_no), number, unit)
        except CellError as exc:
            r.problem(value_column, str(exc))
            return None

    def _status(self, r: _RowCells, item_no: int | None, year: int | None) -> ItemStatus | None:
        if item_no is not None:
            problem = repost_problem(self.plan, item_no)
            if problem:
                r.problem(r.by_field["item"][0], problem)
                item_no = None
        status_column = r.required("status")
        status = None
        if status_column is not None:
            status = cell_text(r.cells[status_column])
            status = status.strip() if status else None
            problem = status_problem(self.plan, status or "")
            if problem:
                r.problem(status_column, problem)
                status = None
        if year is not None:
            problem = status_year_problem(year)
            if problem:
                r.problem(r.by_field["fiscal_year"][0], problem)
                year = None
        if item_no is None or year is None or status is None:
            return None
        return self._record(ItemStatus, r, item_no=item_no, fiscal_year=year, status=status)


def _subject_label(plan: Plan, key: RecordKey) -> str:
    if key.kind == "indicator_value":
        return f"指標{key.subject_no}（{plan.indicator(key.subject_no).name}）の{fy.wareki(key.fiscal_year)}"
    return f"取組項目{key.subject_no}の{fy.wareki(key.fiscal_year)}"


def prepare(
    plan: Plan,
    current: dict[RecordKey, Record],
    sources: Sequence[ImportSource],
    *,
    sheet: str | None = None,
    actor: Actor | None = None,
    in_force: Mapping[RecordKey, Record] | None = None,
    rules: EntryRules | None = None,
    tables: Sequence[TableFile] | None = None,
) -> ImportPreview:
    """Read every file against the plan and the current records. Writes nothing.

    actor: the person importing. A row outside their role or departments is a problem, so such a
    file is refused whole with every such row named; once review is on (users registered), an
    item status of 遅れ or 見直し without 課題 and 今後の方向性 is one too.
    in_force: the records in force (default: current). A row of an earlier stage than its record
    in force (a 見込 after the 決算) is not applied and is listed in not_applied, with why.
    rules: the published figures and today (default: the plan's baselines and clock.today()). A
    row changing a published figure, or an actual of a year not yet finished, is a problem; a row
    carrying a published figure's value is that figure (unchanged).
    tables: the sources as read_tables has read them already (default: read here).
    """
    references = References.of(plan)
    rules = rules or EntryRules.of_plan(plan)
    in_force = current if in_force is None else in_force
    problems: list[str] = []
    summaries: list[FileSummary] = []
    changes: list[RecordChange] = []
    not_applied: list[NotApplied] = []
    seen: dict[RecordKey, str] = {}
    if not sources:
        problems.append("取り込むファイルが指定されていません。")
    for table in read_tables(sources, sheet=sheet) if tables is None else tables:
        reader = _FileReader(
            plan=plan, references=references, current=current, table=table, rules=rules
        )
        reader.read()
        problems.extend(reader.problems)
        for row, record in reader.records:
            key = (
                RecordKey(
                    kind="indicator_value",
                    subject_no=record.indicator_no,
                    fiscal_year=record.fiscal_year,
                )
                if isinstance(record, IndicatorValue)
                else RecordKey(
                    kind="item_status", subject_no=record.item_no, fiscal_year=record.fiscal_year
                )
            )
            here = f"{table.name} {row.number}行目"
            if key in seen:
                problems.append(
                    f"{here}: 同じ記録（{_subject_label(plan, key)}）が{seen[key]}にもあります。"
                    "1つにしてください。"
                )
                continue
            seen[key] = here
            change = RecordChange(
                key=key,
                before=current.get(key),
                after=record,
                file_name=table.name,
                file_sha256=table.sha256,
            )
            late = stage_refusal(plan, in_force.get(key), record)
            if late:
                shown = replace(change, before=in_force.get(key))  # against what is in force
                not_applied.append(NotApplied(where=here, change=shown, reason=late))
                continue
            # Only what the file changes is the person's entry: a row of a 照会 workbook left as
            # it was is neither refused nor submitted.
            if actor is not None and change.action != "unchanged":
                refusal = entry_refusal(actor, plan, key)
                if refusal:
                    problems.append(f"{here}: {refusal}")
                unexplained = None if actor.single_user else explanation_problem(record)
                if unexplained:
                    problems.append(f"{here}: {_subject_label(plan, key)}: {unexplained}")
            changes.append(change)
        summaries.append(
            FileSummary(
                name=table.name,
                sha256=table.sha256,
                format_label=table.format_label,
                kind=reader.kind,
                records=len(reader.records),
                unreported_rows=tuple(reader.unreported),
                ignored_columns=tuple(reader.ignored),
            )
        )
    if sources and not problems and not changes and not not_applied:
        problems.append(
            "取り込む記録がありません（実績値または進捗状況が記入された行がありません）。"
        )
    return ImportPreview(
        files=tuple(summaries),
        problems=tuple(problems),
        changes=tuple(changes),
        not_applied=tuple(not_applied),
    )


# --- the store ----------------------------------------------------------------------------------


def preview_import(
    path: Path,
    sources: Sequence[ImportSource],
    *,
    sheet: str | None = None,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ImportPreview:
    """What importing these files would do, as `user` (default: the OS user). Writes nothing.

    Each record is compared with the one waiting for review, if any, else the one in force.
    The files are read first: when every one is refused as it is read (too large, a zip bomb,
    not a table), nothing in the store bears on the answer, and the store is not opened.
    """
    tables = read_tables(sources, sheet=sheet)
    if tables and all(t.problems for t in tables):
        return _refused_on_reading(tables)
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        actor = resolve_actor(con, user or current_user())
        plan = read_plan(con)
        return prepare(
            plan,
            records_to_edit(con, actor),
            sources,
            sheet=sheet,
            actor=actor,
            in_force=read_records(con),
            rules=EntryRules.read(con, plan),
            tables=tables,
        )


def read_tables(sources: Sequence[ImportSource], *, sheet: str | None) -> list[TableFile]:
    """Each file's rows (up to its header when it has none), or why it cannot be read."""
    return [read_table(s.name, s.data, sheet=sheet, is_header=_is_header) for s in sources]


def _refused_on_reading(tables: Sequence[TableFile]) -> ImportPreview:
    """The preview of files each refused as it was read: what prepare() says of such files,
    which read no record and need neither the plan nor the store."""
    return ImportPreview(
        files=tuple(
            FileSummary(
                name=t.name, sha256=t.sha256, format_label=t.format_label, kind=None, records=0
            )
            for t in tables
        ),
        problems=tuple(p for t in tables for p in t.problems),
        changes=(),
    )


def apply_import(
    path: Path,
    sources: Sequence[ImportSource],
    *,
    user: str | None = None,
    sheet: str | None = None,
    expected: ImportPreview | None = None,
    approve: bool = False,
    keep_backups: int = DEFAULT_KEEP,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ImportResult:
    """Write every change of the files in one transaction, after a backup; nothing on a problem.

    Once users are registered the records are submitted for review; approve (an approver's
    `import --approve`) approves them as well, except the actuals that need a comment (所見) to
    be approved, which stay waiting. expected is the preview the person confirmed: if the store
    changed since, so that the preview would now differ, StalePreviewError and nothing is written.
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        actor = resolve_actor(con, user or current_user())
        if approve:
            require_reviewer(actor)
        preview = prepare(
            plan,
            records_to_edit(con, actor),
            sources,
            sheet=sheet,
            actor=actor,
            in_force=read_records(con),
            rules=EntryRules.read(con, plan),
        )
        if not preview.ok:
            raise ValidationError(list(preview.problems))
        if expected is not None and (expected.changes, expected.not_applied) != (
            preview.changes,
            preview.not_applied,
        ):
            raise StalePreviewError(
                "確認した後で、ストアの内容が変わりました（別の人が入力・取込をした可能性があります）。"
                "何も書き込んでいません。もう一度プレビューを確認してから取り込んでください。"
            )
        if not preview.to_write:
            return ImportResult(preview=preview, written=0, backup=None)
        backup = make_backup(con, path, keep=keep_backups, reason="import")
        with transaction(con):
            submitted = submit_changes(con, plan, actor, preview.to_write, method="import")
            approved: list[int] = []
            waiting: list[str] = []
            if approve and submitted:
                needs_finding = finding_rule(plan, read_indicator_values(con))
                for submission in read_submissions(con, ids=submitted):
                    reason = needs_finding(submission)
                    if reason:
                        waiting.append(f"{_subject_label(plan, submission.key)}: {reason}")
                    else:
                        approved.append(submission.submission_id)
                approve_submissions(
                    con, plan, actor, approved, needs_finding=needs_finding, own_allowed=True
                )
    return ImportResult(
        preview=preview,
        written=len(preview.to_write),
        backup=backup,
        submitted=len(submitted),
        approved=len(approved),
        left_waiting=tuple(waiting),
    )
