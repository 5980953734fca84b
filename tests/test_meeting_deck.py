"""The HQ meeting deck, built from stores the tests fill and opened again with python-pptx."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationObject
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.picture import Picture
from pptx.slide import Slide
from pptx.text.text import TextFrame

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.judgement.meeting_changes import (
    ChangeKind,
    IndicatorChange,
    ItemChange,
    MeetingChanges,
)
from komae_kpi.judgement.progress import Snapshot, assess_all, load_snapshot, status_records
from komae_kpi.outputs.chart_images import ChartRenderer, chart_renderer
from komae_kpi.outputs.deck import build_meeting_deck, write_meeting_deck
from komae_kpi.outputs.deck.layout import BODY_BOTTOM, FONT, FOOTER_TOP, text_height
from komae_kpi.outputs.deck.slides import (
    ATTENTION_TITLE,
    BEHIND_TITLE,
    CHANGES_TITLE,
    ITEM_SUMMARY_TITLE,
    OUTLOOK_TITLE,
    OVERVIEW_TITLE,
    UNREPORTED_TITLE,
)
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.connection import connect, init_store, transaction
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import (
    indicator_value_problems,
    item_status_problems,
    save_indicator_value,
)
from komae_kpi.store.record_changes import RecordChange, apply_changes, key_of
from komae_kpi.views import finance_outlook
from komae_kpi.views.overview import gap_warnings
from tests.test_stages_pages import _PlainImages

CHROMIUM = Path("/usr/bin/chromium")
PLAN_NAME = "狛江市第7次行財政改革推進計画"
YEAR = 2026
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Actuals for FY2024-FY2026, chosen so that FY2026 has every status: 1 順調, 2 遅れ, 3 注意
# (guardrail), 4 順調, 5 順調, 6 注意 (improvement), 7 未入力 (no FY2026 actual), 8 達成.
ACTUALS = {
    1: (72.2, 72.8, 73.4),
    2: (65.5, 66.0, 66.5),
    3: (88.5, 89.0, 89.5),
    4: (22.5, 22.6, 22.8),
    5: (165.0, 164.5, 163.5),
    6: (88.0, 89.2, 87.45),
    7: (29.0, 30.0, None),
    8: (14.8, 15.5, 16.5),
}
LONG_ISSUE = (
    "担当職員の確保と関係部署との調整に時間を要しており、当初の予定より作業が遅れています。"
    "外部委託の可否を含めて実施方法を検討し、スケジュールを見直したうえで来年度の早い時期に"
    "再開する予定です。あわせて必要な予算の確保についても財政課と協議を進めています。"
)


def _status_2026(item_no: int) -> str | None:
    """Many behind items (to need more than one slide), the other statuses, some unreported."""
    if item_no % 13 == 0:
        return None
    if item_no % 3 == 0:
        return "遅れ"
    if item_no % 4 == 0:
        return "やや遅れ"
    if item_no % 10 == 1:
        return "見直し"
    return ("完了", "順調", "未着手")[item_no % 3]


def _status_2025(item_no: int) -> str | None:
    if item_no % 7 == 0:
        return None
    return ("順調", "やや遅れ", "未着手", "完了")[item_no % 4]


def _chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")


@pytest.fixture(scope="module")
def renderer() -> Iterator[ChartRenderer]:
    """One browser for the whole module."""
    _chromium_or_skip()
    with chart_renderer() as r:
        yield r


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, dict[int, dict[int, str]]]:
    """A city store with the actuals above and item statuses for FY2025 and FY2026.

    Each entry is checked as the entry forms check it, then all are written in one transaction
    (one save per entry would open the store some 150 times).
    """
    path = tmp_path_factory.mktemp("deck") / "kpi.duckdb"
    init_store(path)
    plan = load_snapshot(path).plan
    records: list[IndicatorValue | ItemStatus] = []
    for no, values in ACTUALS.items():
        for year, value in zip((2024, 2025, 2026), values, strict=True):
            if value is not None:
                assert not indicator_value_problems(plan, no, year, value)
                records.append(
                    IndicatorValue(
                        indicator_no=no, fiscal_year=year, value=value, source=None, note=None
                    )
                )
    written: dict[int, dict[int, str]] = {2025: {}, 2026: {}}
    for item in plan.items:
        if item.repost_of is not None:
            continue
        for year, pick in ((2025, _status_2025), (2026, _status_2026)):
            status = pick(item.item_no)
            if status is None:
                continue
            assert not item_status_problems(plan, item.item_no, year, status)
            issues = LONG_ISSUE if status in ("遅れ", "やや遅れ") and item.item_no % 2 else None
            records.append(
                ItemStatus(
                    item_no=item.item_no,
                    fiscal_year=year,
                    status=status,
                    achievements=None,
                    issues=issues,
                    next_steps=None,
                )
            )
            written[year][item.item_no] = status
    with connect(path, read_only=False) as con, transaction(con):
        changes = [RecordChange(key=key_of(r), before=None, after=r) for r in records]
        assert apply_changes(con, changes, user="test", method="import") == len(records)
    return load_snapshot(path), written


@pytest.fixture(scope="module")
def city_deck(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], renderer: ChartRenderer
) -> PresentationObject:
    return Presentation(io.BytesIO(build_meeting_deck(filled[0], YEAR, renderer)))


@pytest.fixture(scope="module")
def city_full_deck(filled: tuple[Snapshot, dict[int, dict[int, str]]]) -> PresentationObject:
    """The deck with the appendix of every 見直し and 未報告 item (`deck --full`); charts blank."""
    data = build_meeting_deck(filled[0], YEAR, _PlainImages(), full=True)
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    write_demo_store(path)
    return load_snapshot(path)


@pytest.fixture(scope="module")
def demo_deck(demo: Snapshot, renderer: ChartRenderer) -> PresentationObject:
    return Presentation(io.BytesIO(build_meeting_deck(demo, 2025, renderer)))


# --- reading a deck back ------------------------------------------------------------------------


def title_of(slide: Slide) -> str:
    shape = slide.shapes.title
    return "" if shape is None else shape.text_frame.text


def tables(slide: Slide) -> list[list[list[str]]]:
    return [
        [[cell.text for cell in row.cells] for row in shape.table.rows]
        for shape in slide.shapes
        if isinstance(shape, GraphicFrame) and shape.has_table
    ]


def slide_text(slide: Slide) -> str:
    parts = [
        shape.text_frame.text
        for shape in slide.shapes
        if isinstance(shape, Shape) and shape.has_text_frame
    ]
    parts += ["\n".join("\t".join(r) for r in t) for t in tables(slide)]
    return "\n".join(parts)


def slides_titled(deck: PresentationObject, prefix: str) -> list[Slide]:
    return [s for s in deck.slides if title_of(s).startswith(prefix)]


def runs(deck: PresentationObject) -> Iterator[Any]:
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = []
            if shape.has_text_frame:
                frames.append(shape.text_frame)
            if shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            for frame in frames:
                for paragraph in frame.paragraphs:
                    yield from paragraph.runs


def listed_items(slides: list[Slide]) -> list[int]:
    """The item numbers in the first column of the item tables, in order."""
    return [int(row[0]) for s in slides for t in tables(s) for row in t[1:]]


def behind_expected(written: dict[int, str]) -> set[int]:
    return {no for no, s in written.items() if s in ("遅れ", "やや遅れ")}


# --- the deck -----------------------------------------------------------------------------------


def test_the_deck_is_16_9(city_deck: PresentationObject) -> None:
    width, height = city_deck.slide_width, city_deck.slide_height
    assert width is not None and height is not None
    assert width * 9 == height * 16


def test_the_title_slide_names_the_plan_and_the_year(
    city_deck: PresentationObject, demo_deck: PresentationObject
) -> None:
    city_title = title_of(city_deck.slides[0])
    assert PLAN_NAME in city_title and "令和8年度 (2026)" in city_title
    demo_title = title_of(demo_deck.slides[0])
    assert PLAN_NAME in demo_title and "令和7年度 (2025)" in demo_title
    # The date it was made, with the Western year, and the publisher, as on the report's cover.
    today = dt.date.today()
    made = f"{fy.wareki_date(today)}（{today.year}年）"
    assert f"{made}　狛江市" in slide_text(city_deck.slides[0])


def test_the_overview_lists_every_indicator_with_its_status(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    records = status_records(filled[0], YEAR)
    assert {r["status"] for r in records} == {
        "achieved",
        "on_track",
        "at_risk",
        "off_track",
        "no_data",
    }
    (overview,) = slides_titled(city_deck, OVERVIEW_TITLE)
    (table,) = tables(overview)
    body = table[1:]
    assert len(body) == 8
    for r in records:
        (row,) = [row for row in body if row[1] == r["name"]]
        assert row[0] == str(r["indicator_no"])
        assert r["status_label"] in row[2]


def _check_indicator_slides(deck: PresentationObject, snapshot: Snapshot, year: int) -> None:
    records = status_records(snapshot, year)
    assessments = {a.indicator_no: a for a in assess_all(snapshot, year)}
    behind = {r["indicator_no"]: r for r in records if r["status"] in ("off_track", "at_risk")}
    assert behind, "the store must have an off-track or at-risk indicator for this test"
    found: dict[int, Slide] = {}
    for slide in deck.slides:
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        if not pictures or title_of(slide).startswith(OUTLOOK_TITLE):
            continue
        match = re.search(r"指標(\d+)", title_of(slide))
        assert match, title_of(slide)
        no = int(match.group(1))
        assert no not in found, f"two slides for indicator {no}"
        found[no] = slide
        assert all(p.image.blob.startswith(PNG_SIGNATURE) for p in pictures)
    assert set(found) == set(behind)
    for no, r in behind.items():
        slide = found[no]
        assert r["status_label"] in title_of(slide) and r["name"] in title_of(slide)
        text = slide_text(slide)
        # The unrounded assessment (status_records rounds to 4 decimals, and 0.95 written with
        # one decimal is '0.9' while 0.9500000001 is '1.0').
        a = assessments[no]
        for value in (a.required_annual_change, a.observed_annual_change):
            assert formatting.signed_difference(value, r["unit"], official=True) in text, (
                no,
                value,
            )
        assert a.gap_text in text
        assert (
            "計画線との差" in text or "目標までの余裕" in text
        ) and "実績の年変化（傾向）" in text


def test_one_slide_with_a_chart_per_off_track_or_at_risk_indicator(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    _check_indicator_slides(city_deck, filled[0], YEAR)
    records = status_records(filled[0], YEAR)
    # Indicator 2 is behind its plan line, and its slide says so in words, not by a sign.
    (two,) = [r for r in records if r["indicator_no"] == 2]
    assert two["gap"] < 0
    assert any(
        "16.0ポイント遅れ" in slide_text(s) and "指標2" in title_of(s) for s in city_deck.slides
    )


def test_the_gap_to_the_plan_line_says_which_way_is_good(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    snapshot = filled[0]
    a = {x.indicator_no: x for x in assess_all(snapshot, YEAR)}
    # Both gaps are negative; only the words tell that 2 (>=, rising) is behind and that 3
    # (経常収支比率, <= its ceiling) is inside its bound, and 5 (市債残高, <=) is ahead.
    assert a[2].gap is not None and a[2].gap < 0 and a[3].gap is not None and a[3].gap < 0
    assert a[2].gap_text == "16.0ポイント遅れ"
    assert a[3].gap_text == "余裕0.5ポイント"
    assert a[5].gap_text == "0.4億円先行"  # 163.5 - 163.85 = -0.35, half up (not binary -0.3499…)
    assert a[1].gap_text == "0.2ポイント先行"
    # Outside a bound: over a ceiling, short of a floor.
    over = replace(a[3], gap=0.8, headroom=-0.8)
    assert over.gap_text == "0.8ポイント超過"
    short = replace(a[4], gap=-1.2, headroom=-1.2)
    assert short.gap_text == "1.2億円不足"
    (overview,) = slides_titled(city_deck, OVERVIEW_TITLE)
    (table,) = tables(overview)
    gaps = {int(row[0]): row[5] for row in table[1:]}
    assert gaps[2] == "16.0ポイント遅れ" and gaps[3] == "余裕0.5ポイント"
    assert gaps[7] == "－"  # 未入力
    assert not any("△" in g for g in gaps.values())


def test_the_demo_deck_has_a_slide_per_off_track_or_at_risk_indicator(
    demo: Snapshot, demo_deck: PresentationObject
) -> None:
    _check_indicator_slides(demo_deck, demo, 2025)


def _parse_count(cell: str) -> tuple[int, int | None]:
    """'12\\n（△2）' -> (12, -2); '12' -> (12, None)."""
    lines = cell.split("\n")
    count = int(lines[0])
    if len(lines) == 1:
        return count, None
    change = lines[1].strip("（）")
    if change.startswith("±"):
        return count, 0
    return count, -int(change[1:]) if change.startswith("△") else int(change)


def test_the_item_summary_counts_per_policy_with_the_change(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    snapshot, written = filled
    plan = snapshot.plan
    originals = [i for i in plan.items if i.repost_of is None]

    def counts(year: int, policy_no: int | None) -> Counter[str]:
        mine = [i for i in originals if policy_no is None or i.policy_no == policy_no]
        return Counter(written[year].get(i.item_no, "未報告") for i in mine)

    (slide,) = slides_titled(city_deck, ITEM_SUMMARY_TITLE)
    (table,) = tables(slide)
    # The icon before the word, on its own line where the column is too narrow for both.
    header = [re.split(r"[ \n]", h, maxsplit=1)[-1] for h in table[0]]
    assert header[1:-1] == ["完了", "順調", "やや遅れ", "遅れ", "未着手", "見直し", "未報告"]
    groups: list[tuple[str, int | None]] = [("全体", None)] + [
        (f"施策{p.policy_no}", p.policy_no) for p in plan.policies
    ]
    assert len(table) == 1 + len(groups)
    for (prefix, policy_no), row in zip(groups, table[1:], strict=True):
        assert row[0].startswith(prefix)
        now, before = counts(2026, policy_no), counts(2025, policy_no)
        for status, cell in zip(header[1:-1], row[1:-1], strict=True):
            assert _parse_count(cell) == (now[status], now[status] - before[status]), (
                prefix,
                status,
            )
        assert int(row[-1]) == sum(now.values())


def test_the_behind_items_are_listed_exactly_over_several_slides(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    written = filled[1][2026]
    slides = slides_titled(city_deck, BEHIND_TITLE)
    assert len(slides) > 1, "this many behind items should need more than one slide"
    for n, slide in enumerate(slides, start=1):
        assert title_of(slide).endswith(f"（{n}/{len(slides)}）")
    listed = listed_items(slides)
    assert len(listed) == len(set(listed))
    assert set(listed) == behind_expected(written)
    # Each row shows the status it was given.
    for slide in slides:
        for row in tables(slide)[0][1:]:
            assert row[3].endswith(written[int(row[0])])


def test_the_full_deck_lists_revised_and_unreported_items_apart(
    filled: tuple[Snapshot, dict[int, dict[int, str]]],
    city_deck: PresentationObject,
    city_full_deck: PresentationObject,
) -> None:
    snapshot, written = filled
    expected = {
        i.item_no
        for i in snapshot.plan.items
        if i.repost_of is None and written[2026].get(i.item_no, "未報告") in ("見直し", "未報告")
    }
    listed = listed_items(slides_titled(city_full_deck, ATTENTION_TITLE))
    assert sorted(listed) == sorted(expected)
    # The appendix comes last, after the one 未報告 slide; without --full it is not there.
    titles = [title_of(s) for s in city_full_deck.slides]
    first = next(i for i, t in enumerate(titles) if t.startswith(ATTENTION_TITLE))
    assert titles[first - 1] == UNREPORTED_TITLE
    assert all(t.startswith(ATTENTION_TITLE) for t in titles[first:])
    assert titles[:first] == [title_of(s) for s in city_deck.slides]
    assert slides_titled(city_deck, ATTENTION_TITLE) == []


def test_a_year_without_reports_says_so_in_one_line_instead_of_listing_every_item(
    store: Path, renderer: ChartRenderer
) -> None:
    snapshot = load_snapshot(store)
    deck = Presentation(io.BytesIO(build_meeting_deck(snapshot, 2025, renderer)))
    (behind,) = slides_titled(deck, BEHIND_TITLE)
    assert "ありません" in slide_text(behind)
    assert not tables(behind)
    originals = sum(i.repost_of is None for i in snapshot.plan.items)
    assert originals == 61
    (unreported,) = slides_titled(deck, UNREPORTED_TITLE)
    assert not tables(unreported)
    assert "令和7年度の進捗状況はまだ報告されていません（全61項目）" in slide_text(unreported)
    assert "未報告 61項目" in slide_text(unreported)
    full = Presentation(io.BytesIO(build_meeting_deck(snapshot, 2025, _NoBrowser(), full=True)))
    (attention,) = slides_titled(full, ATTENTION_TITLE)
    assert not tables(attention)
    assert "令和7年度の進捗状況はまだ報告されていません（全61項目）" in slide_text(attention)
    assert "未報告 61項目" in slide_text(attention)


def test_one_report_is_enough_to_list_the_unreported_items(store: Path) -> None:
    with connect(store, read_only=False) as con, transaction(con):
        record = ItemStatus(
            item_no=1,
            fiscal_year=2025,
            status="順調",
            achievements=None,
            issues=None,
            next_steps=None,
        )
        apply_changes(
            con,
            [RecordChange(key=key_of(record), before=None, after=record)],
            user="t",
            method="import",
        )
    snapshot = load_snapshot(store)
    data = build_meeting_deck(snapshot, 2025, _NoBrowser(), full=True)
    listed = listed_items(slides_titled(Presentation(io.BytesIO(data)), ATTENTION_TITLE))
    assert sorted(listed) == [i.item_no for i in snapshot.plan.items if i.repost_of is None][1:]


def test_every_run_has_latin_and_east_asian_fonts(
    city_deck: PresentationObject, demo_deck: PresentationObject
) -> None:
    for deck in (city_deck, demo_deck):
        checked = 0
        for run in runs(deck):
            r_pr = run._r.find(qn("a:rPr"))
            assert r_pr is not None, run.text
            ea, latin = r_pr.find(qn("a:ea")), r_pr.find(qn("a:latin"))
            assert ea is not None and ea.get("typeface") == FONT, run.text
            assert latin is not None and latin.get("typeface") == FONT, run.text
            checked += 1
        assert checked > 100


def test_demo_data_is_marked_on_every_slide_and_only_in_a_demo_deck(
    city_deck: PresentationObject, demo_deck: PresentationObject
) -> None:
    assert all("デモデータ" in slide_text(s) for s in demo_deck.slides)
    assert "デモデータ" in slide_text(demo_deck.slides[0])
    assert not any("デモデータ" in slide_text(s) for s in city_deck.slides)


def test_write_meeting_deck_writes_the_file_and_says_what_is_in_it(
    demo: Snapshot, renderer: ChartRenderer, tmp_path: Path
) -> None:
    out = tmp_path / "deck" / "会議資料.pptx"
    summary = write_meeting_deck(demo, 2025, out, renderer)
    deck = Presentation(str(out))
    assert summary.path == out
    assert summary.slide_titles == tuple(title_of(s).replace("\n", " ") for s in deck.slides)
    assert summary.slide_count == len(deck.slides)
    expected = {
        r["indicator_no"]
        for r in status_records(demo, 2025)
        if r["status"] in ("off_track", "at_risk")
    }
    assert set(summary.indicator_slides) == expected
    # One chart per indicator slide, and the 財政見通し slide's two balances (the demo scenario).
    assert summary.charts == len(expected) + 2
    assert summary.is_demo


class _NoBrowser(ChartRenderer):
    def image(self, *args: object, **kwargs: object) -> bytes:
        raise AssertionError("no chart should be rendered")


# --- nothing runs off a slide -------------------------------------------------------------------

EMU_PER_INCH = 914400


def _inches(length: int | None) -> float:
    return (length or 0) / EMU_PER_INCH


def _needed_height(
    frame: TextFrame, width: float, margins: tuple[int | None, int | None, int | None, int | None]
) -> float:
    """The estimated height of a frame's text with its margins (left, right, top, bottom), in
    inches: the deck's own estimate of wrapping and line height, read back from the file's runs."""
    left, right, top, bottom = (_inches(m) for m in margins)
    paragraphs = [
        [(run.text, run.font.size.pt) for run in p.runs if run.font.size is not None]
        for p in frame.paragraphs
    ]
    first = frame.paragraphs[0].space_after
    space_after = first.pt if first is not None else 0
    return text_height(paragraphs, width - left - right, space_after) + top + bottom


def _frame_margins(frame: TextFrame) -> tuple[int, int, int, int]:
    return frame.margin_left, frame.margin_right, frame.margin_top, frame.margin_bottom


def _extent(shape: BaseShape) -> tuple[float, float]:
    """Top and estimated bottom in inches; a table's rows grow to their text when drawn."""
    top = _inches(shape.top)
    if not (isinstance(shape, GraphicFrame) and shape.has_table):
        return top, top + _inches(shape.height)
    table = shape.table
    # Indexed: the column collection is a sequence by __getitem__ only (no __iter__ in its types).
    widths = [_inches(table.columns[i].width) for i in range(len(table.columns))]
    bottom = top
    for row in table.rows:
        # A cell's margins are its own (a:tcPr), not its text body's.
        needed = [
            _needed_height(
                cell.text_frame,
                w,
                (cell.margin_left, cell.margin_right, cell.margin_top, cell.margin_bottom),
            )
            for cell, w in zip(row.cells, widths, strict=True)
        ]
        bottom += max([_inches(row.height), *needed])
    return top, bottom


