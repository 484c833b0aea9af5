-- Fixed warehouse tables. Contract-driven tables are created by etl/schema.py from etl/contracts/.
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
CREATE TABLE IF NOT EXISTS dim_portfolios (
    portfolio_id INTEGER PRIMARY KEY,
    code VARCHAR NOT NULL,
    name_sv VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL
);
INSERT OR IGNORE INTO dim_portfolios VALUES
 (1, 'ACCESS', 'Tillgänglighet och service för medborgare, företagande och besök', 'Accessibility and service for citizens, business and visitors'),
 (2, 'INFO', 'Förbättrad förmåga att sammanställa, analysera och återanvända information', 'Better ability to compile, analyse and reuse information'),
 (3, 'SKILLS', 'Utbildning och systemutveckling för ökad och förenklad användning av befintlig it', 'Training and system development to increase and simplify use of existing IT'),
 (4, 'COLLAB', 'Samverkan och informationsutbyte med andra myndigheter', 'Collaboration and information exchange with other authorities'),
 (5, 'INNOV', 'Innovativ verksamhetsutveckling med hjälp av it', 'Innovative business development with IT');
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
