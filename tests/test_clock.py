import datetime as dt

import pytest

from komae_kpi.common import clock


def test_today_is_the_machines_date_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.TODAY_ENV, raising=False)
    assert clock.today() == dt.date.today()
    monkeypatch.setenv(clock.TODAY_ENV, "2027-04-01")
    assert clock.today() == dt.date(2027, 4, 1)


def test_an_unreadable_today_is_said_in_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "来年")
    with pytest.raises(ValueError, match="KOMAE_KPI_TODAY"):
        clock.today()
