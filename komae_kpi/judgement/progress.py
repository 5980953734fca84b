"""One consistent read of the store, and the per-indicator status table built from it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from komae_kpi.store.record_changes import ChangeEntry, read_history


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

    @property
    def is_demo(self) -> bool:
        return self.kind == "demo"

    def actuals(self, indicator_no: int) -> dict[int, float]:
        return {v.fiscal_year: v.value for v in self.values if v.indicator_no == indicator_no}

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


def load_snapshot(path: Path) -> Snapshot:
    with connect(path, read_only=True) as con:
        require_current_schema(con, path)
        return Snapshot(
            path=path,
            kind=store_kind(con),
            plan=queries.read_plan(con),
            values=tuple(queries.read_indicator_values(con)),
            statuses=tuple(queries.read_item_statuses(con)),
            reference_series=tuple(queries.read_reference_series(con)),
            reference_values=tuple(queries.read_reference_values(con)),
            changes=tuple(read_history(con)),
        )


def assess_all(snapshot: Snapshot, fiscal_year: int) -> list[Assessment]:
    values_by_indicator: dict[int, dict[int, float]] = defaultdict(dict)
    for v in snapshot.values:
        values_by_indicator[v.indicator_no][v.fiscal_year] = v.value
    return [
        assess(
            x, snapshot.plan.rule(x.indicator_no), values_by_indicator[x.indicator_no], fiscal_year
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
            "fiscal_year": a.fiscal_year,
            "status_label": a.label,
            "kind": a.kind,
            "unit": a.indicator.unit,
            "target_value": a.indicator.target_value,
            "comparator": a.indicator.comparator,
            "headroom": _rounded(a.headroom),
            "reason": a.reason,
        }
        for a in assess_all(snapshot, fiscal_year)
    ]
