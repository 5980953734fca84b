"""python -m komae_kpi: the commands, --db and KOMAE_KPI_DB, and Japanese errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from komae_kpi.cli import main
from komae_kpi.common.paths import DB_ENV_VAR, DEFAULT_DB_PATH, PROJECT_ROOT, resolve_db_path
from komae_kpi.store.entries import save_indicator_value

AGREED_STATUS_KEYS = [
    "indicator_no",
    "name",
    "status",
    "latest_fiscal_year",
    "latest_value",
    "path_value",
    "gap",
    "projected_value",
    "required_annual_change",
    "observed_annual_change",
]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "komae_kpi", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=full_env,
        check=False,
    )


def test_init_status_export_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "kpi.duckdb"
    result = run("init", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "作成しました" in result.stdout and "取組項目 62件" in result.stdout
    again = run("--db", str(db), "init")  # --db before the command works too
    assert again.returncode == 0 and "更新しました" in again.stdout
    status = run("status", "--db", str(db), "--fiscal-year", "令和5年度", "--json")
    assert status.returncode == 0, status.stderr
    records = json.loads(status.stdout)
    assert [r["indicator_no"] for r in records] == list(range(1, 9))
    assert list(records[0])[: len(AGREED_STATUS_KEYS)] == AGREED_STATUS_KEYS
    out = tmp_path / "export"
    exported = run("export", "--db", str(db), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert (out / "items.csv").exists() and (out / "data_dictionary.csv").exists()


def test_the_environment_variable_chooses_the_store(tmp_path: Path) -> None:
    db = tmp_path / "env.duckdb"
    assert run("init", env={DB_ENV_VAR: str(db)}).returncode == 0
    assert db.exists()


def test_db_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert resolve_db_path() == DEFAULT_DB_PATH
    monkeypatch.setenv(DB_ENV_VAR, str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(str(tmp_path / "flag.duckdb")) == tmp_path / "flag.duckdb"
    # Relative paths are made absolute, so the dashboard's init child process means the same file.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, "rel.duckdb")
    assert resolve_db_path() == tmp_path / "rel.duckdb"


def test_status_text_for_the_latest_year_with_data(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOMAE_KPI_TODAY", "2026-11-30")  # the default year: the due one, FY2025
    save_indicator_value(store, 3, 2025, 90.6, source="決算")
    assert main(["status", "--db", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("令和7年度 (2025) の指標の状況")
    assert "経常収支比率  [遅れ]" in out
    assert "財政調整基金残高  [未入力]" in out


def test_status_json_values(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_indicator_value(store, 5, 2025, 166.0)
    assert main(["status", "--db", str(store), "--fiscal-year", "R7", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)[4]
    # 市債残高: path 167.7 -> 160 over six years is 165.13 in FY2025; 166.0 is 0.87 behind (more
    # than the 0.5 tolerance) and the trend from the baseline (-0.85 a year) reaches only 162.6.
    assert record["status"] == "off_track" and record["status_label"] == "遅れ"
    assert record["latest_fiscal_year"] == 2025 and record["latest_value"] == 166.0
    assert record["path_value"] == pytest.approx(167.7 - 2 * 7.7 / 6, abs=1e-4)
    assert record["gap"] == pytest.approx(166.0 - (167.7 - 2 * 7.7 / 6), abs=1e-4)
    assert record["observed_annual_change"] == pytest.approx(-0.85)
    assert record["projected_value"] == pytest.approx(162.6)
    assert record["required_annual_change"] == pytest.approx(-1.5)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["status", "--fiscal-year", "令和九十年度"], "年度として読めません"),
        (["status", "--fiscal-year", "H30"], "現状値の年度から目標年度まで"),
        (["export"], "次の引数が必要です"),
        (["launch"], "選べない値です"),
    ],
)
def test_errors_are_japanese_nonzero_and_without_traceback(
    store: Path, args: list[str], expected: str
) -> None:
    result = run(*args, "--db", str(store)) if args != ["launch"] else run(*args)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_store_is_explained(tmp_path: Path) -> None:
    result = run("status", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1
    assert "ありません" in result.stderr and "init" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_to_an_unwritable_place_is_explained(store: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("export", "--db", str(store), "--out", str(blocker / "sub"))
    assert result.returncode == 1
    assert "エラー" in result.stderr and "Traceback" not in result.stderr


def test_help_is_japanese() -> None:
    for args in (["--help"], ["status", "--help"], ["export", "-h"]):
        result = run(*args)
        assert result.returncode == 0
        assert result.stdout.startswith("使い方: python -m komae_kpi")
        assert "usage" not in result.stdout and "options" not in result.stdout
        assert result.stdout.count("オプション:") == 1


def test_a_closed_pipe_is_not_an_error(store: Path) -> None:
    result = subprocess.run(
        f"{sys.executable} -m komae_kpi status --db {store} | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert "の指標の状況" in result.stdout
    assert "エラー" not in result.stderr and "Traceback" not in result.stderr


def test_guardrails_show_the_room_left_not_a_required_change(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", str(store), "--fiscal-year", "2023"]) == 0
    out = capsys.readouterr().out
    ratio = out[out.index("3. 経常収支比率") : out.index("4. 財政調整基金残高")]
    assert "目標内にとどまる年変化の上限 +0.5ポイント" in ratio
    fund = out[out.index("4. 財政調整基金残高") : out.index("5. 市債残高")]
    assert "目標内にとどまる年変化の下限 -0.4億円" in fund
    debt = out[out.index("5. 市債残高") : out.index("6. ")]
    assert "目標達成に必要な年変化 -1.3億円" in debt


def test_demo_needs_an_explicit_store_and_writes_one(tmp_path: Path) -> None:
    refused = run("demo")
    assert refused.returncode == 1 and "--db" in refused.stderr
    db = tmp_path / "demo.duckdb"
    made = run("demo", "--db", str(db))
    assert made.returncode == 0, made.stderr
    assert "デモ用ストア" in made.stdout
    status = run("status", "--db", str(db))
    assert status.stdout.startswith("【デモデータ】")
