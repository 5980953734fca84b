"""The progress report: HTML structure and accessibility, and the PDF's text, fonts and pages."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

from komae_kpi.judgement.item_progress import NOT_REPORTED
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.chart_images import (
    ChartRenderer,
    chart_renderer,
    chromium_path,
    page_generator,
)
from komae_kpi.outputs.report import build_report
from komae_kpi.outputs.report.pdf import PdfReport, build_pdf_report
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.views import html_blocks

TODAY = dt.date(2026, 6, 30)
REPORTED = {
    21: ("順調", "中期財政ビジョンに沿って予算を編成した", None, "引き続き取り組む"),
    24: ("遅れ", "督促を強化した", "滞納繰越分の増加", "<b>体制</b>を見直す"),
    8: ("やや遅れ", "研修を2回実施", None, None),
}


@pytest.fixture(scope="module")
def renderer() -> Iterator[ChartRenderer]:
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Chromium is not installed")
    with chart_renderer() as r:
        yield r


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "kpi.duckdb"
    init_store(db)
    save_indicator_value(db, 3, 2024, 88.4, source="決算")
    save_indicator_value(db, 3, 2025, 91.2, source="決算")  # beyond its 90.0% bound: 遅れ
    save_indicator_value(db, 4, 2025, 19.5, source="決算")
    save_indicator_value(db, 5, 2025, 165.1, source="決算")
    for item_no, (status, achievements, issues, next_steps) in REPORTED.items():
        save_item_status(
            db,
            item_no,
            2025,
            status,
            achievements=achievements,
            issues=issues,
            next_steps=next_steps,
        )
    return db


@pytest.fixture(scope="module")
def pdf_report(filled: Path, renderer: ChartRenderer) -> PdfReport:
    return build_pdf_report(load_snapshot(filled), 2025, renderer, today=TODAY)


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.th_scopes: list[str | None] = []
        self.tables = 0
        self.lang: str | None = None
        self.scripts = 0
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "img":
            self.images.append(a)
        elif tag == "th":
            self.th_scopes.append(a.get("scope"))
        elif tag == "table":
            self.tables += 1
        elif tag == "html":
            self.lang = a.get("lang")
        elif tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.remote.append(value)


def ipaex_installed() -> bool:
    found = (
        shutil.which("fc-list")
        and "IPAexGothic"
        in subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    )
    if not found and os.environ.get("CI"):
        pytest.fail("fonts-ipaexfont-gothic is missing: .ci/run must install it")
    return bool(found)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def test_the_html_is_accessible_and_self_contained(filled: Path, renderer: ChartRenderer) -> None:
    snapshot = load_snapshot(filled)
    document = build_report(snapshot, 2025, renderer.image)
    parsed = Structure()
    parsed.feed(document.html)
    assert parsed.lang == "ja"
    assert parsed.headings[0] == 1 and parsed.headings.count(1) == 1
    # Headings in order: never a jump of more than one level down.
    assert all(b - a <= 1 for a, b in zip(parsed.headings, parsed.headings[1:], strict=False))
    assert len(parsed.images) == 8 == document.chart_count
    for image in parsed.images:
        assert (image.get("alt") or "").startswith("指標") and len(image["alt"] or "") > 40
        assert (image.get("src") or "").startswith("data:image/png;base64,")
    assert parsed.tables > 60 and all(scope in ("col", "row") for scope in parsed.th_scopes)
    assert parsed.scripts == 0 and parsed.remote == []  # nothing to fetch, nothing to run
    # Staff text is escaped, never markup.
    assert "&lt;b&gt;体制&lt;/b&gt;を見直す" in document.html and "<b>体制</b>" not in document.html


def test_every_item_is_listed_and_unreported_ones_say_so(filled: Path) -> None:
    snapshot = load_snapshot(filled)
    document = build_report(snapshot, 2025, lambda f, width, height: b"\x89PNG", today=TODAY)
    for item in snapshot.plan.items:
        assert f"取組項目{item.item_no} " in document.html, item.item_no
    unreported = document.html.count(
        f'<th scope="row">進捗状況</th><td class="kpi-status">－ {NOT_REPORTED}</td>'
    )
    reported = len(REPORTED) + 1  # item 60 shows item 8's report
    assert unreported == len(snapshot.plan.items) - reported
    assert "令和8年6月30日" in document.html and "狛江市" in document.html


def test_the_pdf_has_every_name_as_text_page_numbers_and_embedded_fonts(
    filled: Path, pdf_report: PdfReport
) -> None:
    plan = load_snapshot(filled).plan
    text = pdf_text(pdf_report.pdf)
    for x in plan.indicators:
        assert re.sub(r"\s+", "", x.name) in text, x.name
    for item in plan.items:
        assert re.sub(r"\s+", "", item.name) in text, item.name
    assert "目次" in text and "⽬" not in text and "⺠" not in text  # no look-alike radicals
    reader = PdfReader(io.BytesIO(pdf_report.pdf))
    assert pdf_report.pages == len(reader.pages) > 10
    first, last = reader.pages[1].extract_text(), reader.pages[-1].extract_text()
    assert f"2 / {pdf_report.pages}" in first and f"{pdf_report.pages} / {pdf_report.pages}" in last
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2  # A4 portrait
    assert "/StructTreeRoot" in reader.root_object  # tagged, for screen readers
    assert reader.outline  # headings as bookmarks
    type3 = 0
    for page in reader.pages:
        for reference in _pdf_dict(_pdf_dict(page["/Resources"])["/Font"]).values():
            font = _pdf_dict(reference)
            if str(font["/Subtype"]) == "/Type3":
                type3 += 1
                assert "/CharProcs" in font  # the glyphs themselves are in the file
            else:
                descriptor = font.get("/FontDescriptor")
                if descriptor is None:
                    descendants = font["/DescendantFonts"].get_object()
                    assert isinstance(descendants, ArrayObject)
                    descriptor = _pdf_dict(descendants[0])["/FontDescriptor"]
                assert any(
                    k in _pdf_dict(descriptor) for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
    if ipaex_installed():
        # With IPAex Gothic (TrueType) every text is in a real embedded font, not Type 3 glyphs.
        assert type3 == 0


def _pdf_dict(found: PdfObject) -> DictionaryObject:
    """A dictionary of the PDF, following an indirect reference to it."""
    target = found.get_object()
    assert isinstance(target, DictionaryObject)
    return target


def test_the_contents_give_the_page_each_chapter_starts_on(pdf_report: PdfReport) -> None:
    reader = PdfReader(io.BytesIO(pdf_report.pdf))
    contents = reader.pages[1].extract_text()
    numbers = {
        m.group(1): int(m.group(3))
        for m in re.finditer(r"^(\d) ([^\d/\s]\S*) (\d+)$", contents, re.M)
    }
    assert set(numbers) == {"1", "2", "3", "4"}, contents
    for chapter, page in numbers.items():
        heading = {
            "1": "1概要",
            "2": "2指標の推移",
            "3": "3取組項目の進捗状況",
            "4": "4進捗状況の判定方法",
        }[chapter]
        page_text = re.sub(r"\s+", "", reader.pages[page - 1].extract_text())
        assert heading in page_text, (chapter, page)


def test_a_demo_report_says_so_on_the_cover(tmp_path: Path, renderer: ChartRenderer) -> None:
    from komae_kpi.store.demo import write_demo_store

    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    document = build_report(load_snapshot(db), 2025, lambda f, width, height: b"", today=TODAY)
    assert "【デモデータ】" in document.html.split("</header>")[0]
    city = build_report(load_snapshot(_fresh(tmp_path)), 2025, lambda f, width, height: b"")
    assert "デモデータ" not in city.html


def _fresh(tmp_path: Path) -> Path:
    db = tmp_path / "city.duckdb"
    init_store(db)
    return db


def test_official_number_style(filled: Path) -> None:
    document = build_report(load_snapshot(filled), 2025, lambda f, width, height: b"", today=TODAY)
    assert "165.1億円" in document.html and "160.0億円以下" in document.html
    assert "91.2%" in document.html and "90.0%以下" in document.html
    assert "令和7年度 (2025)" in document.html


def test_look_alike_radicals_are_mapped_to_the_documents_characters() -> None:
    from komae_kpi.outputs.report.pdf import _rewritten_cmap

    cmap = (
        "/CIDInit /ProcSet findresource begin\n1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
        "2 beginbfchar\n<01> <2F6C>\n<02> <2EA0>\nendbfchar\n1 beginbfrange\n<03> <04> <2027>\n"
        "endbfrange\nendcmap\n"
    )
    fixed = _rewritten_cmap(cmap, set("目次市民・"))
    assert fixed is not None
    assert "<01> <76EE>" in fixed and "<02> <6C11>" in fixed and "<03> <30FB>" in fixed
    # 2028 (the range's next character) is not a look-alike of anything in the text: kept.
    assert "<04> <2028>" in fixed
    assert _rewritten_cmap(cmap, set("⽬⺠‧")) is None  # the document really uses them


def test_the_chart_page_loads_no_remote_script() -> None:
    index = page_generator().generate_index()
    assert "http://" not in index and "https://" not in index
    assert "plotly.min.js" in index


def test_making_a_report_contacts_no_host(filled: Path, tmp_path: Path) -> None:
    """Under strace: no DNS lookup and no connection or datagram to any host but this one.

    Chromium connects a UDP socket to a public address to learn its own source address; that
    sends nothing, so such a connect is allowed when nothing is ever sent on it."""
    if shutil.which("strace") is None:
        if os.environ.get("CI"):
            pytest.fail("strace is missing: .ci/run must install it")
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace.txt"
    out = tmp_path / "r.pdf"
    command = [sys.executable, "-m", "komae_kpi", "report", "--db", str(filled)]
    result = subprocess.run(
        [
            "strace",
            "-ff",
            "-qq",
            "-e",
            "trace=connect,sendto,sendmsg",
            "-o",
            str(trace),
            *command,
            "--fiscal-year",
            "2025",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    # -ff: one file per thread, so no call is split by another thread's ("unfinished").
    lines = [
        line
        for part in tmp_path.glob("trace.txt.*")
        for line in part.read_text(errors="replace").splitlines()
    ]
    assert lines
    inet = [line for line in lines if "AF_INET" in line]
    assert not [line for line in inet if "htons(53)" in line]  # no DNS
    loopback = ('inet_addr("127.0.0.1")', '"::1"')
    outside = [line for line in inet if not any(a in line for a in loopback)]
    for line in outside:
        assert line.startswith("connect("), line  # never a send to an address
        assert line.rstrip().endswith("= 0"), line  # the UDP probe: connected, nothing sent


def test_a_year_without_data_says_so_and_the_first_year_explains_its_dashes(filled: Path) -> None:
    snapshot = load_snapshot(filled)
    empty = build_report(snapshot, 2027, lambda f, width, height: b"", today=TODAY)
    assert "令和9年度の実績値・進捗状況はまだ入力されていません" in empty.html
    first = build_report(snapshot, 2025, lambda f, width, height: b"", today=TODAY)
    assert "まだ入力されていません" not in first.html
    assert "令和7年度は計画の初年度のため、前年度からの増減はありません" in first.html


def test_the_plans_facts_in_the_report_follow_the_plan_data(filled: Path) -> None:
    snapshot = load_snapshot(filled)
    html = build_report(snapshot, 2025, lambda f, width, height: b"", today=TODAY).html
    assert "狛江市第7次行財政改革推進計画（令和7年度～令和11年度）" in html
    assert "8つの指標の状況（令和7年度 (2025)）" in html
    assert "現状値（令和5年度）" in html and "目標値（令和11年度）" in html
    assert (
        "※ 指標2・7は各年4月1日時点の値です（現状値は令和6年4月1日、目標値は令和12年4月1日）。"
        "状況の判定方法は「4 進捗状況の判定方法」を参照。"
    ) in html
    assert "実績の傾向を令和11年度まで延ばして" in html
    # Without the ※ indicators: six indicators, and no note about 1 April.
    kept = tuple(x for x in snapshot.plan.indicators if x.measured_at == "fiscal_year_end")
    fewer = replace(snapshot, plan=replace(snapshot.plan, indicators=kept))
    html = build_report(fewer, 2025, lambda f, width, height: b"", today=TODAY).html
    assert "6つの指標の状況" in html and "4月1日時点" not in html
    assert '<p class="note">状況の判定方法は「4 進捗状況の判定方法」を参照。</p>' in html


def test_a_report_outside_the_plan_period_is_refused(filled: Path) -> None:
    from komae_kpi.common.errors import KomaeKpiError

    for year in (2023, 2010, 2030):
        with pytest.raises(KomaeKpiError, match="計画期間"):
            build_report(load_snapshot(filled), year, lambda f, width, height: b"")


def test_alt_texts_describe_what_each_chart_draws(filled: Path) -> None:
    document = build_report(load_snapshot(filled), 2025, lambda f, width, height: b"", today=TODAY)
    alts = dict(
        (int(m.group(1)), m.group(0)) for m in re.finditer(r'alt="指標(\d)[^"]*"', document.html)
    )
    assert "計画線" in alts[5] and "計画線" not in alts[3]  # a guardrail has no plan line
    assert "目標（90.0%以下）の線" in alts[3] and "平成17年度からの過去の実績値" in alts[3]
    assert "令和7年度 91.2%" in alts[3] and "見込み" in alts[3]


def test_control_characters_a_store_holds_from_before_never_reach_the_report(
    store: Path,
) -> None:
    """The text rule refuses them now; a store written by an older version may still hold them."""
    save_item_status(store, 24, 2025, "遅れ", achievements="督促を実施")
    with duckdb.connect(str(store)) as con:
        con.execute(
            "UPDATE item_statuses SET achievements = ?, issues = ? WHERE item_no = 24",
            ["\x1b[2J督促\x00を実施", "1行目\n2行目\x07"],
        )
    html = build_report(load_snapshot(store), 2025, lambda f, width, height: b"").html
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html)
    assert "[2J督促を実施" in html and "1行目<br>2行目" in html
    block = html_blocks.esc("\x1b[2J督促\x00")
    assert block == "[2J督促"  # the pages' escaper drops them as well


def test_staff_text_is_escaped_and_keeps_its_line_breaks(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_item_status(
        store,
        24,
        2025,
        "遅れ",
        achievements='<script>alert("x")</script>督促\n2行目',
        issues="A & B's <i>課題</i>",
    )
    monkeypatch.chdir(tmp_path)  # the template is found beside its module, not in the cwd
    html = build_report(load_snapshot(store), 2025, lambda f, width, height: b"").html
    assert "<script>" not in html and "<i>課題</i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;督促<br>2行目" in html
    assert "A &amp; B&#x27;s &lt;i&gt;課題&lt;/i&gt;" in html
