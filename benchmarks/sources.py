"""Source files: which contract a file belongs to, and how it is encoded (for the floor and naive runs).

Uses the ETL's own helpers when they exist (``etl.readers``), otherwise a small sniffer here.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass, asdict
from pathlib import Path

from etl.contracts import Contract, load_contracts

BIG_SOURCES = ["incidents", "it_costs", "survey_responses", "eservice_transactions", "outages"]


def source_of(path: Path) -> str | None:
    """Contract source for a file: the longest contract name the file name starts with."""
    name = Path(path).name.lower()
    best = None
    for source in load_contracts():
        if name.startswith(source) and (best is None or len(source) > len(best)):
            rest = name[len(source):]
            # "eservices.csv" must not match "eservice_transactions"; next char must end the name part
            if not rest or not rest[0].isalpha():
                best = source
    return best


def group_by_source(paths: list[Path]) -> dict[str, list[Path]]:
    """Files by source, in the contracts' dependency order (dimensions first)."""
    by: dict[str, list[Path]] = {}
    for p in sorted(paths):
        s = source_of(p)
        if s:
            by.setdefault(s, []).append(Path(p))
    order = list(load_contracts())
    return {s: by[s] for s in order if s in by}


@dataclass
class CsvFormat:
    kind: str            # csv | parquet | xlsx | other
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"   # python codec name: utf-8, utf-8-sig, cp1252

    @property
    def duckdb_encoding(self) -> str:
        # DuckDB's CSV reader knows utf-8 and latin-1 natively; cp1252 differs from latin-1 only in
        # 0x80-0x9F (e.g. the euro sign), which is close enough for a speed floor.
        return "latin-1" if self.encoding == "cp1252" else "utf-8"

    def as_dict(self) -> dict:
        return asdict(self)


def sniff(path: Path) -> CsvFormat:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return CsvFormat("parquet")
    if suffix in (".xlsx", ".xls"):
        return CsvFormat("xlsx")
    if suffix not in (".csv", ".txt", ".tsv"):
        return CsvFormat("other")
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    first_line = head.split(b"\n", 1)[0]
    delimiter = ";" if first_line.count(b";") > first_line.count(b",") else ","
    decimal = "," if delimiter == ";" else "."
    return CsvFormat("csv", delimiter, decimal, encoding)


def contract(source: str) -> Contract:
    return load_contracts()[source]
