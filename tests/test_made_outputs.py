"""The made reports and decks the server keeps for /reports (komae_kpi_ui/made_outputs.py)."""

from __future__ import annotations

from pathlib import Path

from komae_kpi.outputs.report_views import Output
from komae_kpi_ui import made_outputs


def deck(year: int) -> Output:
    return Output(
        kind="pptx", title="会議資料", description="", file_name=f"deck_{year}.pptx", button="b"
    )


def test_a_made_file_is_offered_for_its_store_version_and_meeting_only(tmp_path: Path) -> None:
    store, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    made_outputs.keep(store, deck(2025), (1, 2, 3), b"first", since="第1回")
    assert made_outputs.made(store, deck(2025), (1, 2, 3), since="第1回") == b"first"
    assert made_outputs.made(store, deck(2025), (1, 2, 4), since="第1回") is None  # written since
    assert made_outputs.made(store, deck(2025), (1, 2, 3), since=None) is None  # another meeting
    assert made_outputs.made(store, deck(2026), (1, 2, 3), since="第1回") is None  # another year
    assert made_outputs.made(other, deck(2025), (1, 2, 3), since="第1回") is None  # another store
    made_outputs.keep(store, deck(2025), (1, 2, 4), b"again", since="第1回")
    assert made_outputs.made(store, deck(2025), (1, 2, 4), since="第1回") == b"again"


def test_the_oldest_made_file_goes_first_beyond_the_limit(tmp_path: Path) -> None:
    store = tmp_path / "kpi.duckdb"
    years = range(2000, 2000 + made_outputs.MAX_KEPT + 1)
    for year in years:
        made_outputs.keep(store, deck(year), (0, 0, 0), str(year).encode())
    kept = [y for y in years if made_outputs.made(store, deck(y), (0, 0, 0)) is not None]
    assert kept == list(years)[1:]
