"""Text in spreadsheet cells: the guard that keeps a spreadsheet from running text as a formula.

Shared by every writer (CSV export, workbooks) and by the importer, which removes exactly the
guard the writers add, so export -> import is lossless.
"""

from __future__ import annotations

from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def needs_formula_guard(text: str) -> bool:
    """A spreadsheet would run it as a formula, or it already starts with guard apostrophes.

    The second case ("'=x" typed by a person) is guarded too, so that reading the export back,
    which removes exactly one apostrophe before such a text, returns what was stored.
    """
    return text.lstrip("'").startswith(FORMULA_STARTS)


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would execute gets a leading apostrophe; everything else is unchanged."""
    if isinstance(value, str) and needs_formula_guard(value):
        return "'" + value
    return value
