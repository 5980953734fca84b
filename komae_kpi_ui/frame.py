"""What every page shares: the stylesheet, the demo banner, the header with the year selector, who
is signed in (or why the page is read-only), and the screens the sign-in gate shows instead of a page."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from komae_kpi.common import clock
from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan import facts
from komae_kpi.views import html_blocks
from komae_kpi_ui import access, identity, url_state
from komae_kpi_ui.identity import Visitor

APP_TITLE = f"{facts.PUBLISHER} 行財政改革 進捗管理"
DEMO_BANNER = f"デモデータ：この画面の数値は説明用に生成した架空の値で、{facts.PUBLISHER}の実績ではありません。"
FY_PARAM = "fy"
# The browser tab's icon. Without one Streamlit shows the current page's Material icon, which the
# browser fetches from fonts.gstatic.com; an emoji is drawn from a data: URL, on this machine.
PAGE_ICON = "📊"
STYLE = Path(__file__).with_name("style.css")


_CSS = STYLE.read_text(encoding="utf-8")
_pending = threading.local()  # per script run: Streamlit runs each session in its own thread


def demo_banner_html(snapshot: Snapshot) -> str:
    if not snapshot.is_demo:
        return ""
    return html_blocks.banner(DEMO_BANNER)


def fiscal_year_options(snapshot: Snapshot) -> list[int]:
    """From the target year back to the baseline year, newest first."""
    first = facts.baseline_fiscal_year(snapshot.plan)
    last = facts.target_fiscal_year(snapshot.plan)
    return list(range(last, first - 1, -1))


def page_header(title: str, snapshot: Snapshot) -> int:
    """Demo banner, title, the plan's name and the fiscal-year links (kept in the URL as ?fy=2025).

    Returns the chosen year; the default is the latest year whose actuals are due today
    (facts.due_fiscal_year), whether or not anything has been entered for it: an empty store opens
    on that year's 未入力, not on the baseline year as if all were 順調. The stylesheet, banner,
    title and caption travel as one HTML element: this runs on every page, and each element costs
    the browser a render (bench/). The year links are drawn by draw_year_links() once the page
    has run, so that they carry the filters the page's widgets put into the URL in this run.
    """
    options = fiscal_year_options(snapshot)
    default = min(max(facts.due_fiscal_year(snapshot.plan, clock.today()), options[-1]), options[0])
    year = url_state.choose(
        options, param=FY_PARAM, default=default, to_text=str, always_in_url=True
    )
    demo = "　表示中: デモデータ（架空の値）" if snapshot.is_demo else ""
    st.html(
        html_blocks.stylesheet(_CSS)
        + demo_banner_html(snapshot)
        + html_blocks.page_title(title)
        + html_blocks.paragraph(f"{fy.label(year)}　{facts.TITLE_WITH_PERIOD}{demo}", meta=True)
    )
    _pending.year_links = (st.empty(), options, year)
    # Editors and approvers may look at what waits for approval in place of what is approved.
    access.pending_toggle(snapshot)
    return year


def draw_year_links() -> None:
    """Fill the header's year links (called by the router after the page has run), with a note
    when the URL named something that does not exist (a mistyped link shared in a meeting)."""
    pending = getattr(_pending, "year_links", None)
    _pending.year_links = None
    if pending is None:
        return
    slot, options, year = pending
    years = html_blocks.link_bar(
        [(fy.label(y), url_state.href(**{FY_PARAM: str(y)}), y == year) for y in reversed(options)],
        label="年度",
    )
    ignored = url_state.take_ignored()
    notice = (
        html_blocks.paragraph(
            "リンクの指定 "
            + "、".join(f"「{param}={value}」" for param, value in ignored)
            + " に当たるものがないため、既定の表示にしています。",
            meta=True,
        )
        if ignored
        else ""
    )
    slot.html(years + notice)


def read_only_banner(reason: str) -> None:
    """Across the top of every page when a request without sign-in came from elsewhere."""
    st.html(f'<div class="kpi-readonly" role="note">{html_blocks.esc(reason)}</div>')


def account_bar(visitor: Visitor) -> None:
    """Who is signed in (name, address, role) and 「サインアウト」, at the top right of every page:
    one HTML block with a link, as every signed-in page draws it (bench/README.md)."""
    st.html(html_blocks.account_bar(visitor.account_text, identity.sign_out_href()))


def _gate_head(title: str, *lines: str) -> str:
    """The stylesheet, a gate screen's title, the plan's name and lines of text, as one block."""
    return (
        html_blocks.stylesheet(_CSS)
        + html_blocks.page_title(title)
        + html_blocks.paragraph(facts.TITLE_WITH_PERIOD, meta=True)
        + "".join(html_blocks.paragraph(line) for line in lines)
    )


def sign_in_screen() -> None:
    """What a signed-out visitor sees: the title, why, and the button. Nothing from the store."""
    st.html(
        _gate_head(
            APP_TITLE,
            "このダッシュボードは、利用者として登録された職員だけが使えます。"
            "組織のアカウントでサインインしてください。",
        )
    )
    providers = identity.configured_providers()
    if len(providers) <= 1:
        if st.button("サインイン", type="primary", key="kpi-sign-in"):
            st.login(providers[0] if providers else None)
        return
    # Several [auth.<name>] providers (st.login's "multiple, named providers"): one button each,
    # labelled with the name the city gave its section, as Streamlit gives no other label.
    with st.container(horizontal=True):
        for name in providers:
            label = f"{name or '既定の ID 基盤'} でサインイン"
            if st.button(label, type="primary", key=f"kpi-sign-in-{name or ''}"):
                st.login(name)


def expired_screen(visitor: Visitor) -> None:
    """The notice drawn just before an expired sign-in is signed out (the caller signs out)."""
    when = f"（{visitor.expires_at:%Y-%m-%d %H:%M}）" if visitor.expires_at else ""
    st.html(
        _gate_head(
            APP_TITLE,
            f"サインインの有効期限{when}が切れたため、サインアウトします。"
            "もう一度サインインしてください。",
        )
    )


def no_permission_screen(visitor: Visitor, administrators: list[str]) -> None:
    """権限がありません: signed in, but not a registered user. Whom to ask; no data, no pages."""
    why, ask = (
        _unregistered_address(visitor, administrators)
        if visitor.identified_by_email
        else _no_trusted_address(visitor, administrators)
    )
    st.html(_gate_head("権限がありません", *why) + ask)
    if st.button("サインアウト", key="kpi-sign-out"):
        st.logout()


def _unregistered_address(visitor: Visitor, administrators: list[str]) -> tuple[list[str], str]:
    """Why (lines) and whom to ask (HTML) when the address is not a registered user's."""
    why = [
        f"{visitor.identity} でサインインしていますが、このアドレスはこのダッシュボードの"
        "利用者として登録されていません。"
    ]
    if administrators:
        return why, html_blocks.paragraph(
            "利用するには、次の管理者に利用者としての登録を依頼してください。"
        ) + html_blocks.bullets(administrators, css_class="kpi-admins")
    return why, html_blocks.paragraph(
        "管理者がまだ登録されていません。システムの管理者に、次のコマンドで"
        "利用者を登録するよう依頼してください（役割は 閲覧・部署担当・承認者・管理者）。"
    ) + (
        f"<p><code>python -m komae_kpi users add {html_blocks.esc(visitor.identity)}"
        " --role 閲覧</code></p>"
    )


