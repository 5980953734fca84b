"""The layering in STYLE.md, checked: the core never imports Streamlit; pages hold no SQL."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from komae_kpi.common.paths import PROJECT_ROOT

CORE = PROJECT_ROOT / "komae_kpi"
PAGES = [PROJECT_ROOT / "dashboard.py", *sorted((PROJECT_ROOT / "pages").glob("*.py"))]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_never_imports_streamlit_or_the_ui() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        bad = {
            m for m in imported_modules(path) if m.split(".")[0] in ("streamlit", "komae_kpi_ui")
        }
        assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {bad}"


def test_pages_hold_no_sql_and_no_database_access() -> None:
    for path in PAGES:
        modules = imported_modules(path)
        assert "duckdb" not in modules, path.name
        assert not {
            m for m in modules if m in ("komae_kpi.store.connection", "komae_kpi.store.queries")
        }, path.name
        source = path.read_text(encoding="utf-8").upper()
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            assert keyword not in source, f"{path.name} contains {keyword.strip()}"


def test_pages_do_not_reshape_data() -> None:
    reshaping = (".groupby(", ".pivot", ".melt(", ".merge(", "pd.concat(", ".apply(")
    for path in PAGES:
        source = path.read_text(encoding="utf-8")
        assert not [r for r in reshaping if r in source], path.name


def test_only_the_ui_module_caches() -> None:
    for path in [*PAGES, *CORE.rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        assert "st.cache_data" not in source and "st.cache_resource" not in source, path.name


def run_lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages under root, with the project's contracts (pyproject.toml)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold() -> None:
    result = run_lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "message"),
    [
        (
            "plan/reads_outputs.py",
            "from komae_kpi.outputs import export\n",
            "komae_kpi.plan is not allowed to import komae_kpi.outputs",
        ),
        (
            "store/reads_judgement.py",
            "import komae_kpi.judgement.indicator_status\n",
            "komae_kpi.store is not allowed to import komae_kpi.judgement",
        ),
        (
            "views/uses_the_ui.py",
            "from komae_kpi_ui import frame\n",
            "komae_kpi.views is not allowed to import komae_kpi_ui",
        ),
        (
            "cli.py",  # added to the real module
            "import komae_kpi_ui.frame\n",
            "komae_kpi.cli is not allowed to import komae_kpi_ui",
        ),
        ("judgement/draws.py", "import streamlit\n", "komae_kpi.judgement.draws -> streamlit"),
    ],
)
def test_the_layer_contracts_fail_on_a_module_that_breaks_them(
    tmp_path: Path, module: str, source: str, message: str
) -> None:
    for package in ("komae_kpi", "komae_kpi_ui"):
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert run_lint_imports(tmp_path).returncode == 0  # the copy alone keeps them
    target = tmp_path / "komae_kpi" / module
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(before + source, encoding="utf-8")
    result = run_lint_imports(tmp_path)
    assert result.returncode != 0
    assert message in result.stdout


def test_the_architecture_page_names_files_that_exist() -> None:
    """docs/ARCHITECTURE.md names modules and folders; a move that leaves it behind fails here."""
    text = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = {"common", "plan", "store", "judgement", "imports", "views", "outputs"}
    named = set(re.findall(r"`([\w./]+/)`", text)) | {f"komae_kpi/{p}/" for p in packages}
    paths = set(re.findall(r"`((?:komae_kpi|pages|tests|data|docs)[\w./]*\.\w+)`", text))
    assert len(named) >= 8 and len(paths) >= 5
    for name in sorted(named | paths):
        found = (PROJECT_ROOT / name).exists() or any(
            PROJECT_ROOT.glob(f"komae_kpi*/**/{name.rstrip('/')}")
        )
        assert found, f"docs/ARCHITECTURE.md names {name}, which does not exist"
    for package in packages:
        assert f"`{package}/`" in text, f"docs/ARCHITECTURE.md does not describe {package}/"
