"""Where the status of an indicator is decided: pure functions, no I/O.

Two kinds of target (see model.Indicator.kind):
- improvement: the baseline does not yet meet the target. The plan path is the straight line from
  the baseline (FY2023) to the target (FY2029); being on or ahead of it is 順調.
- guardrail: the baseline already meets the target (経常収支比率 at most 90.0%, 財政調整基金残高 at
  least 20.0億円). The path is the bound itself; what matters is the headroom left and whether the
  trend will cross the bound before FY2029.

The plan's baseline year (FY2023) is not judged: its value is the 現状値 the path starts from, so
its status is baseline (現状値), never 順調, even for a guardrail already within its bound.

The trend is the least-squares line over the baseline and every actual since; it gives both the
observed annual change (its slope) and the projection to the target year.

A judgement knows the stage of the value it rests on (common/stages.py): one resting on a 見込
(an estimate, replaced when the 決算 is settled) is 暫定 (provisional), and says so wherever it is
shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from komae_kpi.common import formatting
from komae_kpi.common.fiscal_year import label as fy_label
from komae_kpi.common.fiscal_year import wareki
from komae_kpi.common.stages import DEFAULT_STAGE, PROVISIONAL_STAGE, Stage
from komae_kpi.plan.model import Indicator, JudgementRule, TargetKind, meets

StatusCode = Literal["achieved", "on_track", "at_risk", "off_track", "no_data", "baseline"]

# Each status's word and icon: a shape as well as a colour, so a status never rests on colour alone.
_STATUS_WORDS: dict[StatusCode, tuple[str, str]] = {
    "achieved": ("達成", "◎"),
    "on_track": ("順調", "○"),
    "at_risk": ("注意", "△"),
    "off_track": ("遅れ", "×"),
    "no_data": ("未入力", "－"),
    "baseline": ("現状値", "□"),  # the plan's starting point: shown, not judged
}
# Statuses that are not a judgement against the path or the target (no 暫定, no warning).
UNJUDGED_STATUSES: tuple[StatusCode, ...] = ("no_data", "baseline")
STATUS_LABELS: dict[StatusCode, str] = {s: label for s, (label, _) in _STATUS_WORDS.items()}
STATUS_ICONS: dict[StatusCode, str] = {s: icon for s, (_, icon) in _STATUS_WORDS.items()}
KIND_LABELS: dict[TargetKind, str] = {
    "improvement": "改善目標（計画線に沿って目標値へ近づける）",
    "guardrail": "維持目標（上限・下限を守る）",
}
# How a judgement resting on a 見込 value is marked, after its status word: 「○ 順調（暫定）」.
PROVISIONAL_WORD = "暫定"
PROVISIONAL_MARK = f"（{PROVISIONAL_WORD}）"
# Beside a table or slide that shows a 見込 value or a provisional judgement.
PROVISIONAL_NOTE = (
    f"（見込）は決算見込・速報などの見込値です。見込値による判定は（{PROVISIONAL_WORD}）とし、"
    "決算値が入力されると変わることがあります。"
)
PROVISIONAL_REASON = f"見込値による{PROVISIONAL_WORD}の判定です（決算値が入力されると、判定が変わることがあります）。"

# Comparisons are made on values rounded to this many decimals, so that 0.1 + 0.2 style float noise
# never flips a status; published figures have at most two decimals.
_PRECISION = 9


@dataclass(frozen=True, kw_only=True)
class Trend:
    slope: float
    intercept: float

    def at(self, fiscal_year: int) -> float:
        return self.intercept + self.slope * fiscal_year


def least_squares(points: Mapping[int, float]) -> Trend | None:
    """Ordinary least-squares line through (fiscal year, value); None with fewer than two years."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(points) / n
    mean_y = sum(points.values()) / n
    sxx = sum((x - mean_x) ** 2 for x in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points.items())
    slope = sxy / sxx
    return Trend(slope=slope, intercept=mean_y - slope * mean_x)