def _no_trusted_address(visitor: Visitor, administrators: list[str]) -> tuple[list[str], str]:
    """Why and whom to tell when the token has no trusted address: users are registered by
    address (users add refuses anything else), so nobody can register this sign-in; the identity
    provider has to send one."""
    lacking = (
        f"トークンのメールアドレス {visitor.unverified_email} は、ID 基盤で確認済み"
        "（email_verified）になっていないため使えません。"
        if visitor.unverified_email
        else "トークンにメールアドレス（email）がありません。"
    )
    why = [
        f"サインインしましたが、{lacking}利用者はメールアドレスで登録するため、"
        f"このままでは利用できません（ID 基盤での識別子：{visitor.identity or 'なし'}）。",
        "ID 基盤の管理者に、確認済みのメールアドレスをトークンに含めるよう依頼してください"
        f"（{identity.README_SECTION}）。",
    ]
    if not administrators:
        return why, ""
    return why, html_blocks.paragraph(
        "あわせて、次の管理者にもお知らせください。"
    ) + html_blocks.bullets(administrators, css_class="kpi-admins")


def settings_error_screen(problems: list[str]) -> None:
    """The [auth] settings cannot be used: say what to fix (to whoever runs the server)."""
    st.html(_gate_head(APP_TITLE))
    st.error(
        "サインインの設定に問題があるため、表示できません。\n\n"
        + "\n".join(f"- {p}" for p in problems)
    )


def not_found_sentence(path: str) -> str:
    """What the not-found page says (also komae_kpi_ui/server_app.py's page for a nested address)."""
    return (
        f"「/{path}」というページはありません。"
        "リンクが古いか、アドレスが違っている可能性があります。次のページからお選びください。"
    )


def not_found_screen(path: str, pages: Sequence[StreamlitPage]) -> None:
    """ページが見つかりません: the address named no page (a mistyped or old link); links to every page."""
    st.html(_gate_head("ページが見つかりません", not_found_sentence(path)))
    for page in pages:
        st.page_link(page, label=page.title, icon=page.icon or None)
