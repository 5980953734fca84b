"""The plan's parts as typed values: what the store holds and every other module passes around.

Each record class names its table once (`TABLE`: the plan or history file `<TABLE>.csv` and the
store table `<TABLE>`), and each field says in its metadata (`column(...)`) how it is kept and
published. The plan file loader, the store writer and reader, the change log and the open data are
all driven by these declarations, so a new column is one field here plus its store migration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, Literal, Protocol, get_args, get_type_hints

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.stages import DEFAULT_STAGE, STAGE_LABELS, Stage

Comparator = Literal[">=", "<="]
MeasuredAt = Literal["fiscal_year_end", "next_april_1"]
TargetKind = Literal["improvement", "guardrail"]
DepartmentKind = Literal["department", "catch_all"]

COMPARATOR_WORDS: dict[str, str] = {">=": "以上", "<=": "以下"}


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """How one field of a record is kept and published (a field's metadata, made by column()).

    csv: the field's header in its file (None: the field's name).
    stored: the record's store table has a column of the field's name.
    key: the field is part of the record's key (the store table's primary key).
    blank: text the file may leave empty (kept as ""); other text must be filled in.
    label / description: the 項目名 and 説明 of the open data's data dictionary; a field without a
    label is not published. A description names the plan's facts (counts, years, words of its
    vocabulary) as {placeholders}, never as copies: the data dictionary fills them from the plan
    (plan.facts.description_values).
    """

    csv: str | None = None
    stored: bool = True
    key: bool = False
    blank: bool = False
    label: str | None = None
    description: str = ""


_COLUMN = "komae_kpi.column"
_PLAIN = ColumnSpec()


def column(
    label: str | None = None,
    description: str = "",
    *,
    csv: str | None = None,
    stored: bool = True,
    key: bool = False,
    blank: bool = False,
) -> Mapping[str, ColumnSpec]:
    """A field's metadata: `x: int = field(metadata=column("項目名", "説明", key=True))`."""
    info = ColumnSpec(
        csv=csv, stored=stored, key=key, blank=blank, label=label, description=description
    )
    return {_COLUMN: info}


def column_of(f: Field[Any]) -> ColumnSpec:
    """The field's ColumnSpec; a field without one is kept under its own name, not published."""
    found = f.metadata.get(_COLUMN, _PLAIN)
    assert isinstance(found, ColumnSpec)
    return found


class TableRecord(Protocol):
    """A model record class: a frozen dataclass that names its table."""

    TABLE: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


_COLUMNS: dict[type, tuple[tuple[str, ColumnSpec], ...]] = {}


def columns(record_type: type[TableRecord]) -> tuple[tuple[str, ColumnSpec], ...]:
    """(field name, ColumnSpec) for every field of a record class, in declaration order."""
    # Asked for every row read or written: kept once per class, whose fields never change.
    if record_type not in _COLUMNS:
        _COLUMNS[record_type] = tuple((f.name, column_of(f)) for f in fields(record_type))
    return _COLUMNS[record_type]


def key_names(record_type: type[TableRecord]) -> list[str]:
    return [name for name, c in columns(record_type) if c.key]


def meets(value: float, comparator: Comparator, bound: float) -> bool:
    """Whether value satisfies `value <comparator> bound`."""
    return value >= bound if comparator == ">=" else value <= bound


@dataclass(frozen=True, kw_only=True)
class _Numbered:
    """A part of the plan numbered within its parent; its key is its numbers."""

    @property
    def code(self) -> str:
        """The numbers joined: 「1」 for 施策1, 「1-2」 for its 方向性2, 「1-2-3」 for a 基本事業."""
        return "-".join(str(getattr(self, f.name)) for f in fields(self) if column_of(f).key)


@dataclass(frozen=True, kw_only=True)
class Policy(_Numbered):
    """A 施策 of the plan (施策1–3)."""

    TABLE: ClassVar[str] = "policies"

    policy_no: int = field(metadata=column(key=True))
    name: str


