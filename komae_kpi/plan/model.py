"""The plan's parts as typed values: what the store holds and every other module passes around."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting

Comparator = Literal[">=", "<="]
MeasuredAt = Literal["fiscal_year_end", "next_april_1"]
TargetKind = Literal["improvement", "guardrail"]
DepartmentKind = Literal["department", "catch_all"]

COMPARATOR_WORDS: dict[str, str] = {">=": "以上", "<=": "以下"}


def meets(value: float, comparator: Comparator, bound: float) -> bool:
    """Whether value satisfies `value <comparator> bound`."""
    return value >= bound if comparator == ">=" else value <= bound


@dataclass(frozen=True)
class Policy:
    policy_no: int
    name: str

    @property
    def code(self) -> str:
        return str(self.policy_no)


@dataclass(frozen=True)
class Direction:
    policy_no: int
    direction_no: int
    name: str
    alias: str | None
    lead: str

    @property
    def code(self) -> str:
        return f"{self.policy_no}-{self.direction_no}"


@dataclass(frozen=True)
class Program:
    policy_no: int
    direction_no: int
    program_no: int
    name: str
    alias: str | None
    lead: str

    @property
    def code(self) -> str:
        return f"{self.policy_no}-{self.direction_no}-{self.program_no}"


@dataclass(frozen=True)
class Item:
    item_no: int
    policy_no: int
    direction_no: int
    program_no: int
    name: str
    alias: str | None
    departments: tuple[str, ...]
    repost_of: int | None
    text: str

    @property
    def program_code(self) -> str:
        return f"{self.policy_no}-{self.direction_no}-{self.program_no}"

    @property
    def display_name(self) -> str:
        """The name as the plan prints it: a repost carries 「(再掲)」."""
        return f"{self.name}(再掲)" if self.repost_of is not None else self.name


@dataclass(frozen=True)
class Department:
    name: str
    kind: DepartmentKind
    note: str | None

    @property
    def is_catch_all(self) -> bool:
        return self.kind == "catch_all"


@dataclass(frozen=True)
class Indicator:
    indicator_no: int
    name: str
    unit: str
    baseline_fiscal_year: int
    baseline_value: float
    target_fiscal_year: int
    target_value: float
    comparator: Comparator
    measured_at: MeasuredAt
    description: str | None
    note: str | None

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


@dataclass(frozen=True)
class JudgementRule:
    """Our settings for judging an indicator, kept as data (shown to users as the 判定基準).

    path_tolerance: how far behind the plan path (improvement kind) still counts as 順調.
    headroom_margin: how close to the bound (guardrail kind) turns 順調 into 注意.
    min_value / max_value: the values that are possible at all (None: no bound); an entry outside
    them is a typo, not an actual.
    """

    indicator_no: int
    path_tolerance: float | None
    headroom_margin: float | None
    basis: str
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class IndicatorPolicy:
    indicator_no: int
    policy_no: int
    basis: str


@dataclass(frozen=True)
class StatusTerm:
    status: str
    sort_order: int
    category: str
    description: str


@dataclass(frozen=True)
class Plan:
    policies: tuple[Policy, ...]
    directions: tuple[Direction, ...]
    programs: tuple[Program, ...]
    items: tuple[Item, ...]
    departments: tuple[Department, ...]
    indicators: tuple[Indicator, ...]
    rules: tuple[JudgementRule, ...]
    indicator_policies: tuple[IndicatorPolicy, ...]
    statuses: tuple[StatusTerm, ...]

    def indicator(self, indicator_no: int) -> Indicator:
        for indicator in self.indicators:
            if indicator.indicator_no == indicator_no:
                return indicator
        raise KeyError(indicator_no)

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


@dataclass(frozen=True)
class IndicatorValue:
    indicator_no: int
    fiscal_year: int
    value: float
    source: str | None
    note: str | None


@dataclass(frozen=True)
class ReferenceSeries:
    series_code: str
    name: str
    unit: str
    decimals: int
    description: str


@dataclass(frozen=True)
class ReferenceValue:
    series_code: str
    fiscal_year: int
    value: float
    source: str | None
    note: str | None


@dataclass(frozen=True)
class ItemStatus:
    item_no: int
    fiscal_year: int
    status: str
    achievements: str | None
    issues: str | None
    next_steps: str | None
