"""The yearly 照会 workbook: one department's items, to fill in and import back as it is.

The first sheet is the one the importer reads: a title, then a header row the importer recognises
(項目番号, 取組項目名, 年度, 進捗状況, 取組実績, 課題, 今後の方向性), one row per item. Last year's
entries sit in columns headed 前年度の…, which the importer does not read. This year's columns are
pre-filled with what the store already holds, so an untouched workbook imports as "unchanged".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.files import atomic_write_bytes
from komae_kpi.imports.import_cells import name_key
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.xlsx_text import set_text
from komae_kpi.plan import facts
from komae_kpi.plan.model import Department, Item, ItemStatus, Plan
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR

SHEET_TITLE = "照会"
HEADER_ROW = 4
FIRST_DATA_ROW = HEADER_ROW + 1
# (header, width, is this year's entry column)
COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("項目番号", 9, False),
    ("取組項目名", 30, False),
    ("推進部署", 18, False),
    ("年度", 12, False),
    ("前年度の進捗状況", 12, False),
    ("前年度の取組実績", 30, False),
    ("前年度の課題", 24, False),
    ("前年度の今後の方向性", 24, False),
    ("進捗状況", 12, True),
    ("取組実績", 40, True),
    ("課題", 30, True),
    ("今後の方向性", 30, True),
)
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_ENTRY_FILL = PatternFill("solid", fgColor="FFF5CC")
_PAST_FILL = PatternFill("solid", fgColor="EEEEEE")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "Noto Sans CJK JP"


@dataclass(frozen=True, kw_only=True)
class InquiryWorkbook:
    department: str
    fiscal_year: int
    items: tuple[int, ...]
    data: bytes

    @property
    def file_name(self) -> str:
        return inquiry_file_name(self.department, self.fiscal_year)


def inquiry_file_name(department: str, year: int) -> str:
    return f"照会_{department}_{fy.wareki(year)}.xlsx"


def find_department(plan: Plan, name: str) -> Department:
    wanted = name_key(name)
    for department in plan.departments:
        if name_key(department.name) == wanted:
            if department.is_catch_all:
                raise KomaeKpiError(
                    f"「{department.name}」は特定の部署ではなく総称です。照会は部署ごとに作成します。"
                )
            return department
    names = "・".join(d.name for d in plan.departments if not d.is_catch_all)
    raise KomaeKpiError(
        f"推進部署「{name}」は計画にありません。次のいずれかを指定してください: {names}"
    )


def department_items(plan: Plan, department: str) -> list[Item]:
    """The items the department reports: reposts are reported under their original."""
    return [i for i in plan.items if department in i.departments and i.repost_of is None]


def _text_cell(sheet: Worksheet, row: int, column: int, value: str | int | None) -> Cell:
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # never a merged cell: this sheet merges none
    if isinstance(value, str):
        set_text(cell, value)
    elif value is not None:
        cell.value = value
    return cell


def build_inquiry_workbook(snapshot: Snapshot, department_name: str, year: int) -> InquiryWorkbook:
    plan = snapshot.plan
    department = find_department(plan, department_name)
    if not facts.in_plan_period(year):
        raise KomaeKpiError(
            f"照会の年度は{facts.PERIOD_TEXT}から指定してください（指定: {fy.label(year)}）。"
        )
    items = department_items(plan, department.name)
    statuses: dict[tuple[int, int], ItemStatus] = {
        (s.item_no, s.fiscal_year): s for s in snapshot.statuses
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    title = sheet.cell(row=1, column=1)
    # The plan's name without the publisher's, as the 照会 has always been titled.
    title.value = f"{facts.PLAN_NAME} 取組項目の進捗状況 照会（{fy.label(year)}）"
    title.font = Font(name=_FONT, bold=True, size=14)
    if snapshot.is_demo:
        title.value = "【デモデータ】" + str(title.value)
    note = sheet.cell(row=2, column=1)
    note.value = (
        f"推進部署: {department.name}　／　黄色の列に{fy.wareki(year)}の内容を記入してください。"
        "記入方法は「記入方法」シートを参照してください。"
    )
    note.font = Font(name=_FONT, size=10)
    for column, (header, width, _entry) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(name=_FONT, bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(column)].width = width
    for offset, item in enumerate(items):
        row = FIRST_DATA_ROW + offset
        last = statuses.get((item.item_no, year - 1))
        this = statuses.get((item.item_no, year))
        values: list[str | int | None] = [
            item.item_no,
            item.name,
            DEPARTMENT_SEPARATOR.join(item.departments),
            fy.wareki(year),
            last.status if last else None,
            last.achievements if last else None,
            last.issues if last else None,
            last.next_steps if last else None,
            this.status if this else None,
            this.achievements if this else None,
            this.issues if this else None,
            this.next_steps if this else None,
        ]
        for column, value in enumerate(values, start=1):
            cell = _text_cell(sheet, row, column, value)
            entry = COLUMNS[column - 1][2]
            cell.font = Font(name=_FONT, size=10)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = _BORDER
            if entry:
                cell.fill = _ENTRY_FILL
            elif column >= 5:
                cell.fill = _PAST_FILL
    vocabulary = [s.status for s in plan.statuses]
    if items:
        status_column = next(n for n, c in enumerate(COLUMNS, start=1) if c[0] == "進捗状況")
        letter = get_column_letter(status_column)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(vocabulary) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="進捗状況",
            error="一覧から選んでください: " + "・".join(vocabulary),
            promptTitle="進捗状況",
            prompt="一覧から選んでください",
            showInputMessage=True,
        )
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + len(items) - 1}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"
    _write_instructions(book, plan, department.name, year, items)
    buffer = io.BytesIO()
    book.save(buffer)
    return InquiryWorkbook(
        department=department.name,
        fiscal_year=year,
        items=tuple(i.item_no for i in items),
        data=buffer.getvalue(),
    )


def _write_instructions(
    book: Workbook, plan: Plan, department: str, year: int, items: list[Item]
) -> None:
    sheet = book.create_sheet("記入方法")
    lines: list[tuple[str, str]] = [
        ("記入方法", ""),
        ("", ""),
        (
            "1",
            f"「{SHEET_TITLE}」シートの黄色の列（進捗状況・取組実績・課題・今後の方向性）に、"
            f"{fy.wareki(year)}の内容を記入してください。",
        ),
        ("2", "進捗状況はセルの一覧から選んでください。"),
        ("3", "項目番号・取組項目名・年度の列は変更しないでください（取込時に照合します）。"),
        ("4", "灰色の列は前年度の報告です（参考。取り込みません）。"),
        ("5", "記入しなかった取組項目は「未記入」として扱い、取り込みません。"),
        ("6", "記入後、ファイル形式を変えずに（.xlsx のまま）提出してください。"),
        ("", ""),
        ("進捗状況の区分", ""),
    ]
    lines += [(s.status, s.description) for s in plan.statuses]
    reposts = [i for i in plan.items if i.repost_of is not None and department in i.departments]
    if reposts:
        lines.append(("", ""))
        for item in reposts:
            lines.append(
                (
                    "再掲",
                    f"取組項目{item.item_no}（{item.display_name}）は取組項目{item.repost_of}の再掲です。"
                    f"取組項目{item.repost_of}の行に記入してください。",
                )
            )
    if not items:
        lines.append(("", f"{department}が推進部署の取組項目はありません。"))
    for row, (first, second) in enumerate(lines, start=1):
        a = _text_cell(sheet, row, 1, first or None)
        b = _text_cell(sheet, row, 2, second or None)
        bold = row == 1 or first == "進捗状況の区分"
        a.font = Font(name=_FONT, bold=bold, size=12 if row == 1 else 10)
        b.font = Font(name=_FONT, size=10)
        b.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 90


def write_inquiry_workbook(
    snapshot: Snapshot, department: str, year: int, out: Path
) -> InquiryWorkbook:
    workbook = build_inquiry_workbook(snapshot, department, year)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, workbook.data)
    return workbook
