"""One settings module: every path and environment switch of the product is decided here.

| setting | environment variable | default |
|---|---|---|
| published warehouse | SCORECARD_WAREHOUSE | `<repo>/data/warehouse.duckdb` |
| staging copy, lock, spill dir | — | `<warehouse>.staging`, `<warehouse>.lock`, `<warehouse>.staging.tmp` |
| council store (until the follow-up store replaces it) | SCORECARD_COUNCIL_DB | `<warehouse stem>.council.duckdb` |
| follow-up store (what people write) | SCORECARD_FOLLOWUP_URL | `sqlite:///<warehouse stem>.followup.sqlite` |
| DuckDB memory for loads | SCORECARD_ETL_MEMORY_LIMIT | 60 % of RAM |
| strict translations (a missing key or bad placeholder raises) | SCORECARD_I18N_STRICT | off (on in the tests) |

Every module asks this one for a path; none reads these variables itself.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"


def warehouse_path() -> Path:
    """The published warehouse file."""
    return Path(os.environ.get("SCORECARD_WAREHOUSE") or DEFAULT_WAREHOUSE)


def staging_path(warehouse: Path | None = None) -> Path:
    """The copy a publish works in before it replaces the published file."""
    wh = Path(warehouse or warehouse_path())
    return wh.with_name(wh.name + ".staging")


def lock_path(warehouse: Path | None = None) -> Path:
    """The lock file that keeps publishing to one writer at a time."""
    wh = Path(warehouse or warehouse_path())
    return wh.with_name(wh.name + ".lock")


def council_db_path(warehouse: Path | str | None = None) -> Path:
    """SCORECARD_COUNCIL_DB, else `<warehouse stem>.council.duckdb` next to the warehouse."""
    env = os.environ.get("SCORECARD_COUNCIL_DB")
    if env:
        return Path(env)
    wh = Path(warehouse) if warehouse else warehouse_path()
    return wh.with_name(wh.stem + ".council.duckdb")


def followup_store_url(warehouse: Path | str | None = None) -> str:
    """SQLAlchemy URL of the follow-up store: SCORECARD_FOLLOWUP_URL (e.g. a PostgreSQL URL for an
    installation with several app replicas), else a SQLite file next to the warehouse."""
    env = os.environ.get("SCORECARD_FOLLOWUP_URL")
    if env:
        return env
    wh = Path(warehouse) if warehouse else warehouse_path()
    return f"sqlite:///{wh.with_name(wh.stem + '.followup.sqlite')}"


def etl_memory_limit() -> str | None:
    """DuckDB's share of memory during a load: SCORECARD_ETL_MEMORY_LIMIT (e.g. '8GB'), else 60 % of
    RAM. DuckDB's default (80 %) leaves too little for the pandas chunks Great Expectations checks;
    above the limit DuckDB spills to `<staging>.tmp`."""
    configured = os.environ.get("SCORECARD_ETL_MEMORY_LIMIT")
    if configured:
        return configured
    try:
        total_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        return None  # DuckDB's default
    return f"{int(total_kb * 0.6 / 1024)}MB"


def i18n_strict() -> bool:
    """SCORECARD_I18N_STRICT=1: a translation lookup with a missing key or a bad placeholder raises
    (the app and browser tests run this way); otherwise the key is shown and the page goes on."""
    return os.environ.get("SCORECARD_I18N_STRICT", "").strip().lower() in ("1", "true", "yes", "on")
