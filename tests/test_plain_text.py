"""Messages that quote file names and values render literally in Streamlit's Markdown boxes."""

from __future__ import annotations

from komae_kpi_ui.plain_text import literal


def test_markdown_special_characters_are_escaped() -> None:
    for text in (
        "**太字**",
        "_x_",
        "[リンク](http://example.com)",
        ":red[赤]",
        "# 見出し",
        "<b>x</b>",
    ):
        escaped = literal(text)
        assert escaped != text
        # Removing the escapes gives back the text itself: nothing was lost or added.
        assert escaped.replace("\\", "") == text.replace("\\", "")


def test_plain_japanese_text_is_unchanged() -> None:
    assert literal("2件を取り込みました（実績.csv）。") == "2件を取り込みました（実績\\.csv）。"
    assert literal("保存しました。") == "保存しました。"
