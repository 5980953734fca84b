"""`pip install -r requirements.txt` installs the `komae-kpi` command, which works from any folder.

Installed for real, into a fresh virtual environment that borrows this one's packages (a .pth
file naming its site-packages), so that pip finds every pinned package already there and only
builds the project itself (from the configured package index, as setup does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.store.connection import init_store


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a virtual environment where requirements.txt has been installed."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site / "site-packages" / "borrowed.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return venv / "bin"


def test_the_command_works_from_another_folder(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = tmp_path / "kpi.duckdb"
    init_store(store)
    env = {k: v for k, v in os.environ.items() if k not in (DB_ENV_VAR, "PYTHONPATH")}

    def komae_kpi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(installed / "komae-kpi"), *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    help_text = komae_kpi("--help")
    assert help_text.returncode == 0, help_text.stderr
    assert help_text.stdout.startswith("使い方: komae-kpi ")
    status = komae_kpi("status", "--db", str(store), "--fiscal-year", "2025")
    assert status.returncode == 0, status.stderr
    assert "令和7年度 (2025)" in status.stdout
    assert list(elsewhere.iterdir()) == []  # nothing written where it was run


def test_the_command_is_the_clis_main() -> None:
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"komae-kpi": "komae_kpi.cli:main"}
    lines = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e ." in lines
