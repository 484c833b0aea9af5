"""ETL: source files and SQL extracts → validated, quarantined, loaded into the DuckDB warehouse."""
