"""Readers: turn a source file or SQL extract into text columns with 1-based source row numbers.

Every reader returns a `SourceData` that knows the content hash, a plain-words description of how
the source was read (encoding, delimiter) and how to stage itself into a DuckDB connection as
TEMP table `source_raw(_source_row, c0, c1, …)`: source columns by position, as VARCHAR. CSV and
Parquet are read by DuckDB itself (fast for large files); Excel is read with python-calamine into
Arrow text columns that DuckDB scans without a copy; SQL extracts go through a pandas text frame.
Typing and rule checks happen later, in DuckDB SQL.

Nothing from a file becomes SQL text: the file path is a bound parameter, source columns are
renamed to positions (`AS t(c0, c1, …)`) and their header names stay in Python.
"""
from __future__ import annotations

import codecs
import csv
import datetime
import gc
import sys
import hashlib
import io
import json
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

ROW_COLUMN = "_source_row"
csv.field_size_limit(sys.maxsize)  # the header length is checked by first_line
RAW_TABLE = "source_raw"


class UnreadableSource(Exception):
    """The source cannot be read at all (batch rule: the batch is rejected)."""


@dataclass
class SourceData:
    file_name: str
    hash_value: str | Future             # sha256 hex, or its future while a thread hashes a large file
    read_note: str                       # e.g. "CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma"
    decimal_comma: bool = False
    frame: pd.DataFrame | None = None    # text frame with _source_row (SQL)
    table: pa.Table | None = None        # Arrow text columns with _source_row (Excel)
    scan: str | None = None              # "csv" | "parquet": DuckDB reads `path` itself
    header: tuple[str, ...] = ()         # CSV header names in file order ("" for an unnamed column)
    delimiter: str = ","
    path: Path | None = None
    cast_to_text: bool = False           # Parquet columns are typed: cast them to VARCHAR
    transcode_from: str | None = None    # "cp1252": DuckDB reads a temporary UTF-8 copy made at staging
    row_expr: str = ROW_COLUMN           # SQL giving the 1-based data row number in source_raw
    row_base: int | None = None          # when source_raw was read by DuckDB: its rowid of data row 1
    utf8_unverified: bool = False        # CSV assumed UTF-8 from its header; DuckDB checks the rest
    native_columns: tuple[str, ...] = ()  # typed (Parquet) columns staged in their own type, not as text
    truncated_last_line: bool = False    # the file does not end with a line break: its last line may be cut

    @property
    def content_hash(self) -> str:
        if isinstance(self.hash_value, Future):
            try:
                self.hash_value = self.hash_value.result()
            except OSError as err:  # e.g. the file went away while it was being hashed
                raise UnreadableSource(f"cannot be read ({err.strerror})")
        return self.hash_value

    def stage(self, con, drop: tuple[str, ...] = (), keep_native=lambda name, type_name: False) -> dict[str, str]:
        """Create TEMP table source_raw without the `drop` columns; returns {source column name: its
        column in source_raw (c0, c1, … by position)}.

        The data row number is `row_expr` over source_raw. Typed (Parquet) columns are cast to text
        unless `keep_native(column, DuckDB type)` says their type is already the wanted one."""
        if self.frame is not None or self.table is not None:
            return self._stage_frame(con, drop)
        if self.transcode_from is None:
            try:
                return self._stage_relation(con, drop, self.path, keep_native)
            except _NotUtf8:
                self._switch_to_detected_encoding()
        with tempfile.TemporaryDirectory(prefix="etl-utf8-") as tmp:
            copy = Path(tmp) / self.file_name
            transcode_to_utf8(self.path, self.transcode_from, copy)
            return self._stage_relation(con, drop, copy, keep_native)

    def _stage_frame(self, con, drop) -> dict[str, str]:
        dropped = {d.lower() for d in drop}
        source = self.frame if self.frame is not None else self.table
        names = [c for c in source.column_names if c != ROW_COLUMN] if self.frame is None else \
            [c for c in source.columns if c != ROW_COLUMN]
        _check_header(names)
        kept = {name: f"c{i}" for i, name in enumerate(names) if name and name.strip().lower() not in dropped}
        if self.frame is not None:
            frame = self.frame[[ROW_COLUMN, *kept]]
            frame.columns = [ROW_COLUMN, *kept.values()]
        else:  # Arrow: DuckDB scans the columns in place (no pandas object columns)
            index = {name: i for i, name in enumerate(source.column_names)}
            frame = pa.table([source.column(index[name]) for name in (ROW_COLUMN, *kept)],
                             names=[ROW_COLUMN, *kept.values()])
        con.register("source_frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS SELECT * FROM source_frame")
        finally:
            con.unregister("source_frame")
        return kept

    def _stage_relation(self, con, drop, path: Path, keep_native) -> dict[str, str]:
        try:
            return self._copy_relation(con, drop, path, keep_native)
        except duckdb.Error as err:
            if self.utf8_unverified and "Invalid unicode" in str(err):
                raise _NotUtf8() from err
            raise UnreadableSource(plain_duckdb_error(str(err), self.scan))

    def _switch_to_detected_encoding(self) -> None:
        """DuckDB met bytes that are not UTF-8: the full check names the encoding or rejects the file."""
        with open(self.path, "rb") as f:
            has_bom = f.read(len(BOM)) == BOM
        encoding = _not_utf8(self.path, has_bom, "DuckDB found invalid UTF-8")
        self.utf8_unverified = False
        self.read_note = self.read_note.replace("encoding utf-8", f"encoding {encoding}", 1)
        self.transcode_from = "cp1252" if encoding.startswith("cp1252") else None

    def _copy_relation(self, con, drop, path: Path, keep_native) -> dict[str, str]:
        dropped = {d.lower() for d in drop}
        if self.scan == "csv":
            names, types = list(self.header), ["VARCHAR"] * len(self.header)
            columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
            source = (f"read_csv($path, delim=$delim, header=false, skip=1, auto_detect=false, "
                      f"columns={columns}, quote='\"', escape='\"', max_line_size={MAX_LINE_BYTES}, "
                      f"buffer_size={csv_buffer_bytes(path.stat().st_size)})")
        else:
            described = con.read_parquet(str(path))
            names, types = list(described.columns), [str(t) for t in described.types]
            _check_header(names)
            source = "read_parquet($path)"
        kept = {name: f"c{i}" for i, name in enumerate(names) if name and name.strip().lower() not in dropped}
        if not kept:
            raise UnreadableSource("has no columns")
        type_of = dict(zip(names, types))
        self.native_columns = tuple(c for c in kept if self.cast_to_text and keep_native(c, type_of[c]))
        select = ", ".join(f"CAST({raw} AS VARCHAR) AS {raw}" if self.cast_to_text and name not in self.native_columns
                           else raw for name, raw in kept.items())
        positions = ", ".join(f"c{i}" for i in range(len(names)))
        params = {"path": str(path)}
        if self.scan == "csv":
            params["delim"] = self.delimiter
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS SELECT {select} FROM {source} AS t({positions})",
                    params)
        # rowid follows file order (insertion order is preserved), which gives the data row number;
        # inside the batch's transaction rowids start at a large base, hence the offset
        base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {RAW_TABLE}").fetchall()[0][0]
        self.row_base = int(base)
        self.row_expr = f"rowid - {int(base)} + 1"
        return kept


