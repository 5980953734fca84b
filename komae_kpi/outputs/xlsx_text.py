"""Text into an Excel cell (openpyxl) as text: never a formula, never an openpyxl error."""

from __future__ import annotations

from openpyxl.cell.cell import Cell

from komae_kpi.common.spreadsheet_text import needs_formula_guard, without_control_characters


def set_text(cell: Cell, text: str) -> None:
    # openpyxl raises IllegalCharacterError for control characters; a vertical tab or form feed
    # (Word's line and page breaks) becomes a line break, the rest cannot be shown and is left out.
    text = without_control_characters(text)
    cell.value = text
    # openpyxl stores a string starting with "=" as a formula; every text stays text, so nothing
    # a person typed is ever run by Excel.
    cell.data_type = "s"
    if needs_formula_guard(text):
        # And it stays text when someone edits the cell in Excel (as if typed with a leading ').
        cell.quotePrefix = True
