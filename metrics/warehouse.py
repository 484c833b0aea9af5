"""Read-only access to the published warehouse for the app and the query layer.

An in-memory DuckDB connection ATTACHes the warehouse file READ_ONLY as `wh`. The ETL publishes by
copy + rename, and DuckDB returns stale data when a replaced file is reopened in the same process
while a connection to it is open, so refresh() compares the file's inode and mtime and re-ATTACHes.
Every query gets its own cursor (Streamlit runs sessions in threads); a cursor does not inherit USE,
so each one selects `wh` itself.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd

from settings import warehouse_path

ALIAS = "wh"


class WarehouseMissing(RuntimeError):
    """No published warehouse file yet (run `make demo` or `python -m etl load`)."""


def _file_version(path: Path) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ""
    return f"{st.st_ino}-{st.st_mtime_ns}"


class Warehouse:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else warehouse_path()
        self._con = duckdb.connect(":memory:")
        self._lock = threading.RLock()
        self._attached = ""
        self.refresh()

    def version(self) -> str:
        return _file_version(self.path)

    def refresh(self) -> bool:
        """Re-ATTACH when the file was replaced since the last attach. True if it changed."""
        with self._lock:
            current = self.version()
            if current == self._attached:
                return False
            if self._attached:
                self._con.execute(f"DETACH {ALIAS}")
                self._attached = ""
            if current:
                self._con.execute(f"ATTACH '{self.path.as_posix()}' AS {ALIAS} (READ_ONLY)")
                self._attached = current
            return True

    @property
    def available(self) -> bool:
        return bool(self._attached)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if not self._attached:
            raise WarehouseMissing(f"no warehouse at {self.path}")
        with self._lock:
            cur = self._con.cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        cur = self.cursor()
        try:
            return cur.execute(sql, params).df() if params is not None else cur.execute(sql).df()
        finally:
            cur.close()

    def has_table(self, name: str) -> bool:
        if not self._attached:
            return False
        found = self.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = ? AND table_name = ?",
                        [ALIAS, name])
        return bool(found["n"].iloc[0])

    def meta(self) -> dict:
        if not self.has_table("warehouse_meta"):
            return {}
        rows = self.df("SELECT key, value FROM warehouse_meta")
        return dict(zip(rows["key"], rows["value"]))

    def close(self) -> None:
        with self._lock:
            self._con.close()


_singleton: Warehouse | None = None
_singleton_lock = threading.Lock()


def get_warehouse() -> Warehouse:
    """Process-wide warehouse, refreshed on each call (cheap: one stat)."""
    global _singleton
    with _singleton_lock:
        if _singleton is None or _singleton.path != warehouse_path():
            _singleton = Warehouse()
        else:
            _singleton.refresh()
        return _singleton
