"""Scenarios in the store (store/scenarios.py): kept and read back, replaced, removed, logged;
refused with nothing written; who may write them; the plan's flows (stock_flows.csv)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from komae_kpi.common.errors import (
    PermissionDeniedError,
    PlanConflictError,
    PlanDataError,
    ValidationError,
)
from komae_kpi.common.paths import PLAN_DIR
from komae_kpi.judgement.outlook import load_outlooks
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.backups import list_backups
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.scenarios import (
    Scenario,
    ScenarioFlow,
    ScenarioForecast,
    list_scenarios,
    remove_scenario,
    save_scenario,
    scenario_log,
)
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump

ADMIN = "kanri@city.komae.lg.jp"


def debt_plan(name: str = "中期財政ビジョン", issuance: float = 10.0) -> Scenario:
    return Scenario(
        name=name,
        scenario_date=dt.date(2025, 2, 1),
        note="令和7年2月版",
        file_name="見通し.csv",
        file_sha256="ab" * 32,
        flows=tuple(
            ScenarioFlow(fiscal_year=y, flow_code=code, amount=amount)
            for y in range(2024, 2030)
            for code, amount in (("issuance", issuance), ("repayment", 11.5))
        ),
        forecasts=(ScenarioForecast(indicator_no=3, fiscal_year=2029, value=89.1),),
    )


def test_a_scenario_is_kept_read_back_and_logged(store: Path) -> None:
    entry = save_scenario(store, debt_plan(), user="zaisei")
    assert (entry.action, entry.name, entry.logged_by, entry.file_name) == (
        "import",
        "中期財政ビジョン",
        "zaisei",
        "見通し.csv",
    )
    assert (
        entry.summary == "増減 12件（市債発行額・元金償還額）、見込値 1件（指標3）、令和6〜11年度"
    )
    (kept,) = list_scenarios(store)
    assert kept.flows == debt_plan().flows and kept.forecasts == debt_plan().forecasts
    assert (kept.scenario_date, kept.note, kept.is_demo, kept.created_by) == (
        dt.date(2025, 2, 1),
        "令和7年2月版",
        False,
        "zaisei",
    )
    assert kept.created_at is not None
    assert kept.indicator_nos(load_plan()) == (3, 5)
    assert [e.action for e in scenario_log(store)] == ["import"]


def test_the_outlook_of_the_store_rebases_on_the_approved_actuals(store: Path) -> None:
    save_scenario(store, debt_plan(), user="zaisei")
    save_indicator_value(store, 5, 2025, 165.0)
    (outlook,) = load_outlooks(store)
    debt = outlook.of(5)
    assert debt is not None
    # 165.0 − 1.5 × 4 = 159.0; as planned 167.7 − 1.5 × 6 = 158.7.
    assert debt.rows[-1].rebased == pytest.approx(159.0)
    assert debt.rows[-1].as_planned == pytest.approx(158.7)
    assert load_outlooks(store, ["ほかの名前"]) == []


def test_a_taken_name_is_refused_unless_replaced(store: Path) -> None:
    save_scenario(store, debt_plan(), user="zaisei")
    before = dump(store)
    with pytest.raises(ValidationError, match=r"既にあります.*--replace"):
        save_scenario(store, debt_plan(issuance=9.0), user="zaisei")
    assert dump(store) == before
    entry = save_scenario(store, debt_plan(issuance=9.0), replace_existing=True, user="zaisei")
    assert entry.action == "replace"
    (kept,) = list_scenarios(store)
    assert {f.amount for f in kept.flows if f.flow_code == "issuance"} == {9.0}
    assert [e.action for e in scenario_log(store)] == ["replace", "import"]  # newest first


_REFUSED: list[tuple[ScenarioFlow | None, ScenarioForecast | None, str]] = [
    (
        ScenarioFlow(fiscal_year=2030, flow_code="issuance", amount=1.0),
        None,
        "市債発行額: 令和12年度 (2030)は財政見通しの年度（令和6年度 (2024)〜令和11年度 (2029)）の外です。",
    ),
    (
        None,
        ScenarioForecast(indicator_no=3, fiscal_year=2023, value=88.0),
        "指標3（経常収支比率）の見込値: 令和5年度 (2023)は財政見通しの年度",
    ),
    (
        ScenarioFlow(fiscal_year=2025, flow_code="deposit", amount=-1.0),
        None,
        "令和7年度の積立額が負の値です。増減はそれぞれ0以上の額で記入してください"
        "（取崩額は別の欄に記入します）。",
    ),
    (
        ScenarioFlow(fiscal_year=2025, flow_code="bonus", amount=1.0),
        None,
        "増減「bonus」は計画データ",
    ),
    (
        None,
        ScenarioForecast(indicator_no=1, fiscal_year=2025, value=120.0),
        "令和7年度の見込値: 指標1（質の高い行政運営が行われていると感じている市民の割合）の値「120.0」は"
        "ありえない値です",
    ),
    (
        None,
        ScenarioForecast(indicator_no=5, fiscal_year=2025, value=160.0),
        "指標5（市債残高）の令和7年度に、見込値と増減（市債発行額・元金償還額）の両方があります。",
    ),
]


def test_what_a_scenario_may_not_hold_is_refused_with_nothing_written(store: Path) -> None:
    base = debt_plan()
    before = dump(store)
    for flow, forecast, message in _REFUSED:
        bad = Scenario(
            name=base.name,
            flows=base.flows + ((flow,) if flow else ()),
            forecasts=base.forecasts + ((forecast,) if forecast else ()),
        )
        with pytest.raises(ValidationError) as info:
            save_scenario(store, bad, user="zaisei")
        assert len(info.value.problems) == 1 and info.value.problems[0].startswith(message)
        assert dump(store) == before


def test_a_year_that_leaves_out_a_flow_given_in_other_years_is_refused(store: Path) -> None:
    base = debt_plan()
    gap = tuple(f for f in base.flows if (f.fiscal_year, f.flow_code) != (2027, "repayment"))
    with pytest.raises(ValidationError) as info:
        save_scenario(store, Scenario(name=base.name, flows=gap), user="zaisei")
    assert info.value.problems == [
        "令和9年度の元金償還額がありません（市債発行額はあります）。"
        "空欄は0とみなさないため、増減のない年度は0と書いてください。"
    ]
    assert list_scenarios(store) == []


def test_an_empty_or_unnamed_scenario_is_refused(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as info:
        save_scenario(store, Scenario(name=" "), user="zaisei")
    assert info.value.problems == [
        "財政見通しの名前が空です。",
        "財政見通し「 」に増減も見込値もありません。",
    ]
    assert dump(store) == before


def test_removing_logs_and_an_unknown_name_is_refused(store: Path) -> None:
    save_scenario(store, debt_plan(), user="zaisei")
    with pytest.raises(
        ValidationError, match="財政見通し「別名」はありません（あるのは「中期財政ビジョン」）"
    ):
        remove_scenario(store, "別名", user="zaisei")
    entry = remove_scenario(store, "中期財政ビジョン", user="zaisei")
    assert (entry.action, entry.name) == ("remove", "中期財政ビジョン")
    assert list_scenarios(store) == []
    assert [e.action for e in scenario_log(store)] == ["remove", "import"]
    tables = dump(store)
    assert tables["scenario_flows"] == [] and tables["scenario_forecasts"] == []


def test_a_scenario_is_readable_from_a_backup_after_it_is_removed(store: Path) -> None:
    save_scenario(store, debt_plan(), user="zaisei")
    with pytest.raises(ValidationError):
        remove_scenario(store, "別名", user="zaisei")
    assert list_backups(store) == []  # a refused removal takes no backup
    remove_scenario(store, "中期財政ビジョン", user="zaisei")
    (backup,) = list_backups(store)
    assert backup.reason == "scenario"
    (kept,) = list_scenarios(backup.path)
    assert kept.flows == debt_plan().flows


def test_who_may_write_a_scenario(store: Path) -> None:
    save_user(store, email=ADMIN, role="管理者", user="setup")
    save_user(store, email="etsuran@city.komae.lg.jp", role="閲覧", user=ADMIN)
    save_user(
        store, email="shokuin@city.komae.lg.jp", role="部署担当", departments=["職員課"], user=ADMIN
    )
    save_user(
        store, email="zaisei@city.komae.lg.jp", role="部署担当", departments=["財政課"], user=ADMIN
    )
    before = dump(store)
    with pytest.raises(
        PermissionDeniedError, match="閲覧のみの利用者のため、指標3（経常収支比率）の財政見通し"
    ):
        save_scenario(store, debt_plan(), user="etsuran@city.komae.lg.jp")
    with pytest.raises(PermissionDeniedError) as info:
        save_scenario(store, debt_plan(), user="shokuin@city.komae.lg.jp")
    assert len(info.value.problems) == 2  # 指標3 and 指標5, both 財政課's
    assert "指標5（市債残高）の財政見通しは財政課の担当です" in info.value.problems[1]
    with pytest.raises(PermissionDeniedError, match="登録されていません"):
        save_scenario(store, debt_plan(), user="someone@example.com")
    assert dump(store) == before
    save_scenario(store, debt_plan(), user="zaisei@city.komae.lg.jp")
    before = dump(store)
    with pytest.raises(PermissionDeniedError):
        remove_scenario(store, "中期財政ビジョン", user="etsuran@city.komae.lg.jp")
    assert dump(store) == before
    remove_scenario(store, "中期財政ビジョン", user=ADMIN)


def test_the_citys_store_refuses_a_made_up_scenario(store: Path) -> None:
    before = dump(store)
    demo = Scenario(name="架空", is_demo=True, flows=debt_plan().flows)
    with pytest.raises(ValidationError, match="デモ用の財政見通しを書き込めません"):
        save_scenario(store, demo, user="zaisei")
    assert dump(store) == before


def test_init_refuses_a_plan_that_drops_a_flow_a_scenario_uses(store: Path, tmp_path: Path) -> None:
    save_scenario(store, debt_plan(), user="zaisei")
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    flows_file = plan_dir / "stock_flows.csv"
    flows_file.write_text(
        flows_file.read_text(encoding="utf-8").replace("5,issuance,市債発行額,1,1\n", ""),
        encoding="utf-8",
    )
    before = dump(store)
    with pytest.raises(PlanConflictError, match="増減「issuance」: 財政見通し「中期財政ビジョン」"):
        init_store(store, plan_dir=plan_dir)
    assert dump(store) == before


def test_the_plans_flows_are_read_and_checked(tmp_path: Path) -> None:
    plan = load_plan()
    assert [(f.flow_code, f.sign) for f in plan.flows_of(5)] == [("issuance", 1), ("repayment", -1)]
    assert [(f.flow_code, f.sign) for f in plan.flows_of(4)] == [("deposit", 1), ("withdrawal", -1)]
    assert plan.is_stock(4) and plan.is_stock(5) and not plan.is_stock(3)
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    with (plan_dir / "stock_flows.csv").open("a", encoding="utf-8") as f:
        f.write("3,issuance,発行額,2,3\n9,extra,追加,1,1\n5,fee,手数料,x,3\n")
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == ["stock_flows.csv 8行目 列「sign」: 「x」は整数ではありません。"]
    (plan_dir / "stock_flows.csv").write_text(
        "indicator_no,flow_code,name,sign,sort_order\n"
        "5,issuance,市債発行額,1,1\n3,issuance,発行額,2,2\n9,extra,市債発行額,1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanDataError) as info:
        load_plan(plan_dir)
    assert info.value.problems == [
        "stock_flows.csv: 増減「issuance」の指標3（経常収支比率）は金額（億円）の指標ではありません。",
        "stock_flows.csv: 増減「issuance」の sign「2」は 1（残高に加える）か -1（残高から引く）です。",
        "stock_flows.csv: 増減「extra」の指標9 は indicators.csv にありません。",
        "stock_flows.csv: flow_code issuance が重複しています。",
        "stock_flows.csv: name 市債発行額 が重複しています。",
    ]
