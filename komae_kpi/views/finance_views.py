"""The finance section's view: the fiscal indicators side by side and the reference series."""

from __future__ import annotations

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import Indicator
from komae_kpi.views import finance_outlook, html_blocks
from komae_kpi.views.indicator_views import IndicatorSummary

FISCAL_POLICY_NO = 2  # 施策2 持続可能な財政運営の推進

# The parts of /finance below the cards, one at a time (?view=…): drawn whole, the page
# measured 1.2-1.3x its floor (bench/README.md, issue 13), each part alone under 1.2x.
HISTORY_VIEW = "history"
VALUES_VIEW = "values"
OUTLOOK_VIEW = "outlook"
PEERS_VIEW = "peers"
DEFAULT_VIEW = HISTORY_VIEW
VIEW_LABEL = "表示"
HISTORY_TITLE = "推移"
VALUES_TITLE = "年度別の値と出典"


def fiscal_indicators(snapshot: Snapshot) -> list[Indicator]:
    """The indicators linked to 施策2 (経常収支比率, 財政調整基金残高, 市債残高), in plan order."""
    linked = {
        x.indicator_no for x in snapshot.plan.indicator_policies if x.policy_no == FISCAL_POLICY_NO
    }
    return [x for x in snapshot.plan.indicators if x.indicator_no in linked]


def views(peer_group_name: str) -> dict[str, str]:
    """Each part of /finance (its ?view= value) and the text of its link, in page order."""
    return {
        HISTORY_VIEW: HISTORY_TITLE,
        VALUES_VIEW: VALUES_TITLE,
        OUTLOOK_VIEW: finance_outlook.SECTION_TITLE,
        PEERS_VIEW: peers_title(peer_group_name),
    }


def peers_title(peer_group_name: str) -> str:
    return f"{peer_group_name}・全国との比較"


def reference_table(snapshot: Snapshot) -> pd.DataFrame:
    """年度 × reference series, newest first, each with its decimals, and the source."""
    series = snapshot.reference_series
    years = sorted({v.fiscal_year for v in snapshot.reference_values}, reverse=True)
    by_key = {(v.series_code, v.fiscal_year): v for v in snapshot.reference_values}
    rows = []
    for year in years:
        row = {"年度": fy.label(year)}
        sources = []
        for s in series:
            v = by_key.get((s.series_code, year))
            row[s.name] = "－" if v is None else formatting.with_unit(v.value, s.unit, s.decimals)
            if v is not None and v.source and v.source not in sources:
                sources.append(v.source)
        row["出典"] = "、".join(sources)
        rows.append(row)
    return pd.DataFrame(rows, columns=["年度", *[s.name for s in series], "出典"])


REFERENCE_NOTE = "「－」は、その年度の値が公表されていない、または算定されない（将来負担比率など）ことを示します。"


def card_html(summary: IndicatorSummary, fiscal_year: int) -> str:
    """One fiscal indicator's card: status, target, key figures, the reason, a link to its chart."""
    x = summary.indicator
    return html_blocks.card(
        f"指標{x.indicator_no} {x.name}",
        html_blocks.badge(summary.status_text, summary.badge_color)
        + html_blocks.paragraph(summary.target_text, meta=True)
        + html_blocks.figures(summary.figures, columns=2)
        + html_blocks.paragraph(summary.assessment.reason)
        + (html_blocks.paragraph(f"所見（承認者）: {summary.finding}") if summary.finding else "")
        + "".join(html_blocks.paragraph(line) for line in summary.outlook)
        + html_blocks.link_paragraph(
            "この指標のグラフと実績値（指標の画面）",
            f"./indicators?indicator={x.indicator_no}&fy={fiscal_year}",
        ),
    )
