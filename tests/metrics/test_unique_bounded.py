"""The unique data test judged on the changed months (issue 16 at 100×, session 6): the rows of the whole model
whose value occurs more than once are counted only between the smallest and the largest value of the changed
months (metrics.models._unique_within), so DuckDB skips the files of other months by their Parquet statistics.
The count must be exactly the unbounded one: a duplicate of a changed month's key in any other month, or
within the changed month, is still found."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.models import (ColumnDecl, Model, ModelDecl, Partition, Text, _unique_within, month_filter,
                            test_models)

MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04"]


def _model() -> tuple[Model, ...]:
    """A model kept per month like int_incidents: a key tested unique, its month of opening."""
    text = Text(sv="x", en="x")
    decl = ModelDecl(name="m", description=text, materialized="table", sources=["fact_x"],
                     partition=Partition(column="opened", source="fact_x"),
                     columns=[ColumnDecl(name="k", description=text, tests=["unique"]),
                              ColumnDecl(name="opened", description=text)])
    return (Model(decl=decl, sql="SELECT k, opened FROM fact_x", path="m.yaml"),)


def _store(con, base: Path, rows: list[tuple[str, str]]) -> None:
    """One Parquet file per month (as the fact store keeps a model) and the catalog's view over them."""
    for month in sorted({m for _, m in rows}):
        keys = [k for k, m in rows if m == month]
        folder = base / f"period={month}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute("COPY (SELECT unnest($k) AS k, CAST($m || '-15' AS DATE) AS opened) TO "
                    f"'{folder / 'part-0.parquet'}' (FORMAT parquet)", {"k": keys, "m": month})
    con.execute(f"CREATE OR REPLACE VIEW m AS SELECT * FROM read_parquet('{base}/period=*/*.parquet', "
                "hive_partitioning = false)")


def _unbounded(con, where: str) -> int:
    return con.execute(f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM m WHERE k IN "
                       f"(SELECT k FROM m WHERE {where}) GROUP BY k HAVING count(*) > 1)").fetchone()[0]


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


# keys grow with time, as incident numbers and ledger line ids do
HISTORY = [("INC001", "2025-01"), ("INC002", "2025-01"), ("INC003", "2025-02"), ("INC004", "2025-02"),
           ("INC005", "2025-03"), ("INC006", "2025-03")]


def test_a_key_of_the_changed_month_repeated_in_an_old_month_is_caught(con, tmp_path):
    # INC001 (opened 2025-01) delivered again under 2025-03: both rows fail; judged on 2025-03 only
    _store(con, tmp_path / "m", HISTORY + [("INC001", "2025-03")])
    failures = test_models(con, _model(), where={"m": month_filter("opened", ["2025-03"])})
    assert failures == [{"model": "m", "test": "k: unique", "failing_rows": 2}]


def test_a_key_repeated_within_the_changed_month_is_caught(con, tmp_path):
    _store(con, tmp_path / "m", HISTORY + [("INC006", "2025-03"), ("INC006", "2025-03")])
    assert test_models(con, _model(), where={"m": month_filter("opened", ["2025-03"])}) == [
        {"model": "m", "test": "k: unique", "failing_rows": 3}]


def test_a_key_far_outside_the_others_of_its_month_widens_the_range_and_is_caught(con, tmp_path):
    # the changed month holds INC005, INC006 and an old number INC002 (a late re-delivery): the range is
    # INC002..INC006, which still holds the 2025-01 row of INC002
    _store(con, tmp_path / "m", HISTORY + [("INC002", "2025-03")])
    assert _unique_within(con, "m", "k", month_filter("opened", ["2025-03"])) == 2


def test_a_duplicate_only_in_unchanged_months_is_left_to_the_full_test(con, tmp_path):
    _store(con, tmp_path / "m", HISTORY + [("INC003", "2025-01")])
    assert test_models(con, _model(), where={"m": month_filter("opened", ["2025-03"])}) == []
    assert test_models(con, _model()) == [{"model": "m", "test": "k: unique", "failing_rows": 2}]


def test_no_row_in_the_changed_months_judges_nothing(con, tmp_path):
    _store(con, tmp_path / "m", HISTORY + [("INC003", "2025-01")])
    assert _unique_within(con, "m", "k", month_filter("opened", ["2025-04"])) == 0


def test_the_scan_reads_only_the_row_groups_that_can_hold_the_changed_keys(con, tmp_path):
    # three months of files with disjoint key ranges: judging 2025-03 reads its own file twice (the
    # changed rows and the bounded count), never the files of 2025-01 and 2025-02
    _store(con, tmp_path / "m", HISTORY)
    where = month_filter("opened", ["2025-03"])
    lo, hi = con.execute(f"SELECT min(k), max(k) FROM m WHERE {where}").fetchone()
    assert (lo, hi) == ("INC005", "INC006")
    plan = con.execute("EXPLAIN ANALYZE SELECT count(*) FROM m WHERE k BETWEEN $lo AND $hi",
                       {"lo": lo, "hi": hi}).fetchall()[0][1]
    assert re.search(r"Row Groups Scanned: 1 / 3", plan), plan


keys = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "E", "F", "G"]), st.sampled_from(MONTHS)),
                min_size=1, max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=keys, changed=st.lists(st.sampled_from(MONTHS), min_size=1, max_size=3, unique=True))
def test_the_bounded_count_equals_the_unbounded_count(tmp_path_factory, rows, changed):
    """For any keys in any months, keys unrelated to the months or not: the same count as without the range."""
    c = duckdb.connect()
    try:
        _store(c, tmp_path_factory.mktemp("m"), rows)
        where = month_filter("opened", changed)
        expected = _unbounded(c, where)
        # by hand: the rows of keys occurring more than once in all months and at least once in a changed one
        counts = {k: sum(1 for r in rows if r[0] == k) for k, _ in rows}
        assert expected == sum(1 for k, _ in rows if counts[k] > 1 and any(r == (k, m) for r in rows for m in changed))
        assert _unique_within(c, "m", "k", where) == expected
    finally:
        c.close()