@dataclass(frozen=True, kw_only=True)
class Direction(_Numbered):
    """A 方向性, numbered within its policy; lead is the plan's text under its heading."""

    TABLE: ClassVar[str] = "directions"

    policy_no: int = field(metadata=column(key=True))
    direction_no: int = field(metadata=column(key=True))
    name: str
    alias: str | None
    lead: str = field(metadata=column(blank=True))


@dataclass(frozen=True, kw_only=True)
class Program(_Numbered):
    """A 基本事業, numbered within its direction; lead is the plan's text under its heading."""

    TABLE: ClassVar[str] = "programs"

    policy_no: int = field(metadata=column(key=True))
    direction_no: int = field(metadata=column(key=True))
    program_no: int = field(metadata=column(key=True))
    name: str
    alias: str | None
    lead: str = field(metadata=column(blank=True))


@dataclass(frozen=True, kw_only=True)
class Item:
    TABLE: ClassVar[str] = "items"

    item_no: int = field(
        metadata=column("取組項目番号", "計画の取組項目の番号（{item_nos}）", key=True)
    )
    policy_no: int = field(metadata=column("施策番号", "施策の番号（{policy_nos}）"))
    direction_no: int = field(metadata=column("方向性番号", "施策内の方向性の番号"))
    program_no: int = field(metadata=column("基本事業番号", "方向性内の基本事業の番号"))
    name: str = field(metadata=column("取組項目名", "計画本文に記載の取組項目名"))
    alias: str | None = field(
        metadata=column("別表記", "計画の取組項目一覧での表記が本文と異なる場合の一覧側の表記")
    )
    # Kept in the store's item_departments table, one row per department in the plan's order.
    departments: tuple[str, ...] = field(
        metadata=column(
            "推進部署",
            "推進部署を「・」で区切ったもの（関係各課・各施設所管課は特定の部署ではなく総称）",
            stored=False,
        )
    )
    repost_of: int | None = field(
        metadata=column(
            "再掲元の取組項目番号", "再掲の場合、元の取組項目の番号（空欄は再掲でない）"
        )
    )
    text: str = field(
        metadata=column("取組内容", "計画に記載の取組内容（箇条は改行区切り）", blank=True)
    )

    @property
    def program_code(self) -> str:
        return f"{self.policy_no}-{self.direction_no}-{self.program_no}"

    @property
    def display_name(self) -> str:
        """The name as the plan prints it: a repost carries 「(再掲)」."""
        return f"{self.name}(再掲)" if self.repost_of is not None else self.name


@dataclass(frozen=True, kw_only=True)
class Department:
    TABLE: ClassVar[str] = "departments"

    name: str = field(metadata=column(key=True, csv="department"))
    kind: DepartmentKind
    note: str | None

    @property
    def is_catch_all(self) -> bool:
        return self.kind == "catch_all"