def layout_problems(deck: PresentationObject) -> list[str]:
    """Every shape inside the slide and above the footer (footers above the slide's edge), every
    text inside its box, and no two shapes on top of each other."""
    problems: list[str] = []
    slide_width, slide_height = _inches(deck.slide_width), _inches(deck.slide_height)
    for n, slide in enumerate(deck.slides, start=1):
        boxes: list[tuple[str, float, float, float, float]] = []
        for shape in slide.shapes:
            name = f"slide {n} ({title_of(slide)[:20]}) {shape.name}"
            left, width = _inches(shape.left), _inches(shape.width)
            top, bottom = _extent(shape)
            limit = slide_height if top >= FOOTER_TOP else BODY_BOTTOM
            if bottom > limit + 1e-6:
                problems.append(f"{name}: bottom {bottom:.2f} in below {limit} in")
            if left + width > slide_width + 1e-6:
                problems.append(f"{name}: right edge {left + width:.2f} in off the slide")
            if shape.has_text_frame and shape.text_frame.text.strip():
                needed = _needed_height(shape.text_frame, width, _frame_margins(shape.text_frame))
                if needed > bottom - top + 0.005:
                    problems.append(f"{name}: text needs {needed:.2f} in, box {bottom - top:.2f}")
            boxes.append((name, left, left + width, top, bottom))
        for i, (a, a_left, a_right, a_top, a_bottom) in enumerate(boxes):
            for b, b_left, b_right, b_top, b_bottom in boxes[i + 1 :]:
                across = a_left < b_right - 1e-6 and b_left < a_right - 1e-6
                if across and a_top < b_bottom - 1e-6 and b_top < a_bottom - 1e-6:
                    problems.append(f"{a} overlaps {b}")
    return problems


