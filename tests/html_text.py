"""Reading the HTML blocks the pages draw: tables as rows of cell texts, and plain text."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.labels: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self.labels.append(dict(attrs).get("aria-label") or "")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """Every table in the HTML by its aria-label (or its index), each as rows of cell texts."""
    parser = _Tables()
    parser.feed(html)
    return {
        label or str(i): rows
        for i, (label, rows) in enumerate(zip(parser.labels, parser.tables, strict=True))
    }


def records(rows: list[list[str]]) -> list[dict[str, str]]:
    """A table's body rows as dicts keyed by its header row (group heading rows skipped)."""
    header, *body = rows
    return [dict(zip(header, r, strict=True)) for r in body if len(r) == len(header)]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(p.strip() for p in parser.parts if p.strip())