@dataclass(frozen=True, kw_only=True)
class Indicator:
    TABLE: ClassVar[str] = "indicators"

    indicator_no: int = field(
        metadata=column("指標番号", "計画の「6 指標」の番号（{indicator_nos}）", key=True)
    )
    name: str = field(metadata=column("指標名", "計画に記載の指標名"))
    unit: str = field(metadata=column("単位", "{units}"))
    baseline_fiscal_year: int = field(
        metadata=column(
            "現状値の年度", "現状値の年度（西暦の年度。{baseline_fiscal_year} = {baseline_wareki}）"
        )
    )
    baseline_value: float = field(
        metadata=column("現状値", "{baseline_wareki}末の値{baseline_april_first}")
    )
    target_fiscal_year: int = field(
        metadata=column("目標値の年度", "目標値の年度（{target_fiscal_year} = {target_wareki}）")
    )
    target_value: float = field(
        metadata=column("目標値", "{target_wareki}末の目標値{target_april_first}")
    )
    comparator: Comparator = field(
        metadata=column("目標の向き", "「>=」は目標値以上、「<=」は目標値以下を目指す")
    )
    # Not published as such: the open data gives the dates it implies (baseline_as_of, target_as_of).
    measured_at: MeasuredAt
    description: str | None = field(metadata=column("説明", "計画に記載の指標の説明"))
    note: str | None = field(metadata=column("注記", "計画に記載の※注記"))

    @property
    def kind(self) -> TargetKind:
        """Guardrail when the baseline already meets the target, improvement otherwise."""
        if meets(self.baseline_value, self.comparator, self.target_value):
            return "guardrail"
        return "improvement"

    @property
    def comparator_word(self) -> str:
        return COMPARATOR_WORDS[self.comparator]

    @property
    def higher_is_better(self) -> bool:
        """A rise moves toward the target (>=); under a ceiling (<=) a fall does."""
        return self.comparator == ">="

    @property
    def bound_word(self) -> str:
        """'上限' for a ceiling (<=), '下限' for a floor (>=)."""
        return "下限" if self.higher_is_better else "上限"

    @property
    def path_label(self) -> str:
        """What the plan line is called: '計画線', or for a guardrail its bound ('上限' / '下限')."""
        return "計画線" if self.kind == "improvement" else self.bound_word

    @property
    def required_change_label(self) -> str:
        """Guardrails have no change 'required': it is the most the trend may move and stay inside."""
        if self.kind == "guardrail":
            return f"目標内にとどまる年変化の{self.bound_word}"
        return "目標達成に必要な年変化"

    @property
    def gap_label(self) -> str:
        """What the gap to the plan line is called: '計画線との差', or for a guardrail, whose plan
        line is its bound, '目標までの余裕'."""
        return "計画線との差" if self.kind == "improvement" else "目標までの余裕"

    def target_text(self, *, official: bool = False) -> str:
        """'90.0%以下', '20.0億円以上': the target with its comparator (official: △ for negatives)."""
        value = formatting.with_unit(self.target_value, self.unit, official=official)
        return f"{value}{self.comparator_word}"

    @property
    def target_with_year(self) -> str:
        """'90.0%以下（令和11年度 (2029)）'."""
        return f"{self.target_text()}（{fy.label(self.target_fiscal_year)}）"

    def amount_text(self, difference: float) -> str:
        """A distance without its sign, in the unit of differences: '6.2ポイント', '1.2億円'."""
        return formatting.with_unit(abs(difference), formatting.difference_unit(self.unit))

    def path_value(self, fiscal_year: int) -> float | None:
        """The plan path (計画線) for a fiscal year: straight from baseline to target in equal steps.

        A guardrail's path is its bound in every year; None before the baseline year (the plan sets
        no path there). E.g. 167.7 → 160.0 over FY2023–FY2029 gives 166.4 for FY2024.
        """
        if fiscal_year < self.baseline_fiscal_year:
            return None
        if self.kind == "guardrail" or fiscal_year >= self.target_fiscal_year:
            return self.target_value
        span = self.target_fiscal_year - self.baseline_fiscal_year
        share = (fiscal_year - self.baseline_fiscal_year) / span
        return self.baseline_value + share * (self.target_value - self.baseline_value)

    def as_of(self, fiscal_year: int) -> dt.date:
        """The date a value for this fiscal year describes.

        ※ indicators are counted on 1 April; that count closes the fiscal year before it, so the
        baseline FY2023 is the count of 2024-04-01 and the target FY2029 that of 2030-04-01.
        """
        if self.measured_at == "next_april_1":
            return dt.date(fiscal_year + 1, 4, 1)
        return dt.date(fiscal_year + 1, 3, 31)

    def actual_enterable_from(self, fiscal_year: int) -> dt.date:
        """The first day an actual (決算 or 確定) for this fiscal year can exist: the day after the
        fiscal year ends, or for a ※ indicator its 1 April count day (the same day, 1 April of the
        next calendar year). Before it, only a 見込 can be entered."""
        if self.measured_at == "next_april_1":
            return self.as_of(fiscal_year)
        return self.as_of(fiscal_year) + dt.timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class JudgementRule:
    """Our settings for judging an indicator, kept as data (shown to users as the 判定基準).

    path_tolerance: how far behind the plan path (improvement kind) still counts as 順調.
    headroom_margin: how close to the bound (guardrail kind) turns 順調 into 注意.
    min_value / max_value: the values that are possible at all (None: no bound); an entry outside
    them is a typo, not an actual.
    """

    TABLE: ClassVar[str] = "indicator_rules"

    indicator_no: int = field(metadata=column(key=True))
    path_tolerance: float | None
    headroom_margin: float | None
    min_value: float | None = None
    max_value: float | None = None
    basis: str