def test_nothing_runs_off_the_city_and_demo_decks(
    city_deck: PresentationObject, demo_deck: PresentationObject
) -> None:
    assert layout_problems(city_deck) == []
    assert layout_problems(demo_deck) == []


def test_a_year_without_actuals_fits_its_overview_on_the_slide(
    filled: tuple[Snapshot, dict[int, dict[int, str]]],
) -> None:
    """FY2027 after FY2024-2026 were entered: all eight indicators 未入力, nothing reported."""
    deck = Presentation(io.BytesIO(build_meeting_deck(filled[0], 2027, _NoBrowser())))
    assert layout_problems(deck) == []
    (overview,) = slides_titled(deck, OVERVIEW_TITLE)
    (table,) = tables(overview)
    latest = {int(row[0]): row[3] for row in table[1:]}
    # One line each, with the latest value and its year.
    assert latest[1] == "未入力（直近73.4%・令和8年度）"
    assert latest[7] == "未入力（直近30.0%・令和7年度）"
    assert all("\n" not in cell for cell in latest.values())


def test_a_partly_entered_year_fits_its_overview_on_the_slide(
    store: Path, renderer: ChartRenderer
) -> None:
    """FY2025 with values for indicators 1-5 only: three rows 未入力."""
    for no in range(1, 6):
        save_indicator_value(store, no, 2025, ACTUALS[no][1])
    deck = Presentation(io.BytesIO(build_meeting_deck(load_snapshot(store), 2025, renderer)))
    assert layout_problems(deck) == []
    (overview,) = slides_titled(deck, OVERVIEW_TITLE)
    (table,) = tables(overview)
    assert sum(row[2].endswith("未入力") for row in table[1:]) == 3


