"""What the /reports page offers: each output's title, description, file name and type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.publication_files import finance_workbook_name, open_data_zip_name
from komae_kpi.outputs.report import report_year_problem

OutputKind = Literal["pdf", "html", "pptx", "zip", "xlsx"]
MIME: dict[OutputKind, str] = {
    "pdf": "application/pdf",
    "html": "text/html",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, kw_only=True)
class Output:
    kind: OutputKind
    title: str
    description: str
    file_name: str
    button: str
    unavailable: str | None = None  # why it cannot be made for this year (None: it can)

    @property
    def mime(self) -> str:
        return MIME[self.kind]

    @property
    def make_label(self) -> str:
        """Slow outputs are made with one button, then downloaded with another."""
        return self.button.replace("をダウンロード", "を作成")

    @property
    def needs_browser(self) -> bool:
        """Charts are drawn (and the PDF printed) by Chromium; the data files need none."""
        return self.kind in ("pdf", "html", "pptx")


BROWSER_MISSING = (
    "この端末には Chromium がないため、報告書と会議資料は作成できません（グラフの画像化と PDF の印刷に"
    "使います）。管理者に `apt-get install chromium fonts-noto-cjk` を依頼してください。"
    "オープンデータと Excel は作成できます。"
)


def outputs(snapshot: Snapshot, year: int) -> list[Output]:
    demo = "デモデータ_" if snapshot.is_demo else ""
    era = fy.wareki(year)
    outside = report_year_problem(year)
    return [
        Output(
            kind="pdf",
            title="進捗状況報告（PDF）",
            description=f"{fy.label(year)}の進捗状況報告。表紙・目次・指標の状況とグラフ・取組項目ごとの進捗状況・"
            "判定方法。A4縦、ページ番号付き。市民への公表用。",
            file_name=f"{demo}進捗状況報告_{era}.pdf",
            button="PDFをダウンロード",
            unavailable=outside,
        ),
        Output(
            kind="html",
            title="進捗状況報告（HTML）",
            description="同じ内容のウェブページ（1ファイル）。ホームページへの掲載や、読み上げソフトでの閲覧に。",
            file_name=f"{demo}進捗状況報告_{era}.html",
            button="HTMLをダウンロード",
            unavailable=outside,
        ),
        Output(
            kind="pptx",
            title="推進本部会議資料（PowerPoint）",
            description="16:9。指標の一覧、遅れ・注意の指標ごとのグラフと差、施策ごとの取組項目の状況、"
            "遅れている取組項目、部署ごとの未報告の項目数。",
            file_name=f"{demo}推進本部会議資料_{era}.pptx",
            button="会議資料をダウンロード",
            unavailable=outside,
        ),
        Output(
            kind="zip",
            title="オープンデータ（ZIP）",
            description="指標・実績値・取組項目・進捗状況のCSV（UTF-8 BOM付き）とJSON、データ項目定義。全年度分。",
            file_name=open_data_zip_name(snapshot),
            button="ZIPをダウンロード",
        ),
        Output(
            kind="xlsx",
            title="データ一式（Excel）",
            description="財政課向け。表ごとに1シート（指標・実績値・取組項目・進捗状況・参考の財政指標）と説明シート。",
            file_name=finance_workbook_name(snapshot),
            button="Excelをダウンロード",
        ),
    ]