MAX_LINE_BYTES = 2_000_000
# DuckDB's CSV buffer. source_raw keeps file order (its rowid is the data row), and
# with the default buffers that ordered insert cost ~6 of 20 CPU s for the 10x incident export (9.9 M rows,
# 3 GB) over an unordered one; with 256 MB buffers it costs what the unordered insert costs (14.5 CPU s), the
# same rows in the same order (docs/benchmark.md, "Incident stage at 10x, session 8"). DuckDB splits a buffer
# among its threads in pieces that grow with the buffer: a file much smaller than its buffer is read by one
# thread (a 33 MB file took 0.16 s wall with a 128 or 256 MB buffer, 0.10 s with 32–34 MB), so a file gets a
# buffer of its own size, at least 32 MB (which holds a smaller file whole; DuckDB's default buffer and a
# given 32 MB cost the same, 18.6–20.3 CPU s for the 10x export) and at most CSV_BUFFER_BYTES.
DEFAULT_CSV_BUFFER_BYTES = 32 << 20
CSV_BUFFER_BYTES = 256 << 20


def csv_buffer_bytes(file_bytes: int) -> int:
    return min(max(file_bytes, DEFAULT_CSV_BUFFER_BYTES), CSV_BUFFER_BYTES)


MAX_HEADER_BYTES = 64 << 10


