"""The layering in STYLE.md, checked: the core never imports Streamlit; pages hold no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

from komae_kpi.paths import PROJECT_ROOT

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
        assert not {m for m in modules if m in ("komae_kpi.store", "komae_kpi.queries")}, path.name
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