def trend_since_baseline(
    indicator: Indicator, actuals: Mapping[int, float], fiscal_year: int
) -> tuple[dict[int, float], Trend | None]:
    """The points the trend is fitted to (the baseline and every actual since, up to fiscal_year)
    and the fitted line. An actual entered for the baseline year replaces the plan's baseline."""
    points = {
        fy: v for fy, v in actuals.items() if indicator.baseline_fiscal_year <= fy <= fiscal_year
    }
    points.setdefault(indicator.baseline_fiscal_year, indicator.baseline_value)
    return points, least_squares(points)


def headroom(indicator: Indicator, value: float) -> float:
    """Distance from value to the target on the allowed side; negative once the bound is breached."""
    if indicator.comparator == "<=":
        return indicator.target_value - value
    return value - indicator.target_value


@dataclass(frozen=True, kw_only=True)
class Assessment:
    indicator: Indicator
    fiscal_year: int
    status: StatusCode
    latest_fiscal_year: int | None
    latest_value: float | None
    path_value: float | None
    gap: float | None
    headroom: float | None
    projected_value: float | None
    required_annual_change: float | None
    observed_annual_change: float | None
    reason: str
    # The stage of latest_value (決算 for the plan's baseline); None without a value.
    stage: Stage | None = None

    @property
    def indicator_no(self) -> int:
        return self.indicator.indicator_no

    @property
    def provisional(self) -> bool:
        """Whether the judgement rests on a 見込 value (暫定): the status may change when the 決算
        arrives. A year without an actual (no_data) and the baseline year are not judged, so they
        are never provisional."""
        return self.stage == PROVISIONAL_STAGE and self.status not in UNJUDGED_STATUSES

    @property
    def provisional_mark(self) -> str:
        """'（暫定）' after the status word of a provisional judgement, else ''."""
        return PROVISIONAL_MARK if self.provisional else ""

    @property
    def latest_text(self) -> str:
        """The judged value as shown: '91.2%（見込）', '91.0%'; '－' without one."""
        return formatting.with_stage(self.latest_value, self.indicator.unit, self.stage)

    @property
    def latest_official_text(self) -> str:
        """As latest_text, official style (△ for negatives): for the report and the deck."""
        return formatting.with_stage(
            self.latest_value, self.indicator.unit, self.stage, official=True
        )

    @property
    def kind(self) -> TargetKind:
        return self.indicator.kind

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.status]

    @property
    def is_behind(self) -> bool:
        """Whether the latest actual is on the wrong side of the plan line: below it for a rising
        target, above it for a falling one (False when there is no gap)."""
        if self.gap is None:
            return False
        return self.gap < 0 if self.indicator.higher_is_better else self.gap > 0

    @property
    def is_outside_bound(self) -> bool:
        """Whether a guardrail's latest actual is past its bound (negative headroom): over a
        ceiling or under a floor. False for an improvement target, which has no bound, and
        without an actual."""
        return self.headroom is not None and self.headroom < 0

    @property
    def gap_text(self) -> str:
        """The gap to the plan line in words that say which way is good: '6.2ポイント遅れ' /
        '0.4ポイント先行' / '計画線どおり' for an improvement target; for a guardrail, whose plan
        line is its bound, '余裕0.8ポイント' inside it and '0.5ポイント超過' / '1.0億円不足' outside.
        A bare signed difference cannot: △ is good under a ceiling and bad behind a rising target."""
        if self.gap is None:
            return "－"
        x = self.indicator
        if self.kind == "guardrail":
            assert self.headroom is not None
            if formatting.rounded(self.headroom) >= 0:
                return f"余裕{x.amount_text(self.headroom)}"
            return f"{x.amount_text(self.gap)}{'不足' if x.higher_is_better else '超過'}"
        if formatting.rounded(self.gap) == 0:
            return "計画線どおり"
        return f"{x.amount_text(self.gap)}{'遅れ' if self.is_behind else '先行'}"