@dataclass(frozen=True, kw_only=True)
class IndicatorPolicy:
    TABLE: ClassVar[str] = "indicator_policies"

    indicator_no: int = field(metadata=column(key=True))
    policy_no: int = field(metadata=column(key=True))
    basis: str


@dataclass(frozen=True, kw_only=True)
class IndicatorDepartment:
    """A department that answers for an indicator's actuals: the system's setting, not the plan's
    (the plan names departments for items only; basis says how each row was read from it)."""

    TABLE: ClassVar[str] = "indicator_departments"

    indicator_no: int = field(metadata=column(key=True))
    department: str = field(metadata=column(key=True))
    basis: str


@dataclass(frozen=True, kw_only=True)
class StockFlow:
    """A yearly flow that moves a balance indicator (a stock): 市債発行額 adds to 市債残高 (sign +1),
    元金償還額 takes from it (sign -1). The system's setting, not the plan's text: the plan names the
    balances, and the city's 財政見通し plans these flows. An indicator with flows is a stock, whose
    next balance is this year's plus the signed flows (judgement/outlook.py).

    flow_code names the flow in the store and in files (unique over all indicators).
    """

    TABLE: ClassVar[str] = "stock_flows"

    indicator_no: int = field(metadata=column(key=True))
    flow_code: str = field(metadata=column(key=True))
    name: str
    sign: int
    sort_order: int


