"""推進本部 meetings as records (store/meetings.py) and what changed since one
(judgement/meeting_changes.py): recorded from the approved state, rebuilt from the change log
with --as-of, refused with nothing written, listed and removed with the log; the changes against a
hand-written expectation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.judgement.approvals import approve
from komae_kpi.judgement.meeting_changes import (
    IndicatorChange,
    ItemChange,
    changes_record,
    changes_since,
    load_changes,
    record_meeting,
)
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.backups import backup_store, list_backups, restore_store
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.meetings import (
    Meeting,
    list_meetings,
    load_meeting,
    meeting_log,
    remove_meeting,
)
from komae_kpi.store.review import open_submissions
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump, init_store_of_schema

HELD = dt.date(2026, 7, 15)
ADMIN = "kanri@city.komae.lg.jp"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")  # FY2025's actuals are due


def first_meeting(store: Path) -> Meeting:
    """The state the meeting sees: 指標3's 令和7年度 見込, items 5 and 8 順調; then recorded."""
    save_indicator_value(store, 3, 2025, 95.0, stage="estimate")
    save_item_status(store, 5, 2025, "順調")
    save_item_status(store, 8, 2025, "順調")
    meeting, _ = record_meeting(store, name="令和8年度第1回推進本部", held_on=HELD, user="seisaku")
    return meeting


def change_after_the_meeting(store: Path) -> None:
    """A new actual that changes a status, a revised one (見込 → 決算), a status change, an
    item newly reported, and a change the item's repost (item 60 of item 8) must not repeat."""
    save_indicator_value(store, 1, 2025, 60.0)
    save_indicator_value(store, 3, 2025, 95.5, stage="settled")
    save_item_status(store, 8, 2025, "遅れ")
    save_item_status(store, 9, 2025, "完了")
    save_item_status(store, 5, 2025, "完了")


INDICATOR_NAME_1 = "質の高い行政運営が行われていると感じている市民の割合"
EXPECTED_INDICATORS = (
    IndicatorChange(
        no=1,
        name=INDICATOR_NAME_1,
        kind="status_changed",
        fiscal_year=2025,
        before="no_data",
        after="off_track",
        before_label="未入力",
        after_label="遅れ",
    ),
    IndicatorChange(
        no=1,
        name=INDICATOR_NAME_1,
        kind="new_value",
        fiscal_year=2025,
        before=None,
        after="60.0%",
        before_label=None,
        after_label="60.0%",
    ),
    IndicatorChange(
        no=3,
        name="経常収支比率",
        kind="revised",
        fiscal_year=2025,
        before="95.0%（見込）",
        after="95.5%",
        before_label="95.0%（見込）",
        after_label="95.5%",
    ),
)
EXPECTED_ITEMS = (
    ItemChange(
        no=5,
        name="行政事務の効率化に向けた業務の見直し",
        kind="status_changed",
        fiscal_year=2025,
        policy_no=1,
        departments=("政策室", "情報政策課", "会計課", "関係各課"),
        before="順調",
        after="完了",
    ),
    ItemChange(
        no=9,
        name="行政手続きのデジタル化、電子申請・届出の拡充",
        kind="newly_reported",
        fiscal_year=2025,
        policy_no=1,
        departments=("政策室", "情報政策課", "関係各課"),
        before=None,
        after="完了",
    ),
    ItemChange(
        no=8,
        name="デジタル人財の育成",
        kind="status_changed",
        fiscal_year=2025,
        policy_no=1,
        departments=("職員課",),
        before="順調",
        after="遅れ",
    ),
)


def test_a_meeting_freezes_the_state_in_force(store: Path) -> None:
    meeting = first_meeting(store)
    (kept,) = list_meetings(store)
    assert kept == meeting
    assert (kept.held_on, kept.fiscal_year, kept.rebuilt, kept.recorded_by) == (
        HELD,
        2025,  # the year due on the day held
        False,
        "seisaku",
    )
    frozen = {(v.indicator_no, v.fiscal_year): (v.value, v.stage) for v in kept.values}
    assert frozen[(3, 2025)] == (95.0, "estimate")
    assert {(s.item_no, s.status) for s in kept.statuses} == {(5, "順調"), (8, "順調")}
    assert kept.judgement(3) == "off_track" and kept.judgement(1) == "no_data"
    assert len(kept.judgements) == len(load_plan().indicators)