def _r(value: float) -> float:
    return round(value, _PRECISION)


# Public for the other judgements that compare with targets (judgement/outlook.py).
comparable = _r


def plan_line_bound(indicator: Indicator, rule: JudgementRule, fiscal_year: int) -> float | None:
    """The value a year's figure must meet to be on track: a guardrail's bound (its target, in
    every year); for an improvement target the plan line, allowing the rule's tolerance behind it
    (farther behind is 注意 or 遅れ). None before the baseline year."""
    path = indicator.path_value(fiscal_year)
    if path is None or indicator.kind == "guardrail":
        return path
    tolerance = rule.path_tolerance or 0.0
    return path - tolerance if indicator.comparator == ">=" else path + tolerance


def baseline_reason(indicator: Indicator, shown: str) -> str:
    """'令和5年度 (2023)は計画の現状値の年度です（87.3%）。計画線・目標による判定は令和6年度 (2024)以降の
    実績について行います。'."""
    year = indicator.baseline_fiscal_year
    return (
        f"{formatting.fiscal_year_label(year)}は計画の現状値の年度です（{shown}）。"
        f"計画線・目標による判定は{formatting.fiscal_year_label(year + 1)}以降の実績について行います。"
    )


def assess(
    indicator: Indicator,
    rule: JudgementRule,
    actuals: Mapping[int, float],
    fiscal_year: int,
    stages: Mapping[int, Stage] | None = None,
) -> Assessment:
    """Judge one indicator for one fiscal year from its actuals (fiscal year -> value).

    path_value and gap refer to the year of the latest actual, so gap = latest_value - path_value
    always holds; when that year is not the one asked for, the status is no_data. The baseline
    year's status is baseline (its value is the 現状値, not judged).
    stages: the stage of each actual (fiscal year -> stage); a year it does not name is 決算. A
    judgement on a 見込 value is provisional (Assessment.provisional) and its reason says 見込.
    """
    if fiscal_year < indicator.baseline_fiscal_year:
        raise ValueError(
            f"指標の判定は現状値の年度（{indicator.baseline_fiscal_year}）以降について行います。"
        )
    unit = indicator.unit

    def fmt(value: float | None) -> str:
        return formatting.with_unit(value, unit)

    since_baseline, trend = trend_since_baseline(indicator, actuals, fiscal_year)
    latest_fy = max(since_baseline)
    latest = since_baseline[latest_fy]
    stage = (stages or {}).get(latest_fy, DEFAULT_STAGE) if latest_fy in actuals else DEFAULT_STAGE
    shown = formatting.with_stage(latest, unit, stage)  # the judged value in every reason
    path = indicator.path_value(latest_fy)
    assert path is not None  # latest_fy >= baseline year
    projected = trend.at(indicator.target_fiscal_year) if trend else None
    observed = trend.slope if trend else None
    years_left = indicator.target_fiscal_year - latest_fy
    required = (indicator.target_value - latest) / years_left if years_left > 0 else None
    room = headroom(indicator, latest) if indicator.kind == "guardrail" else None
    target_text = indicator.target_text()

    def result(status: StatusCode, reason: str) -> Assessment:
        if stage == PROVISIONAL_STAGE and status not in UNJUDGED_STATUSES:
            reason += PROVISIONAL_REASON
        return Assessment(
            indicator=indicator,
            fiscal_year=fiscal_year,
            status=status,
            latest_fiscal_year=latest_fy,
            latest_value=latest,
            path_value=path,
            gap=latest - path,
            headroom=room,
            projected_value=projected,
            required_annual_change=required,
            observed_annual_change=observed,
            reason=reason,
            stage=stage,
        )

    if latest_fy != fiscal_year:
        return result(
            "no_data", f"{formatting.fiscal_year_label(fiscal_year)}の実績値が未入力です。"
        )

    if fiscal_year == indicator.baseline_fiscal_year:
        return result("baseline", baseline_reason(indicator, shown))

    projection_meets = projected is not None and meets(
        _r(projected), indicator.comparator, _r(indicator.target_value)
    )
    if indicator.kind == "improvement":
        if meets(_r(latest), indicator.comparator, _r(indicator.target_value)):
            return result("achieved", f"実績値{shown}が目標値（{target_text}）を満たしています。")
        allowed = plan_line_bound(indicator, rule, latest_fy)
        assert allowed is not None  # latest_fy >= baseline year
        if meets(_r(latest), indicator.comparator, _r(allowed)):
            return result("on_track", f"実績値{shown}が計画線（{fmt(path)}）に沿っています。")
        if projection_meets:
            return result(
                "at_risk",
                f"実績値{shown}が計画線（{fmt(path)}）より遅れていますが、"
                f"このままの傾向なら{wareki(indicator.target_fiscal_year)}に{fmt(projected)}となり、"
                "目標値に届く見込みです。",
            )
        outlook = (
            f"このままの傾向では{wareki(indicator.target_fiscal_year)}に{fmt(projected)}で目標値に届きません。"
            if projected is not None
            else "傾向を推計できる実績がまだありません。"
        )
        return result(
            "off_track", f"実績値{shown}が計画線（{fmt(path)}）より遅れています。{outlook}"
        )

    assert room is not None
    margin = rule.headroom_margin or 0.0
    if _r(room) < 0:
        return result("off_track", f"実績値{shown}が目標（{target_text}）を外れています。")
    crosses = projected is not None and not projection_meets
    if _r(room) < _r(margin) or crosses:
        reasons = []
        if _r(room) < _r(margin):
            reasons.append(
                f"目標までの余裕が{formatting.with_unit(room, formatting.difference_unit(unit))}で、"
                f"注意の目安（{formatting.with_unit(margin, formatting.difference_unit(unit))}）を下回っています。"
            )
        if crosses:
            reasons.append(
                f"このままの傾向では{wareki(indicator.target_fiscal_year)}に{fmt(projected)}となり、"
                "目標を外れる見込みです。"
            )
        return result(
            "at_risk",
            f"実績値{shown}は目標（{target_text}）の範囲内ですが、" + "".join(reasons),
        )
    return result(
        "on_track",
        f"実績値{shown}は目標（{target_text}）の範囲内で、余裕も"
        f"{formatting.with_unit(room, formatting.difference_unit(unit))}あります。",
    )


