-- Fixed warehouse tables. Contract-driven tables are created by etl/schema.py from etl/contracts/;
-- seed tables (dim_portfolios, dim_perspectives) from seeds/ by etl/seeds.py.
CREATE TABLE IF NOT EXISTS etl_batches (
    batch_id BIGINT PRIMARY KEY,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    rows_replaced BIGINT,
    status VARCHAR NOT NULL,          -- loaded | rejected | unchanged
    message VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    periods_min VARCHAR,
    periods_max VARCHAR
);
CREATE TABLE IF NOT EXISTS etl_quarantine (
    batch_id BIGINT NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    source_row BIGINT,
    column_name VARCHAR,
    rule VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw_values JSON
);
-- The Great Expectations verdict of each batch that reached the gate (the suite's results as JSON).
CREATE TABLE IF NOT EXISTS etl_gate_results (
    batch_id BIGINT PRIMARY KEY,
    source VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    result JSON NOT NULL
);
-- dim_incident_sla (agreed resolution times) is a loadable source: etl/contracts/incident_sla.yaml.
CREATE TABLE IF NOT EXISTS dim_calendar (
    month DATE PRIMARY KEY,
    year INTEGER NOT NULL,
    quarter VARCHAR NOT NULL,   -- 2025-Q3
    tertial VARCHAR NOT NULL,   -- 2025-T2
    month_label VARCHAR NOT NULL -- 2025-07
);
CREATE TABLE IF NOT EXISTS warehouse_meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
-- What a publish remembers to skip unchanged work (etl/seeds.py, etl/factstore.py): the content hash of each
-- seed's files when it was last validated (`seed:<table>`) and the body of each fact-table view (`view:<table>`).
CREATE TABLE IF NOT EXISTS etl_publish_state (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
