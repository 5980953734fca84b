"""HTML blocks: every text escaped, tables with header cells, links and the current choice marked."""

from __future__ import annotations

import base64

import pandas as pd

from komae_kpi.views import html_blocks
from komae_kpi.views.indicator_views import KeyFigure
from tests import html_text


def test_text_is_escaped_and_line_breaks_kept() -> None:
    assert html_blocks.esc("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html_blocks.esc('a"b\nc') == "a&quot;b<br>c"
    assert html_blocks.esc(None) == "" and html_blocks.esc(float("nan")) == ""


def test_a_table_has_column_headers_right_aligned_numbers_and_escaped_cells() -> None:
    frame = pd.DataFrame([{"No.": 1, "内容": "**太字**<b>x</b>", "値": 1.5}])
    out = html_blocks.table(frame, caption="表題", label="テスト表")
    assert '<th scope="col">No.</th>' in out and "<caption>表題</caption>" in out
    assert '<td class="num">1</td>' in out and '<td class="num">1.5</td>' in out
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert html_text.tables(out)["テスト表"] == [
        ["No.", "内容", "値"],
        ["1", "**太字**<b>x</b>", "1.5"],
    ]


def test_grouped_table_repeats_only_changed_headings() -> None:
    rows = [(1, "a")]
    out = html_blocks.grouped_table(
        ["No.", "名"],
        [(("施策1", "方向性1-1", "基本事業1-1-1"), rows), (("", "", "基本事業1-1-2"), rows)],
        label="木",
    )
    assert out.count('class="group group-1"') == 1 and out.count('class="group group-3"') == 2
    assert '<th scope="rowgroup" colspan="2">施策1</th>' in out


def test_link_cells_and_link_bars() -> None:
    frame = pd.DataFrame([{"名": html_blocks.Link(text="取組<1>", href="?item=1&fy=2025")}])
    assert '<a href="?item=1&amp;fy=2025" target="_self">取組&lt;1&gt;</a>' in html_blocks.table(
        frame
    )
    bar = html_blocks.link_bar(
        [("令和6年度", "?fy=2024", False), ("令和7年度", "?fy=2025", True)], label="年度"
    )
    assert 'aria-label="年度"' in bar
    assert (
        '<a href="?fy=2025" target="_self" aria-current="true" class="current">令和7年度</a>' in bar
    )
    assert '<a href="?fy=2024" target="_self">令和6年度</a>' in bar


def test_sparkline_is_an_image_with_alt_text() -> None:
    assert html_blocks.sparkline([1.0], label="x") == ""  # one point is not a trend
    img = html_blocks.sparkline([1.0, 3.0, 2.0], label="指標1の推移")
    assert img.startswith('<img class="kpi-spark" alt="指標1の推移"')
    svg = base64.b64decode(img.split("base64,")[1].split('"')[0]).decode()
    assert "<polyline" in svg and "0.0,36.0" in svg and "50.0,4.0" in svg


def test_figures_show_label_value_and_explanation() -> None:
    out = html_blocks.figures([KeyFigure(label="計画線", value="72.6%", help="説明<>")], columns=2)
    assert 'style="grid-template-columns: repeat(2, 1fr)"' in out
    assert '<div class="label">計画線</div><div class="value">72.6%</div>' in out
    assert 'title="説明&lt;&gt;"' in out


def test_page_title_banner_and_stylesheet() -> None:
    assert html_blocks.page_title("実績<入力>") == '<h1 class="kpi-title">実績&lt;入力&gt;</h1>'
    assert (
        html_blocks.banner("デモ&架空") == '<div class="kpi-demo" role="note">デモ&amp;架空</div>'
    )
    # Our own stylesheet goes in as written: escaping would break a selector like `a > b`.
    assert html_blocks.stylesheet(".a > b { x: 1 }") == "<style>.a > b { x: 1 }</style>"


def test_a_card_has_an_escaped_title_and_the_blocks_given() -> None:
    body = html_blocks.paragraph("本文")
    assert html_blocks.card("指標3 <比率>", body) == (
        '<section class="kpi-card"><h3 class="kpi-card-title">指標3 &lt;比率&gt;</h3>'
        "<p>本文</p></section>"
    )
    assert html_blocks.card("取組", body, label="詳細").startswith(
        '<section class="kpi-card" aria-label="詳細">'
    )


def test_definitions_bullets_and_a_link_on_its_own_line() -> None:
    assert html_blocks.definitions(
        [("推進部署", "<b>課</b>"), ("内容", "一\n二"), ("推移", None)]
    ) == (
        '<dl class="kpi-detail"><dt>推進部署</dt><dd>&lt;b&gt;課&lt;/b&gt;</dd>'
        "<dt>内容</dt><dd>一<br>二</dd><dt>推移</dt></dl>"
    )
    assert html_blocks.bullets(["<i>a</i>", "b"], css_class="kpi-problems") == (
        "<ul class='kpi-problems'><li>&lt;i&gt;a&lt;/i&gt;</li><li>b</li></ul>"
    )
    assert html_blocks.link_paragraph("一覧へ", "?a=1&b=2") == (
        '<p><a href="?a=1&amp;b=2" target="_self">一覧へ</a></p>'
    )


def test_the_account_bar_names_who_is_signed_in_escaped_and_links_to_sign_out() -> None:
    bar = html_blocks.account_bar(
        "<b>管理 花子</b>（kanri@city.komae.lg.jp）・管理者", "/kpi/auth/logout"
    )
    assert "<b>" not in bar
    assert "サインイン中：&lt;b&gt;管理 花子&lt;/b&gt;（kanri@city.komae.lg.jp）・管理者" in bar
    assert '<a class="kpi-action" href="/kpi/auth/logout" target="_self">サインアウト</a>' in bar
    assert bar.startswith('<div class="kpi-account-bar">') and bar.endswith("</div>")
