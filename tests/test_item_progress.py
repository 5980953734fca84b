"""Item statuses: reposts counted once, counts with the change, filters, departments, history."""

from __future__ import annotations

from pathlib import Path

import pytest

from komae_kpi.judgement.department_progress import department_summaries, missing_text
from komae_kpi.judgement.item_progress import (
    NOT_REPORTED,
    ItemFilter,
    filter_rows,
    item_history,
    item_rows,
    status_counts,
    status_index,
)
from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.store.entries import save_item_status
from komae_kpi.views.item_views import counts_table, item_detail, rows_table, tree_sections


@pytest.fixture
def reported(store: Path) -> Snapshot:
    save_item_status(
        store, 8, 2025, "やや遅れ", achievements="研修を2回実施", issues="受講者が少ない"
    )
    save_item_status(store, 8, 2026, "順調", achievements="研修を5回実施")
    save_item_status(store, 21, 2025, "順調")
    save_item_status(store, 21, 2026, "完了")
    save_item_status(store, 24, 2026, "遅れ", next_steps="督促の強化")
    return load_snapshot(store)


def test_a_repost_shows_its_originals_status(reported: Snapshot) -> None:
    rows = {
        r.item.item_no: r for r in item_rows(reported.plan, status_index(reported.statuses), 2025)
    }
    assert rows[8].status == rows[60].status == "やや遅れ"
    assert rows[60].achievements == "研修を2回実施"
    assert rows[1].status == NOT_REPORTED


def test_counts_count_a_repost_once_and_show_the_change(reported: Snapshot) -> None:
    counts = status_counts(
        reported.plan, status_index(reported.statuses), 2026, first_reported_year=2025
    )
    overall = counts[0]
    assert overall.label == "全体" and overall.total == 61
    assert (overall.count("順調"), overall.count("完了"), overall.count("遅れ")) == (1, 1, 1)
    changes = {c.status: c.change for c in overall.counts}
    assert changes["順調"] == 0 and changes["完了"] == 1 and changes["やや遅れ"] == -1
    assert changes[NOT_REPORTED] == -1  # 59 unreported in FY2025, 58 in FY2026
    by_policy = {c.label.split(" ")[0]: c for c in counts[1:]}
    assert by_policy["施策1"].total == 20  # items 1-20
    assert by_policy["施策3"].total == 25  # items 37-62 less the repost 60
    assert by_policy["施策1"].count("順調") == 1  # item 8, counted under its own 施策 only
    assert by_policy["施策3"].count("順調") == 0


def test_the_first_reported_year_has_no_change(reported: Snapshot) -> None:
    counts = status_counts(
        reported.plan, status_index(reported.statuses), 2025, first_reported_year=2025
    )
    assert all(c.change is None for c in counts[0].counts)
    table = counts_table(counts)
    assert list(table["区分"]) == [
        "全体",
        "施策1 質の高い行政運営の推進",
        "施策2 持続可能な財政運営の推進",
        "施策3 組織づくり・人財育成の推進",
    ]
    assert table.loc[0, "△ やや遅れ"] == "1"


def test_counts_table_shows_changes(reported: Snapshot) -> None:
    counts = status_counts(
        reported.plan, status_index(reported.statuses), 2026, first_reported_year=2025
    )
    row = counts_table(counts).iloc[0]
    assert (
        row["◎ 完了"] == "1（+1）" and row["△ やや遅れ"] == "0（-1）" and row["○ 順調"] == "1（±0）"
    )


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ItemFilter(department="納税課"), [24, 25, 26]),
        (ItemFilter(department="財政課", policy_no=1), [6]),
        (ItemFilter(policy_no=3, direction_no=3), list(range(53, 63))),
        (ItemFilter(status="順調"), [21]),
        (ItemFilter(text="デジタル人財"), [8, 60]),
        (ItemFilter(text="受講者"), [8, 60]),  # commentary is searched too
        (ItemFilter(text="取組項目24"), [24]),
        (ItemFilter(text="存在しない語"), []),
    ],
)
def test_filters(reported: Snapshot, f: ItemFilter, expected: list[int]) -> None:
    rows = item_rows(reported.plan, status_index(reported.statuses), 2025)
    assert [r.item.item_no for r in filter_rows(rows, f)] == expected


def test_history_of_an_item_and_of_its_repost(reported: Snapshot) -> None:
    index = status_index(reported.statuses)
    item8 = reported.plan.items[7]
    item60 = reported.plan.items[59]
    assert [h.fiscal_year for h in item_history(item8, index)] == [2025, 2026]
    assert item_history(item60, index) == item_history(item8, index)
    detail = item_detail(reported.plan, index, 60, 2026)
    assert detail.title == "取組項目60 デジタル人財の育成(再掲)"
    assert detail.repost_note and "取組項目8の再掲" in detail.repost_note
    assert detail.status_text == "○ 順調"
    assert list(detail.history["年度"]) == ["令和7年度 (2025)", "令和8年度 (2026)"]
    assert "取組項目60として再掲" in (item_detail(reported.plan, index, 8, 2026).repost_note or "")
    assert detail.place.startswith("施策3 組織づくり・人財育成の推進 ＞ 方向性3-3")


def test_tree_sections_keep_the_plans_order(reported: Snapshot) -> None:
    rows = item_rows(reported.plan, status_index(reported.statuses), 2025)
    sections = tree_sections(reported.plan, rows)
    assert len(sections) == 21
    assert sections[0].program_heading == "基本事業1-1-1 狛江らしさ・狛江の強みを発揮した事業の展開"
    assert sum(len(s.rows) for s in sections) == 62
    only = tree_sections(reported.plan, filter_rows(rows, ItemFilter(department="納税課")))
    assert [s.program_heading for s in only] == ["基本事業2-2-1 財政基盤の強化"]


def test_rows_table_marks_catch_alls_and_reposts(reported: Snapshot) -> None:
    rows = item_rows(reported.plan, status_index(reported.statuses), 2025)
    table = rows_table(reported.plan, rows)
    assert table.loc[0, "推進部署"] == "関係各課（総称）"
    assert table.loc[59, "取組項目"] == "デジタル人財の育成（取組項目8の再掲）"
    assert table.loc[7, "進捗状況"] == "△ やや遅れ"


def test_departments_list_catch_alls_last_and_show_what_is_missing(reported: Snapshot) -> None:
    rows = item_rows(reported.plan, status_index(reported.statuses), 2026)
    summaries = department_summaries(reported.plan, rows)
    assert [s.department.name for s in summaries][-2:] == ["関係各課", "各施設所管課"]
    tax = next(s for s in summaries if s.department.name == "納税課")
    assert [r.item.item_no for r in tax.rows] == [24, 25, 26]
    assert dict(tax.counts)["遅れ"] == 1
    assert missing_text(tax) == "取組項目25、取組項目26"
    staff = next(s for s in summaries if s.department.name == "職員課")
    assert 60 in [r.item.item_no for r in staff.rows]
    assert staff.activity_count == len(staff.rows) - 1  # item 60 is item 8 again
    assert 60 not in [r.item.item_no for r in staff.missing]
