"""The /updates form refuses what the importer refuses (common/user_text.py), in Japanese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store_helpers import dump
from tests.test_updates_page import (
    button,
    choose_indicator,
    html,
    open_tab,
    open_updates,
    text_area,
    text_input,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_the_form_refuses_control_characters_and_overlong_text(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    before = dump(store)
    at = open_tab(open_updates(monkeypatch, store), "取組項目の進捗状況")
    at.selectbox(key="updates_department").set_value("職員課").run()
    at.selectbox(key="updates_item").set_value(8).run()
    next(s for s in at.selectbox if s.label == "令和7年度 (2025)の進捗状況").set_value("順調")
    text_area(at, "取組実績").input("\x1b[2J偽の表示")
    text_area(at, "課題").input("あ" * 2_001)
    button(at, "保存する", form="status-").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["保存できません（問題が2件）。何も書き込んでいません。"]
    page = html(at)
    assert "取組実績に制御文字" in page and "\x1b" not in page
    assert "課題は2,000文字以内で入力してください（2,001文字あります）。" in page
    assert dump(store) == before


def test_the_source_is_one_line(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    before = dump(store)
    at = open_updates(monkeypatch, store)
    choose_indicator(at, 1)
    text_input(at, "令和7年度 (2025)の実績値").input("87.3")
    text_input(at, "出典").input("市\x00調べ")
    button(at, "保存する").click().run()
    assert "出典に制御文字 \\x00" in html(at)
    assert dump(store) == before