def test_long_issues_for_every_item_stay_on_their_slides(store: Path) -> None:
    """Every item behind, each with a long issue mixing Japanese, Latin words and digits."""
    plan = load_snapshot(store).plan
    issue = (
        "ICT・DX推進のためRPA（Robotic Process Automation）とAI-OCRの導入を検討したが、"
        + LONG_ISSUE
    )
    records = [
        ItemStatus(
            item_no=item.item_no,
            fiscal_year=2025,
            status="遅れ" if item.item_no % 2 else "やや遅れ",
            achievements=None,
            issues=issue[: 60 + item.item_no * 2],
            next_steps=None,
        )
        for item in plan.items
        if item.repost_of is None
    ]
    with connect(store, read_only=False) as con, transaction(con):
        changes = [RecordChange(key=key_of(r), before=None, after=r) for r in records]
        apply_changes(con, changes, user="t", method="import")
    deck = Presentation(io.BytesIO(build_meeting_deck(load_snapshot(store), 2025, _NoBrowser())))
    assert layout_problems(deck) == []
    behind = slides_titled(deck, BEHIND_TITLE)
    assert sorted(listed_items(behind)) == sorted(r.item_no for r in records)


def test_a_year_outside_the_plan_is_refused(store: Path) -> None:
    with pytest.raises(KomaeKpiError, match="計画期間"):
        build_meeting_deck(load_snapshot(store), 2024, _NoBrowser())


