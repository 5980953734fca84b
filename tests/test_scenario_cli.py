"""`python -m komae_kpi scenario`: import (with --dry-run and --replace), list, show and remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from komae_kpi.cli import main
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.scenarios import list_scenarios, scenario_log
from tests.store_helpers import dump

# A fund and a debt plan, years as column headers, amounts in 百万円 (100百万円 = 1億円).
OUTLOOK = (
    "（単位：百万円）\n"
    "区分,令和6年度,R7,2026年度,２０２７年度,R10,R11\n"
    "積立額,100,100,100,100,100,100\n"
    "取崩額,160,160,160,160,160,160\n"
    "発行額,1000,1000,1000,1000,1000,1000\n"
    "償還額,1150,1150,1150,1150,1150,1150\n"
)


@pytest.fixture
def outlook_file(tmp_path: Path) -> Path:
    path = tmp_path / "中期財政ビジョン.csv"
    path.write_text(OUTLOOK, encoding="utf-8")
    return path


def scenario(*args: str) -> list[str]:
    return ["scenario", *args]


def test_dry_run_shows_the_outlook_and_writes_nothing(
    store: Path, outlook_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(store)
    assert main(scenario("import", str(outlook_file), "--db", str(store), "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "中期財政ビジョン.csv（CSV（UTF-8）、項目ごとの行（年度が列））" in out
    assert "財政見通し「中期財政ビジョン」" in out
    # The fund: 22.3 + (1.0 − 1.6) × 6 = 18.7, below 20.0 from 令和9年度 (19.9).
    assert "令和11年度に18.7億円で、目標20.0億円以上を下回る見込み（令和9年度から）" in out
    # The debt: 167.7 − 1.5 × 6 = 158.7.
    assert "令和11年度に158.7億円（目標160.0億円以下を満たす）" in out
    assert "確認のみ（--dry-run）のため、書き込んでいません。" in out
    assert dump(store) == before


def test_import_list_show_and_remove(
    store: Path, outlook_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(store)]
    args = ["--date", "2025-02-01", "--note", "予算編成時", "--user", "zaisei"]
    assert main(scenario("import", str(outlook_file), *db, *args)) == 0
    assert "財政見通し「中期財政ビジョン」を取り込みました。" in capsys.readouterr().out

    assert main(scenario("list", *db, "--json")) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "中期財政ビジョン" and listed["scenario_date"] == "2025-02-01"
    assert (listed["note"], listed["is_demo"], listed["created_by"]) == (
        "予算編成時",
        False,
        "zaisei",
    )
    assert listed["indicator_nos"] == [4, 5] and listed["file_name"] == "中期財政ビジョン.csv"
    assert main(scenario("list", *db)) == 0
    assert "財政見通し「中期財政ビジョン」（令和7年2月1日、予算編成時）" in capsys.readouterr().out

    save_indicator_value(store, 4, 2025, 21.5)  # a new actual: the path re-bases on it
    assert main(scenario("show", "中期財政ビジョン", *db, "--json")) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 * 7  # two indicators, FY2023–FY2029
    assert list(rows[0]) == [
        "indicator_no",
        "fiscal_year",
        "as_planned",
        "rebased",
        "basis",
        "stage",  # of the actual the re-based value is (見込/決算/確定), else null
    ]
    fund = {r["fiscal_year"]: r for r in rows if r["indicator_no"] == 4}
    # As planned: 22.3 − 0.6 a year → 18.7; re-based on 21.5 (FY2025): 21.5 − 0.6 × 4 = 19.1.
    assert fund[2029]["as_planned"] == 18.7 and fund[2029]["rebased"] == 19.1
    assert fund[2025] == {
        "indicator_no": 4,
        "fiscal_year": 2025,
        "as_planned": 21.1,
        "rebased": 21.5,
        "basis": "実績",
        "stage": "決算",
    }
    assert fund[2026]["basis"] == "前年度末残高＋積立額−取崩額"
    assert main(scenario("show", "中期財政ビジョン", *db)) == 0
    text = capsys.readouterr().out
    assert "指標4 財政調整基金残高（目標 20.0億円以上）" in text
    assert "令和7年度 (2025)\t21.1億円\t21.5億円\t実績" in text
    # 20.0 − 19.1 = 0.9 short over four years of flows: 0.225 a year, rounded up to 0.3.
    assert "取崩額を毎年度あと0.3億円抑える（または積立額を増やす）必要があります。" in text

    assert main(scenario("remove", "中期財政ビジョン", *db, "--user", "zaisei")) == 0
    assert "財政見通し「中期財政ビジョン」を削除しました" in capsys.readouterr().out
    assert list_scenarios(store) == []
    assert [(e.action, e.logged_by) for e in scenario_log(store)] == [
        ("remove", "zaisei"),
        ("import", "zaisei"),
    ]
    assert main(scenario("list", *db)) == 0
    assert "財政見通しはありません" in capsys.readouterr().out


def test_a_taken_name_needs_replace(
    store: Path, outlook_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(store)]
    assert main(scenario("import", str(outlook_file), *db, "--name", "A")) == 0
    capsys.readouterr()
    before = dump(store)
    assert main(scenario("import", str(outlook_file), *db, "--name", "A")) == 1
    assert "財政見通し「A」は既にあります" in capsys.readouterr().err
    assert dump(store) == before
    assert main(scenario("import", str(outlook_file), *db, "--name", "A", "--replace")) == 0
    out = capsys.readouterr().out
    assert "（同じ名前の財政見通しを置き換えます）" in out
    assert "財政見通し「A」を置き換えました。" in out


def test_bad_files_and_names_are_japanese_errors_with_nothing_written(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(store)]
    bad = tmp_path / "誤り.csv"
    bad.write_text("年度,市債発行額\n2030,1\n2025,△1\n", encoding="utf-8")
    before = dump(store)
    assert main(scenario("import", str(bad), *db)) == 1
    err = capsys.readouterr().err
    assert "問題が2件あるため、取り込みませんでした（ストアは変更していません）" in err
    assert "誤り.csv 2行目 A列「年度」: 令和12年度 (2030)は財政見通しの年度" in err
    assert "誤り.csv 3行目 B列「市債発行額」の「△1」: 市債発行額が負の値です" in err
    assert main(scenario("remove", "ない名前", *db)) == 1
    assert "エラー: 財政見通し「ない名前」はありません（財政見通しはまだありません）。" in (
        capsys.readouterr().err
    )
    assert main(scenario("show", "ない名前", *db)) == 1
    assert "財政見通し「ない名前」はありません" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(scenario("import", str(bad), *db, "--date", "2025/2/1"))
    assert exit_info.value.code == 2
    assert "「2025/2/1」は日付として読めません" in capsys.readouterr().err
    assert dump(store) == before
