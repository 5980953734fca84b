"""Text in tables is shown as typed: Markdown that st.table would render is escaped."""

from __future__ import annotations

import pandas as pd
import pytest

from komae_kpi_ui.tables import as_text, escape_markdown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("**太字**", r"\*\*太字\*\*"),
        ("[link](http://example.invalid)", r"\[link\](http://example.invalid)"),
        ("<script>x</script>", r"\<script\>x\</script\>"),
        ("$x^2$ の式", r"\$x^2\$ の式"),
        ("- 箇条書き", r"\- 箇条書き"),
        ("1. 番号", r"1\. 番号"),
        ("# 見出し", r"\# 見出し"),
        ("~~取消~~ | 区切り", r"\~\~取消\~\~ \| 区切り"),
        ("72.8%", "72.8%"),
        ("令和7年度 (2025)", "令和7年度 (2025)"),
        ("◎ 完了", "◎ 完了"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_only_text_cells_are_escaped() -> None:
    frame = pd.DataFrame([{"No.": 1, "値": 1.5, "内容": "**x**"}])
    out = as_text(frame)
    assert out.iloc[0].tolist() == [1, 1.5, r"\*\*x\*\*"]
