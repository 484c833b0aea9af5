"""Reading the pages' HTML tables (ui.tables.html_table) in AppTest: the tables the pages show as
HTML instead of st.dataframe, as DataFrames of the cell texts, in page order, with their data-key."""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import pandas as pd


class TableParser(HTMLParser):
    """Collects every <table data-key=…> of the fed HTML as (key, DataFrame of the cell texts)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, pd.DataFrame]] = []
        self._key, self._row, self._cell, self._head, self._rows = None, None, None, [], []
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._key, self._head, self._rows = a.get("data-key"), [], []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).replace("\u00ad", ""))  # soft hyphens in headers: not text
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr" and self._row is not None:
            (self._head if self._in_head else self._rows).append(self._row)
            self._row = None
        elif tag == "table" and self._key:
            head = self._head[0] if self._head else []
            self.found.append((self._key, pd.DataFrame(self._rows, columns=head)))
            self._key = None

    @property
    def tables(self) -> dict:
        return dict(self.found)


@dataclass
class Table:
    key: str
    value: pd.DataFrame


def tables(at) -> list[Table]:
    """Every HTML table on the page, in page order (like at.dataframe, with .value and .key)."""
    p = TableParser()
    for h in at.get("html"):
        p.feed(h.proto.body)
    return [Table(k, df) for k, df in p.found]


def table(at, key: str) -> pd.DataFrame:
    hits = [x.value for x in tables(at) if x.key == key]
    assert len(hits) == 1, f"{len(hits)} tables with key {key!r}: {[x.key for x in tables(at)]}"
    return hits[0]


def all_pages(at, key: str, limit: int = 200) -> pd.DataFrame:
    """Every row of a paged record list (ui.tables.show_records): read page 1, press "Nästa" until it
    is disabled, and put the pages together."""
    parts = [table(at, key)]
    nxt = [b for b in at.button if b.key == f"_tbl_{key}_next"]
    while nxt and not nxt[0].disabled and len(parts) < limit:
        nxt[0].click().run()
        assert not at.exception, [e.value for e in at.exception]
        parts.append(table(at, key))
        nxt = [b for b in at.button if b.key == f"_tbl_{key}_next"]
    return pd.concat(parts, ignore_index=True)