@dataclass(frozen=True, kw_only=True)
class StatusTerm:
    TABLE: ClassVar[str] = "status_vocabulary"

    status: str = field(metadata=column(key=True))
    sort_order: int
    category: str
    description: str = field(metadata=column(blank=True))


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The whole plan: one tuple of records per plan file (each field's type names its records)."""

    policies: tuple[Policy, ...]
    directions: tuple[Direction, ...]
    programs: tuple[Program, ...]
    items: tuple[Item, ...]
    departments: tuple[Department, ...]
    indicators: tuple[Indicator, ...]
    rules: tuple[JudgementRule, ...]
    indicator_policies: tuple[IndicatorPolicy, ...]
    statuses: tuple[StatusTerm, ...]
    indicator_departments: tuple[IndicatorDepartment, ...]
    stock_flows: tuple[StockFlow, ...]

    def indicator(self, indicator_no: int) -> Indicator:
        for indicator in self.indicators:
            if indicator.indicator_no == indicator_no:
                return indicator
        raise KeyError(indicator_no)

    def departments_of_indicator(self, indicator_no: int) -> tuple[str, ...]:
        """The departments that answer for an indicator (indicator_departments.csv)."""
        return tuple(
            x.department for x in self.indicator_departments if x.indicator_no == indicator_no
        )

    def flows_of(self, indicator_no: int) -> tuple[StockFlow, ...]:
        """The flows that move a balance indicator, in their file's order; () for any other."""
        found = [f for f in self.stock_flows if f.indicator_no == indicator_no]
        return tuple(sorted(found, key=lambda f: f.sort_order))

    def is_stock(self, indicator_no: int) -> bool:
        """Whether the indicator is a balance moved by flows (stock_flows.csv names it)."""
        return any(f.indicator_no == indicator_no for f in self.stock_flows)

    def stock_flow(self, flow_code: str) -> StockFlow:
        for flow in self.stock_flows:
            if flow.flow_code == flow_code:
                return flow
        raise KeyError(flow_code)

    def rule(self, indicator_no: int) -> JudgementRule:
        for rule in self.rules:
            if rule.indicator_no == indicator_no:
                return rule
        raise KeyError(indicator_no)

    def program(self, policy_no: int, direction_no: int, program_no: int) -> Program:
        for program in self.programs:
            if (program.policy_no, program.direction_no, program.program_no) == (
                policy_no,
                direction_no,
                program_no,
            ):
                return program
        raise KeyError((policy_no, direction_no, program_no))


def plan_parts() -> list[tuple[str, type[TableRecord]]]:
    """(Plan field, record class) for every part of the plan, in the Plan's order."""
    hints = get_type_hints(Plan)
    return [(f.name, get_args(hints[f.name])[0]) for f in fields(Plan)]


_STAGE_DESCRIPTION = (
    "値の段階（"
    + "、".join(f"{code} = {word}" for code, word in STAGE_LABELS.items())
    + "）。見込の値は、同じ年度の決算・確定の値が入ると置き換わります"
)


@dataclass(frozen=True, kw_only=True)
class IndicatorValue:
    TABLE: ClassVar[str] = "indicator_values"

    indicator_no: int = field(metadata=column("指標番号", "indicators の指標番号", key=True))
    fiscal_year: int = field(
        metadata=column(
            "年度", "西暦の年度（4月〜翌年3月。{first_fiscal_year} = {first_wareki}）", key=True
        )
    )
    value: float = field(metadata=column("実績値", "指標の単位による値"))
    # Defaults to settled: every value before stages existed, and a file without a 区分 column.
    stage: Stage = field(default=DEFAULT_STAGE, metadata=column("区分", _STAGE_DESCRIPTION))
    source: str | None = field(metadata=column("出典", "値の出典"))
    note: str | None = field(metadata=column("備考", "補足"))

    @property
    def provisional(self) -> bool:
        """Whether the value is an estimate (見込), to be replaced when the 決算 is settled."""
        return self.stage == "estimate"


@dataclass(frozen=True, kw_only=True)
class ReferenceSeries:
    TABLE: ClassVar[str] = "reference_series"

    series_code: str = field(metadata=column(key=True))
    name: str
    unit: str = field(metadata=column(blank=True))
    decimals: int
    description: str = field(metadata=column(blank=True))


@dataclass(frozen=True, kw_only=True)
class ReferenceValue:
    TABLE: ClassVar[str] = "reference_values"

    series_code: str = field(metadata=column("系列コード", "参考系列の識別子", key=True))
    fiscal_year: int = field(metadata=column("年度", "西暦の年度", key=True))
    value: float = field(metadata=column("値", "系列の単位による値"))
    source: str | None = field(metadata=column("出典", "値の出典"))
    note: str | None = field(metadata=column("備考", "補足"))


@dataclass(frozen=True, kw_only=True)
class ItemStatus:
    TABLE: ClassVar[str] = "item_statuses"

    item_no: int = field(metadata=column("取組項目番号", "items の取組項目番号", key=True))
    fiscal_year: int = field(
        metadata=column("年度", "西暦の年度（{first_fiscal_year} = {first_wareki}）", key=True)
    )
    status: str = field(metadata=column("進捗状況", "{status_words} のいずれか"))
    achievements: str | None = field(metadata=column("取組実績", "その年度の取組実績"))
    issues: str | None = field(metadata=column("課題", "その年度の課題"))
    next_steps: str | None = field(metadata=column("今後の方向性", "今後の方向性"))
