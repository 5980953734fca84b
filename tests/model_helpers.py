"""Small model values for unit tests: an indicator with only the numbers a test is about."""

from __future__ import annotations

from komae_kpi.plan.model import Comparator, Indicator


def make_indicator(
    baseline: float, target: float, comparator: Comparator, unit: str = "%"
) -> Indicator:
    """Indicator 1, FY2023 baseline to FY2029 target, measured at the fiscal year's end."""
    return Indicator(
        indicator_no=1,
        name="テスト指標",
        unit=unit,
        baseline_fiscal_year=2023,
        baseline_value=baseline,
        target_fiscal_year=2029,
        target_value=target,
        comparator=comparator,
        measured_at="fiscal_year_end",
        description=None,
        note=None,
    )