def plain_duckdb_error(text: str, scan: str | None) -> str:
    """DuckDB's reader error in plain words: which data row and what is wrong, without its hints."""
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f"row {int(line.group(1)) - 1} (line {line.group(1)} of the file)" if line else "the file"
    if "unterminated quote" in text:
        return (f"cannot be read: {where} has a quoted value that never ends (the file may be cut off "
                "inside a quoted value)")
    cols = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if cols:
        return (f"cannot be read: {where} has {cols.group(2)} fields but the header has {cols.group(1)} "
                "(a cut-off line, or a delimiter inside an unquoted value)")
    if "Maximum line size" in text:
        return (f"cannot be read: {where} is longer than {MAX_LINE_BYTES // 1_000_000} MB, "
                "which no source of this product has; check the export")
    if "Invalid unicode" in text or "invalid unicode" in text:
        return f"cannot be read: {where} is not valid UTF-8 text"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), text)
    first = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    kind = "as CSV" if scan == "csv" else "as Parquet" if scan == "parquet" else ""
    return f"cannot be read {kind} ({where}: {first})".replace("  ", " ")


def _check_header(names: list[str]) -> None:
    """Two columns with the same name, or names differing only in upper/lower case, are ambiguous."""
    seen: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(names, start=1):
        key = str(name).strip().lower()
        if not key:
            continue
        if key in seen:
            j, first = seen[key]
            if first.strip() == str(name).strip():
                raise UnreadableSource(f"has the column {first.strip()} more than once in the header (columns {j} and {i}); "
                                       "remove or rename one of them")
            raise UnreadableSource(f"has the columns {first.strip()} (column {j}) and {str(name).strip()} "
                                   f"(column {i}), whose names differ only in upper/lower case; "
                                   "remove or rename one of them")
        seen[key] = (i, str(name))


class _NotUtf8(Exception):
    """DuckDB found invalid UTF-8 in a CSV whose header was UTF-8."""


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
BACKGROUND_HASH_BYTES = 16 << 20  # larger files are hashed in a thread while DuckDB stages them


def content_hash_of(path: Path) -> str | Future:
    if path.stat().st_size < BACKGROUND_HASH_BYTES:
        return file_sha256(path)
    return _HASHER.submit(file_sha256, path)


CHUNK_BYTES = 8 << 20  # files are streamed in chunks: a 28 GB export must not be held in memory
BOM = b"\xef\xbb\xbf"
CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
ENCODINGS = {"utf-8 with BOM": "utf-8-sig", "utf-8": "utf-8", "cp1252 (Windows-1252)": "cp1252"}


def _chunks(path: Path, start: int = 0):
    with open(path, "rb") as f:
        f.seek(start)
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _hash_and_utf8_error(path: Path) -> tuple[str, bool, UnicodeDecodeError | None]:
    """One pass over the file: sha256 of the bytes, whether it starts with a BOM, and the first UTF-8
    error. ASCII chunks (the usual export) skip the decoder unless it holds a split character."""
    digest, decoder, error, has_bom = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), None, False
    for i, chunk in enumerate(_chunks(path)):
        digest.update(chunk)
        if i == 0 and chunk.startswith(BOM):
            has_bom, chunk = True, chunk[len(BOM):]
        if error is None and not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                error = err
    if error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            error = err
    return digest.hexdigest(), has_bom, error


def _first_undefined_cp1252(path: Path) -> tuple[int, int] | None:
    offset = 0
    for chunk in _chunks(path):
        hits = [(chunk.find(bytes([b])), b) for b in CP1252_UNDEFINED]
        hits = [(i, b) for i, b in hits if i >= 0]
        if hits:
            i, b = min(hits)
            return offset + i, b
        offset += len(chunk)
    return None


def detect_encoding(path: Path) -> str:
    """Strict UTF-8 (BOM stripped) first, then Windows-1252; never a silent guess. Streams the file."""
    return hash_and_detect_encoding(path)[1]


def hash_and_detect_encoding(path: Path) -> tuple[str, str]:
    """(sha256, encoding) in one pass over the file for UTF-8; a second pass only for Windows-1252 (or
    for a UTF-8 file with characters a Swedish export rarely has: `_check_not_cp1252_read_as_utf8`)."""
    content_hash, has_bom, err = _hash_and_utf8_error(path)
    if err is None:
        if not has_bom:
            _check_not_cp1252_read_as_utf8(path)
        return content_hash, "utf-8 with BOM" if has_bom else "utf-8"
    return content_hash, _not_utf8(path, has_bom, err.reason)


