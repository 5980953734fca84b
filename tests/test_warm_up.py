"""The server sets the long-lived objects aside from the collector that runs after every script run."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT

SCRIPT = """
import gc, sys, time
import streamlit
from komae_kpi_ui import warm_up
before = gc.get_freeze_count()
warm_up.once()
frozen = gc.get_freeze_count()
warm_up.once()
start = time.process_time_ns()
gc.collect(2)
print(before, frozen, gc.get_freeze_count(), 'plotly.graph_objects' in sys.modules,
      'komae_kpi.views.finance_outlook' in sys.modules, 'pptx' in sys.modules)
"""


def test_warm_up_loads_what_pages_use_then_freezes_it_once() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    before, frozen, again, plotly, views, pptx = done.stdout.split()
    assert int(before) == 0
    # plotly's validators alone are tens of thousands of objects; all now outside collections
    assert int(frozen) > 100_000
    assert int(again) == int(frozen)  # a second call freezes nothing more
    assert (plotly, views, pptx) == ("True", "True", "True")


def test_the_router_warms_up_before_drawing(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    from komae_kpi_ui import warm_up

    monkeypatch.setattr(warm_up, "_done", False)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    calls: list[str] = []
    monkeypatch.setenv(DB_ENV_VAR, str(store))
    at = AppTest.from_file(str(PROJECT_ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert calls == ["freeze"] and warm_up.frozen()
    assert gc.isenabled()  # freezing does not turn the collector off
