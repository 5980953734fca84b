"""The yearly progress report: content.py (what it says), report.html.j2 and report.css (how it is
written, with Jinja2), document.py (the HTML document), pdf.py (printed by Chromium)."""

from komae_kpi.outputs.report.content import TocEntry, report_year_problem
from komae_kpi.outputs.report.document import ReportDocument, build_report, fill_contents
from komae_kpi.outputs.report.pdf import PdfReport, build_pdf_report, write_report

__all__ = [
    "PdfReport",
    "ReportDocument",
    "TocEntry",
    "build_pdf_report",
    "build_report",
    "fill_contents",
    "report_year_problem",
    "write_report",
]
