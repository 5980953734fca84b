"""Text in spreadsheet cells: the guard that keeps a spreadsheet from running text as a formula.

Shared by every writer (CSV export, workbooks) and by the importer, which removes exactly the
guard the writers add, so export -> import is lossless.
"""

from __future__ import annotations

import re
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection). LibreOffice
# and Excel also take the full-width forms typed with a Japanese input method, and skip the blanks
# before them.
FORMULA_CHARACTERS = "=+-@＝＋－＠"
# A cell starting with a tab or a line break is guarded whatever follows: spreadsheets drop or
# shift such a start on import, so what comes after it may be read as a formula.
_GUARDED_STARTS = ("\t", "\r", "\n")
_BLANKS = " \u3000"


def needs_formula_guard(text: str) -> bool:
    """A spreadsheet would run it as a formula, or it already starts with guard apostrophes.

    The second case ("'=x" typed by a person) is guarded too, so that reading the export back,
    which removes exactly one apostrophe before such a text, returns what was stored. Numbers
    are not text and never guarded (spreadsheet_safe(-1.5) is -1.5).

    >>> [needs_formula_guard(t) for t in ("=1+1", " =1+1", "＝1+1", "\\n=1+1", "'@x", "1-2")]
    [True, True, True, True, True, False]
    """
    unguarded = text.lstrip("'")
    if unguarded.startswith(_GUARDED_STARTS):
        return True
    return unguarded.lstrip(_BLANKS)[:1] in tuple(FORMULA_CHARACTERS)


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would execute gets a leading apostrophe, and control characters an
    older version stored are left out (without_control_characters); everything else is unchanged."""
    if not isinstance(value, str):
        return value
    text = without_control_characters(value)
    return "'" + text if needs_formula_guard(text) else text


# What the user-text rule (common/user_text.py) refuses in every field and XML cannot hold; a
# vertical tab or form feed (Word's line and page breaks) becomes a line break.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    """The text as a cell can hold it and our importer takes it back: a value stored before the
    rule (an ESC from an older version's form) would otherwise make our own export unreadable.

    >>> without_control_characters("行1\\x0b行2\\x07\\x1b[2J")
    '行1\\n行2[2J'
    """
    return _CONTROL.sub("", text.replace("\v", "\n").replace("\f", "\n"))
