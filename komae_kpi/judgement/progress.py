"""One consistent read of the store, and the per-indicator status table built from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from komae_kpi.common import stages
from komae_kpi.common.stages import Stage
from komae_kpi.judgement.indicator_status import Assessment, assess
from komae_kpi.plan.model import (
    IndicatorValue,
    ItemStatus,
    Plan,
    ReferenceSeries,
    ReferenceValue,
)
from komae_kpi.store import queries
from komae_kpi.store.connection import (
    StoreKind,
    connect,
    require_current_schema,
    store_kind,
)
from komae_kpi.store.entry_rules import read_published
from komae_kpi.store.record_changes import ChangeEntry, Record, RecordKey, key_of, read_history
from komae_kpi.store.review import (
    Submission,
    latest_findings,
    open_submissions,
    waiting_records,
)
from komae_kpi.store.scenarios import Scenario, read_scenarios
from komae_kpi.store.users import read_users

R = TypeVar("R", IndicatorValue, ItemStatus)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """Everything the pages, the CLI and the exports read, taken in one read-only connection."""

    path: Path
    kind: StoreKind
    plan: Plan
    values: tuple[IndicatorValue, ...]
    statuses: tuple[ItemStatus, ...]
    reference_series: tuple[ReferenceSeries, ...]
    reference_values: tuple[ReferenceValue, ...]
    changes: tuple[ChangeEntry, ...] = ()  # the change history, newest first
    # Review (store/review.py): whether users are registered, so that saves wait for approval;
    # what waits (submitted, or returned to its submitter); the approvers' comments on actuals.
    reviewing: bool = False
    open_submissions: tuple[Submission, ...] = ()
    findings: Mapping[RecordKey, str] = field(default_factory=dict)
    # With include_pending, values and statuses show each waiting submission in place of what is
    # in force; these are the records so shown, to be marked 承認待ち.
    shown_pending: frozenset[RecordKey] = frozenset()
    # The 財政見通し in force (store/scenarios.py), by name; judgement/outlook.py projects them.
    scenarios: tuple[Scenario, ...] = ()
    # The published figures (plan baselines, shipped history): facts no form changes
    # (store/entry_rules.py).
    published: Mapping[RecordKey, IndicatorValue] = field(default_factory=dict)

    @property
    def is_demo(self) -> bool:
        return self.kind == "demo"

    @property
    def waiting(self) -> tuple[Submission, ...]:
        """The submissions waiting for approval."""
        return tuple(s for s in self.open_submissions if s.state == "submitted")

    def is_pending(self, key: RecordKey) -> bool:
        """Whether this record is shown with its waiting submission (mark it 承認待ち)."""
        return key in self.shown_pending

    def is_pending_actual(self, indicator_no: int, fiscal_year: int | None) -> bool:
        """Whether this actual is shown with its waiting submission."""
        return fiscal_year is not None and self.is_pending(
            RecordKey(kind="indicator_value", subject_no=indicator_no, fiscal_year=fiscal_year)
        )

    @property
    def pending_items(self) -> frozenset[tuple[int, int]]:
        """(item_no, fiscal_year) of the item statuses shown with their waiting submission."""
        return frozenset(
            (k.subject_no, k.fiscal_year) for k in self.shown_pending if k.kind == "item_status"
        )

    def finding(self, indicator_no: int, fiscal_year: int) -> str | None:
        """The approver's comment (所見) on this actual in force."""
        key = RecordKey(kind="indicator_value", subject_no=indicator_no, fiscal_year=fiscal_year)
        return self.findings.get(key)

    def actuals(self, indicator_no: int) -> dict[int, float]:
        return {v.fiscal_year: v.value for v in self.values if v.indicator_no == indicator_no}

    def stages(self, indicator_no: int) -> dict[int, Stage]:
        """The stage of each actual of an indicator (fiscal year -> stage)."""
        return {v.fiscal_year: v.stage for v in self.values if v.indicator_no == indicator_no}

    def indicator_value(self, indicator_no: int, fiscal_year: int) -> IndicatorValue | None:
        found = [
            v
            for v in self.values
            if v.indicator_no == indicator_no and v.fiscal_year == fiscal_year
        ]
        return found[0] if found else None

    def item_status(self, item_no: int, fiscal_year: int) -> ItemStatus | None:
        found = [s for s in self.statuses if s.item_no == item_no and s.fiscal_year == fiscal_year]
        return found[0] if found else None

    def latest_fiscal_year(self) -> int:
        """The latest fiscal year with data (an actual or an item status), never before the baseline."""
        years = [v.fiscal_year for v in self.values] + [s.fiscal_year for s in self.statuses]
        baseline = max(x.baseline_fiscal_year for x in self.plan.indicators)
        return max([baseline, *years])


