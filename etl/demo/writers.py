"""File writers for the demo generator: byte-deterministic CSV (UTF-8, UTF-8 with BOM, cp1252 with `;`
and decimal comma), Excel and Parquet, plus fast vectorised string helpers (pyarrow compute)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2020-01-01T00:00:00Z"


# ---- vectorised string helpers -----------------------------------------------------------

def ids(prefix: str, start: int, n: int, width: int) -> pa.Array:
    """prefix + zero-padded running number, e.g. INC0010001."""
    nums = pa.array(np.arange(start, start + n, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), pc.utf8_lpad(nums, width=width, padding="0"), "")


def fmt_minutes(minutes: np.ndarray, fmt: str) -> pa.Array:
    """Format int64 minutes since the epoch with strftime."""
    ts = pa.array(minutes.astype("datetime64[m]").astype("datetime64[s]"))
    return pc.strftime(ts, format=fmt)


_DAY_CACHE: dict[tuple[str, int, int], pa.Array] = {}
_HM = pa.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)])


def _fmt(minutes: np.ndarray, style: str) -> pa.Array:
    """Timestamps from lookup tables of day and hh:mm labels (much faster than strftime per row)."""
    minutes = np.asarray(minutes, dtype=np.int64)
    day = minutes // 1440
    lo, hi = (int(day.min()), int(day.max())) if len(day) else (0, 0)
    lo, hi = lo - lo % 4096, hi - hi % 4096 + 4096
    labels = _DAY_CACHE.get((style, lo, hi))
    if labels is None:
        d64 = np.arange(lo, hi).astype("datetime64[D]")
        y = d64.astype("datetime64[Y]").astype(int) + 1970
        mo = d64.astype("datetime64[M]").astype(int) % 12 + 1
        dd = (d64 - d64.astype("datetime64[M]")).astype(int) + 1
        if style == "dayfirst":
            text = [f"{a}/{b}/{c} " for a, b, c in zip(dd.tolist(), mo.tolist(), y.tolist())]
        else:
            text = [f"{c:04d}-{b:02d}-{a:02d} " for a, b, c in zip(dd.tolist(), mo.tolist(), y.tolist())]
        labels = pa.array(text)
        _DAY_CACHE[(style, lo, hi)] = labels
    return pc.binary_join_element_wise(labels.take(pa.array(day - lo)), _HM.take(pa.array(minutes % 1440)), "")


def fmt_dayfirst(minutes: np.ndarray) -> pa.Array:
    """ServiceNow export style: day-first, day and month without zero padding: 5/3/2016 09:05."""
    return _fmt(minutes, "dayfirst")


def fmt_iso(minutes: np.ndarray) -> pa.Array:
    """2016-03-05 09:05"""
    return _fmt(minutes, "iso")


def with_missing(values: pa.Array, missing: np.ndarray, token: str = "?") -> pa.Array:
    """Replace values where `missing` is True by the export's missing token."""
    return pc.if_else(pa.array(missing), pa.scalar(token), values)


def take(labels, idx: np.ndarray) -> pa.Array:
    """labels[idx] as an arrow string array (dictionary decode)."""
    return pa.array(np.asarray(labels, dtype=object)).take(pa.array(idx.astype(np.int64)))


def int_str(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def bool_str(values: np.ndarray) -> pa.Array:
    return take(["false", "true"], np.asarray(values, dtype=np.int64))


# ---- writers -------------------------------------------------------------------------------

def _text_bools(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = np.where(frame[col].to_numpy(dtype=bool), "true", "false")
        elif frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, bool)).any():
            frame[col] = frame[col].map(lambda v: ("true" if v else "false") if isinstance(v, bool) else v)
    return frame


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False, mode: str = "w", header: bool = True) -> Path:
    """UTF-8 comma-separated (optionally with a BOM, as Excel writes it)."""
    frame = _text_bools(frame)
    encoding = "utf-8-sig" if (bom and mode == "w") else "utf-8"
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n", mode=mode, header=header)
    return path


def write_csv_swedish(frame: pd.DataFrame, path: Path, *, mode: str = "w", header: bool = True,
                      decimals: int = 2) -> Path:
    """Finance-system export: `;`-separated, Windows-1252, decimal comma, CRLF line ends."""
    frame = _text_bools(frame)
    frame.to_csv(path, index=False, sep=";", decimal=",", float_format=f"%.{decimals}f", encoding="cp1252",
                 lineterminator="\r\n", mode=mode, header=header)
    return path


def decimal_comma(values: np.ndarray) -> pa.Array:
    """Amounts with two decimals and a decimal comma, no thousands separator: -1234,50."""
    cents = np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)
    neg = cents < 0
    cents = np.abs(cents)
    whole = int_str(cents // 100)
    frac = pc.utf8_lpad(int_str(cents % 100), width=2, padding="0")
    text = pc.binary_join_element_wise(whole, frac, ",")
    return pc.if_else(pa.array(neg), pc.binary_join_element_wise(pa.scalar("-"), text, ""), text)


def append_lines_cp1252(path: Path, columns: dict[str, pa.Array], *, header: bool) -> int:
    """Append `;`-separated Windows-1252 lines (CRLF) built from string columns. Values must not
    contain `;`, quotes or line breaks (checked)."""
    arrays = [pc.fill_null(a, "") for a in columns.values()]
    for name, arr in zip(columns, arrays):
        if pc.any(pc.match_substring_regex(arr, pattern='[;"\r\n]')).as_py():
            raise ValueError(f"column {name} has a value that would need quoting")
    lines = pc.binary_join_element_wise(*arrays, ";").to_pylist()
    text = ("\r\n".join(([";".join(columns)] if header else []) + lines) + "\r\n")
    with open(path, "wb" if header else "ab") as fh:
        fh.write(text.encode("cp1252"))
    return len(lines)


class ArrowCsvAppender:
    """Appends arrow tables of string columns to one UTF-8 CSV (header once), unquoted.
    pyarrow refuses to write a value that would need quoting, so the export stays unambiguous."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        self.schema = pa.schema([(c, pa.string()) for c in columns])
        self._writer = pacsv.CSVWriter(str(path), self.schema,
                                       write_options=pacsv.WriteOptions(quoting_style="none"))
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


def write_arrow_csv(table: pa.Table, path: Path) -> Path:
    """UTF-8 CSV from an arrow table of string columns (unquoted, header row)."""
    out = ArrowCsvAppender(path, table.column_names)
    try:
        out.write(table)
    finally:
        out.close()
    return path


def write_parquet(frame: pd.DataFrame | pa.Table, path: Path) -> Path:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, str(path), compression="zstd", row_group_size=1_000_000)
    return path


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "Applikationsportfölj") -> Path:
    """Excel workbook, first sheet = the data. The zip is rewritten with fixed timestamps so the
    file is byte-identical for the same input."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    _normalise_zip(buf.getvalue(), path)
    return path


def _normalise_zip(data: bytes, path: Path) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<3>", content)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
