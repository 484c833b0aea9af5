"""For any sequence of deliveries, the Parquet fact store holds exactly the rows the revision rules say — the
same rows, and the same replaced counts, as a plain DuckDB table loaded with the same batches."""

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.load import load_batch
from etl.readers import read_file
from etl_helpers import BENEFITS, benefit_plan_stores

MONTHS = ["2020-01", "2020-02", "2020-03", "2020-04"]

delivery = st.dictionaries(st.tuples(st.sampled_from(BENEFITS), st.sampled_from(MONTHS)),
                           st.integers(0, 10_000), min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries=st.lists(delivery, min_size=1, max_size=4))
def test_key_scoped_deliveries_give_the_rows_of_the_rules(deliveries):
    with benefit_plan_stores() as (contract, work, native, stored, store):
        expected: dict[tuple[str, str], int] = {}
        for n, rows in enumerate(deliveries):
            path = work / f"d{n}" / "benefit_plans.csv"
            path.parent.mkdir()
            path.write_text("benefit_id,month,planned_value,planned_sek\n" + "".join(
                f"{b},{m},{n},{v}\n" for (b, m), v in sorted(rows.items())), encoding="utf-8")
            # every delivery differs (planned_value = its number). By hand: a delivery replaces every month of each benefit it names (scope: benefit_id)
            replaced = sum(1 for (b, _m) in expected if b in {b for b, _ in rows})
            expected = {k: v for k, v in expected.items() if k[0] not in {b for b, _ in rows}} | rows
            a = load_batch(native, contract, lambda: read_file(path), path.name)
            b = load_batch(stored, contract, lambda: read_file(path), path.name)
            assert (a.status, a.rows_loaded, a.rows_replaced) == ("loaded", len(rows), replaced)
            assert (b.status, b.rows_loaded, b.rows_replaced) == (a.status, a.rows_loaded, a.rows_replaced)
        sql = "SELECT benefit_id, strftime(month, '%Y-%m'), planned_sek, _batch_id, _source_row FROM fact_benefit_plans ORDER BY ALL"
        assert stored.execute(sql).fetchall() == native.execute(sql).fetchall()
        assert {(b, m): v for b, m, v, *_ in stored.execute(sql).fetchall()} == expected
        # and the files on disk are exactly those rows, one month per partition
        on_disk = duckdb.connect().execute(
            f"SELECT benefit_id, strftime(month, '%Y-%m'), period FROM read_parquet("
            f"'{store.source_dir(contract)}/*/*.parquet', hive_partitioning = true)").fetchall()
        assert sorted((b, m) for b, m, _ in on_disk) == sorted(expected)
        assert all(m == p for _, m, p in on_disk)
