"""Readers: turn a source file or SQL extract into text columns with 1-based source row numbers.

Every reader returns a `SourceData` that knows the content hash, a plain-words description of how
the source was read (encoding, delimiter) and how to stage itself into a DuckDB connection as
TEMP table `source_raw(_source_row, <source columns as VARCHAR>)`. CSV and Parquet are read by
DuckDB itself (fast for large files); Excel and SQL extracts go through a pandas text frame.
Typing and rule checks happen later, in DuckDB SQL.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ROW_COLUMN = "_source_row"
RAW_TABLE = "source_raw"


class UnreadableSource(Exception):
    """The source cannot be read at all (batch rule: the batch is rejected)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class SourceData:
    file_name: str
    hash_value: str | Future             # sha256 hex, or its future while a thread hashes a large file
    read_note: str                       # e.g. "CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma"
    decimal_comma: bool = False
    frame: pd.DataFrame | None = None    # text frame with _source_row (Excel, SQL)
    relation: str | None = None          # DuckDB SELECT over the file (CSV, Parquet); {path} = file to read
    path: Path | None = None
    cast_to_text: bool = False           # Parquet columns are typed: cast them to VARCHAR
    transcode_from: str | None = None    # "cp1252": DuckDB reads a temporary UTF-8 copy made at staging
    row_expr: str = ROW_COLUMN           # SQL giving the 1-based data row number in source_raw
    utf8_unverified: bool = False        # CSV assumed UTF-8 from its header; DuckDB checks the rest
    native_columns: tuple[str, ...] = ()  # typed (Parquet) columns staged in their own type, not as text

    @property
    def content_hash(self) -> str:
        if isinstance(self.hash_value, Future):
            try:
                self.hash_value = self.hash_value.result()
            except OSError as err:  # e.g. the file went away while it was being hashed
                raise UnreadableSource(f"cannot be read ({err.strerror})")
        return self.hash_value

    def stage(self, con, drop: tuple[str, ...] = (), keep_native=lambda name, type_name: False) -> list[str]:
        """Create TEMP table source_raw without the `drop` columns; returns the kept source columns.

        The data row number is `row_expr` over source_raw. Typed (Parquet) columns are cast to text
        unless `keep_native(column, DuckDB type)` says their type is already the wanted one."""
        if self.frame is not None:
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

    def _stage_frame(self, con, drop) -> list[str]:
        dropped = {d.lower() for d in drop}
        columns = [c for c in self.frame.columns if c != ROW_COLUMN and c.strip().lower() not in dropped]
        con.register("source_frame", self.frame[[ROW_COLUMN, *columns]])
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS SELECT * FROM source_frame")
        finally:
            con.unregister("source_frame")
        return columns

    def _stage_relation(self, con, drop, path: Path, keep_native) -> list[str]:
        relation = self.relation.replace("{path}", _lit(str(path)))
        try:
            return self._copy_relation(con, drop, relation, keep_native)
        except duckdb.Error as err:
            if self.utf8_unverified and "Invalid unicode" in str(err):
                raise _NotUtf8() from err
            lines = [line.strip() for line in str(err).splitlines() if line.strip()]
            detail = [lines[0]] + [line for line in lines[1:] if line.startswith("Expected")]
            raise UnreadableSource(f"cannot be read ({'; '.join(detail)})")

    def _switch_to_detected_encoding(self) -> None:
        """DuckDB met bytes that are not UTF-8: the full check names the encoding or rejects the file."""
        with open(self.path, "rb") as f:
            has_bom = f.read(len(BOM)) == BOM
        encoding = _not_utf8(self.path, has_bom, "DuckDB found invalid UTF-8")
        self.utf8_unverified = False
        self.read_note = self.read_note.replace("encoding utf-8", f"encoding {encoding}", 1)
        self.transcode_from = "cp1252" if encoding.startswith("cp1252") else None

    def _copy_relation(self, con, drop, relation: str, keep_native) -> list[str]:
        dropped = {d.lower() for d in drop}
        described = con.execute(f"DESCRIBE {relation}").fetchall()
        columns = [row[0] for row in described if row[0].strip().lower() not in dropped]
        if not columns:
            raise UnreadableSource("has no columns")
        types = {row[0]: row[1] for row in described}
        self.native_columns = tuple(c for c in columns if self.cast_to_text and keep_native(c, types[c]))
        select = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" if self.cast_to_text and c not in self.native_columns
                           else _q(c) for c in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS SELECT {select} FROM ({relation})")
        # rowid follows file order (insertion order is preserved), which gives the data row number
        self.row_expr = "rowid + 1"
        return columns


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
    """(sha256, encoding) in one pass over the file for UTF-8; a second pass only for Windows-1252."""
    content_hash, has_bom, err = _hash_and_utf8_error(path)
    if err is None:
        return content_hash, "utf-8 with BOM" if has_bom else "utf-8"
    return content_hash, _not_utf8(path, has_bom, err.reason)