# --- the 財政見通し -------------------------------------------------------------------------------


def test_one_outlook_slide_after_the_indicators_with_every_verdict(
    demo: Snapshot, demo_deck: PresentationObject
) -> None:
    (slide,) = slides_titled(demo_deck, OUTLOOK_TITLE)
    titles = [title_of(s) for s in demo_deck.slides]
    items = next(i for i, t in enumerate(titles) if t.startswith(ITEM_SUMMARY_TITLE))
    assert titles.index(title_of(slide)) == items - 1  # after the indicator slides
    text = slide_text(slide)
    (outlook,) = finance_outlook.outlooks_for(demo, 2025)
    assert [x.indicator.indicator_no for x in outlook.indicators] == [3, 4, 5]
    for x in outlook.indicators:
        assert x.verdict.sentence in text
    # The fund misses its floor: what meeting it takes is said too.
    assert outlook.indicators[1].verdict.requirement in text
    assert "デモデータ（架空の財政見通し）" in text
    pictures = [s for s in slide.shapes if isinstance(s, Picture)]
    assert len(pictures) == 2 and all(p.image.blob.startswith(PNG_SIGNATURE) for p in pictures)
    # 経常収支比率 is 注意: its own slide carries the verdict beside the reason.
    (ratio,) = [s for s in demo_deck.slides if re.search(r"：指標3 ", title_of(s))]
    assert outlook.indicators[0].verdict.sentence in slide_text(ratio)


