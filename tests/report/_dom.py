"""A small DOM summary of a report page with html.parser: sections, their classes and texts, tables, figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Page:
    sections: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {"class", "text"}
    toc: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)  # {"section", "columns", "rows"}
    figures: list[dict[str, str]] = field(default_factory=list)  # {"section", "alt", "kind"}
    scripts: int = 0
    urls: list[str] = field(default_factory=list)  # every src / href value


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.section: str | None = None
        self.in_nav = False
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href"):
            if key in a:
                self.page.urls.append(a[key])
        if tag == "section":
            self.section = a.get("id", "")
            self.page.sections[self.section] = {"class": a.get("class", ""), "text": ""}
        elif tag == "nav":
            self.in_nav = True
        elif tag == "a" and self.in_nav:
            self.page.toc.append(a.get("href", ""))
        elif tag == "script":
            self.page.scripts += 1
        elif tag == "table":
            self.page.tables.append({"section": self.section, "id": a.get("id"), "columns": [], "rows": []})
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "div" and a.get("role") == "img":
            self.page.figures.append({"section": self.section or "", "alt": a.get("aria-label", ""), "kind": "svg"})
        elif tag == "img":
            self.page.figures.append({"section": self.section or "", "alt": a.get("alt", ""), "kind": "png"})

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None
        elif tag == "nav":
            self.in_nav = False
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.page.tables:
            table = self.page.tables[-1]
            if self.in_head:
                table["columns"] = self.row
            else:
                table["rows"].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.section is not None:
            self.page.sections[self.section]["text"] += data


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    return parser.page
