"""The same data as .xlsx and as CSV through the ETL (read, stage, type, rules, gate, write).

    python -m benchmarks.xlsx_vs_csv [--rows 50000] [--repeat 3]

Excel is read with python-calamine through pandas (etl/readers.py); the target is xlsx <= 2x CSV.
Prints one JSON line with the best-of-N seconds for each and the ratio."""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _write(dir_: Path, rows: int) -> tuple[Path, Path]:
    import pandas as pd

    frame = pd.DataFrame({
        "line_id": [f"L{i:07d}" for i in range(rows)],
        "month": [f"2024-{i % 12 + 1:02d}" for i in range(rows)],
        "committee_code": ["BENCH"] * rows,
        "account": ["5410"] * rows,
        "amount_sek": [round(i * 1.25, 2) for i in range(rows)],
        "supplier_type": ["external", "internal"] * (rows // 2) + ["external"] * (rows % 2),
        "cost_class": ["run"] * rows,
    })
    csv, xlsx = dir_ / "it_costs_bench.csv", dir_ / "it_costs_bench.xlsx"
    frame.to_csv(csv, index=False)
    frame.to_excel(xlsx, index=False, engine="openpyxl")
    return csv, xlsx


def _load_seconds(path: Path) -> float:
    import duckdb

    from etl.contracts import load_contracts
    from etl.load import load_batch
    from etl.readers import read_file
    from etl.schema import create_all

    con = duckdb.connect()
    create_all(con)
    con.execute("INSERT INTO dim_committees VALUES ('BENCH', 'B', 'B', 'company', 'companies', 0, NULL)"
                if len(con.execute("DESCRIBE dim_committees").fetchall()) == 7 else
                "INSERT INTO dim_committees (committee_code, name_sv, name_en, kind, peer_group) "
                "VALUES ('BENCH', 'B', 'B', 'company', 'companies')")
    started = time.perf_counter()
    result = load_batch(con, load_contracts()["it_costs"], lambda: read_file(path), path.name)
    seconds = time.perf_counter() - started
    con.close()
    assert result.status == "loaded", result.message
    return seconds


def measure(rows: int = 50_000, repeat: int = 3) -> dict:
    from etl.gate import _batch_definition

    _batch_definition()  # GE's import and context are not part of either figure
    with tempfile.TemporaryDirectory() as tmp:
        csv, xlsx = _write(Path(tmp), rows)
        csv_s = min(_load_seconds(csv) for _ in range(repeat))
        xlsx_s = min(_load_seconds(xlsx) for _ in range(repeat))
    return {"rows": rows, "csv_s": round(csv_s, 3), "xlsx_s": round(xlsx_s, 3), "ratio": round(xlsx_s / csv_s, 2),
            "target_ratio": 2.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.xlsx_vs_csv", description=__doc__)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.rows, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
