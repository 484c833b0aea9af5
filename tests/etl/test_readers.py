import pytest

from etl.readers import UnreadableSource, decode_text, detect_delimiter, read_csv, read_file

from etl_helpers import fixture


def test_utf8_with_bom_is_stripped_and_reported():
    assert decode_text(b"\xef\xbb\xbfa;b") == ("a;b", "utf-8 with BOM")


def test_plain_utf8():
    assert decode_text("Skärholmen".encode("utf-8")) == ("Skärholmen", "utf-8")


def test_windows_1252_when_not_utf8():
    assert decode_text("Skärholmen".encode("cp1252")) == ("Skärholmen", "cp1252 (Windows-1252)")


def test_bytes_neither_utf8_nor_cp1252_are_unreadable():
    with pytest.raises(UnreadableSource, match="neither UTF-8 nor Windows-1252"):
        decode_text(b"abc\x81\x8d")


def test_delimiter_from_header():
    assert detect_delimiter("a;b;c\n1,5;2;3") == ";"
    assert detect_delimiter("a,b,c\n1;2") == ","
    assert detect_delimiter("a\tb\n") == "\t"


def test_swedish_csv_in_cp1252():
    data = read_file(fixture("committees.csv"))
    assert data.read_note == "CSV, encoding cp1252 (Windows-1252), delimiter ';' with decimal comma"
    assert data.decimal_comma is True
    assert list(data.frame["_source_row"]) == [1, 2, 3, 4, 5]
    assert data.frame.loc[1, "name_sv"] == "Skärholmens stadsdelsnämnd"


def test_blank_lines_are_skipped_but_keep_row_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n\n3,4\n")
    data = read_csv(path, path.read_bytes())
    assert list(data.frame["_source_row"]) == [1, 3]
    assert list(data.frame["a"]) == ["1", "3"]


def test_excel_cells_become_text():
    data = read_file(fixture("systems.xlsx"))
    first = data.frame.iloc[0].to_dict()
    assert first == {"_source_row": 1, "system_id": "SYS0001", "name": "System 1", "owner_committee": "BROMMA",
                     "tier": "basic", "critical": "true", "key_system": "false",
                     "agreed_hours_per_week": "45.5", "intended_users": "100"}
    assert len(data.frame) == 20


def test_parquet_timestamps_and_booleans_become_text():
    data = read_file(fixture("outages.parquet"))
    row = data.frame.iloc[3].to_dict()
    assert row == {"_source_row": 4, "outage_id": "O004", "system_id": "SYS0004",
                   "started_at": "2024-01-04 10:00:00", "ended_at": "2024-01-04 12:30:00", "planned": "true"}


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "committees.json"
    path.write_text("{}")
    with pytest.raises(UnreadableSource, match="unsupported file type '.json'"):
        read_file(path)
