"""Items and departments shaped for display: the tree as sections of tables, details, summaries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.department_progress import DepartmentSummary, missing_text
from komae_kpi.judgement.item_progress import (
    HistoryEntry,
    ItemRow,
    StatusCounts,
    item_history,
    item_rows,
    reposted_by,
    status_order,
)
from komae_kpi.plan.model import Item, ItemStatus, Plan
from komae_kpi.views import html_blocks
from komae_kpi.views.plan_views import item_departments_text
from komae_kpi.views.status_style import item_status_text, pending_text

ITEM_COLUMNS = ["No.", "取組項目", "推進部署", "進捗状況"]
ALL = "すべて"
KEYWORD_MAX = 100  # characters of the keyword search


def _item_label(item: Item) -> str:
    if item.repost_of is not None:
        return f"{item.name}（取組項目{item.repost_of}の再掲）"
    return item.name


def row_cells(
    plan: Plan, rows: list[ItemRow], item_href: Callable[[int], str] | None = None
) -> tuple[tuple[object, ...], ...]:
    """The cells of ITEM_COLUMNS for each row; with item_href, each name links to the item's
    detail. Plain tuples: the tree builds one small table per 基本事業 (21 on every run of
    /items), where a DataFrame each cost more than the rest of the page's work."""
    return tuple(
        (
            r.item.item_no,
            html_blocks.Link(text=_item_label(r.item), href=item_href(r.item.item_no))
            if item_href
            else _item_label(r.item),
            item_departments_text(r.item, plan),
            pending_text(item_status_text(r.status), r.pending),
        )
        for r in rows
    )


def rows_table(
    plan: Plan, rows: list[ItemRow], item_href: Callable[[int], str] | None = None
) -> pd.DataFrame:
    """No. / 取組項目 / 推進部署 / 進捗状況; with item_href, each name links to the item's detail."""
    return pd.DataFrame(list(row_cells(plan, rows, item_href)), columns=ITEM_COLUMNS)


@dataclass(frozen=True, kw_only=True)
class TreeSection:
    """One 基本事業 with the items that passed the filters, under its 施策 and 方向性 headings."""

    policy_heading: str
    direction_heading: str
    program_heading: str
    rows: tuple[tuple[object, ...], ...]  # the cells of ITEM_COLUMNS


def tree_sections(
    plan: Plan, rows: list[ItemRow], item_href: Callable[[int], str] | None = None
) -> list[TreeSection]:
    """施策 → 方向性 → 基本事業 → 取組項目, keeping only 基本事業 with at least one row."""
    policies = {p.policy_no: p for p in plan.policies}
    directions = {(d.policy_no, d.direction_no): d for d in plan.directions}
    sections = []
    for g in plan.programs:
        mine = [
            r
            for r in rows
            if (r.item.policy_no, r.item.direction_no, r.item.program_no)
            == (g.policy_no, g.direction_no, g.program_no)
        ]
        if not mine:
            continue
        p = policies[g.policy_no]
        d = directions[(g.policy_no, g.direction_no)]
        sections.append(
            TreeSection(
                policy_heading=f"施策{p.policy_no} {p.name}",
                direction_heading=f"方向性{d.code} {d.name}",
                program_heading=f"基本事業{g.code} {g.name}",
                rows=row_cells(plan, mine, item_href),
            )
        )
    return sections


def counts_table(counts: list[StatusCounts]) -> pd.DataFrame:
    """Rows 全体 / 施策1–3, a column per status: '12（+3）' with the change from the previous year."""
    rows = []
    for group in counts:
        row: dict[str, object] = {"区分": group.label, "項目数": group.total}
        for c in group.counts:
            change = (
                ""
                if c.change is None
                else f"（{'+' if c.change > 0 else ''}{c.change if c.change else '±0'}）"
            )
            row[item_status_text(c.status)] = f"{c.count}{change}"
        rows.append(row)
    return pd.DataFrame(rows)


def history_table(history: list[HistoryEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "年度": fy.label(h.fiscal_year),
                "進捗状況": item_status_text(h.status),
                "取組実績": h.achievements or "",
                "課題": h.issues or "",
                "今後の方向性": h.next_steps or "",
            }
            for h in history
        ],
        columns=["年度", "進捗状況", "取組実績", "課題", "今後の方向性"],
    )


def departments_table(plan: Plan, summaries: list[DepartmentSummary]) -> pd.DataFrame:
    """Every department (catch-alls last and marked) with its item count, status mix and gaps."""
    rows = []
    for s in summaries:
        d = s.department
        row: dict[str, object] = {
            "部署": f"{d.name}（総称・特定の部署ではありません）" if d.is_catch_all else d.name,
            "取組項目数": s.activity_count,
        }
        for status, n in s.counts:
            row[item_status_text(status)] = n
        row["未報告の取組項目"] = missing_text(s)
        rows.append(row)
    return pd.DataFrame(rows)


def status_mix_table(plan: Plan, summary: DepartmentSummary) -> pd.DataFrame:
    """One department's status mix as a one-row table in vocabulary order."""
    return pd.DataFrame(
        [{item_status_text(s): n for s, n in summary.counts}],
        columns=[item_status_text(s) for s in status_order(plan)],
    )


def item_choice_label(item: Item) -> str:
    return f"取組項目{item.item_no} {item.display_name}"


@dataclass(frozen=True, kw_only=True)
class ItemDetail:
    title: str
    place: str
    departments: str
    repost_note: str | None
    text: str
    status_text: str
    history: pd.DataFrame