def load_snapshot(path: Path, *, include_pending: bool = False, editing: bool = False) -> Snapshot:
    """The store as people read it: what is in force (approved), or, with include_pending, each
    record replaced by its waiting submission (marked through Snapshot.is_pending).

    editing: as entry forms show it under review: each record replaced by its waiting
    submission, or by its returned one for the submitter to correct (store/review.py).
    """
    with connect(path, read_only=True) as con:
        require_current_schema(con, path)
        values = queries.read_indicator_values(con)
        statuses = queries.read_item_statuses(con)
        reviewing = bool(read_users(con))
        if editing and reviewing:
            waiting = {s.key: s.record for s in open_submissions(con)}
        else:
            waiting = waiting_records(con) if include_pending else {}
        if waiting:
            values = _overlay(values, waiting, IndicatorValue)
            statuses = _overlay(statuses, waiting, ItemStatus)
        plan = queries.read_plan(con)
        return Snapshot(
            path=path,
            kind=store_kind(con),
            plan=plan,
            values=tuple(values),
            statuses=tuple(statuses),
            reference_series=tuple(queries.read_reference_series(con)),
            reference_values=tuple(queries.read_reference_values(con)),
            changes=tuple(read_history(con)),
            reviewing=reviewing,
            open_submissions=tuple(open_submissions(con)),
            findings=latest_findings(con),
            shown_pending=frozenset(waiting),
            scenarios=tuple(read_scenarios(con)),
            published=read_published(con, plan),
        )


def _overlay(
    records: Sequence[R], waiting: Mapping[RecordKey, Record], record_type: type[R]
) -> list[R]:
    """Records in force with the waiting ones put in their place, in key order."""
    merged = {key_of(r): r for r in records}
    merged |= {k: r for k, r in waiting.items() if isinstance(r, record_type)}
    return [merged[k] for k in sorted(merged)]


def assess_all(snapshot: Snapshot, fiscal_year: int) -> list[Assessment]:
    values_by_indicator: dict[int, dict[int, float]] = defaultdict(dict)
    stages_by_indicator: dict[int, dict[int, Stage]] = defaultdict(dict)
    for v in snapshot.values:
        values_by_indicator[v.indicator_no][v.fiscal_year] = v.value
        stages_by_indicator[v.indicator_no][v.fiscal_year] = v.stage
    return [
        assess(
            x,
            snapshot.plan.rule(x.indicator_no),
            values_by_indicator[x.indicator_no],
            fiscal_year,
            stages_by_indicator[x.indicator_no],
        )
        for x in snapshot.plan.indicators
    ]


def _rounded(value: float | None) -> float | None:
    # Four decimals: enough for every published figure, free of float noise such as 0.30000000000000004.
    return None if value is None else round(value, 4)


def status_records(snapshot: Snapshot, fiscal_year: int) -> list[dict[str, Any]]:
    """The `status` command's rows: the agreed columns first, then the useful extras."""
    return [
        {
            "indicator_no": a.indicator_no,
            "name": a.indicator.name,
            "status": a.status,
            "latest_fiscal_year": a.latest_fiscal_year,
            "latest_value": _rounded(a.latest_value),
            "path_value": _rounded(a.path_value),
            "gap": _rounded(a.gap),
            "projected_value": _rounded(a.projected_value),
            "required_annual_change": _rounded(a.required_annual_change),
            "observed_annual_change": _rounded(a.observed_annual_change),
            # The stage of latest_value (見込・決算・確定; null without one) and whether the
            # judgement rests on a 見込 (暫定): first after the agreed columns, whose order holds.
            "stage": stages.label(a.stage) if a.stage and a.latest_value is not None else None,
            "provisional": a.provisional,
            "fiscal_year": a.fiscal_year,
            "status_label": a.label,
            "kind": a.kind,
            "unit": a.indicator.unit,
            "target_value": a.indicator.target_value,
            "comparator": a.indicator.comparator,
            "headroom": _rounded(a.headroom),
            "reason": a.reason,
            # Whether the latest actual is a submission waiting for approval (include_pending).
            "pending": snapshot.is_pending_actual(a.indicator_no, a.latest_fiscal_year),
            # The approver's comment on the latest actual, if any.
            "finding": snapshot.finding(a.indicator_no, a.latest_fiscal_year)
            if a.latest_fiscal_year is not None
            else None,
        }
        for a in assess_all(snapshot, fiscal_year)
    ]