def criteria_text(indicator: Indicator, rule: JudgementRule) -> str:
    """The 判定基準 of one indicator in plain Japanese, for the pages and reports."""
    unit = formatting.difference_unit(indicator.unit)
    target = indicator.target_text()
    if indicator.kind == "improvement":
        return (
            f"現状値（{formatting.with_unit(indicator.baseline_value, indicator.unit)}、"
            f"{fy_label(indicator.baseline_fiscal_year)}）から目標値（{target}、"
            f"{fy_label(indicator.target_fiscal_year)}）"
            "まで毎年同じ幅で進む線を計画線とします。"
            f"目標値を満たせば「達成」、計画線からの遅れが{formatting.with_unit(rule.path_tolerance or 0.0, unit)}"
            "以内なら「順調」、それより遅れていても現状値以降の実績の傾向（最小二乗法による直線）を"
            f"{wareki(indicator.target_fiscal_year)}まで延ばして目標値に届くなら「注意」、届かなければ「遅れ」です。"
            f"（判定基準: {rule.basis}）"
        )
    return (
        f"目標（{target}）を守れているかを見ます。範囲内で、目標までの余裕が"
        f"{formatting.with_unit(rule.headroom_margin or 0.0, unit)}以上あり、実績の傾向を"
        f"{wareki(indicator.target_fiscal_year)}まで延ばしても範囲内なら「順調」、余裕がそれより小さいか、"
        "傾向が範囲を外れるなら「注意」、目標を外れたら「遅れ」です。"
        f"（判定基準: {rule.basis}）"
    )