def _not_utf8(path: Path, has_bom: bool, reason: str) -> str:
    """The encoding of a file known not to be UTF-8: Windows-1252, or the file is unreadable."""
    if has_bom:
        raise UnreadableSource(f"starts with a UTF-8 BOM but is not valid UTF-8 ({reason})")
    undefined = _first_undefined_cp1252(path)
    if undefined:
        position, byte = undefined
        raise UnreadableSource(
            f"is neither UTF-8 nor Windows-1252 (byte 0x{byte:02x} at position {position}); "
            "save it as UTF-8 and load it again")
    return "cp1252 (Windows-1252)"


def first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=ENCODINGS[encoding], newline="") as f:
        return f.readline().rstrip("\r\n")


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
    header = [name.strip() for name in next(csv.reader([line], delimiter=delimiter), [])]
    if not any(header):
        raise UnreadableSource("has no header row")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise UnreadableSource(f"has the column {', '.join(duplicates)} more than once in the header")
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
    delimiter = detect_delimiter(line)
    header = csv_header(line, delimiter)
    # The header is parsed here and DuckDB's sniffer is off: a ragged row must reject the file,
    # never make the sniffer pick another line as the header.
    columns = "{" + ", ".join(f"{_lit(name)}: 'VARCHAR'" for name in header) + "}"
    options = f"delim={_lit(delimiter)}, header=false, skip=1, auto_detect=false, columns={columns}"
    relation = "SELECT * FROM read_csv({path}, " + options + ", quote='\"', escape='\"')"
    shown = {"\t": "tab"}.get(delimiter, f"'{delimiter}'")
    note = f"CSV, encoding {encoding}, delimiter {shown}"
    if delimiter == ";":
        note += " with decimal comma"
    return SourceData(path.name, content_hash, note, decimal_comma=delimiter == ";", relation=relation,
                      path=path, transcode_from="cp1252" if encoding.startswith("cp1252") else None,
                      utf8_unverified=not isinstance(content_hash, str))


def _cell_text(value) -> str:
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text[:-9] if text.endswith(" 00:00:00") else text
    return str(value)


def read_xlsx(path: Path) -> SourceData:
    import openpyxl

    data = path.read_bytes()  # workbooks are small; openpyxl needs the whole zip anyway
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a broken workbook
        raise UnreadableSource(f"is not a readable Excel workbook ({err})")
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    if not rows:
        raise UnreadableSource("has an empty first sheet (no header row)")
    header = [_cell_text(v) for v in rows[0]]
    # a row whose last cells are empty comes back shorter than the header (read-only mode): pad it
    body = [[_cell_text(v) for v in row] + [""] * (len(header) - len(row)) for row in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame = frame.loc[:, [h != "" for h in header]]
    return SourceData(path.name, sha256_bytes(data), "Excel workbook, first sheet", frame=_text_frame(frame))


def read_parquet(path: Path) -> SourceData:
    return SourceData(path.name, content_hash_of(path), "Parquet", relation="SELECT * FROM read_parquet({path})",
                      path=path, cast_to_text=True)


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