def test_what_changed_since_the_meeting(store: Path) -> None:
    meeting = first_meeting(store)
    assert changes_since(meeting, load_snapshot(store)).indicators == ()
    change_after_the_meeting(store)

    changes = changes_since(meeting, load_snapshot(store))

    assert (changes.meeting_name, changes.meeting_date, changes.fiscal_year) == (
        "令和8年度第1回推進本部",
        "2026-07-15",
        2025,
    )
    assert changes.indicators == EXPECTED_INDICATORS
    assert tuple(c for c in changes.items if c.kind != "still_unreported") == EXPECTED_ITEMS
    originals = {i.item_no for i in load_plan().items if i.repost_of is None}
    unreported = [c.no for c in changes.items if c.kind == "still_unreported"]
    assert sorted(unreported) == sorted(originals - {5, 8, 9})
    assert 60 not in {c.no for c in changes.items}  # the repost of item 8 counts once, as 8
    assert all((c.before, c.after) == (None, None) for c in changes.items if c.no in unreported)
    # The same through the store's path, by name and as the latest meeting.
    assert load_changes(store, "令和8年度第1回推進本部") == changes
    assert load_changes(store) == changes


def test_another_year_is_judged_from_the_frozen_values(store: Path) -> None:
    meeting = first_meeting(store)
    save_indicator_value(store, 3, 2024, 93.0)
    changes = changes_since(meeting, load_snapshot(store), 2024)
    assert changes.fiscal_year == 2024
    status, value = changes.indicators  # only 指標3: the meeting had no 令和6年度 actual
    assert (status.no, status.kind, status.before) == (3, "status_changed", "no_data")
    assert status.after is not None and status.after != "no_data"
    assert (value.no, value.kind, value.fiscal_year, value.after) == (3, "new_value", 2024, "93.0%")
    # Items of a year outside the plan period have no changes.
    assert changes_since(meeting, load_snapshot(store), 2023).items == ()


def test_a_meeting_rebuilt_as_of_a_moment_equals_one_recorded_then(store: Path) -> None:
    save_item_status(store, 12, 2025, "順調", achievements="研修を実施")
    save_indicator_value(store, 4, 2025, 21.0, source="決算書", note="速報")
    backup = backup_store(store)
    save_item_status(store, 13, 2025, "やや遅れ", issues="予算")
    meeting = first_meeting(store)
    change_after_the_meeting(store)
    save_item_status(store, 12, 2025, "完了", achievements=None)
    save_indicator_value(store, 4, 2025, 22.25, source=None, note="確定前")
    restore_store(store, backup, user="kanri")  # deletes 13, 1, 9 …; puts 12, 4, 5, 8 back
    save_item_status(store, 14, 2025, "未着手")
    save_indicator_value(store, 3, 2025, 96.0, stage="final")

    rebuilt, _ = record_meeting(store, name="再現", held_on=HELD, as_of=meeting.state_at)

    assert rebuilt.rebuilt and rebuilt.state_at == meeting.state_at
    assert rebuilt.frozen_state == meeting.frozen_state
    assert load_meeting(store, "再現").frozen_state == meeting.frozen_state
    # As of now, the rebuilt state is the state in force.
    now, _ = record_meeting(store, name="今", held_on=HELD)
    latest, _ = record_meeting(store, name="今の再現", held_on=HELD, as_of=now.state_at)
    assert latest.frozen_state == now.frozen_state


