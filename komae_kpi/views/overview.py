"""The HQ meeting's overview: indicator tiles, gap warnings and data-freshness notes, as plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.judgement.indicator_status import Assessment, StatusCode, criteria_text
from komae_kpi.judgement.item_progress import item_rows, status_index
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.plan import facts
from komae_kpi.views import finance_outlook
from komae_kpi.views.status_style import (
    STATUS_BADGE,
    assessment_status_text,
    pending_text,
)

SPARKLINE_YEARS = 10


@dataclass(frozen=True, kw_only=True)
class IndicatorTile:
    indicator_no: int
    name: str
    status: StatusCode
    status_text: str  # '△ 注意'
    badge_color: str
    value_text: str  # '87.3%', '91.2%（見込）'
    provisional: bool  # the status rests on a 見込 value (its status_text says 暫定)
    year_text: str  # '令和5年度 (2023)'
    change_text: str | None  # '+0.4ポイント（前年度比）'
    change_is_good: bool | None  # whether the change moves toward the target
    delta_color: str  # Streamlit's: "normal" when a rise is good, "inverse" when a fall is
    target_text: str  # '目標 90.0%以下（令和11年度 (2029)）'
    sparkline: tuple[float, ...]
    help_text: str


def _previous_value(actuals: dict[int, float], year: int) -> float | None:
    return actuals.get(year - 1)


def tiles(snapshot: Snapshot, fiscal_year: int) -> list[IndicatorTile]:
    out = []
    for a in assess_all(snapshot, fiscal_year):
        x = a.indicator
        actuals = snapshot.actuals(x.indicator_no)
        latest_year = a.latest_fiscal_year
        assert latest_year is not None and a.latest_value is not None
        previous = _previous_value(actuals, latest_year)
        change = None if previous is None else a.latest_value - previous
        change_is_good = None
        if change is not None and formatting.rounded(change) != 0:  # as its text reads
            change_is_good = (change > 0) == x.higher_is_better
        years = sorted(y for y in actuals if y <= latest_year)[-SPARKLINE_YEARS:]
        out.append(
            IndicatorTile(
                indicator_no=x.indicator_no,
                name=x.name,
                status=a.status,
                status_text=pending_text(
                    assessment_status_text(a),
                    snapshot.is_pending_actual(x.indicator_no, latest_year),
                ),
                badge_color=STATUS_BADGE[a.status],
                value_text=a.latest_text,
                provisional=a.provisional,
                year_text=formatting.fiscal_year_label(latest_year),
                change_text=None
                if change is None
                else f"{formatting.signed_difference(change, x.unit)}（前年度比）",
                change_is_good=change_is_good,
                delta_color="normal" if x.higher_is_better else "inverse",
                target_text=f"目標 {x.target_with_year}",
                sparkline=tuple(actuals[y] for y in years),
                help_text=criteria_text(x, snapshot.plan.rule(x.indicator_no)),
            )
        )
    return out


def _change_words(value: float | None, unit: str) -> str:
    """'年0.5ポイントの上昇', '年1.2億円の減少', '変化なし'."""
    if value is None:
        return "（実績が1年分のみのため算出できません）"
    amount = formatting.with_unit(abs(value), formatting.difference_unit(unit))
    if formatting.rounded(value) == 0:
        return "ほぼ横ばい"
    if unit == "%":
        return f"年{amount}の{'上昇' if value > 0 else '低下'}"
    return f"年{amount}の{'増加' if value > 0 else '減少'}"


@dataclass(frozen=True, kw_only=True)
class GapWarning:
    level: Literal["error", "warning"]
    indicator_no: int
    title: str  # '遅れ：指標5 市債残高'
    body: str


def _warning_body(a: Assessment) -> str:
    x = a.indicator
    latest = a.latest_text
    year = formatting.fiscal_year_label(a.latest_fiscal_year)
    observed = _change_words(a.observed_annual_change, x.unit)
    target = x.target_text()
    goal_year = fy.label(x.target_fiscal_year)
    required = _change_words(a.required_annual_change, x.unit)
    if a.kind == "guardrail":
        assert a.headroom is not None
        bound = x.bound_word
        room = x.amount_text(a.headroom)
        if a.is_outside_bound:
            position = f"{bound}を{room}超えています"
            allowed = f"目標の範囲に戻すには{required}が必要です"
        else:
            position = f"{bound}まで残り{room}です"
            allowed = f"{goal_year}まで目標の範囲内にとどまるには、年変化を{required}までに抑える必要があります"
        return (
            f"最新の実績値は{latest}（{year}）で、目標（{target}）の{position}"
            f"（計画線＝{bound} {formatting.with_unit(a.path_value, x.unit)}、"
            f"差 {formatting.signed_difference(a.gap, x.unit)}）。"
            f"{allowed}。実績の傾向は{observed}です。"
        )
    assert a.gap is not None
    return (
        f"最新の実績値は{latest}（{year}）で、計画線 {formatting.with_unit(a.path_value, x.unit)}より"
        f"{x.amount_text(a.gap)}{'遅れて' if a.is_behind else '進んで'}います"
        f"（差 {formatting.signed_difference(a.gap, x.unit)}）。"
        f"目標（{target}、{goal_year}）の達成には{required}が必要ですが、"
        f"実績の傾向は{observed}です。"
    )


def finding_text(snapshot: Snapshot, a: Assessment) -> str:
    """The approver's comment (所見) on the judged actual, to show beside its warning, or ''."""
    if a.latest_fiscal_year is None:
        return ""
    finding = snapshot.finding(a.indicator_no, a.latest_fiscal_year)
    return f"　所見（承認者）: {finding}" if finding else ""