def item_detail(
    plan: Plan,
    statuses: dict[tuple[int, int], ItemStatus],
    item_no: int,
    fiscal_year: int,
    pending: Collection[tuple[int, int]] = (),
) -> ItemDetail:
    """One item: its place in the tree, departments, plan text, this year's status and its history."""
    item = next(i for i in plan.items if i.item_no == item_no)
    policy = next(p for p in plan.policies if p.policy_no == item.policy_no)
    direction = next(
        d
        for d in plan.directions
        if (d.policy_no, d.direction_no) == (item.policy_no, item.direction_no)
    )
    program = plan.program(item.policy_no, item.direction_no, item.program_no)
    repost_note = None
    if item.repost_of is not None:
        repost_note = (
            f"この取組項目は取組項目{item.repost_of}の再掲です。進捗状況は取組項目"
            f"{item.repost_of}と同じものを表示しています（1つの取組を2か所に掲載）。"
        )
    else:
        reposts = reposted_by(plan, item)
        if reposts:
            places = "、".join(f"取組項目{r.item_no}" for r in reposts)
            repost_note = (
                f"この取組項目は{places}として再掲されています（1つの取組を2か所に掲載）。"
            )
    row = next(
        r for r in item_rows(plan, statuses, fiscal_year, pending) if r.item.item_no == item_no
    )
    return ItemDetail(
        title=item_choice_label(item),
        place=f"施策{policy.policy_no} {policy.name} ＞ 方向性{direction.code} {direction.name} ＞ "
        f"基本事業{program.code} {program.name}",
        departments=item_departments_text(item, plan),
        repost_note=repost_note,
        text="\n".join(f"・{line}" for line in item.text.splitlines()),
        status_text=pending_text(item_status_text(row.status), row.pending),
        history=history_table(item_history(item, statuses)),
    )


def tree_groups(
    sections: list[TreeSection],
) -> list[tuple[tuple[str, str, str], tuple[tuple[object, ...], ...]]]:
    """The sections as groups of one table: each repeats only the headings that change."""
    groups = []
    shown_policy = shown_direction = ""
    for s in sections:
        policy = s.policy_heading if s.policy_heading != shown_policy else ""
        direction = s.direction_heading if policy or s.direction_heading != shown_direction else ""
        shown_policy, shown_direction = s.policy_heading, s.direction_heading
        groups.append(((policy, direction, s.program_heading), s.rows))
    return groups


def detail_html(detail: ItemDetail, fiscal_year: int, *, close_href: str | None = None) -> str:
    """The item's card: title, place, departments, repost note, the plan's text and this year's status."""
    repost = html_blocks.paragraph(detail.repost_note, meta=True) if detail.repost_note else ""
    close = html_blocks.link_paragraph("詳細を閉じて一覧へ", close_href) if close_href else ""
    history = (
        html_blocks.paragraph("まだ進捗状況の報告がありません。", meta=True)
        if detail.history.empty
        else html_blocks.table(detail.history, label=f"{detail.title}の進捗状況と取組実績の推移")
    )
    described = html_blocks.definitions(
        [
            ("推進部署", detail.departments),
            ("取組内容（計画）", detail.text),
            (f"{fy.label(fiscal_year)}の進捗状況", detail.status_text),
            ("進捗状況と取組実績の推移", None),
        ]
    )
    return html_blocks.card(
        detail.title,
        html_blocks.paragraph(detail.place, meta=True) + repost + described + history + close,
        label="取組項目の詳細",
    )


def scope_choices(plan: Plan) -> dict[str, str]:
    """One filter for 施策 and 方向性: '1' -> '施策1 …', '1-2' -> '　方向性1-2 …', in plan order."""
    out: dict[str, str] = {}
    for p in plan.policies:
        out[str(p.policy_no)] = f"施策{p.policy_no} {p.name}"
        for d in plan.directions:
            if d.policy_no == p.policy_no:
                out[d.code] = f"　方向性{d.code} {d.name}"
    return out


def filter_form(
    plan: Plan,
    *,
    scope: str | None,
    department: str | None,
    status: str | None,
    text: str,
    hidden: Sequence[tuple[str, str]],
    clear_href: str,
) -> str:
    """The /items search form (?scope=&department=&status=&q=), the chosen filters selected;
    None (and the empty value sent) for 「すべて」. Catch-all departments are marked （総称）."""
    scopes = scope_choices(plan)

    def select(
        label: str,
        name: str,
        values: Sequence[str],
        chosen: str | None,
        shown: Callable[[str], str],
    ) -> html_blocks.FormSelect:
        return html_blocks.FormSelect(
            label=label,
            name=name,
            options=[("", ALL), *((v, shown(v)) for v in values)],
            chosen=chosen or "",
            wide=name == "scope",
        )

    catch_alls = {d.name for d in plan.departments if d.is_catch_all}
    return html_blocks.filter_form(
        label="取組項目の絞り込み",
        selects=[
            select("施策・方向性", "scope", list(scopes), scope, scopes.__getitem__),
            select(
                "部署",
                "department",
                [d.name for d in plan.departments],
                department,
                lambda v: f"{v}（総称）" if v in catch_alls else v,
            ),
            select("進捗状況", "status", status_order(plan), status, item_status_text),
        ],
        text=html_blocks.FormText(
            label="キーワード",
            name="q",
            value=text,
            placeholder="名称・内容・実績で検索",
            max_length=KEYWORD_MAX,
        ),
        hidden=hidden,
        submit="絞り込む",
        clear_href=clear_href,
    )
