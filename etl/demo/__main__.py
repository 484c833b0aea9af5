"""python -m etl.demo [--out DIR] [--seed N] [--end-month YYYY-MM] [--scale X]: write the demo source files only."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import LAST_RUN, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.demo", description="Write the demo source files.")
    parser.add_argument("--out", type=Path, default=Path("data/sample"))
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--end-month", default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    paths = generate(args.out, seed=args.seed, end_month=args.end_month, scale=args.scale)
    rows = LAST_RUN.get("rows", {})
    for path in paths:
        source = next((s for s in rows if path.name.startswith(s)), "")
        print(f"{path}  {rows.get(source, '')} rows")
    print(f"{LAST_RUN.get('incidents')} incidents; generated in {LAST_RUN.get('seconds')} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