def warning_notes(snapshot: Snapshot, a: Assessment) -> str:
    """What follows the reason of an indicator's warning: the approver's 所見 and, for 遅れ/注意,
    the verdicts of the 財政見通し that touch it."""
    return finding_text(snapshot, a) + finance_outlook.warning_outlook_text(snapshot, a)


def gap_warnings(snapshot: Snapshot, fiscal_year: int) -> list[GapWarning]:
    """Every off_track indicator as an error, then every at_risk one as a warning."""
    out = []
    assessments = assess_all(snapshot, fiscal_year)
    for status, level in (("off_track", "error"), ("at_risk", "warning")):
        for a in assessments:
            if a.status != status:
                continue
            out.append(
                GapWarning(
                    level=level,  # type: ignore[arg-type]
                    indicator_no=a.indicator_no,
                    title=pending_text(
                        f"{assessment_status_text(a)}：指標{a.indicator_no} {a.indicator.name}",
                        snapshot.is_pending_actual(a.indicator_no, a.latest_fiscal_year),
                    ),
                    body=_warning_body(a) + warning_notes(snapshot, a),
                )
            )
    return out


def outlook_warnings(snapshot: Snapshot, fiscal_year: int) -> list[GapWarning]:
    """Indicators not judged 遅れ or 注意 whose 財政見通し misses the target by the target year (as
    a warning each). Their status keeps its rule (the trend of the actuals); the meeting still
    hears what the planned flows say, e.g. when the fund falls below 20億円."""
    out = []
    for a in assess_all(snapshot, fiscal_year):
        if a.status in finance_outlook.WARNING_STATUSES:
            continue  # gap_warnings carries its verdicts
        missed = finance_outlook.warning_verdicts(snapshot, a)
        if missed:
            out.append(
                GapWarning(
                    level="warning",
                    indicator_no=a.indicator_no,
                    title=f"財政見通し：指標{a.indicator_no} {a.indicator.name}",
                    body=f"実績の傾向による判定は「{a.label}{a.provisional_mark}」です。"
                    + "".join(missed),
                )
            )
    return out


