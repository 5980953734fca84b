"""Today's date, in one place, so that the date rules (which year is due, which actuals may be
entered) can be checked as of any day.

KOMAE_KPI_TODAY=2026-07-01 makes every command and page of this process take that day as today
(tests, and a rehearsal of next spring's screens); unset, it is the machine's date.
"""

from __future__ import annotations

import datetime as dt
import os

TODAY_ENV = "KOMAE_KPI_TODAY"


def today() -> dt.date:
    """The machine's date, or KOMAE_KPI_TODAY when it is set to an ISO date."""
    text = os.environ.get(TODAY_ENV, "").strip()
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"環境変数 {TODAY_ENV} の値「{text}」は日付（例: 2026-07-01）として読めません。"
        ) from exc
