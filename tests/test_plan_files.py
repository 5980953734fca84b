"""data/plan/ against the plan's text: names, tree, departments, repost, aliases, indicators."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from komae_kpi.common.errors import PlanDataError
from komae_kpi.common.paths import PLAN_DIR
from komae_kpi.plan.plan_files import load_history, load_plan
from tests import plan_expectations as expected
from tests import plan_text
from tests.conftest import PLAN_TEXT, shared_file

PLAN = load_plan()


def test_counts() -> None:
    assert (len(PLAN.policies), len(PLAN.directions), len(PLAN.programs), len(PLAN.items)) == (
        3,
        8,
        21,
        62,
    )
    assert len(PLAN.indicators) == 8


def test_every_item_name_place_and_departments() -> None:
    by_no = {i.item_no: i for i in PLAN.items}
    for no, place, name, printed_departments in expected.items():
        item = by_no[no]
        assert item.display_name == name, no
        assert (item.policy_no, item.direction_no, item.program_no) == place, no
        assert list(item.departments) == expected.split_departments(printed_departments), no


def test_item_60_is_a_repost_of_item_8() -> None:
    reposts = {i.item_no: i.repost_of for i in PLAN.items if i.repost_of is not None}
    assert reposts == {60: 8}
    item8, item60 = PLAN.items[7], PLAN.items[59]
    assert item60.name == item8.name
    assert item60.text == item8.text
    assert item60.display_name == "デジタル人財の育成(再掲)"


def test_programs_directions_and_policies() -> None:
    programs = {g.code: g.name for g in PLAN.programs}
    for line in expected.PROGRAMS.strip().splitlines():
        code, name = line.split("|")
        assert programs[code] == name
    directions = {d.code: d.name for d in PLAN.directions}
    for line in expected.DIRECTIONS.strip().splitlines():
        code, name = line.split("|")
        assert directions[code] == name
    assert {p.policy_no: p.name for p in PLAN.policies} == expected.POLICIES


def test_body_wording_is_the_name_and_the_list_wording_the_alias() -> None:
    named = {f"direction {d.code}": (d.name, d.alias) for d in PLAN.directions}
    named |= {f"program {g.code}": (g.name, g.alias) for g in PLAN.programs}
    named |= {f"item {i.item_no}": (i.name, i.alias) for i in PLAN.items}
    for key, pair in expected.ALIASES.items():
        assert named[key] == pair
    with_alias = {k for k, (_, alias) in named.items() if alias}
    assert with_alias == set(expected.ALIASES)


def test_no_pdf_line_break_spaces_inside_names() -> None:
    for name in [i.name for i in PLAN.items] + [g.name for g in PLAN.programs]:
        assert not re.search(r"\s", name), name
    assert PLAN.items[52].name == "市民目線に立った市民とともにまちを創る職員の育成"


def test_catch_alls_are_marked_and_every_department_is_listed() -> None:
    kinds = {d.name: d.kind for d in PLAN.departments}
    assert {n for n, k in kinds.items() if k == "catch_all"} == expected.CATCH_ALLS
    used = {d for i in PLAN.items for d in i.departments}
    assert used == set(kinds)
    assert "財政課" in kinds and kinds["財政課"] == "department"


def test_indicators_as_in_the_plan() -> None:
    for line in expected.INDICATORS.strip().splitlines():
        no, name, unit, baseline, target, comparator = line.split("|")
        x = PLAN.indicator(int(no))
        assert (x.name, x.unit, x.comparator) == (name, unit, comparator)
        assert x.baseline_value == float(baseline) and x.target_value == float(target)
        assert (x.baseline_fiscal_year, x.target_fiscal_year) == (2023, 2029)


def test_the_two_guardrails_are_the_ratio_and_the_fund() -> None:
    assert [x.indicator_no for x in PLAN.indicators if x.kind == "guardrail"] == [3, 4]


def test_asterisk_indicators_are_counted_on_1_april() -> None:
    import datetime as dt

    for x in PLAN.indicators:
        if x.indicator_no in (2, 7):
            assert x.as_of(2023) == dt.date(2024, 4, 1)
            assert x.as_of(2029) == dt.date(2030, 4, 1)
            assert x.note and "4月1日" in x.note
        else:
            assert x.as_of(2023) == dt.date(2024, 3, 31)
    note = PLAN.indicator(3).note
    assert note and note.startswith("※参考")
    assert [x.indicator_no for x in PLAN.indicators if x.description] == [2, 3, 5, 8]


def test_indicator_policy_links_are_marked_as_our_reading() -> None:
    links = {x.indicator_no: x.policy_no for x in PLAN.indicator_policies}
    assert links == {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3, 7: 3, 8: 3}
    assert all("当システム" in x.basis for x in PLAN.indicator_policies)


def test_status_vocabulary() -> None:
    assert [s.status for s in PLAN.statuses] == [
        "完了",
        "順調",
        "やや遅れ",
        "遅れ",
        "未着手",
        "見直し",
    ]


# --- against the plan's own text ----------------------------------------------------------------


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_texts_equal_the_plans_bullets_and_paragraphs_exactly() -> None:
    """Bullet for bullet: a dropped, merged, swapped or cut bullet or paragraph fails here."""
    read = plan_text.read(shared_file(PLAN_TEXT).read_text(encoding="utf-8"))
    assert sorted(read.items) == list(range(1, 63))
    for item in PLAN.items:
        assert item.text.splitlines() == read.items[item.item_no], item.item_no
    assert {g.code: g.lead.splitlines() for g in PLAN.programs} == read.programs
    assert {d.code: d.lead.splitlines() for d in PLAN.directions} == read.directions


def test_indicator_descriptions_and_notes_are_the_plans_words() -> None:
    lines = plan_text.read(shared_file(PLAN_TEXT).read_text(encoding="utf-8")).indicator_lines
    descriptions = [line.removeprefix("説明").strip() for line in lines if line.startswith("説明")]
    assert [x.description for x in PLAN.indicators if x.description] == descriptions
    notes = [line for line in lines if line.startswith("※")]
    assert PLAN.indicator(3).note == notes[0]
    assert PLAN.indicator(2).note == PLAN.indicator(7).note == notes[1]


def test_names_and_texts_appear_in_the_plan_body() -> None:
    text = shared_file(PLAN_TEXT).read_text(encoding="utf-8")
    body = _squeeze(text[text.index("7 計画\n") :])
    for item in PLAN.items:
        assert f"取組項目{item.item_no}{_squeeze(item.display_name)}" in body, item.item_no
        for bullet in item.text.splitlines():
            assert _squeeze(bullet) in body, (item.item_no, bullet[:20])
    for program in PLAN.programs:
        assert _squeeze(program.name) in body
        for paragraph in program.lead.splitlines():
            assert _squeeze(paragraph) in body, program.code
    for direction in PLAN.directions:
        assert f"方向性{direction.direction_no}{direction.name}" in body
        for paragraph in direction.lead.splitlines():
            assert _squeeze(paragraph) in body, direction.code


def test_departments_appear_as_printed_in_the_plan() -> None:
    text = _squeeze(shared_file(PLAN_TEXT).read_text(encoding="utf-8"))
    for no, _place, _name, printed in expected.items():
        assert f"推進部署{_squeeze(printed)}" in text, no


def test_aliases_appear_in_the_list_or_contents() -> None:
    text = shared_file(PLAN_TEXT).read_text(encoding="utf-8")
    front = _squeeze(text[: text.index("7 計画\n")])
    for _name, alias in expected.ALIASES.values():
        assert _squeeze(alias) in front


# --- bad plan files ------------------------------------------------------------------------------


def _copy_plan(tmp_path: Path) -> Path:
    target = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bad_plan_files_report_every_problem_with_file_row_and_column(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    _edit(plan_dir / "indicators.csv", "3,経常収支比率,%,2023,87.3", "3,経常収支比率,%,2023,八七")
    _edit(plan_dir / "items.csv", "\n2,1,1,2,", "\n2,1,1,X,")
    _edit(plan_dir / "indicators.csv", ",<=,fiscal_year_end", ",<,fiscal_year_end")
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    problems = info.value.problems
    assert any(
        "indicators.csv 4行目" in p and "baseline_value" in p and "八七" in p for p in problems
    )
    assert any("items.csv 3行目" in p and "program_no" in p and "「X」" in p for p in problems)
    assert any("comparator" in p and "「<」" in p for p in problems)
    assert len(problems) == 3


def test_cross_file_problems_are_reported(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    _edit(plan_dir / "items.csv", ",職員課,,", ",職員課・架空課,,")
    _edit(plan_dir / "items.csv", ",職員課,8,", ",職員課,99,")
    _edit(plan_dir / "indicator_rules.csv", "3,,1.0,", "3,,,")
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    text = str(info.value)
    assert "架空課" in text and "再掲元 99" in text and "headroom_margin" in text


def test_history_rejects_unknown_indicators(tmp_path: Path) -> None:
    history = tmp_path / "history"
    shutil.copytree(PLAN_DIR.parent / "history", history)
    with (history / "indicator_values.csv").open("a", encoding="utf-8") as f:
        f.write("9,2020,1.0,テスト,\n")
    with pytest.raises(PlanDataError, match="指標9"):
        load_history(PLAN, history)


def test_duplicate_keys_are_found_in_every_plan_file(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    for name in ("items.csv", "directions.csv", "departments.csv", "indicator_policies.csv"):
        with (plan_dir / name).open(encoding="utf-8", newline="") as f:
            first_row = list(csv.reader(f))[1]
        with (plan_dir / name).open("a", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerow(first_row)
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == [
        "directions.csv: (1, 1) が重複しています。",
        "items.csv item_no: 1 が重複しています。",
        "departments.csv department: 政策室 が重複しています。",
        "indicator_policies.csv: (1, 1) が重複しています。",
    ]


def test_indicator_years_must_fit_the_plan_period(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    indicators = plan_dir / "indicators.csv"
    text = indicators.read_text(encoding="utf-8")
    # Indicator 1's baseline moves into the period and indicator 5's target past its end.
    text = text.replace("割合,%,2023,71.4,2029,", "割合,%,2025,71.4,2029,", 1)
    text = text.replace("市債残高,億円,2023,167.7,2029,", "市債残高,億円,2023,167.7,2030,", 1)
    indicators.write_text(text, encoding="utf-8")
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == [
        "indicators.csv: 指標1 の現状値の年度（令和7年度 (2025)）が計画期間の初年度"
        "（令和7年度 (2025)）より前ではありません。",
        "indicators.csv: 指標5 の目標年度（令和12年度 (2030)）が"
        "計画期間（令和7年度 (2025)〜令和11年度 (2029)）の外です。",
    ]


def test_the_period_in_facts_ends_where_the_indicators_aim(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    indicators = plan_dir / "indicators.csv"
    # Every indicator aiming at 2028 (inside the period) leaves facts.LAST_FISCAL_YEAR alone.
    indicators.write_text(
        indicators.read_text(encoding="utf-8").replace(",2029,", ",2028,"), encoding="utf-8"
    )
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == [
        "indicators.csv: 目標年度が計画期間の最終年度（令和11年度 (2029)）の指標がありません。"
        "計画期間（plan/facts.py）と指標の目標年度を合わせてください。"
    ]


def test_indicator_departments_are_the_systems_setting_read_from_the_plan() -> None:
    answering = {
        x.indicator_no: PLAN.departments_of_indicator(x.indicator_no) for x in PLAN.indicators
    }
    assert answering == {
        1: ("政策室",),
        2: ("政策室", "施設課"),  # item 14's departments, its catch-all left out
        3: ("財政課",),
        4: ("財政課",),
        5: ("財政課",),
        6: ("職員課",),
        7: ("職員課",),
        8: ("職員課",),
    }
    assert all(x.basis.startswith("当システムによる設定") for x in PLAN.indicator_departments)
    # Each basis that names an item names one whose departments include the row's department.
    items = {i.item_no: i for i in PLAN.items}
    for link in PLAN.indicator_departments:
        for no in re.findall(r"取組項目(\d+)", link.basis):
            assert link.department in items[int(no)].departments, (link, no)


def test_indicator_departments_are_checked_against_the_plan(tmp_path: Path) -> None:
    plan_dir = _copy_plan(tmp_path)
    path = plan_dir / "indicator_departments.csv"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [r for r in rows if not r.startswith("8,")]
    kept += ["9,財政課,試験\n", "1,架空課,試験\n", "2,関係各課,試験\n"]
    path.write_text("".join(kept), encoding="utf-8")
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == [
        "indicator_departments.csv: 指標9 は indicators.csv にありません。",
        "indicator_departments.csv: 指標1 の部署「架空課」が departments.csv にありません。",
        "indicator_departments.csv: 指標2 の部署「関係各課」は特定の部署ではありません（総称）。",
    ]