# Characters of Windows-1252 text in a Swedish export: the letters of Western European languages and the
# punctuation Excel and Word put in (– — ’ “ ” … € • ™ § °). Text in another language or of symbols (¸ ­ ¤ ‚ Ÿ
# ˜ …) is not what a Windows-1252 reading of such an export gives.
CP1252_PLAUSIBLE = frozenset("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
                             "–—‘’“”…€•™§°½´\xa0")
# a UTF-8 character outside Latin-1 and the common punctuation/€/™ (lead bytes C4–DF, or E0–EF except E2 80/81
# (General Punctuation), E2 82 AC (€) and E2 84 A2 (™)): the only kind a Windows-1252 file can be mistaken for
UNUSUAL_UTF8 = re.compile(rb"[\xc4-\xdf][\x80-\xbf]|(?!\xe2[\x80\x81]|\xe2\x82\xac|\xe2\x84\xa2)[\xe0-\xef][\x80-\xbf]{2}")


def cp1252_reading_is_plausible(raw: bytes) -> bool:
    """True when the bytes also read as Windows-1252 text of the kind a Swedish export has."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(ch.isascii() or ch in CP1252_PLAUSIBLE for ch in text)


def _check_not_cp1252_read_as_utf8(path: Path) -> None:
    """A file that is valid UTF-8 can still be Windows-1252 text whose bytes happen to form UTF-8
    characters ("Ä–" is the bytes C4 96, which UTF-8 reads as "Ė"). Where a line's UTF-8 reading has such
    an unusual character and its Windows-1252 reading is ordinary Swedish text, the product cannot be
    sure which was meant: the file is rejected with both readings rather than loaded as either."""
    if not any(has_unusual_utf8(chunk) for chunk in _chunks_overlapping(path)):
        return  # the usual case: ASCII, å ä ö, punctuation — one pass over the bytes, no decoding
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            raw = line.rstrip(b"\r\n")
            if UNUSUAL_UTF8.search(raw) and cp1252_reading_is_plausible(raw):
                utf8, cp1252 = (_excerpt(raw.decode(enc), raw) for enc in ("utf-8", "cp1252"))
                raise UnreadableSource(
                    f"cannot be read with certainty: line {number} is valid UTF-8 (\"{utf8}\") but reads just as "
                    f"well as Windows-1252 (\"{cp1252}\"); save the file as CSV UTF-8 (with BOM) and load it again")


def _excerpt(text: str, raw: bytes, width: int = 40) -> str:
    """The part of a line around its first unusual character, for a message."""
    first = UNUSUAL_UTF8.search(raw).start()
    at = len(raw[:first].decode("utf-8", "replace"))
    start = max(0, at - width // 2)
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")


UTF16_MESSAGE = "is saved as UTF-16 (or is not a text file at all); save it as CSV UTF-8 and load it again"


def _not_utf8(path: Path, has_bom: bool, reason: str) -> str:
    """The encoding of a file known not to be UTF-8: Windows-1252, or the file is unreadable."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise UnreadableSource(UTF16_MESSAGE)
    if has_bom:
        raise UnreadableSource(f"starts with a UTF-8 BOM but is not valid UTF-8 ({reason})")
    undefined = _first_undefined_cp1252(path)
    if undefined:
        position, byte = undefined
        raise UnreadableSource(
            f"is neither UTF-8 nor Windows-1252 (byte 0x{byte:02x} at position {position}); "
            "save it as UTF-8 and load it again")
    _check_single_encoding(path)
    return "cp1252 (Windows-1252)"


def _check_single_encoding(path: Path) -> None:
    """A file that is not UTF-8 as a whole but has lines that are UTF-8 text mixes two encodings
    (e.g. rows appended from another program): read as Windows-1252 those lines would be stored as
    mojibake ("Ã¤" for "ä"), so the file is rejected."""
    if not any(has_utf8_sequence(chunk) for chunk in _chunks_overlapping(path)):
        return  # no UTF-8 multi-byte character anywhere: a plain Windows-1252 file (the usual case)
    utf8_line = cp1252_line = None
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                # valid UTF-8, but Windows-1252 Swedish text can form UTF-8 characters by chance ("Ä–" →
                # "Ė"): such a line is one more Windows-1252 line of this Windows-1252 file
                if UNUSUAL_UTF8.search(line) and cp1252_reading_is_plausible(line.rstrip(b"\r\n")):
                    cp1252_line = cp1252_line or number
                else:
                    utf8_line = utf8_line or number
            except UnicodeDecodeError:
                cp1252_line = cp1252_line or number
            if utf8_line and cp1252_line:
                raise UnreadableSource(
                    f"mixes two encodings: line {utf8_line} is UTF-8 text but line {cp1252_line} is "
                    "Windows-1252; save the whole file in one encoding (CSV UTF-8) and load it again")


