"""The same data as .xlsx and as CSV through the ETL (read, stage, type, rules, gate, write).

    python -m benchmarks.xlsx_vs_csv [--rows 10000 50000 200000] [--repeat 5]

Excel is read with python-calamine (etl/readers.py); the target is xlsx <= 2x CSV. Each repeat loads
the CSV and then the .xlsx (interleaved, so both see the same machine load) into a fresh in-memory
warehouse; the figures are medians over the repeats. Besides the totals it reports, per file type,
the median seconds of each ETL phase, and `calamine_parse_s`: python-calamine's own parse of the
sheet (`get_sheet_by_index` + `to_python`, no conversion), the part of the Excel read that no change
in this product can remove. `floor_ratio` = (CSV load - CSV read + calamine parse) / CSV load: the
ratio if turning calamine's cells into text columns and staging them cost no more than DuckDB's own
CSV staging. Prints one JSON line per size."""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
SIZES = (10_000, 50_000, 200_000)


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


def _load(path: Path) -> tuple[float, dict[str, float]]:
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
    return seconds, dict(result.timings)


def _calamine_parse(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    gc.disable()
    try:
        started = time.perf_counter()
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        return time.perf_counter() - started
    finally:
        gc.enable()


def _median_phases(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r.get(k, 0.0) for r in runs), 3) for k in runs[0]}


def measure(rows: int = 50_000, repeat: int = 5) -> dict:
    from etl.gate import _batch_definition

    _batch_definition()  # GE's import and context are not part of either figure
    with tempfile.TemporaryDirectory() as tmp:
        csv, xlsx = _write(Path(tmp), rows)
        _load(csv), _load(xlsx)  # warm-up: imports, DuckDB's first connection
        csv_runs, xlsx_runs, parse = [], [], []
        for _ in range(repeat):
            csv_runs.append(_load(csv))
            xlsx_runs.append(_load(xlsx))
            parse.append(_calamine_parse(xlsx))
    csv_s = statistics.median(s for s, _ in csv_runs)
    xlsx_s = statistics.median(s for s, _ in xlsx_runs)
    parse_s = statistics.median(parse)
    csv_phases, xlsx_phases = _median_phases([p for _, p in csv_runs]), _median_phases([p for _, p in xlsx_runs])
    floor = (csv_s - csv_phases["read"] + parse_s) / csv_s
    return {"rows": rows, "repeat": repeat, "csv_s": round(csv_s, 3), "xlsx_s": round(xlsx_s, 3),
            "ratio": round(xlsx_s / csv_s, 2), "target_ratio": 2.0,
            "calamine_parse_s": round(parse_s, 3), "floor_ratio": round(floor, 2),
            "csv_phases": csv_phases, "xlsx_phases": xlsx_phases,
            "load_average": round(os.getloadavg()[0], 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.xlsx_vs_csv", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    for rows in args.rows:
        print(json.dumps(measure(rows, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