@dataclass(frozen=True, kw_only=True)
class Note:
    """A sentence of the overview, with a link to the page that acts on it (実績入力) or none."""

    text: str
    link_text: str | None = None
    href: str | None = None
    level: Literal["info", "success"] = "info"


ALL_CLEAR = "計画線・目標から遅れている指標（遅れ・注意）はありません。"


def entry_href(fiscal_year: int) -> str:
    """'./updates?fy=2025': 実績入力 (pages/updates.py) opened on the year, relative like the
    other links between pages, so that it works under any base path."""
    return f"./updates?fy={fiscal_year}"


def _entry_note(text: str, fiscal_year: int) -> Note:
    return Note(
        text=text, link_text=f"実績入力（{fy.label(fiscal_year)}）", href=entry_href(fiscal_year)
    )


def freshness_notes(snapshot: Snapshot, fiscal_year: int, today: dt.date) -> list[Note]:
    """What is still missing, in words a meeting can act on, with a link to 実績入力 where an
    actual is missing."""
    notes = []
    plan = snapshot.plan
    missing = [x for x in plan.indicators if fiscal_year not in snapshot.actuals(x.indicator_no)]
    if missing:
        names = "、".join(f"指標{x.indicator_no} {x.name}" for x in missing)
        notes.append(
            _entry_note(
                f"{fy.label(fiscal_year)}の実績が未入力です（{len(missing)}指標）: {names}",
                fiscal_year,
            )
        )
    if facts.in_plan_period(fiscal_year):
        rows = item_rows(plan, status_index(snapshot.statuses), fiscal_year, snapshot.pending_items)
        unreported = [r for r in rows if not r.reported and r.item.repost_of is None]
        if unreported:
            notes.append(
                Note(
                    text=f"{fy.label(fiscal_year)}の取組項目の進捗状況が未報告です: "
                    f"{len(unreported)}項目（部署別の画面で部署ごとに確認できます）"
                )
            )
    latest_done = facts.due_fiscal_year(plan, today)
    if fiscal_year < latest_done and not any(v.fiscal_year >= latest_done for v in snapshot.values):
        notes.append(
            _entry_note(
                f"最新の完了年度（{fy.label(latest_done)}）の実績はまだ入力されていません。",
                latest_done,
            )
        )
    return notes


def indicator_notice(snapshot: Snapshot, fiscal_year: int, today: dt.date) -> Note | None:
    """What the overview says of the indicators when none is 遅れ or 注意 (None when one is: its
    warning speaks). The all-clear only when every indicator is judged for the year: a missing
    actual could be the one that is behind, so the missing ones are named instead, with a link to
    実績入力; the baseline year is the 現状値, not judged at all."""
    assessments = assess_all(snapshot, fiscal_year)
    if any(a.status in finance_outlook.WARNING_STATUSES for a in assessments):
        return None
    year = fy.label(fiscal_year)
    if all(a.status == "baseline" for a in assessments):
        return Note(
            text=f"{year}は計画の現状値の年度です。指標の状況（順調・注意・遅れ）は"
            f"{fy.label(fiscal_year + 1)}以降の実績で判定します。"
        )
    missing = tuple(a.indicator for a in assessments if a.status == "no_data")
    if len(missing) == len(assessments):
        due = facts.due_fiscal_year(snapshot.plan, today) >= fiscal_year
        when = min(x.actual_enterable_from(fiscal_year) for x in missing)
        later = (
            ""
            if due
            else f"{year}の実績（決算・確定）は{fy.wareki_date(when)}から入力できます"
            "（それまでは見込の値を入力できます）。"
        )
        return _entry_note(f"{year}の実績はまだ報告されていません。{later}", fiscal_year)
    if missing:
        return _entry_note(
            f"{facts.indicator_numbers_text(missing)}の{year}の実績が未入力のため、"
            "計画線・目標から遅れている指標（遅れ・注意）がないかはまだ確かめられません。",
            fiscal_year,
        )
    return Note(text=ALL_CLEAR, level="success")