def test_no_outlook_slide_without_a_scenario(city_deck: PresentationObject) -> None:
    assert slides_titled(city_deck, OUTLOOK_TITLE) == []
    assert "財政見通し" not in "\n".join(slide_text(s) for s in city_deck.slides)


# --- exceptions first: what changed, and 未報告 on one slide (issue 15) ----------------------------


def _hand_made_changes(plan_snapshot: Snapshot) -> MeetingChanges:
    """What changed since a meeting in the autumn of FY2025, written by hand."""
    plan = plan_snapshot.plan

    def item(no: int, kind: ChangeKind, before: str | None, after: str | None) -> ItemChange:
        (x,) = [i for i in plan.items if i.item_no == no]
        return ItemChange(
            no=no,
            name=x.name,
            kind=kind,
            fiscal_year=2025,
            policy_no=x.policy_no,
            departments=x.departments,
            before=before,
            after=after,
        )

    def indicator(
        no: int,
        kind: ChangeKind,
        year: int,
        before: tuple[str | None, str | None],
        after: tuple[str | None, str | None],
    ) -> IndicatorChange:
        """before and after as (code or value, as people read it)."""
        return IndicatorChange(
            no=no,
            name=plan.indicator(no).name,
            kind=kind,
            fiscal_year=year,
            before=before[0],
            after=after[0],
            before_label=before[1],
            after_label=after[1],
        )

    return MeetingChanges(
        meeting_name="令和7年度第2回推進本部",
        meeting_date="2025-11-20",
        fiscal_year=2025,
        indicators=(
            indicator(2, "status_changed", 2025, ("at_risk", "注意"), ("off_track", "遅れ")),
            indicator(1, "new_value", 2025, (None, None), ("72.8", "72.8%")),
            indicator(5, "revised", 2024, ("165.0", "165.0億円"), ("164.5", "164.5億円")),
        ),
        items=(
            item(4, "status_changed", "順調", "遅れ"),
            item(21, "status_changed", "未着手", "順調"),
            item(6, "newly_reported", None, "やや遅れ"),
            item(9, "still_unreported", None, None),
            item(30, "still_unreported", None, None),
        ),
    )


