"""AppTest of /updates 実績入力: forms, the conflict between two people, uploads, the 照会 download."""

from __future__ import annotations

import getpass
import io
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button, TextArea, TextInput

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.backups import list_backups
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.record_changes import load_history
from komae_kpi.views import entry_views
from komae_kpi_ui import url_state
from tests import html_text
from tests.store_helpers import dump

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def open_updates(
    monkeypatch: pytest.MonkeyPatch, db: Path, year: int = 2025, **query: str
) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params.update({"fy": str(year), **query})
    at.run()
    at.switch_page("pages/updates.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert '<h1 class="kpi-title">実績入力</h1>' in "".join(h.value for h in at.html)
    return at


def part_links(at: AppTest) -> dict[str, str]:
    """The links to the page's parts: each part's text → the ?part=… value it links to ('' for
    the first, the default, whose link leaves the parameter out)."""
    bars = re.findall(
        rf'<nav class="kpi-links" aria-label="{entry_views.PARTS_LABEL}">(.*?)</nav>', html(at)
    )
    assert len(bars) == 1, "the links to the page's parts are not drawn"
    return {
        unescape(text): dict(parse_qsl(unescape(href).lstrip("?"))).get("part", "")
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', bars[0])
    }


def part_labels(at: AppTest) -> list[str]:
    return list(part_links(at))


def open_tab(at: AppTest, label: str) -> AppTest:
    """Follow the link to one of the page's parts: only that part is drawn. Its fresh load reads
    ?part=… from the URL (tests/test_updates_page.py checks that); here the session's choice is
    set to the same."""
    links = part_links(at)
    assert label in links, f"no link to {label}: {list(links)}"
    at.session_state[url_state.state_key("part")] = links[label] or entry_views.part_value(label)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_input(at: AppTest, label_start: str) -> TextInput:
    return next(t for t in at.text_input if t.label.startswith(label_start))


def text_area(at: AppTest, label: str) -> TextArea:
    return next(t for t in at.text_area if t.label == label)


def button(at: AppTest, label: str, form: str | None = None) -> Button:
    """The button with this label; form= a prefix of its form's key when several share a label."""
    return next(
        b for b in at.button if b.label == label and (form is None or b.form_id.startswith(form))
    )


def indicator_links(at: AppTest) -> dict[int, str]:
    """The indicator form's links: indicator number → the query it links to (?indicator=N, or
    without it for the first, the default)."""
    bars = re.findall(r'<nav class="kpi-links" aria-label="指標">(.*?)</nav>', html(at))
    assert len(bars) == 1, "the indicator form's links are not drawn"
    return {
        int(text.split(".")[0]): dict(parse_qsl(unescape(href).lstrip("?"))).get("indicator", "")
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', bars[0])
    }


def choose_indicator(at: AppTest, indicator_no: int) -> AppTest:
    """Follow the form's link to this indicator. Its fresh load reads ?indicator=N from the URL
    (tests/test_updates_page.py checks that); here the session's choice is set to the same."""
    links = indicator_links(at)
    assert links[indicator_no] in (str(indicator_no), "")
    at.session_state[url_state.state_key("indicator")] = indicator_no
    return at.run()


def html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


def value_of(db: Path, indicator_no: int, year: int) -> object:
    found = load_snapshot(db).indicator_value(indicator_no, year)
    return None if found is None else (found.value, found.source, found.note)


def test_an_actual_typed_in_japanese_forms_is_saved_with_its_author(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    choose_indicator(at, 5)
    text_input(at, "令和7年度 (2025)の実績値").input("16,550,000千円")
    text_input(at, "出典").input("令和7年度決算")
    text_area(at, "備考").input("<b>太字にならない</b>")
    button(at, "保存する").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["保存しました。"]
    assert value_of(store, 5, 2025) == (165.5, "令和7年度決算", "<b>太字にならない</b>")
    history = load_history(store, kind="indicator_value", subject_no=5)
    assert {h.field for h in history} == {"value", "source", "note"}
    assert {h.method for h in history} == {"form"}
    # The history tab shows the change, the note as text (escaped), never as markup.
    page = html(open_tab(at, "変更履歴"))
    assert "&lt;b&gt;太字にならない&lt;/b&gt;" in page and "<b>太字にならない</b>" not in page
    assert "画面で入力" in page


def test_a_bad_value_is_refused_with_its_reason_and_nothing_written(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    before = dump(store)
    at = open_updates(monkeypatch, store)
    choose_indicator(at, 1)
    text_input(at, "令和7年度 (2025)の実績値").input("120")
    button(at, "保存する").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["保存できません（問題が1件）。何も書き込んでいません。"]
    assert "ありえない値" in html(at) and "0〜100%の範囲" in html(at)
    text_input(at, "令和7年度 (2025)の実績値").input("87.3億円")
    button(at, "保存する").click().run()
    assert "単位「億円」は指標1" in html(at)
    assert dump(store) == before


def test_the_second_of_two_people_saving_is_told_and_sees_both(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    choose_indicator(at, 3)
    # Meanwhile, someone else saves the same record (another browser, or an import).
    save_indicator_value(store, 3, 2025, 89.0, source="他の人", user="財政課 A")
    text_input(at, "令和7年度 (2025)の実績値").input("88.5")
    text_input(at, "出典").input("わたし")
    button(at, "保存する").click().run()
    assert not at.exception
    assert len(at.warning) == 1 and "別の人が変更しました" in at.warning[0].value
    page = html(at)
    assert "89.0%" in page and "88.5%" in page and "他の人" in page and "わたし" in page
    assert value_of(store, 3, 2025) == (89.0, "他の人", None)  # nothing overwritten
    button(at, "あなたの入力で上書きする").click().run()
    assert not at.exception
    assert value_of(store, 3, 2025) == (88.5, "わたし", None)
    history = load_history(store, kind="indicator_value", subject_no=3, fiscal_year=2025)
    assert [h.new_value for h in history if h.field == "value"] == ["88.5", "89.0"]


def test_keeping_the_other_persons_change_discards_the_typed_values(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    choose_indicator(at, 4)
    save_indicator_value(store, 4, 2025, 21.0, user="財政課 A")
    text_input(at, "令和7年度 (2025)の実績値").input("20.5")
    button(at, "保存する").click().run()
    button(at, "別の人の変更を残す（入力を破棄）").click().run()
    assert not at.exception and not at.warning
    assert value_of(store, 4, 2025) == (21.0, None, None)
    assert text_input(at, "令和7年度 (2025)の実績値").value == "21"


def test_an_item_status_is_saved_from_the_department_list(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_tab(open_updates(monkeypatch, store), "取組項目の進捗状況")
    at.selectbox(key="updates_department").set_value("職員課").run()
    items = at.selectbox(key="updates_item").options
    assert any(o.startswith("8.") for o in items) and not any(o.startswith("60.") for o in items)
    at.selectbox(key="updates_item").set_value(8).run()
    status = next(s for s in at.selectbox if s.label == "令和7年度 (2025)の進捗状況")
    status.set_value("やや遅れ")
    text_area(at, "取組実績").input("=研修を3回実施")
    text_area(at, "課題").input("<script>alert(1)</script>")
    button(at, "保存する", form="status-").click().run()
    assert not at.exception
    saved = load_snapshot(store).item_status(8, 2025)
    assert saved is not None
    assert (saved.status, saved.achievements, saved.issues) == (
        "やや遅れ",
        "=研修を3回実施",
        "<script>alert(1)</script>",
    )
    assert "<script>alert(1)</script>" not in html(at)


@pytest.mark.parametrize(
    ("tab", "message"),
    [
        (
            "取組項目の進捗状況",
            "進捗状況は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の年度について入力します。"
            "上の年度リンクで年度を選んでください。",
        ),
        (
            "照会様式（Excel）",
            "照会は計画期間の年度について作成します。上の年度リンクで年度を選んでください。",
        ),
    ],
)
def test_a_tab_outside_the_plan_period_explains_itself(
    monkeypatch: pytest.MonkeyPatch, store: Path, tab: str, message: str
) -> None:
    at = open_tab(open_updates(monkeypatch, store, year=2024), tab)
    assert [i.value for i in at.info] == [message]
    chosen = ("updates_item", "updates_workbook_department")
    assert not [s for s in at.selectbox if s.key in chosen]
    assert not at.get("download_button")


def test_an_uploaded_cp932_csv_is_previewed_then_imported(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    csv = '指標,年度,実績値,出典\r\n経常収支比率,令和７年度,８９．１,決算見込\r\n4,R7,"2,150,000千円",決算見込\r\n'
    at = open_tab(open_updates(monkeypatch, store), "ファイルの取込")
    at.file_uploader[0].upload("実績.csv", csv.encode("cp932"), "text/csv").run()
    assert not at.exception
    page = html(at)
    assert "CSV（Shift_JIS）" in page and "新規 2件" in page and "経常収支比率" in page
    assert value_of(store, 3, 2025) is None  # previewed only
    button(at, "2件を取り込む").click().run()
    assert not at.exception
    assert any("2件を取り込みました" in s.value for s in at.success)
    assert value_of(store, 3, 2025) == (89.1, "決算見込", None)
    assert value_of(store, 4, 2025) == (21.5, "決算見込", None)
    assert [b.reason for b in list_backups(store)] == ["import"]
    history = load_history(store, kind="indicator_value", subject_no=4)
    assert {(h.method, h.file_name) for h in history} == {("import", "実績.csv")}


def test_a_bad_upload_lists_every_problem_and_offers_no_import(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    before = dump(store)
    csv = "指標,年度,実績値\n99,2025,1\n3,昨年度,abc\n"
    at = open_tab(open_updates(monkeypatch, store), "ファイルの取込")
    at.file_uploader[0].upload("bad.csv", csv.encode("utf-8"), "text/csv").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "問題が3件あるため、取り込めません（何も書き込んでいません）。ファイルを直してから、もう一度選んでください。"
    ]
    page = html(at)
    assert "bad.csv 2行目 A列「指標」の「99」" in page
    assert "bad.csv 3行目 B列「年度」の「昨年度」" in page
    assert "bad.csv 3行目 C列「実績値」の「abc」" in page
    assert not [b for b in at.button if b.label.endswith("件を取り込む")]
    assert dump(store) == before


def test_the_inquiry_workbook_is_offered_for_download(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_tab(open_updates(monkeypatch, store), "照会様式（Excel）")
    at.selectbox(key="updates_workbook_department").set_value("財政課").run()
    assert not at.exception
    buttons = [b for b in at.get("download_button")]
    assert len(buttons) == 1
    label = buttons[0].proto.label
    assert label.startswith("財政課の照会様式（令和7年度 (2025)")
    # The workbook itself is built by the same function the CLI uses; check what it holds.
    from komae_kpi.outputs.inquiry_workbook import build_inquiry_workbook

    data = build_inquiry_workbook(load_snapshot(store), "財政課", 2025).data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "照会"
    assert f"取組項目{sheet.max_row - 4}件" in label


def test_an_import_confirmed_after_the_store_changed_is_refused(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_tab(open_updates(monkeypatch, store), "ファイルの取込")
    at.file_uploader[0].upload(
        "a.csv", "指標,年度,実績値\n3,2025,89.5\n".encode(), "text/csv"
    ).run()
    assert "新規 1件" in html(at)
    # Between the preview and the click, someone saves the same record.
    save_indicator_value(store, 3, 2025, 88.0, user="財政課 A")
    button(at, "1件を取り込む").click().run()
    assert not at.exception
    assert any("確認した後で、ストアの内容が変わりました" in e.value for e in at.error)
    assert value_of(store, 3, 2025) == (88.0, None, None)
    assert list_backups(store) == []
    # The page now previews against the new state: a change from 88 to 89.5.
    assert "変更 1件" in html(at) and "88.0%" in html(at)


def test_unchanged_records_can_be_listed_in_the_preview(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    save_indicator_value(store, 3, 2025, 89.5)
    at = open_tab(open_updates(monkeypatch, store), "ファイルの取込")
    csv = "指標,年度,実績値\n3,2025,89.5\n5,2025,165\n"
    at.file_uploader[0].upload("a.csv", csv.encode(), "text/csv").run()
    assert "新規 1件、変更 0件、変更なし 1件" in html(at)
    rows = html_text.tables(html(at))["取込のプレビュー"]
    assert {r[1] for r in rows[1:]} == {"指標5 市債残高"}  # under the header row
    at.toggle[0].set_value(True).run()
    rows = html_text.tables(html(at))["取込のプレビュー"]
    assert ["変更なし", "指標3 経常収支比率"] in [r[:2] for r in rows]


def test_a_form_save_records_the_os_user_when_no_one_is_signed_in(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    text_input(at, "令和7年度 (2025)の実績値").input("72")
    button(at, "保存する", form="actual-").click().run()
    history = load_history(store, kind="indicator_value", subject_no=1)
    assert history and {h.changed_by for h in history} == {getpass.getuser()}


def test_after_an_import_the_form_shows_the_imported_record_and_saves_over_it(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    assert "令和7年度 (2025)の記録はまだありません。" in html(at)  # indicator 1, before
    open_tab(at, "ファイルの取込")
    at.file_uploader[0].upload("a.csv", "指標,年度,実績値\n1,2025,73\n".encode(), "text/csv").run()
    button(at, "1件を取り込む").click().run()
    assert not at.exception
    messages = [s.value for s in at.success]
    assert any("1件を取り込みました" in m for m in messages)
    open_tab(at, "指標の実績値")
    assert any("最新の内容を表示しています" in s.value for s in at.success)
    assert "現在の記録: 73.0%" in html(at)
    assert text_input(at, "令和7年度 (2025)の実績値").value == "73"
    text_input(at, "令和7年度 (2025)の実績値").input("74")
    button(at, "保存する", form="actual-").click().run()
    assert not at.warning  # the person's own import is not "someone else's change"
    assert value_of(store, 1, 2025) == (74.0, None, None)


def test_the_indicator_is_chosen_with_links_kept_in_the_url(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    links = indicator_links(at)
    assert list(links) == list(range(1, 9))
    assert links[1] == "" and links[5] == "5"  # the first is the default: no ?indicator=
    assert "令和7年度 (2025)の実績値（単位: %）" in [t.label for t in at.text_input]
    # The link's fresh load: the page opens on that indicator's form, marked as chosen.
    at = open_updates(monkeypatch, store, indicator="5")
    assert "令和7年度 (2025)の実績値（単位: 億円）" in [t.label for t in at.text_input]
    assert re.search(r'aria-current="true" class="current">5\. 市債残高', html(at))
    assert at.query_params.get("indicator") in ("5", ["5"])
    # A number that names no indicator: the first, with the usual note.
    at = open_updates(monkeypatch, store, indicator="99")
    assert "リンクの指定 「indicator=99」 に当たるものがないため" in html_text.text(html(at))
    assert "令和7年度 (2025)の実績値（単位: %）" in [t.label for t in at.text_input]


def test_only_the_open_tab_is_drawn(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    at = open_updates(monkeypatch, store)
    assert not at.selectbox and not at.file_uploader  # the indicator is chosen with links
    open_tab(at, "ファイルの取込")
    assert len(at.file_uploader) == 1 and not [s for s in at.selectbox if s.key]


def test_the_parts_are_chosen_with_links_kept_in_the_url(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_updates(monkeypatch, store)
    assert not at.tabs  # links, not st.tabs
    links = part_links(at)
    assert list(links)[:5] == [
        "指標の実績値",
        "取組項目の進捗状況",
        "ファイルの取込",
        "照会様式（Excel）",
        "変更履歴",
    ]
    assert links["指標の実績値"] == ""  # the first is the default: no ?part=
    assert links["ファイルの取込"] == "import" and links["変更履歴"] == "history"
    assert re.search(r'aria-current="true" class="current">指標の実績値<', html(at))
    # The link's fresh load opens that part, marked as chosen, and keeps it in the URL.
    at = open_updates(monkeypatch, store, part="import")
    assert len(at.file_uploader) == 1 and not at.text_area
    assert re.search(r'aria-current="true" class="current">ファイルの取込<', html(at))
    assert at.query_params.get("part") in ("import", ["import"])
    # The year links carry the part.
    assert "part=import" in html(at).split('aria-label="年度"')[1].split("</nav>")[0]
    # A part this page does not have: the first, with the usual note.
    at = open_updates(monkeypatch, store, part="users")
    assert "リンクの指定 「part=users」 に当たるものがないため" in html_text.text(html(at))
    assert "令和7年度 (2025)の実績値（単位: %）" in [t.label for t in at.text_input]
