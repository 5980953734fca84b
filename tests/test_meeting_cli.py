"""`python -m komae_kpi meeting add/list/remove/log`, `changes --since` and `report --since`: the
changes as JSON and text against the hand-written expectation, bad input refused with nothing
written, and the report's section 「前回会議からの変化」."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation

from komae_kpi.cli import main
from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.meeting_changes import CHANGE_KIND_LABELS, load_changes
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.chart_images import chromium_path
from komae_kpi.outputs.deck.slides import CHANGES_TITLE
from komae_kpi.outputs.report import build_report
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.meetings import list_meetings, meeting_log
from tests.html_text import text
from tests.store_helpers import dump
from tests.test_meetings import EXPECTED_INDICATORS, EXPECTED_ITEMS, change_after_the_meeting

NAME = "令和8年度第1回推進本部"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")


def run(store: Path, *args: str) -> int:
    return main([*args, "--db", str(store)])


def meeting_seen(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_indicator_value(store, 3, 2025, 95.0, stage="estimate")
    save_item_status(store, 5, 2025, "順調")
    save_item_status(store, 8, 2025, "順調")
    assert run(store, "meeting", "add", "--date", "2026-07-15", "--name", NAME) == 0
    assert (
        f"会議「{NAME}」を記録しました（2026-07-15開催、令和7年度 (2025)、"
        in capsys.readouterr().out
    )


def expected_json(change: Any) -> dict[str, Any]:
    record = dataclasses.asdict(change) | {"kind_label": CHANGE_KIND_LABELS[change.kind]}
    if "departments" in record:
        record["departments"] = list(record["departments"])
        record["before_label"] = record["before"] or "未報告"
        record["after_label"] = record["after"] or "未報告"
    return record


def test_changes_as_json_and_text(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meeting_seen(store, capsys)
    change_after_the_meeting(store)

    assert run(store, "changes", "--since", NAME, "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["meeting"] == {"name": NAME, "held_on": "2026-07-15"}
    assert record["fiscal_year"] == 2025
    assert record["indicators"] == [expected_json(c) for c in EXPECTED_INDICATORS]
    changed = [i for i in record["items"] if i["kind"] != "still_unreported"]
    assert changed == [expected_json(c) for c in EXPECTED_ITEMS]
    assert record["indicators"][0]["before"] == "no_data"  # the codes of `status --json`

    assert run(store, "changes") == 0  # the latest meeting
    out = capsys.readouterr().out.splitlines()
    assert out[:9] == [
        f"{NAME}（2026-07-15）からの変化（令和7年度 (2025)）",
        "指標",
        f"  指標1 {EXPECTED_INDICATORS[0].name}: 判定・状況の変化 － 未入力 → × 遅れ",
        f"  指標1 {EXPECTED_INDICATORS[0].name}: 新しい実績（令和7年度） － → 60.0%",
        "  指標3 経常収支比率: 実績の修正（令和7年度） 95.0%（見込） → 95.5%",
        "取組項目",
        "  施策1 質の高い行政運営の推進　政策室・情報政策課・会計課・関係各課",
        "    取組項目5 行政事務の効率化に向けた業務の見直し: 判定・状況の変化 ○ 順調 → ◎ 完了",
        "  施策1 質の高い行政運営の推進　政策室・情報政策課・関係各課",
    ]
    assert "    取組項目8 デジタル人財の育成: 判定・状況の変化 ○ 順調 → × 遅れ" in out
    unreported = sum(1 for i in record["items"] if i["kind"] == "still_unreported")
    assert f"  未報告のまま（{unreported}項目）" in out


def test_list_remove_and_log(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meeting_seen(store, capsys)
    (kept,) = list_meetings(store)
    change_after_the_meeting(store)
    as_of = kept.state_at.isoformat()
    assert (
        run(store, "meeting", "add", "--date", "2026-07-15", "--name", "再現", "--as-of", as_of)
        == 0
    )
    capsys.readouterr()
    assert run(store, "meeting", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["name"], m["rebuilt"], m["fiscal_year"]) for m in listed] == [
        (NAME, False, 2025),
        ("再現", True, 2025),
    ]
    assert listed[0]["judgements"] == listed[1]["judgements"]
    first, rebuilt = list_meetings(store)
    assert rebuilt.frozen_state == first.frozen_state

    assert run(store, "meeting", "remove", "再現", "--user", "kanri") == 0
    assert "会議「再現」の記録を削除しました" in capsys.readouterr().out
    assert run(store, "meeting", "list") == 0
    out = capsys.readouterr().out
    assert f"{NAME}（2026-07-15開催、令和7年度 (2025)）" in out and "再現" not in out
    assert [(e.action, e.name) for e in meeting_log(store)] == [
        ("remove", "再現"),
        ("add", "再現"),
        ("add", NAME),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("meeting", "add", "--date", "2026-07-15", "--name", NAME), "は既に記録されています"),
        (("meeting", "add", "--date", "2026-12-24", "--name", "第2回"), "今日（2026-11-30）より後"),
        (
            ("meeting", "add", "--date", "2026-07-15", "--name", "第2回", "--as-of", "2099-01-01"),
            "時点 2099-01-01 00:00 は現在",
        ),
        (("meeting", "add", "--date", "2026-07-15", "--name", "第2回\t"), "会議の名前に"),
        (
            ("meeting", "remove", "第9回"),
            f"会議「第9回」は記録されていません（記録されている会議は「{NAME}」）",
        ),
        (("changes", "--since", "第9回"), "会議「第9回」は記録されていません"),
        (
            ("report", "--since", "第9回", "--fiscal-year", "2025", "--out", "r.html"),
            "会議「第9回」は記録されていません",
        ),
        (
            ("deck", "--since", "第9回", "--fiscal-year", "2025", "--out", "d.pptx"),
            "会議「第9回」は記録されていません",
        ),
    ],
)
def test_bad_input_gets_a_japanese_message_and_nothing_is_written(
    store: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    meeting_seen(store, capsys)
    before = dump(store)
    monkeypatch.chdir(tmp_path)
    assert run(store, *args) == 1
    assert message in capsys.readouterr().err
    assert dump(store) == before
    assert not list(tmp_path.glob("[rd].*"))  # no report, no deck


def test_changes_without_a_meeting(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "changes") == 1
    assert "記録された会議がありません" in capsys.readouterr().err


def test_the_report_gains_the_section(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meeting_seen(store, capsys)
    change_after_the_meeting(store)
    changes = load_changes(store, NAME)
    snapshot = load_snapshot(store)

    plain = build_report(snapshot, 2025, lambda f, width, height: b"")
    assert "前回会議からの変化" not in text(plain.html)

    document = build_report(snapshot, 2025, lambda f, width, height: b"", changes=changes)
    assert document.toc[0].text == "前回会議からの変化"
    shown = text(document.html)
    section = shown[shown.index("前回会議からの変化 ", shown.index("目次") + 10) :]
    section = section[: section.index("1 概要")]
    assert section.startswith(
        f"前回会議からの変化 {NAME}（2026-07-15）からの変化（令和7年度 (2025)） 指標の変化"
        " 指標 変化 前回会議 現在"
        f" 指標1 {EXPECTED_INDICATORS[0].name} 判定・状況の変化 － 未入力 × 遅れ"
        f" 指標1 {EXPECTED_INDICATORS[0].name} 新しい実績（令和7年度） － 60.0%"
        " 指標3 経常収支比率 実績の修正（令和7年度） 95.0%（見込） 95.5%"
        " 取組項目の変化　施策1 質の高い行政運営の推進　政策室・情報政策課・会計課・関係各課"
    )
    assert (
        "取組項目の変化　施策1 質の高い行政運営の推進　職員課 取組項目 変化 前回会議 現在"
        " 取組項目8 デジタル人財の育成 判定・状況の変化 ○ 順調 × 遅れ"
    ) in section
    assert (
        "未報告のままの取組項目（" in section
        and "推進部署 件数 取組項目（番号） 関係各課 20件 1・2・3・4・6" in section
    )


def test_the_deck_since_a_meeting_opens_with_the_changes(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if chromium_path() is None:
        pytest.skip("Chromium is not installed")
    meeting_seen(store, capsys)
    change_after_the_meeting(store)
    out = tmp_path / "d.pptx"
    assert run(store, "deck", "--since", NAME, "--fiscal-year", "2025", "--out", str(out)) == 0
    assert f"{out} を作成しました" in capsys.readouterr().out
    slides = list(Presentation(str(out)).slides)
    titles = [s.shapes.title.text_frame.text if s.shapes.title else "" for s in slides]
    assert titles[1] == CHANGES_TITLE and titles.count(CHANGES_TITLE) == 1
    lines = [
        line
        for shape in slides[1].shapes
        if shape.has_text_frame and shape != slides[1].shapes.title
        for line in shape.text_frame.text.split("\n")
    ]
    changes = load_changes(store, NAME)
    assert changes is not None
    unreported = sum(1 for c in changes.items if c.kind == "still_unreported")
    indicator_1 = f"・指標1 {EXPECTED_INDICATORS[0].name}"
    assert [line for line in lines if line][:12] == [
        f"前回会議：{NAME}（令和8年7月15日（2026年））　比べた年度：令和7年度 (2025)",
        "指標：判定・状況の変化 1・新しい実績 1・実績の修正 1"
        f"／取組項目：判定・状況の変化 2・新たに報告 1・未報告のまま {unreported}",
        "指標",
        f"{indicator_1}　判定・状況の変化：－ 未入力 → × 遅れ",
        f"{indicator_1}　新しい実績：60.0%",
        "・指標3 経常収支比率　実績の修正：95.0%（見込） → 95.5%",
        "取組項目",
        "判定・状況の変化　2項目",
        "・施策1　5 行政事務の効率化に向けた業務の見直し（順調 → 完了）、"
        "8 デジタル人財の育成（順調 → 遅れ）",
        "新たに報告　1項目",
        "・施策1　9 行政手続きのデジタル化、電子申請・…（完了）",
        f"未報告のまま　{unreported}項目（部署別の内訳は「未報告の取組項目（部署別）」に掲載）",
    ]
