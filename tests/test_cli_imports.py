"""The command line loads only what a command needs: the heavy libraries stay out of --help.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from komae_kpi.common.paths import PROJECT_ROOT

# The libraries that take most of a second and 150 MB to load: charts (plotly, kaleido), tables
# (pandas), documents (python-pptx, jinja2) and spreadsheet readers (openpyxl, python-calamine).
HEAVY = ("pandas", "plotly", "kaleido", "pptx", "openpyxl", "python_calamine", "jinja2")

_REPORT = f"import json\nprint('@@', json.dumps(sorted(set({HEAVY!r}) & set(sys.modules))))\n"


def _loaded(code: str) -> list[str]:
    """The heavy modules loaded once `code` has run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + _REPORT],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    last = done.stdout.splitlines()[-1]
    assert last.startswith("@@ "), done.stdout
    return list(json.loads(last[3:]))


def _run_main(*argv: str) -> str:
    # As `python -m komae_kpi ...` runs it: the module as __main__, which ends in sys.exit.
    return (
        "import runpy\n"
        f"sys.argv = ['komae_kpi', *{list(argv)!r}]\n"
        "try:\n"
        "    runpy.run_module('komae_kpi', run_name='__main__', alter_sys=True)\n"
        "except SystemExit:\n"
        "    pass\n"
    )


def test_importing_the_command_line_leaves_the_heavy_libraries_out() -> None:
    assert _loaded("import komae_kpi.cli\n") == []


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("import", "--help"), ("reprot",)],
    ids=["help", "command-help", "mistyped"],
)
def test_help_and_a_mistyped_command_leave_the_heavy_libraries_out(argv: tuple[str, ...]) -> None:
    assert _loaded(_run_main(*argv)) == []


def test_the_check_sees_a_heavy_library_when_one_is_loaded() -> None:
    # The check itself can fail: a command that draws a report does load them.
    assert "jinja2" in _loaded("import komae_kpi.outputs.report\n")


def test_the_importers_load_a_spreadsheet_reader_only_to_read_a_workbook() -> None:
    # A file refused by its size is refused with these modules alone (test_read_limits measures
    # the memory that takes).
    importers = "komae_kpi.imports.importer, komae_kpi.imports.peer_import"
    assert _loaded(f"import {importers}, komae_kpi.imports.scenario_import\n") == []