@pytest.fixture(scope="module")
def demo_with_changes(demo: Snapshot) -> PresentationObject:
    data = build_meeting_deck(demo, 2025, _PlainImages(), changes=_hand_made_changes(demo))
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def demo_full_deck(demo: Snapshot) -> PresentationObject:
    data = build_meeting_deck(demo, 2025, _PlainImages(), full=True)
    return Presentation(io.BytesIO(data))


def _kind_of(title: str, warnings: list[str]) -> str:
    """What a slide is, by its title: the order test reads the deck as a list of these."""
    for prefix in (
        CHANGES_TITLE,
        OVERVIEW_TITLE,
        OUTLOOK_TITLE,
        ITEM_SUMMARY_TITLE,
        BEHIND_TITLE,
        UNREPORTED_TITLE,
        ATTENTION_TITLE,
    ):
        if title.startswith(prefix):
            return prefix
    return "indicator" if title in warnings else "title"


def _collapse(kinds: list[str]) -> list[str]:
    """Consecutive slides of one kind as one (a list split over slides)."""
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


def test_the_deck_puts_the_changes_and_the_exceptions_first(
    demo: Snapshot, demo_with_changes: PresentationObject, demo_full_deck: PresentationObject
) -> None:
    warnings = [w.title for w in gap_warnings(demo, 2025)]
    assert len(warnings) == 3
    titles = [title_of(s).replace("\n", " ") for s in demo_with_changes.slides]
    assert titles[0].startswith(PLAN_NAME)
    kinds = [_kind_of(t, warnings) for t in titles]
    exceptions_first = [
        OVERVIEW_TITLE,
        "indicator",
        OUTLOOK_TITLE,
        ITEM_SUMMARY_TITLE,
        BEHIND_TITLE,
        UNREPORTED_TITLE,
    ]
    assert _collapse(kinds) == ["title", CHANGES_TITLE, *exceptions_first]
    assert [t for t in titles if t in warnings] == warnings  # 遅れ first, then 注意
    # Without a meeting there is no changes slide; --full adds the appendix at the end.
    full = [_kind_of(title_of(s).replace("\n", " "), warnings) for s in demo_full_deck.slides]
    assert _collapse(full) == ["title", *exceptions_first, ATTENTION_TITLE]
    assert layout_problems(demo_with_changes) == []
    assert layout_problems(demo_full_deck) == []


def test_the_changes_slide_says_what_changed_since_the_meeting(
    demo: Snapshot, demo_with_changes: PresentationObject
) -> None:
    (slide,) = slides_titled(demo_with_changes, CHANGES_TITLE)
    assert title_of(slide) == CHANGES_TITLE
    text = slide_text(slide)
    lines = text.split("\n")
    plan = demo.plan
    assert (
        "前回会議：令和7年度第2回推進本部（令和7年11月20日（2025年））"
        "　比べた年度：令和7年度 (2025)"
    ) in lines
    assert (
        "指標：判定・状況の変化 1・新しい実績 1・実績の修正 1"
        "／取組項目：判定・状況の変化 2・新たに報告 1・未報告のまま 2"
    ) in lines
    # Each indicator with before → after; a value of another year says which.
    assert f"・指標2 {plan.indicator(2).name}　判定・状況の変化：△ 注意 → × 遅れ" in lines
    assert f"・指標1 {plan.indicator(1).name}　新しい実績：72.8%" in lines
    assert (
        f"・指標5 {plan.indicator(5).name}　実績の修正（令和6年度）：165.0億円 → 164.5億円" in lines
    )
    # Items counted, then listed compactly by 施策, long names shortened.
    assert "判定・状況の変化　2項目" in lines
    assert "・施策1　4 庁内データの利活用・連携に向けたオ…（順調 → 遅れ）" in lines
    assert "・施策2　21 中期財政ビジョンに沿った財政運営（未着手 → 順調）" in lines
    assert "新たに報告　1項目" in lines
    assert "・施策1　6 事業の集約化・アウトソーシングの検討（やや遅れ）" in lines
    # Still unreported: a count, not the items.
    assert "未報告のまま　2項目（部署別の内訳は「未報告の取組項目（部署別）」に掲載）" in lines
    assert "行政手続きのデジタル化" not in text and "広告収入等の拡充" not in text


def test_nothing_changed_is_said_on_one_slide(demo: Snapshot) -> None:
    changes = replace(_hand_made_changes(demo), indicators=(), items=())
    data = build_meeting_deck(demo, 2025, _PlainImages(), changes=changes)
    (slide,) = slides_titled(Presentation(io.BytesIO(data)), CHANGES_TITLE)
    assert "前回会議から変わったことはありません。" in slide_text(slide)