# a UTF-8 encoded non-ASCII character; in Windows-1252 text these byte pairs would be "Ã¤"-like mojibake
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _in(b: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (b >= lo) & (b <= hi)


def has_utf8_sequence(chunk: bytes) -> bool:
    """bool(UTF8_SEQUENCE.search(chunk)), computed on all positions at once with numpy: Python's regex
    engine scans ~20 MB/s here (0.7 s of a 15 MB ledger's read), numpy ~0.3 GB/s. A lead byte followed by
    a continuation byte is rare in Windows-1252 text, so the exact test runs only where one is."""
    b = np.frombuffer(chunk, dtype=np.uint8)
    if len(b) < 2:
        return False
    cont = _in(b, 0x80, 0xBF)
    starts = np.flatnonzero(_in(b[:-1], 0xC2, 0xF4) & cont[1:])  # every alternative begins like this
    return any(UTF8_SEQUENCE.match(chunk, i) for i in starts.tolist())


def has_unusual_utf8(chunk: bytes) -> bool:
    """bool(UNUSUAL_UTF8.search(chunk)), with numpy (see has_utf8_sequence). In UTF-8 Swedish text the
    lead bytes C4–EF are only punctuation (– ’ € …, mostly E2 80/81), so the exact test runs seldom."""
    b = np.frombuffer(chunk, dtype=np.uint8)
    if len(b) < 2:
        return False
    starts = np.flatnonzero(_in(b[:-1], 0xC4, 0xEF) & _in(b[1:], 0x80, 0xBF))
    if len(starts):
        lead, second = b[starts], b[starts + 1]
        # the allowed General Punctuation block (E2 80/81) never matches: skip it before the regex
        starts = starts[~((lead == 0xE2) & ((second == 0x80) | (second == 0x81)))]
    return any(UNUSUAL_UTF8.match(chunk, i) for i in starts.tolist())


def _chunks_overlapping(path: Path):
    """File chunks that overlap by 3 bytes, so a character split at a chunk boundary is still seen."""
    tail = b""
    for chunk in _chunks(path):
        yield tail + chunk
        tail = chunk[-3:]


def _ends_without_line_break(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return False
        f.seek(-1, 2)
        return f.read(1) not in (b"\n", b"\r")


def first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=ENCODINGS[encoding], newline="") as f:
        line = f.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES:
        raise UnreadableSource(f"has a first line longer than {MAX_HEADER_BYTES // 1024} KB, which is not a header "
                               "row (is the whole file one line, or not CSV at all?)")
    return line.rstrip("\r\n")


def transcode_to_utf8(source: Path, codec: str, target: Path) -> None:
    """Bytes in, bytes out: the codec is single-byte (Windows-1252), so every chunk boundary is a
    character boundary (2-3x faster than text-mode streams)."""
    with open(target, "wb") as dst:
        for chunk in _chunks(source):
            dst.write(chunk.decode(codec).encode("utf-8"))


def detect_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return ","  # a single-column file
    return best


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells, empty cells as None (as DuckDB's CSV reader gives them); entirely empty rows are
    dropped but the others keep their numbering."""
    frame = frame.fillna("").astype(str)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.insert(0, ROW_COLUMN, range(1, len(frame) + 1))
    data_cols = [c for c in frame.columns if c != ROW_COLUMN]
    if data_cols:
        not_empty = (frame[data_cols].apply(lambda s: s.str.strip()) != "").any(axis=1)
        frame = frame[not_empty]
    return frame.replace("", None).reset_index(drop=True)


def csv_header(line: str, delimiter: str) -> list[str]:
    """Header names in file order; an unnamed column (e.g. trailing ';;' from Excel) is kept as ""
    and ignored when the columns are matched to the contract."""
    header = [name.strip() for name in next(csv.reader([line], delimiter=delimiter), [])]
    if not any(header):
        raise UnreadableSource("has no header row")
    _check_header(header)
    return header


def _utf8_header(path: Path) -> tuple[str, str] | None:
    """(encoding name, header line) when the first line is valid UTF-8 (BOM allowed), else None."""
    with open(path, "rb") as f:
        head = f.readline(1 << 20)
    try:
        line = head.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    return ("utf-8 with BOM" if head.startswith(BOM) else "utf-8"), line


def read_csv(path: Path) -> SourceData:
    """Large UTF-8 files are not decoded in Python: DuckDB checks every byte while staging and a
    file that turns out not to be UTF-8 is then checked in full (`_switch_to_detected_encoding`)."""
    utf8_head = _utf8_header(path) if path.stat().st_size >= BACKGROUND_HASH_BYTES else None
    if utf8_head is None:
        content_hash, encoding = hash_and_detect_encoding(path)
        line = first_line(path, encoding)
    else:
        (encoding, line), content_hash = utf8_head, content_hash_of(path)
    if "\x00" in line:  # UTF-16 without a BOM: ASCII text with NUL bytes is "valid UTF-8"
        raise UnreadableSource(UTF16_MESSAGE)
    delimiter = detect_delimiter(line)
    header = csv_header(line, delimiter)
    # The header is parsed here and DuckDB's sniffer is off: a ragged row must reject the file,
    # never make the sniffer pick another line as the header.
    shown = {"\t": "tab"}.get(delimiter, f"'{delimiter}'")
    note = f"CSV, encoding {encoding}, delimiter {shown}"
    if delimiter == ";":
        note += " with decimal comma"
    return SourceData(path.name, content_hash, note, decimal_comma=delimiter == ";", scan="csv",
                      header=tuple(header), delimiter=delimiter,
                      path=path, transcode_from="cp1252" if encoding.startswith("cp1252") else None,
                      utf8_unverified=not isinstance(content_hash, str),
                      truncated_last_line=_ends_without_line_break(path))


def _cell_text(value) -> str:
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):  # (pd.Timestamp too)
        text = value.isoformat(sep=" ")
        return text[:-9] if text.endswith(" 00:00:00") else text
    if hasattr(value, "isoformat"):  # a date, or a time of day (an Excel time cell: 10:30:00)
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path) -> SourceData:
    """The first sheet, read with python-calamine (Rust; the engine pandas' `read_excel(engine=
    "calamine")` uses, called here through its own `CalamineWorkbook` API) into Arrow text columns
    that DuckDB scans in place. Cells become text as in a CSV export (whole floats without '.0',
    dates as ISO text, error cells as their error text). Text columns go from calamine's Python
    strings to Arrow in one C call each, number columns are turned into text in Arrow; only mixed
    columns (text with numbers, dates, booleans) are converted cell by cell. The pandas object frame
    used before took ~2x the time of calamine's parse, openpyxl ~12x the CSV time at ~900 MB; now the
    read is calamine's parse and little else (benchmarks/xlsx_vs_csv.py, docs/benchmark.md)."""
    data = path.read_bytes()
    table, sheets = _sheet_table(data)
    note = "Excel workbook, first sheet"
    if len(sheets) > 1:  # only the first sheet is read: say so, never drop the others silently
        note += f" '{sheets[0]}' of {len(sheets)} (the other sheets are not read)"
    return SourceData(path.name, sha256_bytes(data), note, table=table)


ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted workbooks and old .xls files


def _not_a_workbook(data: bytes, err: Exception) -> UnreadableSource:
    """calamine says only 'Cannot detect file format': tell the user which case it is."""
    if data.startswith(OLE2_MAGIC):
        return UnreadableSource("is a password-protected (encrypted) workbook or an old Excel 97-2003 file renamed "
                                ".xlsx; save it without a password as Excel Workbook (.xlsx) and load it again")
    if not data.startswith(ZIP_MAGIC):
        return UnreadableSource("is not an Excel workbook (an .xlsx file is a zip archive; is it a CSV or another "
                                "file renamed .xlsx?)")
    import zipfile

    damaged = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                try:
                    with archive.open(member) as part:
                        while part.read(1 << 20):
                            pass
                except Exception:  # a bad CRC, zlib's "invalid stored block", …
                    damaged = member
                    break
    except (zipfile.BadZipFile, EOFError, ValueError):
        return UnreadableSource("is damaged or cut off (not a complete zip archive); copy or save it again and "
                                "load it again")
    if damaged:
        return UnreadableSource(f"is damaged (the part {damaged} of the workbook cannot be unpacked); copy or save "
                                "it again and load it again")
    first = str(err).splitlines()[0] if str(err) else err.__class__.__name__
    return UnreadableSource(f"is not a readable Excel workbook ({first})")


def _sheet_rows(data: bytes) -> tuple[list[list], list[str]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(workbook.sheet_names)
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False), sheets
    except Exception as err:  # calamine raises several types for a broken workbook
        raise _not_a_workbook(data, err)


def _sheet_table(data: bytes) -> tuple[pa.Table, list[str]]:
    gc_enabled = gc.isenabled()
    gc.disable()  # millions of small cell objects: the cyclic GC would rescan them over and over (~2x time)
    try:
        rows, sheets = _sheet_rows(data)
        return _cells_to_table(rows, lambda: _error_cells(data)), sheets
    finally:
        if gc_enabled:
            gc.enable()


_ERROR_CELL = re.compile(rb'<c\b([^>]*?\bt="e"[^>]*)>(.*?)</c>', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _first_sheet_part(archive) -> str | None:
    """The zip member of the workbook's first sheet (the one calamine reads), from workbook.xml and its rels."""
    import posixpath
    import xml.etree.ElementTree as ET

    try:
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return None
    sheet = next((e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"), None)
    rel_id = next((v for k, v in (sheet.attrib.items() if sheet is not None else ()) if k.endswith("}id")), None)
    target = next((e.get("Target") for e in rels if e.get("Id") == rel_id), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _error_cells(data: bytes) -> dict[tuple[int, int], str]:
    """Cells holding an Excel error value (#N/A, #DIV/0!, #REF! …) in the first sheet, {(sheet row,
    column index): error text}. calamine gives them as empty cells; a CSV export writes the error
    text, and so does this reader (a number column then quarantines the row, naming the error)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = _first_sheet_part(archive)
        if part is None or part not in archive.namelist():
            return {}
        xml = archive.read(part)
    if b't="e"' not in xml:
        return {}
    found = {}
    for attributes, body in _ERROR_CELL.findall(xml):
        ref, value = _CELL_REF.search(attributes), _CELL_VALUE.search(body)
        if ref and value:
            column = 0
            for letter in ref.group(1):
                column = column * 26 + letter - 64
            found[(int(ref.group(2)), column - 1)] = value.group(1).decode("utf-8", "replace")
    return found


def _cells_to_table(rows: list[list], error_cells=lambda: {}) -> pa.Table:
    while rows and not any(_cell_text(v).strip() for v in rows[-1]):
        rows.pop()  # trailing empty rows of the used range
    if not rows:
        raise UnreadableSource("has an empty first sheet (no header row)")
    header = [_cell_text(v).strip() for v in rows[0]]
    width, n = len(header), len(rows) - 1
    # calamine's rows are rectangular (the used range): transpose, then pad/cut to the header's width
    columns = list(zip(*rows[1:])) if n else []
    del rows
    columns = (columns + [("",) * n for _ in range(width)])[:width]
    if any("" in col for col in columns):  # empty cells: some may be error values calamine gives as ""
        for (sheet_row, c), text in error_cells().items():
            i = sheet_row - 2  # sheet row 1 is the header
            if 0 <= i < n and c < width and columns[c][i] == "":
                column = columns[c] = list(columns[c])
                column[i] = text
    arrays = [_text_array(col) for col in columns]
    del columns
    named = [(name, arr) for name, arr in zip(header, arrays) if name != ""]
    _check_header([name for name, _ in named])
    table = pa.table([pa.array(range(1, n + 1), type=pa.int64()), *(arr for _, arr in named)],
                     names=[ROW_COLUMN, *(name for name, _ in named)])
    if n and arrays:  # entirely empty rows are dropped (also where only an unnamed column has a value)
        filled = [pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(arr), ""), False) for arr in arrays]
        keep = filled[0]
        for more in filled[1:]:
            keep = pc.or_(keep, more)
        if not pc.all(keep).as_py():
            table = table.filter(keep)
    return table


def _text_array(column: tuple) -> pa.Array:
    """One column of cells as Arrow text, empty cells as null. A column of text cells (the usual case)
    goes to Arrow in one call; one with numbers, dates or booleans is turned into text cell by cell
    (floats inline: they are the usual non-text cell)."""
    try:
        array = pa.array(column, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        kinds = set(map(type, column))
        if kinds == {float}:  # a column of numbers only (amounts): converted in Arrow
            return _float_texts(pa.array(column, type=pa.float64()))
        array = pa.array([v if type(v) is str else (str(int(v)) if v.is_integer() else repr(v))
                          if type(v) is float else _number_text_cell(v) for v in column], type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _float_texts(numbers: pa.Array) -> pa.Array:
    """`_float_text` for a whole Arrow column: whole numbers below 2**53 through int64, the others
    through Arrow's shortest round-trip text, which has Python's repr digits; where either would
    differ from repr (an exponent, a tiny or huge number) the cell is converted by `_float_text`."""
    whole = pc.equal(numbers, pc.floor(numbers))
    small = pc.less(pc.abs(numbers), 2.0 ** 53)
    as_int = pc.cast(pc.cast(numbers, pa.int64(), safe=False), pa.string())
    text = pc.if_else(pc.and_(whole, small), as_int, pc.cast(numbers, pa.string()))
    odd = pc.or_(pc.and_(whole, pc.invert(small)),
                 pc.and_(pc.invert(whole), pc.or_(pc.less(pc.abs(numbers), 1e-4),
                                                  pc.match_substring(text, "e"))))
    if not pc.any(odd).as_py():
        return text
    values, texts = numbers.to_pylist(), text.to_pylist()
    return pa.array([_float_text(values[i]) if flag else texts[i] for i, flag in enumerate(odd.to_pylist())],
                    type=pa.string())


def _float_text(value: float) -> str:
    """A number cell as a CSV export writes it: whole numbers without '.0' (exact, any size)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _number_text_cell(value) -> str | None:
    if type(value) is float:
        return _float_text(value)
    return _cell_text(value) or None


def read_parquet(path: Path) -> SourceData:
    return SourceData(path.name, content_hash_of(path), "Parquet", scan="parquet", path=path, cast_to_text=True)


READERS = {".csv": read_csv, ".txt": read_csv, ".xlsx": read_xlsx, ".parquet": read_parquet}


def read_file(path: Path) -> SourceData:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableSource(f"has an unsupported file type '{path.suffix}' (use .csv, .xlsx or .parquet)")
    try:
        return reader(path)
    except OSError as err:
        raise UnreadableSource(f"cannot be opened ({err.strerror})")


def canonical_hash(frame: pd.DataFrame) -> str:
    """sha256 of the extract independent of row order: sorted column names, then sorted JSON rows."""
    columns = sorted(c for c in frame.columns if c != ROW_COLUMN)
    rows = sorted(json.dumps(r, ensure_ascii=False) for r in frame[columns].values.tolist())
    payload = json.dumps(columns) + "\n" + "\n".join(rows)
    return sha256_bytes(payload.encode("utf-8"))


def _with_installed_driver(url):
    """SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; psycopg2 is what this project installs."""
    if url.drivername == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return url.set(drivername="postgresql+psycopg2")
    return url


def read_sql(url: str, query: str | None = None, table: str | None = None) -> SourceData:
    import sqlalchemy as sa

    if bool(query) == bool(table):
        raise UnreadableSource("needs exactly one of --query or --table")
    try:
        engine = sa.create_engine(_with_installed_driver(sa.engine.make_url(url)))
    except (ImportError, sa.exc.ArgumentError) as err:
        raise UnreadableSource(f"cannot be opened: no usable database driver ({err})")
    try:
        with engine.connect() as conn:
            stmt = sa.text(query) if query else sa.select(sa.text("*")).select_from(sa.table(table))
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)
    except sa.exc.SQLAlchemyError as err:
        raise UnreadableSource(f"could not be read ({err.__class__.__name__}: {str(err).splitlines()[0]})")
    finally:
        engine.dispose()
    text = pd.DataFrame({c: frame[c].map(_cell_text) for c in frame.columns}, columns=frame.columns)
    text = _text_frame(text)
    name = sa.engine.make_url(url).render_as_string(hide_password=True)
    name += f" table {table}" if table else " query"
    what = f"table {table}" if table else f"query {query.strip()}"
    return SourceData(name, canonical_hash(text), f"SQL extract, {what}", frame=text)
