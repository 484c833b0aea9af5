"""measure_status_history: every publish's statuses, kept so that the alerts can say which measures
turned red since the previous publish (reports/alerts.py, `python -m reports alerts`).

After each publish (pipeline.publish) `record()` appends, under the new warehouse version, the status
and value of every committee × measure in the latest complete period of each grain. The table is kept
across publishes (a publish works on a copy of the published file), never rebuilt by the marts; a
version recorded twice (a republish without new batches) replaces its own rows. The newest
KEEP_VERSIONS versions are kept (≈ 2 000 rows each)."""
from __future__ import annotations

import duckdb
import pandas as pd

from metrics.warehouse import Warehouse

KEEP_VERSIONS = 50

DDL = """CREATE TABLE IF NOT EXISTS measure_status_history (
    version BIGINT NOT NULL, published_at VARCHAR NOT NULL, grain VARCHAR NOT NULL, period VARCHAR NOT NULL,
    committee_code VARCHAR NOT NULL, measure_id VARCHAR NOT NULL, status VARCHAR NOT NULL, value DOUBLE,
    PRIMARY KEY (version, grain, committee_code, measure_id))"""


def record(con: duckdb.DuckDBPyConnection, version: int, published_at: str) -> int:
    """Append this publish's statuses; returns the number of rows recorded."""
    con.execute(DDL)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_catalog = current_database()").fetchall()}
    if not {"measure_values", "scorecard_periods", "dim_committees"} <= tables:
        return 0
    con.execute("DELETE FROM measure_status_history WHERE version = ?", [int(version)])
    con.execute("""
        INSERT INTO measure_status_history
        WITH latest AS (
            SELECT grain, arg_max(period, start_month) AS period FROM scorecard_periods WHERE complete GROUP BY grain
        )
        SELECT $version, $published_at, v.grain, v.period, v.committee_code, v.measure_id, v.status, v.value
        FROM measure_values v
        JOIN latest l ON l.grain = v.grain AND l.period = v.period
        JOIN dim_committees c ON c.committee_code = v.committee_code
    """, {"version": int(version), "published_at": published_at})
    con.execute("""DELETE FROM measure_status_history WHERE version NOT IN
                   (SELECT DISTINCT version FROM measure_status_history ORDER BY version DESC LIMIT ?)""",
                [KEEP_VERSIONS])
    return con.execute("SELECT count(*) FROM measure_status_history WHERE version = ?", [int(version)]).fetchone()[0]


ALERT_COLUMNS = ["committee_code", "name_sv", "name_en", "measure_id", "measure_name_sv", "measure_name_en", "unit",
                 "period", "value", "previous_period", "previous_value", "previous_status", "version",
                 "previous_version", "published_at"]


def turned_red(wh: Warehouse, grain: str = "tertial") -> pd.DataFrame:
    """Measures red in the newest publish that were not red in the publish before it (ALERT_COLUMNS),
    each committee's current period against the previous publish's current period (so a new period
    that opens red counts, and so does a revision that turns a measure red). Empty before the second
    publish."""
    if not wh.has_table("measure_status_history"):
        return pd.DataFrame(columns=ALERT_COLUMNS)
    return wh.df("""
        WITH versions AS (SELECT DISTINCT version FROM measure_status_history ORDER BY version DESC LIMIT 2),
        cur_v AS (SELECT max(version) AS v FROM versions),
        prev_v AS (SELECT min(version) AS v FROM versions HAVING count(*) = 2),
        cur AS (SELECT h.* FROM measure_status_history h, cur_v WHERE h.version = cur_v.v AND h.grain = $grain),
        prev AS (SELECT h.* FROM measure_status_history h, prev_v WHERE h.version = prev_v.v AND h.grain = $grain)
        SELECT cur.committee_code, c.name_sv, c.name_en, cur.measure_id, d.name_sv AS measure_name_sv,
               d.name_en AS measure_name_en, d.unit, cur.period, cur.value, prev.period AS previous_period,
               prev.value AS previous_value, COALESCE(prev.status, 'grey') AS previous_status,
               cur.version, prev.version AS previous_version, cur.published_at
        FROM cur JOIN prev ON prev.committee_code = cur.committee_code AND prev.measure_id = cur.measure_id
        JOIN dim_committees c ON c.committee_code = cur.committee_code
        JOIN measure_catalog d ON d.measure_id = cur.measure_id
        WHERE cur.status = 'red' AND prev.status <> 'red'
        ORDER BY cur.committee_code, d.ord
    """, {"grain": grain})