def test_long_changes_take_two_slides_at_most_and_count_what_is_left_out(
    demo: Snapshot,
) -> None:
    kinds: tuple[ChangeKind, ...] = ("status_changed", "newly_reported", "status_changed")
    items = tuple(
        ItemChange(
            no=n,
            name=f"テスト項目{n}の長い名称を含む取組の例",
            kind=kinds[n % 3],
            fiscal_year=2025,
            policy_no=1 + n % 4,
            departments=("政策室",),
            before=None if kinds[n % 3] == "newly_reported" else "順調",
            after="遅れ",
        )
        for n in range(1, 301)
    )
    changes = replace(_hand_made_changes(demo), items=items)
    deck = Presentation(io.BytesIO(build_meeting_deck(demo, 2025, _PlainImages(), changes=changes)))
    slides = slides_titled(deck, CHANGES_TITLE)
    assert [title_of(s) for s in slides] == [f"{CHANGES_TITLE}（1/2）", f"{CHANGES_TITLE}（2/2）"]
    assert layout_problems(deck) == []
    shown = set()
    for s in slides:
        shown |= {int(n) for n in re.findall(r"テスト項目(\d+)", slide_text(s))}
    match = re.search(r"ほか(\d+)件の変化は", slide_text(slides[-1]))
    assert match, "what does not fit is counted"
    assert 0 < len(shown) < 300 and len(shown) + int(match.group(1)) == 300
    # The indicators come first and are all shown.
    assert "・指標2 " in slide_text(slides[0])


def test_changes_for_another_year_are_refused(demo: Snapshot) -> None:
    changes = replace(_hand_made_changes(demo), fiscal_year=2026)
    with pytest.raises(KomaeKpiError, match="会議資料の年度"):
        build_meeting_deck(demo, 2025, _NoBrowser(), changes=changes)


def _unreported_by_department(snapshot: Snapshot, year: int) -> Counter[str]:
    """What the 未報告 slide should count: each item not reported, for each of its departments
    (a repost is its original's)."""
    reported = {s.item_no for s in snapshot.statuses if s.fiscal_year == year}
    return Counter(
        d
        for i in snapshot.plan.items
        if i.repost_of is None and i.item_no not in reported
        for d in i.departments
    )


def test_the_demo_deck_has_one_slide_about_unreported_items_without_full(
    demo: Snapshot, demo_deck: PresentationObject, demo_full_deck: PresentationObject
) -> None:
    about = [s for s in demo_deck.slides if "未報告" in title_of(s)]
    assert [title_of(s) for s in about] == [UNREPORTED_TITLE]
    texts = "\n".join(slide_text(s) for s in demo_deck.slides)
    assert "進捗状況の報告がありません" not in texts
    assert slides_titled(demo_deck, ATTENTION_TITLE) == []
    # --full keeps the long tables: every unreported item, one row each.
    reported = {s.item_no for s in demo.statuses if s.fiscal_year == 2025}
    unreported = [
        i.item_no for i in demo.plan.items if i.repost_of is None and i.item_no not in reported
    ]
    assert unreported
    attention = slides_titled(demo_full_deck, ATTENTION_TITLE)
    assert sorted(listed_items(attention)) == unreported
    full_text = "\n".join(slide_text(s) for s in attention)
    assert full_text.count("進捗状況の報告がありません") == len(unreported)
    assert len(demo_full_deck.slides) == len(demo_deck.slides) + len(attention)


def test_the_unreported_slide_counts_by_department(
    demo: Snapshot, demo_deck: PresentationObject
) -> None:
    (slide,) = slides_titled(demo_deck, UNREPORTED_TITLE)
    expected = _unreported_by_department(demo, 2025)
    assert len(expected) > 1
    counted: dict[str, int] = {}
    order: list[str] = []
    for table in tables(slide):
        assert table[0] == ["部署", "未報告の項目数"]
        for department, count in table[1:]:
            assert department not in counted
            counted[department] = int(count.removesuffix("項目"))
            order.append(department)
    assert counted == dict(expected)
    # The departments with the most first, the catch-alls (関係各課 …) after them.
    catch_alls = {d.name for d in demo.plan.departments if d.is_catch_all}
    real = [counted[d] for d in order if d not in catch_alls]
    assert real == sorted(real, reverse=True)
    assert order[len(real) :] == [d for d in order if d in catch_alls]
    unreported = sum(
        1
        for i in demo.plan.items
        if i.repost_of is None
        and i.item_no not in {s.item_no for s in demo.statuses if s.fiscal_year == 2025}
    )
    assert f"未報告 {unreported}項目／全61項目" in slide_text(slide)


def test_the_unreported_slide_of_the_city_deck_counts_by_department(
    filled: tuple[Snapshot, dict[int, dict[int, str]]], city_deck: PresentationObject
) -> None:
    (slide,) = slides_titled(city_deck, UNREPORTED_TITLE)
    counted = {row[0]: int(row[1].removesuffix("項目")) for t in tables(slide) for row in t[1:]}
    assert counted == dict(_unreported_by_department(filled[0], YEAR))
    # The 見直し items, not behind and not unreported, are named in a line.
    revised = sorted(no for no, s in filled[1][YEAR].items() if s == "見直し")
    assert revised
    numbers = "、".join(str(n) for n in revised)
    assert f"「見直し」の取組項目が{len(revised)}項目あります（取組項目{numbers}）" in slide_text(
        slide
    )
