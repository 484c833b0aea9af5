import duckdb
import pandas as pd
import pytest

from etl import readers
from etl.readers import UnreadableSource, detect_delimiter, detect_encoding, read_csv, read_file
from etl_helpers import fixture


def staged(data, drop=()):
    """The source as staged in DuckDB (TEMP table source_raw), as a pandas frame."""
    con = duckdb.connect()
    positions = data.stage(con, drop)  # {header name: its column c0, c1, … in source_raw}
    rows = "_source_row" if data.row_expr == "_source_row" else f"{data.row_expr} AS _source_row"
    cursor = con.execute(f"SELECT {rows}, {', '.join(positions.values())} FROM source_raw ORDER BY _source_row")
    frame = pd.DataFrame(cursor.fetchall(), columns=["_source_row", *positions], dtype=object)
    con.close()
    return frame


def encoding_of(tmp_path, data: bytes) -> str:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    return detect_encoding(path)


def test_utf8_with_bom_is_reported(tmp_path):
    assert encoding_of(tmp_path, b"\xef\xbb\xbfa;b") == "utf-8 with BOM"


def test_plain_utf8(tmp_path):
    assert encoding_of(tmp_path, "Skärholmen".encode("utf-8")) == "utf-8"


def test_windows_1252_when_not_utf8(tmp_path):
    assert encoding_of(tmp_path, "Skärholmen".encode("cp1252")) == "cp1252 (Windows-1252)"


def test_bytes_neither_utf8_nor_cp1252_are_unreadable(tmp_path):
    with pytest.raises(UnreadableSource, match=r"neither UTF-8 nor Windows-1252 \(byte 0x81 at position 3\)"):
        encoding_of(tmp_path, b"abc\x81\x8d")


def test_encoding_is_detected_across_chunk_boundaries(tmp_path, monkeypatch):
    """Files are streamed in chunks: a UTF-8 character split by a chunk boundary is still UTF-8, and a
    cp1252 byte found only in a later chunk still decides the encoding and its position."""
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4)
    assert encoding_of(tmp_path, "abcå;ö".encode("utf-8")) == "utf-8"          # å spans bytes 3-4
    assert encoding_of(tmp_path, "abcdefgh;å".encode("cp1252")) == "cp1252 (Windows-1252)"
    with pytest.raises(UnreadableSource, match="at position 9"):
        encoding_of(tmp_path, b"abcdefg;\xe5\x9d")


def test_content_hash_is_the_sha256_of_the_whole_file(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr(readers, "CHUNK_BYTES", 5)
    path = tmp_path / "committees_x.csv"
    path.write_bytes("a;b\nSkärholmen;1,5\n".encode("cp1252"))
    assert read_file(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_delimiter_from_header():
    assert detect_delimiter("a;b;c\n1,5;2;3") == ";"
    assert detect_delimiter("a,b,c\n1;2") == ","
    assert detect_delimiter("a\tb\n") == "\t"


def test_swedish_csv_in_cp1252():
    data = read_file(fixture("committees.csv"))
    assert data.read_note == "CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma"
    assert data.decimal_comma is True
    frame = staged(data)
    assert list(frame["_source_row"]) == [1, 2, 3, 4, 5]
    assert frame.loc[1, "name_sv"] == "Skärholmens stadsdelsnämnd"


def test_quoted_fields_empty_cells_and_dropped_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'a,secret,b\n1,s1,"x, y"\n2,s2,\n')
    frame = staged(read_csv(path), drop=("SECRET",))
    assert frame.to_dict("list") == {"_source_row": [1, 2], "a": ["1", "2"], "b": ["x, y", None]}


def test_excel_cells_become_text():
    frame = staged(read_file(fixture("systems.xlsx")))
    first = frame.iloc[0].to_dict()
    assert first == {"_source_row": 1, "system_id": "SYS0001", "name": "System 1", "owner_committee": "BROMMA",
                     "tier": "basic", "critical": "true", "key_system": "false",
                     "agreed_hours_per_week": "45.5", "intended_users": "100"}
    assert len(frame) == 20


def test_parquet_timestamps_and_booleans_become_text():
    row = staged(read_file(fixture("outages.parquet"))).iloc[3].to_dict()
    assert row == {"_source_row": 4, "outage_id": "O004", "system_id": "SYS0004",
                   "started_at": "2024-01-04 10:00:00", "ended_at": "2024-01-04 12:30:00", "planned": "true"}


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "committees.json"
    path.write_text("{}")
    with pytest.raises(UnreadableSource, match="unsupported file type '.json'"):
        read_file(path)


def test_ragged_row_makes_the_file_unreadable(tmp_path):
    path = tmp_path / "committees_ragged.csv"
    path.write_bytes(b"committee_code,name_sv,name_en\nA1,a,b\nA2,a,b,extra\n")
    with pytest.raises(UnreadableSource, match=r"cannot be read: row 2 \(line 3 of the file\) has 4 fields "
                                                r"but the header has 3 "):
        staged(read_file(path))


def test_duplicate_header_is_unreadable(tmp_path):
    path = tmp_path / "committees_dup.csv"
    path.write_bytes(b"committee_code;name_sv;name_sv\nA1;a;b\n")
    with pytest.raises(UnreadableSource, match="has the column name_sv more than once in the header"):
        read_file(path)


def test_tab_delimited_with_quoted_header(tmp_path):
    path = tmp_path / "committees.tsv.csv"
    path.write_bytes(b'"committee_code"\t"name sv"\nA1\t"a\tb"\n')
    data = read_file(path)
    assert data.read_note == "CSV, encoding utf-8, delimiter tab"
    assert staged(data).to_dict("list") == {"_source_row": [1], "committee_code": ["A1"], "name sv": ["a\tb"]}


# Files of BACKGROUND_HASH_BYTES and more are hashed in a thread and not decoded in Python: DuckDB
# checks the UTF-8 while staging, and a file that is not UTF-8 after all gets the full check then.
def test_large_utf8_file_hash_is_the_sha256_and_staging_reads_it(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr(readers, "BACKGROUND_HASH_BYTES", 0)
    path = tmp_path / "committees_big.csv"
    path.write_bytes("\ufeffa;b\nSkärholmen;1,5\nBromma;2\n".encode("utf-8"))
    data = read_file(path)
    assert data.read_note == "CSV, encoding utf-8 with BOM, delimiter ';' with decimal comma"
    assert data.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(staged(data)["a"]) == ["Skärholmen", "Bromma"]


def test_large_cp1252_file_with_ascii_header_is_found_at_staging(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "BACKGROUND_HASH_BYTES", 0)
    path = tmp_path / "committees_big.csv"
    path.write_bytes("a;b\nBromma;1\nSkärholmen;1,5\n".encode("cp1252"))
    data = read_file(path)
    assert data.read_note == "CSV, encoding utf-8, delimiter ';' with decimal comma"  # from the header only
    frame = staged(data)
    assert data.read_note == "CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma"
    assert list(frame["a"]) == ["Bromma", "Skärholmen"]
    assert list(frame["_source_row"]) == [1, 2]


def test_large_file_neither_utf8_nor_cp1252_is_unreadable_at_staging(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "BACKGROUND_HASH_BYTES", 0)
    path = tmp_path / "committees_big.csv"
    path.write_bytes(b"a;b\nX;\x81\x8d\n")
    data = read_file(path)
    with pytest.raises(UnreadableSource, match=r"neither UTF-8 nor Windows-1252 \(byte 0x81 at position 6\)"):
        staged(data)
