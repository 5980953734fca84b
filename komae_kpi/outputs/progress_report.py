"""The yearly progress report (進捗状況報告) as one self-contained HTML document.

The same HTML is published as is and printed to PDF (report_pdf.py): A4 portrait, headings in
order, tables with header cells, every chart an image with alt text, page numbers from CSS page
margin boxes. Numbers follow the official style: 億円 to one decimal, △ for negatives, years as
令和7年度 (2025). Every item is listed for every year; one without a report is 未報告, never dropped.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.judgement.indicator_status import KIND_LABELS, Assessment, criteria_text
from komae_kpi.judgement.item_progress import (
    NOT_REPORTED,
    ItemRow,
    item_rows,
    status_counts,
    status_index,
)
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.plan.model import Indicator
from komae_kpi.store.entries import PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
from komae_kpi.views import charts
from komae_kpi.views.status_style import indicator_status_text, item_status_text

PLAN_TITLE = "狛江市第7次行財政改革推進計画"
REPORT_TITLE = "進捗状況報告"
PUBLISHER = "狛江市"
CHART_WIDTH = 900
CHART_HEIGHT = 480
# Renders a figure to PNG bytes; the caller owns the browser (chart_images.chart_renderer).
ImageRenderer = Callable[..., bytes]


def esc(text: object) -> str:
    return "" if text is None else html.escape(str(text)).replace("\n", "<br>")


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    text: str
    level: int  # 1 = chapter, 2 = section


@dataclass(frozen=True)
class ReportDocument:
    fiscal_year: int
    html: str
    toc: tuple[TocEntry, ...]
    chart_count: int


# --- pieces -------------------------------------------------------------------------------------


def _table(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    row_headers: bool,
    css_class: str = "",
) -> str:
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for n, value in enumerate(row):
            if n == 0 and row_headers:
                cells.append(f'<th scope="row">{esc(value)}</th>')
            else:
                numeric = isinstance(value, str) and value[:1] in "0123456789△+-±－"
                cells.append(f'<td class="{"num" if numeric else ""}">{esc(value)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    attribute = f' class="{css_class}"' if css_class else ""
    return (
        f"<table{attribute}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _official(value: float | None, unit: str) -> str:
    return formatting.with_unit(value, unit, official=True)


def _target_text(x: Indicator) -> str:
    return f"{_official(x.target_value, x.unit)}{x.comparator_word}"


def _indicator_rows(
    snapshot: Snapshot, year: int, assessments: Sequence[Assessment]
) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in assessments:
        x = snapshot.plan.indicator(a.indicator_no)
        actual = snapshot.actuals(x.indicator_no).get(year)
        rows.append(
            [
                f"{x.indicator_no} {x.name}",
                _official(x.baseline_value, x.unit),
                _official(actual, x.unit) if actual is not None else "未入力",
                _target_text(x),
                indicator_status_text(a.status),
            ]
        )
    return rows


def _count_change(change: int | None) -> str:
    if change is None:
        return "－"
    if change == 0:
        return "±0"
    return f"+{change}" if change > 0 else f"△{-change}"


def _chart_section(
    snapshot: Snapshot, year: int, assessment: Assessment, render: ImageRenderer, number: str
) -> str:
    x = snapshot.plan.indicator(assessment.indicator_no)
    figure = charts.indicator_figure(
        x, snapshot.actuals(x.indicator_no), assessment, height=CHART_HEIGHT
    )
    png = render(figure, width=CHART_WIDTH, height=CHART_HEIGHT)
    actuals = snapshot.actuals(x.indicator_no)
    shown = {y: v for y, v in sorted(actuals.items()) if x.baseline_fiscal_year <= y <= year}
    series = "、".join(f"{fy.wareki(y)} {_official(v, x.unit)}" for y, v in shown.items())
    earlier = [y for y in actuals if y < x.baseline_fiscal_year]
    history = f"{fy.wareki(min(earlier))}からの過去の実績値と、" if earlier else ""
    # Say what the chart draws: improvement targets have a plan line, guardrails only the bound.
    line = (
        f"現状値（{fy.wareki(x.baseline_fiscal_year)}）{_official(x.baseline_value, x.unit)}から"
        f"目標値（{fy.wareki(x.target_fiscal_year)}）{_target_text(x)}への計画線"
        if x.kind == "improvement"
        else f"目標（{_target_text(x)}）の線と現状値（{fy.wareki(x.baseline_fiscal_year)}）"
        f"{_official(x.baseline_value, x.unit)}"
    )
    projection = (
        f"、実績の傾向から見た{fy.wareki(x.target_fiscal_year)}の見込み"
        f"{_official(assessment.projected_value, x.unit)}"
        if assessment.projected_value is not None
        else ""
    )
    alt = (
        f"指標{x.indicator_no}「{x.name}」のグラフ。{history}{line}、"
        f"実績値（{series or '未入力'}）{projection}。"
        f"状況: {indicator_status_text(assessment.status)}。"
    )
    image = base64.b64encode(png).decode("ascii")
    anchor = f"indicator-{x.indicator_no}"
    return (
        f'<section class="indicator" id="{anchor}"><h3>{esc(number)} 指標{x.indicator_no} '
        f"{esc(x.name)}</h3>"
        f'<p class="status">{esc(indicator_status_text(assessment.status))}　'
        f"{esc(KIND_LABELS[x.kind])}</p>"
        f'<figure><img src="data:image/png;base64,{image}" alt="{esc(alt)}" '
        f'width="{CHART_WIDTH}" height="{CHART_HEIGHT}">'
        f"<figcaption>図 指標{x.indicator_no} {esc(x.name)}（{esc(fy.label(year))}時点）</figcaption>"
        f"</figure><p>{esc(assessment.reason)}</p></section>"
    )


def _item_block(row: ItemRow) -> str:
    item = row.item
    status = row.status
    cells = [
        ("進捗状況", item_status_text(status)),
        ("推進部署", "・".join(item.departments)),
        ("取組実績", row.achievements or ("（未報告）" if status == NOT_REPORTED else "－")),
        ("課題", row.issues or "－"),
        ("今後の方向性", row.next_steps or "－"),
    ]
    repost = f"（取組項目{item.repost_of}の再掲）" if item.repost_of is not None else ""
    body = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in cells)
    return (
        f'<table class="item"><caption>取組項目{item.item_no} {esc(item.display_name)}'
        f"{esc(repost)}</caption><tbody>{body}</tbody></table>"
    )


def contents_html(toc: Sequence[TocEntry], page_numbers: dict[str, int] | None) -> str:
    """The table of contents: links, and with page_numbers ({} for a placeholder column that
    keeps the layout of the numbered version) the page of each entry."""
    items = []
    for entry in toc:
        page = (page_numbers or {}).get(entry.anchor)
        number = str(page) if page is not None else ("\u3000" if page_numbers is not None else "")
        items.append(
            f'<li class="level-{entry.level}"><a href="#{entry.anchor}">{esc(entry.text)}</a>'
            f'<span class="leader" aria-hidden="true"></span><span class="page">{number}</span></li>'
        )
    return (
        '<nav class="toc" aria-labelledby="toc-heading"><h2 id="toc-heading">目次</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def fill_contents(document: ReportDocument, page_numbers: dict[str, int]) -> ReportDocument:
    """The same document with the page numbers in its table of contents."""
    start = document.html.index('<nav class="toc"')
    end = document.html.index("</nav>", start) + len("</nav>")
    html_text = (
        document.html[:start] + contents_html(document.toc, page_numbers) + document.html[end:]
    )
    return ReportDocument(document.fiscal_year, html_text, document.toc, document.chart_count)


# --- the document -------------------------------------------------------------------------------

CSS = """
@page { size: A4 portrait; margin: 18mm 16mm 20mm 16mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; color: #444; } }
@page :first { @bottom-center { content: none; } }
/* IPAex Gothic (TrueType) is embedded by Chromium as a real font; Noto CJK (CFF) would become
   Type 3 glyphs. One face for every weight: bold is drawn from it, not from Noto CJK Bold. */
@font-face { font-family: "KpiGothic"; src: local("IPAexGothic"), local("IPAexゴシック");
  font-weight: 100 900; }
html { font-family: "KpiGothic", "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", sans-serif;
  font-size: 10.5pt; line-height: 1.6; color: #111; }
body { margin: 0 auto; max-width: 180mm; }
h1 { font-size: 22pt; margin: 0 0 8mm; }
h2 { font-size: 15pt; border-bottom: 2px solid #1F4E79; padding-bottom: 2px; margin-top: 10mm;
  break-after: avoid; }
h3 { font-size: 12.5pt; margin: 6mm 0 2mm; break-after: avoid; }
h4 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
h5 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; color: #1F4E79; }
.cover { height: 245mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }
.cover .plan { font-size: 14pt; margin: 0; }
.cover .year { font-size: 18pt; margin: 4mm 0 30mm; }
.cover .date, .cover .publisher { font-size: 13pt; margin: 1mm 0; }
.demo { border: 2px solid #D55E00; color: #8a3200; padding: 2mm 4mm; font-weight: bold; }
nav.toc { break-after: page; }
nav.toc ol { list-style: none; padding: 0; }
nav.toc li { display: flex; gap: 2mm; }
nav.toc li.level-2 { padding-left: 6mm; }
nav.toc a { color: #111; text-decoration: none; }
nav.toc .leader { flex: 1; border-bottom: 1px dotted #888; margin-bottom: 1.2em; }
nav.toc .page { min-width: 8mm; text-align: right; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; break-inside: auto; }
caption { text-align: left; font-weight: bold; padding: 1mm 0; }
th, td { border: 1px solid #999; padding: 1mm 2mm; vertical-align: top; text-align: left; }
thead th { background: #E8EEF5; }
tr { break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; }
table.indicators td:last-child { white-space: nowrap; }
table.item th { width: 22mm; background: #F4F6F8; white-space: nowrap; }
table.item { break-inside: avoid; }
figure { margin: 2mm 0; break-inside: avoid; }
figure img { width: 100%; height: auto; max-height: 88mm; object-fit: contain; }
figcaption { font-size: 9pt; color: #444; }
section.indicator { break-inside: avoid; }
p.status { font-weight: bold; margin: 0; }
p.note { font-size: 9pt; color: #444; }
p.notice { border: 1px solid #E69F00; padding: 2mm 3mm; font-weight: bold; }
"""


def report_year_problem(year: int) -> str | None:
    """Reports are made for the plan period only (the years items are reported for)."""
    first, last = PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
    if first <= year <= last:
        return None
    return (
        f"進捗状況報告と会議資料は計画期間（{fy.label(first)}〜{fy.label(last)}）の年度について"
        f"作成します（指定: {fy.label(year)}）。"
    )


def build_report(
    snapshot: Snapshot,
    year: int,
    render: ImageRenderer,
    *,
    today: dt.date | None = None,
    page_numbers: dict[str, int] | None = None,
) -> ReportDocument:
    """The report for a fiscal year. page_numbers (anchor → page) fills the table of contents
    when printing (the second pass of report_pdf); without it the contents are links only."""
    problem = report_year_problem(year)
    if problem:
        raise KomaeKpiError(problem)
    plan = snapshot.plan
    today = today or dt.date.today()
    index = status_index(snapshot.statuses)
    toc: list[TocEntry] = []
    parts: list[str] = []

    def chapter(anchor: str, text: str, level: int = 1) -> str:
        toc.append(TocEntry(anchor, text, level))
        tag = "h2" if level == 1 else "h3"
        return f'<{tag} id="{anchor}">{esc(text)}</{tag}>'

    demo = (
        '<p class="demo" role="note">【デモデータ】この報告書の数値は説明用に生成した架空の値で、'
        "狛江市の実績ではありません。</p>"
        if snapshot.is_demo
        else ""
    )
    parts.append(
        f'<header class="cover">{demo}<p class="plan">{PLAN_TITLE}（令和7年度～令和11年度）</p>'
        f"<h1>{esc(fy.wareki(year))} {REPORT_TITLE}</h1>"
        f'<p class="year">{esc(fy.label(year))}</p>'
        f'<p class="date">{esc(fy.wareki_date(today))}（{today.year}年）</p>'
        f'<p class="publisher">{PUBLISHER}</p></header>'
    )

    # 1 summary
    assessments = assess_all(snapshot, year)
    summary = chapter("summary", "1 概要")
    summary += chapter("summary-indicators", "1.1 指標の状況", 2)
    summary += _table(
        f"8つの指標の状況（{fy.label(year)}）",
        [
            "指標",
            f"現状値（{fy.wareki(PLAN_FIRST_FISCAL_YEAR - 2)}）",
            f"{fy.wareki(year)}の実績値",
            "目標値（令和11年度）",
            "状況",
        ],
        _indicator_rows(snapshot, year, assessments),
        row_headers=True,
        css_class="indicators",
    )
    summary += (
        '<p class="note">※ 指標2・7は各年4月1日時点の値です（現状値は令和6年4月1日、'
        "目標値は令和12年4月1日）。状況の判定方法は「4 進捗状況の判定方法」を参照。</p>"
    )
    if not any(v.fiscal_year == year for v in snapshot.values) and not any(
        s.fiscal_year == year for s in snapshot.statuses
    ):
        summary += (
            f'<p class="notice">{esc(fy.wareki(year))}の実績値・進捗状況はまだ入力されていません。'
            "この報告書の状況はすべて「未入力」「未報告」です。</p>"
        )
    summary += chapter("summary-items", "1.2 取組項目の進捗状況", 2)
    counts = status_counts(plan, index, year, first_reported_year=PLAN_FIRST_FISCAL_YEAR)
    overall = counts[0]
    previous_label = f"前年度（{fy.wareki(year - 1)}）からの増減"
    summary += _table(
        f"取組項目の進捗状況の件数（{fy.label(year)}、全{overall.total}項目。再掲の取組項目は"
        "元の取組項目として1回数えています）",
        ["進捗状況", "件数", previous_label],
        [
            [item_status_text(c.status), f"{c.count}件", _count_change(c.change)]
            for c in overall.counts
        ],
        row_headers=True,
    )
    if year == PLAN_FIRST_FISCAL_YEAR:
        summary += f'<p class="note">※ {fy.wareki(year)}は計画の初年度のため、前年度からの増減はありません。</p>'
    by_policy_header = ["施策", *[c.status for c in overall.counts]]
    summary += _table(
        "施策ごとの件数",
        by_policy_header,
        [[g.label, *[f"{c.count}" for c in g.counts]] for g in counts[1:]],
        row_headers=True,
    )
    parts.append(f'<section id="s-summary">{summary}</section>')

    # 2 indicators with charts
    charts_html = chapter("indicators", "2 指標の推移")
    for n, a in enumerate(assessments, start=1):
        toc.append(
            TocEntry(
                f"indicator-{a.indicator_no}",
                f"2.{n} 指標{a.indicator_no} {plan.indicator(a.indicator_no).name}",
                2,
            )
        )
        charts_html += _chart_section(snapshot, year, a, render, f"2.{n}")
    parts.append(f"<section>{charts_html}</section>")

    # 3 items, in the plan's tree
    rows = item_rows(plan, index, year)
    items_html = chapter("items", "3 取組項目の進捗状況")
    for policy in plan.policies:
        anchor = f"policy-{policy.policy_no}"
        toc.append(
            TocEntry(anchor, f"3.{policy.policy_no} 施策{policy.policy_no} {policy.name}", 2)
        )
        items_html += (
            f'<h3 id="{anchor}">3.{policy.policy_no} 施策{policy.policy_no} {esc(policy.name)}</h3>'
        )
        for direction in [d for d in plan.directions if d.policy_no == policy.policy_no]:
            items_html += f"<h4>方向性{direction.policy_no}-{direction.direction_no} {esc(direction.name)}</h4>"
            for program in [
                g
                for g in plan.programs
                if (g.policy_no, g.direction_no) == (direction.policy_no, direction.direction_no)
            ]:
                items_html += f"<h5>基本事業{program.code} {esc(program.name)}</h5>"
                for row in rows:
                    i = row.item
                    if (i.policy_no, i.direction_no, i.program_no) == (
                        program.policy_no,
                        program.direction_no,
                        program.program_no,
                    ):
                        items_html += _item_block(row)
    parts.append(f"<section>{items_html}</section>")

    # 4 method
    method = chapter("method", "4 進捗状況の判定方法")
    method += (
        "<p><strong>改善目標</strong>（現状値が目標を満たしていない指標）は、現状値から目標値まで毎年同じ幅で"
        "進む直線（計画線）と比べます。目標値を満たせば「達成」、計画線上かそれより先なら「順調」、遅れて"
        "いても実績の傾向を令和11年度まで延ばして目標に届くなら「注意」、届かなければ「遅れ」です。</p>"
        "<p><strong>維持目標</strong>（現状値が既に目標を満たしている指標）は、目標そのものを上限・下限として、"
        "範囲内で余裕があり傾向も範囲内なら「順調」、余裕が少ないか傾向が範囲を外れるなら「注意」、範囲を"
        "外れたら「遅れ」です。その年度の実績値がない指標は「未入力」です。</p>"
    )
    method += _table(
        "指標ごとの判定基準",
        ["指標", "判定基準"],
        [
            [f"{x.indicator_no} {x.name}", criteria_text(x, plan.rule(x.indicator_no))]
            for x in plan.indicators
        ],
        row_headers=True,
    )
    method += _table(
        "取組項目の進捗状況の区分",
        ["区分", "意味"],
        [[item_status_text(s.status), s.description] for s in plan.statuses]
        + [[item_status_text(NOT_REPORTED), "その年度の報告がまだない"]],
        row_headers=True,
    )
    method += (
        '<p class="note">判定の許容幅・余裕の目安は当システムの暫定設定であり、推進本部の判断で'
        "見直すことがあります。</p>"
    )
    parts.append(f"<section>{method}</section>")

    nav = contents_html(toc, page_numbers)
    title = f"{PLAN_TITLE} {fy.wareki(year)} {REPORT_TITLE}"
    document = (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(('【デモデータ】' if snapshot.is_demo else '') + title)}</title>"
        f'<meta name="author" content="{PUBLISHER}"><style>{CSS}</style></head><body>'
        f"{parts[0]}{nav}<main>{''.join(parts[1:])}</main></body></html>"
    )
    return ReportDocument(year, document, tuple(toc), len(assessments))