@pytest.mark.parametrize(
    ("name", "held_on", "as_of", "message"),
    [
        (
            "令和8年度第1回推進本部",
            HELD,
            None,
            "会議「令和8年度第1回推進本部」は既に記録されています",
        ),
        ("第2回", dt.date(2026, 12, 1), None, "開催日 2026-12-01 は今日（2026-11-30）より後です"),
        ("第2回", HELD, dt.datetime(2099, 1, 1), "時点 2099-01-01 00:00 は現在"),
        ("第2回\n", HELD, None, "会議の名前に改行は使えません"),
        ("  ", HELD, None, "会議の名前が空です"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    store: Path, name: str, held_on: dt.date, as_of: dt.datetime | None, message: str
) -> None:
    first_meeting(store)
    before = dump(store)
    with pytest.raises(ValidationError, match=message):
        record_meeting(store, name=name, held_on=held_on, as_of=as_of)
    assert dump(store) == before


def test_an_unknown_meeting_names_the_known_ones(store: Path) -> None:
    with pytest.raises(ValidationError, match="会議はまだ記録されていません"):
        load_changes(store, "第9回")
    assert load_changes(store) is None
    first_meeting(store)
    before = dump(store)
    known = "会議「第9回」は記録されていません（記録されている会議は「令和8年度第1回推進本部」）"
    with pytest.raises(ValidationError, match=known):
        load_changes(store, "第9回")
    with pytest.raises(ValidationError, match=known):
        remove_meeting(store, "第9回")
    assert dump(store) == before


def test_remove_is_logged_after_a_backup(store: Path) -> None:
    first_meeting(store)
    record_meeting(store, name="第2回", held_on=dt.date(2026, 10, 1), user="seisaku")
    assert [m.name for m in list_meetings(store)] == ["令和8年度第1回推進本部", "第2回"]
    latest = load_changes(store)  # the latest held
    assert latest is not None and latest.meeting_name == "第2回"

    entry = remove_meeting(store, "令和8年度第1回推進本部", user="kanri")

    assert [m.name for m in list_meetings(store)] == ["第2回"]
    assert [(e.action, e.name, e.logged_by) for e in meeting_log(store)] == [
        ("remove", "令和8年度第1回推進本部", "kanri"),
        ("add", "第2回", "seisaku"),
        ("add", "令和8年度第1回推進本部", "seisaku"),
    ]
    assert entry.summary.startswith("2026-07-15開催、令和7年度 (2025)、実績値")
    tables = dump(store)
    assert all(
        name != "令和8年度第1回推進本部"
        for table in ("meeting_values", "meeting_item_statuses", "meeting_judgements")
        for name, *_ in tables[table]
    )
    (backup,) = [b for b in list_backups(store) if b.reason == "meeting"]
    assert "令和8年度第1回推進本部" in [m.name for m in list_meetings(backup.path)]


def test_approvers_and_administrators_record_the_approved_state(store: Path) -> None:
    save_user(store, email=ADMIN, role="管理者", user="setup")
    save_user(store, email="shounin@city.komae.lg.jp", role="承認者", user=ADMIN)
    save_user(
        store, email="zaisei@city.komae.lg.jp", role="部署担当", departments=["財政課"], user=ADMIN
    )
    save_indicator_value(store, 3, 2025, 95.0, user="zaisei@city.komae.lg.jp")  # waits
    before = dump(store)
    for who in ("zaisei@city.komae.lg.jp", "someone@example.com"):
        with pytest.raises(PermissionDeniedError):
            record_meeting(store, name="第1回", held_on=HELD, user=who)
    assert dump(store) == before

    meeting, _ = record_meeting(store, name="第1回", held_on=HELD, user="shounin@city.komae.lg.jp")
    with connect(store, read_only=True) as con:
        assert len(open_submissions(con)) == 1
    assert (3, 2025) not in {(v.indicator_no, v.fiscal_year) for v in meeting.values}
    before = dump(store)
    with pytest.raises(PermissionDeniedError, match="会議を記録・削除できません"):
        remove_meeting(store, "第1回", user="zaisei@city.komae.lg.jp")
    assert dump(store) == before

    # Approved after the meeting: a change since, and not in the state rebuilt as of the meeting.
    approve(store, user="shounin@city.komae.lg.jp", comments={1: "要注視"})
    changes = load_changes(store, "第1回")
    assert changes is not None
    assert [(c.no, c.kind) for c in changes.indicators if c.kind != "status_changed"] == [
        (3, "new_value")
    ]
    rebuilt, _ = record_meeting(
        store, name="再現", held_on=HELD, as_of=meeting.state_at, user=ADMIN
    )
    assert rebuilt.frozen_state == meeting.frozen_state
    remove_meeting(store, "第1回", user=ADMIN)


def test_the_migration_keeps_a_schema_9_stores_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v9.duckdb"
    init_store_of_schema(path, 9, monkeypatch)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO indicator_values VALUES (3, 2025, 88.0, 'settled', '決算', NULL, 'user',"
        " now(), '財政課')"
    )
    con.close()
    before = dump(path)
    assert "meetings" not in before

    report = init_store(path)

    assert report.migrations_applied == (10,)
    after = dump(path)
    kept = {t: rows for t, rows in after.items() if t in before and t != "schema_migrations"}
    assert kept == {t: rows for t, rows in before.items() if t != "schema_migrations"}
    assert after["meetings"] == [] and after["meeting_log"] == []
    meeting, _ = record_meeting(path, name="第1回", held_on=HELD)
    assert (3, 2025, 88.0) in {(v.indicator_no, v.fiscal_year, v.value) for v in meeting.values}


def test_changes_record_is_the_json_shape(store: Path) -> None:
    meeting = first_meeting(store)
    change_after_the_meeting(store)
    record = changes_record(changes_since(meeting, load_snapshot(store)))
    assert list(record) == ["meeting", "fiscal_year", "indicators", "items"]
    assert record["indicators"][0] == {
        "no": 1,
        "name": INDICATOR_NAME_1,
        "kind": "status_changed",
        "fiscal_year": 2025,
        "before": "no_data",
        "after": "off_track",
        "before_label": "未入力",
        "after_label": "遅れ",
        "kind_label": "判定・状況の変化",
    }
    assert record["items"][-1]["before_label"] == "未報告"  # still unreported, last
